/**
 * Paces writes before ARM has to throttle them. ARM reports what is left of the caller's quota on
 * every response — `x-ms-ratelimit-remaining-subscription-writes` / `-deletes` (and `-global-…`,
 * `tenant-…` for tenant-level requests) — and refills it as a token bucket: 200 writes and 200
 * deletes per subscription and principal, refilled at 10 per second ("Understand how Azure
 * Resource Manager throttles requests", learn.microsoft.com/azure/azure-resource-manager/management/
 * request-limits-and-throttling). The SDK never reads these headers (azure-sdk-js.md §9).
 *
 * Per subscription (or the tenant) and bucket, this policy keeps the last reported remainder,
 * subtracts the writes sent since and adds the refill since; when that estimate falls to `reserve`,
 * the next write waits until the refill has brought it back above. A deployment of hundreds of
 * resources therefore slows to the refill rate instead of running into 429s, and reads (which have
 * their own, larger bucket) are never held back. Waits end early if the request is aborted (the
 * command's deadline).
 */
import type { PipelinePolicy, PipelineRequest } from '@azure/core-rest-pipeline';
import { pathOf, subscriptionOf } from '../resource-id.js';
import { abortableSleep } from '../abortable-sleep.js';

export const pacingPolicyName = 'driftscanWritePacing';

export interface PacingSettings {
  /** Writes kept in reserve: pacing starts when the estimate reaches this (default 20). */
  reserve?: number;
  /** Tokens ARM adds back per second (default 10, the documented write and delete refill). */
  refillPerSecond?: number;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

type Bucket = 'writes' | 'deletes';

interface Quota {
  remaining: number;
  at: number;
  sentSince: number;
}

/** Requests that change nothing although they are POSTs (queries), so they never wait for write quota. */
const READ_POSTS = [/^\/providers\/Microsoft\.ResourceGraph\/resources$/i, /\/policyStates\/[^/]+\/(queryResults|summarize)$/i, /\/listDeployments$/i];

/** The quota bucket a request draws from, or undefined for reads. */
export function bucketOf(method: string, url: string): Bucket | undefined {
  const m = method.toUpperCase();
  if (m === 'DELETE') return 'deletes';
  if (m === 'PUT' || m === 'PATCH') return 'writes';
  if (m === 'POST') return READ_POSTS.some((re) => re.test(pathOf(url))) ? undefined : 'writes';
  return undefined;
}


/** The lowest remainder the response reports for `bucket` (subscription, global and tenant headers). */
function reportedRemaining(headers: { get(name: string): string | undefined }, bucket: Bucket): number | undefined {
  let low: number | undefined;
  for (const scope of ['subscription', 'subscription-global', 'tenant']) {
    const v = headers.get(`x-ms-ratelimit-remaining-${scope}-${bucket}`);
    if (v !== undefined && /^\s*\d+\s*$/.test(v)) low = Math.min(low ?? Infinity, Number(v));
  }
  return low;
}

export interface WritePacer {
  readonly policy: PipelinePolicy;
  /** Total time writes were held back, in milliseconds (for `--verbose` summaries and tests). */
  readonly waitedMs: number;
}

export function writePacer(settings: PacingSettings = {}): WritePacer {
  const reserve = settings.reserve ?? 20;
  const refill = settings.refillPerSecond ?? 10;
  const now = settings.now ?? Date.now;
  const sleep = settings.sleep ?? abortableSleep;
  const quotas = new Map<string, Quota>();
  let waitedMs = 0;

  const keyOf = (request: PipelineRequest, bucket: Bucket) => `${(subscriptionOf(pathOf(request.url)) ?? 'tenant').toLowerCase()}|${bucket}`;

  const estimate = (q: Quota, t: number) => q.remaining - q.sentSince + ((t - q.at) / 1000) * refill;

  const policy: PipelinePolicy = {
    name: pacingPolicyName,
    async sendRequest(request, next) {
      const bucket = bucketOf(request.method, request.url);
      const key = bucket ? keyOf(request, bucket) : undefined;
      const quota = key ? quotas.get(key) : undefined;
      if (quota) {
        const left = estimate(quota, now());
        if (left <= reserve) {
          const wait = Math.ceil(((reserve - left + 1) / refill) * 1000);
          waitedMs += wait;
          await sleep(wait, request.abortSignal as AbortSignal | undefined);
        }
        quota.sentSince += 1;
      }
      const response = await next(request);
      for (const b of ['writes', 'deletes'] as const) {
        const reported = reportedRemaining(response.headers, b);
        if (reported !== undefined) quotas.set(keyOf(request, b), { remaining: reported, at: now(), sentSince: 0 });
      }
      return response;
    },
  };
  return {
    policy,
    get waitedMs() {
      return waitedMs;
    },
  };
}
