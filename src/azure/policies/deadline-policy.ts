/**
 * Puts the command's deadline on every request: the request's abort signal also fires when the
 * deadline passes (so a hanging connection or a long Retry-After wait ends then), and a request
 * that ends because of it fails with one line naming the request and the deadline. Added per call,
 * outside the retry policy, so the deadline covers every attempt and every wait between them.
 */
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { anySignal, type Deadline } from '../deadline.js';
import { AzureError } from '../errors.js';
import type { AttemptLedger } from './retry-policy.js';

export const deadlinePolicyName = 'driftscanDeadline';

export function deadlinePolicy(deadline: Deadline, attempts: AttemptLedger): PipelinePolicy {
  return {
    name: deadlinePolicyName,
    async sendRequest(request, next) {
      const fail = (cause?: unknown) =>
        new AzureError({ failure: 'deadline', method: request.method, url: request.url, note: `${deadline.describe()} passed`, attempts: attempts.get(request), cause });
      if (deadline.expired()) throw fail();
      request.abortSignal = anySignal([request.abortSignal as AbortSignal | undefined, deadline.signal]);
      try {
        return await next(request);
      } catch (err) {
        if (deadline.expired() && !(err instanceof AzureError)) throw fail(err);
        throw err;
      }
    },
  };
}
