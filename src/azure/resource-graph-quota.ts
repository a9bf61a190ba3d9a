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

export class GraphQuota {
  /** Queries left as of the last answer that carried the headers; undefined: not known (yet, or since the reset). */
  private remaining: number | undefined;
  /** When the window refills (epoch ms); 0 when not known. */
  private resetAt = 0;
  /** Queries sent and not yet answered: each spends one of `remaining` that its answer has not reported yet. */
  private inFlight = 0;
  /** Waits so far, for progress and the summary. */
  waits = 0;
  waitedMs = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = abortableSleep,
  ) {}

  /**
   * Call before sending a query: waits while the quota known from the last answer, less the
   * queries still in flight, is spent, then counts this query as in flight. Several queries may
   * run at once (a scan overlaps its summaries with its first findings page); the in-flight count
   * keeps them inside the quota all the same. Returns the time waited.
   */
  async beforeQuery(signal?: AbortSignal, onWait?: (ms: number) => void): Promise<number> {
    let waited = 0;
    for (;;) {
      const now = this.now();
      if (this.resetAt !== 0 && now >= this.resetAt) {
        this.remaining = undefined;
        this.resetAt = 0;
      }
      if (this.remaining === undefined || this.remaining - this.inFlight > 0) break;
      // Spent and no reset time known: a queries' answer will tell; wait a little for one.
      const ms = this.resetAt !== 0 ? this.resetAt - now : 250;
      onWait?.(ms);
      await this.sleep(ms, signal);
      this.waits += 1;
      this.waitedMs += ms;
      waited += ms;
    }
    this.inFlight += 1;
    return waited;
  }

  /** Records an answer's quota headers (names in lower case) and ends its query's flight. */
  observe(headers: Record<string, string | undefined>): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    const remaining = Number(headers['x-ms-user-quota-remaining']);
    const reset = parseQuotaReset(headers['x-ms-user-quota-resets-after']);
    if (!Number.isFinite(remaining) || headers['x-ms-user-quota-remaining'] === undefined) return;
    // Answers can arrive out of order: the smaller remainder is the safer reading within a window.
    const resetAt = reset !== undefined ? this.now() + reset : 0;
    if (this.remaining === undefined || resetAt > this.resetAt + 1000) this.remaining = remaining;
    else this.remaining = Math.min(this.remaining, remaining);
    if (reset !== undefined) this.resetAt = Math.max(this.resetAt, resetAt);
  }

  /** Ends a query's flight that got no answer with headers (it failed). */
  abandon(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }
}
