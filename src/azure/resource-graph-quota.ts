/**
 * Resource Graph's per-user query quota, honoured before it runs out. Every answer carries
 * `x-ms-user-quota-remaining` (queries left in the window) and `x-ms-user-quota-resets-after`
 * (`hh:mm:ss` until the window refills; documented example quota: 15 queries per 5 s, and each
 * `$skipToken` page costs one) — "Guidance for throttled requests in Azure Resource Graph",
 * learn.microsoft.com/azure/governance/resource-graph/concepts/guidance-for-throttled-requests.
 * Once the remainder reaches 0, the next query waits for the reset instead of drawing a 429 that
 * the retry policy would then have to sit out. The SDK never reads these headers.
 */
import { abortableSleep } from './abortable-sleep.js';

/** `hh:mm:ss` (hours may exceed 24; fractions of seconds allowed) → milliseconds, or undefined. */
export function parseQuotaReset(text: string | undefined): number | undefined {
  const m = /^\s*(\d+):([0-5]?\d):([0-5]?\d(?:\.\d+)?)\s*$/.exec(text ?? '');
  if (!m) return undefined;
  return Math.round(((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000);
}

export interface QuotaWait {
  /** Milliseconds waited. */
  ms: number;
}

export class GraphQuota {
  private resumeAt = 0;
  /** Waits so far, for progress and the summary. */
  waits = 0;
  waitedMs = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = abortableSleep,
  ) {}

  /** Records a response's quota headers (header names in lower case). */
  observe(headers: Record<string, string | undefined>): void {
    const remaining = Number(headers['x-ms-user-quota-remaining']);
    const reset = parseQuotaReset(headers['x-ms-user-quota-resets-after']);
    if (Number.isFinite(remaining) && remaining <= 0 && reset !== undefined) this.resumeAt = Math.max(this.resumeAt, this.now() + reset);
  }

  /** Waits until the quota has refilled when the last answer said it was spent; returns the wait. */
  async beforeQuery(signal?: AbortSignal, onWait?: (ms: number) => void): Promise<number> {
    const ms = this.resumeAt - this.now();
    if (ms <= 0) return 0;
    onWait?.(ms);
    await this.sleep(ms, signal);
    this.waits += 1;
    this.waitedMs += ms;
    this.resumeAt = 0;
    return ms;
  }
}

