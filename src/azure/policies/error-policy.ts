/**
 * Turns every failed call into an `AzureError` (`errors.ts`): one redacted line naming the method,
 * the resource path, ARM's status, code and message, the attempts made, and — for a 403 — the
 * subscription by name. Sits outside deserialization (HLC clients throw `RestError` there for
 * unexpected statuses) and also checks plain responses, because `@azure-rest/core-client` returns
 * 4xx/5xx responses instead of throwing: either way a caller sees one error type.
 *
 * Retry exhaustion is visible here as the last response (429/5xx → `unavailable`) or the last
 * transport error (`network`); the deadline policy reports deadlines itself.
 */
import { isRestError, type PipelinePolicy, type PipelineRequest } from '@azure/core-rest-pipeline';
import { AzureError, parseArmError, type AzureFailure } from '../errors.js';
import { subscriptionOf, pathOf } from '../resource-id.js';
import type { AttemptLedger } from './retry-policy.js';

export const errorPolicyName = 'driftscanErrors';

function failureOf(status: number): AzureFailure {
  return status === 429 || status >= 500 ? 'unavailable' : 'refused';
}

export function errorPolicy(attempts: AttemptLedger, subscriptionNames: ReadonlyMap<string, string>): PipelinePolicy {
  const nameOf = (request: PipelineRequest) => {
    const sub = subscriptionOf(pathOf(request.url));
    return sub ? subscriptionNames.get(sub.toLowerCase()) : undefined;
  };
  return {
    name: errorPolicyName,
    async sendRequest(request, next) {
      let response;
      try {
        response = await next(request);
      } catch (err) {
        if (err instanceof AzureError || !isRestError(err)) throw err;
        const status = err.statusCode ?? err.response?.status;
        const body = parseArmError(err.response?.bodyAsText ?? err.details);
        throw new AzureError({
          failure: status !== undefined ? failureOf(status) : 'network',
          method: request.method,
          url: request.url,
          status,
          code: body.code ?? err.code,
          serviceMessage: body.message ?? err.message,
          attempts: attempts.get(request),
          subscriptionName: nameOf(request),
          cause: err,
        });
      }
      if (response.status >= 400) {
        const body = parseArmError(response.bodyAsText);
        throw new AzureError({
          failure: failureOf(response.status),
          method: request.method,
          url: request.url,
          status: response.status,
          code: body.code,
          serviceMessage: body.message,
          attempts: attempts.get(request),
          subscriptionName: nameOf(request),
        });
      }
      return response;
    },
  };
}
