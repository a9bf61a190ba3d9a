/**
 * Retries for ARM, replacing the SDK's default retry policy (its strategies are not exported, and
 * two of its choices do not fit ARM: shared/reference/azure-sdk-js.md §9):
 *
 * - 429 and 503 with `retry-after-ms`, `x-ms-retry-after-ms` (milliseconds) or `Retry-After`
 *   (seconds or an HTTP date) wait as the header says — ARM sends `Retry-After` on throttled
 *   requests ("Understand how Azure Resource Manager throttles requests", learn.microsoft.com/azure/
 *   azure-resource-manager/management/request-limits-and-throttling). Other retriable statuses that
 *   carry the header honour it too.
 * - a 429 **without** those headers is still retried, with exponential backoff (the SDK returns it
 *   at once); resource providers throttle with a bare 429 too.
 * - 408, 5xx except 501/505, and connections that drop or cannot be made (`ECONNRESET`, `ETIMEDOUT`,
 *   `ECONNREFUSED`, `EPIPE`, `EAI_AGAIN`, `ENOTFOUND`): exponential backoff with jitter in the upper
 *   half (the SDK's `calculateRetryDelay`).
 * - never past the command's deadline: a wait that would end after it fails at once, saying so,
 *   instead of sleeping into an abort (the SDK does not cap `Retry-After`).
 *
 * Built on the SDK's own `retryPolicy` driver, so aborts, logging and response handling stay the
 * SDK's. TLS errors and other 4xx are not retried: repeating them cannot help.
 */
import { RestError, retryPolicy, type PipelinePolicy, type PipelineRequest, type PipelineResponse, type RetryStrategy } from '@azure/core-rest-pipeline';
import { formatDuration, type Deadline } from '../deadline.js';
import { AzureError } from '../errors.js';

export const retryPolicyName = 'retryPolicy';

/** How many attempts each request has made so far (read by the error messages). */
export type AttemptLedger = WeakMap<PipelineRequest, number>;

export interface RetrySettings {
  /** Retries after the first attempt (default 5). */
  maxRetries?: number;
  /** First backoff delay (default 1 s); doubles per retry. */
  baseDelayMs?: number;
  /** Backoff cap (default 60 s). Header-given waits are not capped by it, only by the deadline. */
  maxDelayMs?: number;
  /** Source of randomness for jitter (tests pass a fixed one). */
  random?: () => number;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/** True when `code` is a transport failure worth another attempt. */
export function isNetworkErrorCode(code: string | undefined): boolean {
  return code !== undefined && NETWORK_CODES.has(code);
}

/** True for statuses worth another attempt: 408, 429, 5xx except 501 and 505. */
export function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/**
 * The wait a response asks for, in milliseconds: `retry-after-ms`, then `x-ms-retry-after-ms`,
 * then `Retry-After` (delta-seconds or an HTTP date, RFC 9110 §10.2.3). Undefined when none is
 * present or readable.
 */
export function retryAfterMs(response: Pick<PipelineResponse, 'headers'>, now: number = Date.now()): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const v = response.headers.get(name);
    if (v !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(v)) return Math.ceil(Number(v));
  }
  const ra = response.headers.get('retry-after');
  if (ra === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(ra)) return Number(ra) * 1000;
  const date = Date.parse(ra);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** Exponential delay for retry number `retryCount` (0-based), jittered within its upper half. */
export function backoffMs(retryCount: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(retryCount, 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}

function armRetryStrategy(deadline: Deadline, settings: Required<RetrySettings>): RetryStrategy {
  return {
    name: 'driftscanArmRetry',
    retry({ retryCount, response, responseError }) {
      const request = response?.request ?? responseError?.request;
      const status = response?.status ?? responseError?.statusCode;
      let wait: number | undefined;
      let reason: string;
      if (status !== undefined && isRetriableStatus(status)) {
        const hinted = response ? retryAfterMs(response) : undefined;
        wait = hinted ?? backoffMs(retryCount, settings.baseDelayMs, settings.maxDelayMs, settings.random);
        reason = hinted !== undefined ? `${status} asked to retry after ${formatDuration(hinted)}` : `${status}`;
      } else if (!response && isNetworkErrorCode(responseError?.code)) {
        wait = backoffMs(retryCount, settings.baseDelayMs, settings.maxDelayMs, settings.random);
        reason = responseError!.code!;
      } else {
        return { skipStrategy: true };
      }
      if (request && wait >= deadline.remainingMs()) {
        const error = new AzureError({
          failure: 'deadline',
          method: request.method,
          url: request.url,
          status,
          note: `${reason}; waiting would pass ${deadline.describe()}`,
          attempts: retryCount + 1,
        });
        return { errorToThrow: error as unknown as RestError };
      }
      return { retryAfterInMs: wait };
    },
  };
}

/** The retry policy every driftscan Azure client uses (added in the `Retry` phase). */
export function armRetryPolicy(deadline: Deadline, settings: RetrySettings = {}): PipelinePolicy {
  const full: Required<RetrySettings> = {
    maxRetries: settings.maxRetries ?? 5,
    baseDelayMs: settings.baseDelayMs ?? 1000,
    maxDelayMs: settings.maxDelayMs ?? 60_000,
    random: settings.random ?? Math.random,
  };
  return { ...retryPolicy([armRetryStrategy(deadline, full)], { maxRetries: full.maxRetries }), name: retryPolicyName };
}

export const attemptCountPolicyName = 'driftscanAttemptCount';

/** Counts the attempts of each request (added after the `Retry` phase, so it sees every attempt). */
export function attemptCountPolicy(attempts: AttemptLedger): PipelinePolicy {
  return {
    name: attemptCountPolicyName,
    sendRequest(request, next) {
      attempts.set(request, (attempts.get(request) ?? 0) + 1);
      return next(request);
    },
  };
}
