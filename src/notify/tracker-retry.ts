/**
 * When a call to an issue tracker is worth another attempt, and how long to wait first.
 *
 * - 408, 429 and 5xx (except 501/505), and dropped or refused connections: as for ARM
 *   (`azure/policies/retry-policy.ts`, whose header reading and backoff this reuses): the wait the
 *   response asks for (`Retry-After`, seconds or an HTTP date), else exponential backoff with jitter.
 *   Azure DevOps throttles with 429 and `Retry-After` ("Rate and usage limits", learn.microsoft.com/
 *   azure/devops/integrate/concepts/rate-limits).
 * - GitHub's rate limits answer **403** as well as 429 ("Rate limits for the REST API",
 *   docs.github.com): a secondary limit carries `retry-after`; an exhausted primary limit carries
 *   `x-ratelimit-remaining: 0` and `x-ratelimit-reset` (epoch seconds), which is waited for; a
 *   secondary limit without headers says so in its message, and GitHub asks for at least a minute's
 *   wait. A 403 without any of these is a permission problem and is not retried.
 * - Never past the notification deadline: a wait that would end after it fails at once, saying so.
 */
import { retryPolicy, type PipelinePolicy, type PipelineResponse, type RestError, type RetryStrategy } from '@azure/core-rest-pipeline';
import { formatDuration, type Deadline } from '../azure/deadline.js';
import { backoffMs, isNetworkErrorCode, isRetriableStatus, retryAfterMs, type RetrySettings } from '../azure/policies/retry-policy.js';
import { NotifyError, type TrackerService } from './errors.js';

/** GitHub: "If … no retry-after header … wait for at least one minute before retrying." */
export const SECONDARY_RATE_LIMIT_WAIT_MS = 60_000;

/** The wait a rate-limited response asks for, or undefined when it is not a rate limit. */
export function rateLimitWaitMs(response: Pick<PipelineResponse, 'headers' | 'status' | 'bodyAsText'>, now: number = Date.now()): number | undefined {
  if (response.status !== 403 && response.status !== 429) return undefined;
  const hinted = retryAfterMs(response, now);
  if (hinted !== undefined) return hinted;
  if (response.headers.get('x-ratelimit-remaining') === '0') {
    const reset = Number(response.headers.get('x-ratelimit-reset'));
    if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - now);
  }
  if (/secondary rate limit|abuse detection/i.test(response.bodyAsText ?? '')) return SECONDARY_RATE_LIMIT_WAIT_MS;
  return undefined;
}

export function trackerRetryPolicy(service: TrackerService, deadline: Deadline, settings: RetrySettings = {}): PipelinePolicy {
  const maxRetries = settings.maxRetries ?? 5;
  const base = settings.baseDelayMs ?? 1000;
  const max = settings.maxDelayMs ?? 60_000;
  const random = settings.random ?? Math.random;
  const strategy: RetryStrategy = {
    name: 'driftscanTrackerRetry',
    retry({ retryCount, response, responseError }) {
      const request = response?.request ?? responseError?.request;
      const status = response?.status ?? responseError?.statusCode;
      let wait: number | undefined;
      let reason: string;
      const limited = response ? rateLimitWaitMs(response) : undefined;
      if (limited !== undefined) {
        wait = limited;
        reason = `${status} rate limited for ${formatDuration(limited)}`;
      } else if (status !== undefined && isRetriableStatus(status)) {
        wait = backoffMs(retryCount, base, max, random);
        reason = String(status);
      } else if (!response && isNetworkErrorCode(responseError?.code)) {
        wait = backoffMs(retryCount, base, max, random);
        reason = responseError!.code!;
      } else {
        return { skipStrategy: true };
      }
      if (request && wait >= deadline.remainingMs()) {
        const error = new NotifyError({ service, failure: 'deadline', method: request.method, url: request.url, status, note: `${reason}; waiting would pass the ${formatDuration(deadline.timeoutMs)} notification deadline`, attempts: retryCount + 1 });
        return { errorToThrow: error as unknown as RestError };
      }
      return { retryAfterInMs: wait };
    },
  };
  return { ...retryPolicy([strategy], { maxRetries }), name: 'driftscanTrackerRetryPolicy' };
}
