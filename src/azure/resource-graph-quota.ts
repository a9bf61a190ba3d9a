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
  /** Queries left as of the answers so far in the current window; undefined: not known (yet, or since the window reset). */
  private remaining: number | undefined;
  /** When the current window refills (epoch ms, as read from the answers); 0 when not known. */
  private resetAt = 0;
  /** Queries sent and not yet answered: each spends one of `remaining` that no answer has reported yet. */
  private inFlight = 0;
  private wakers: Array<() => void> = [];
  /** Waits so far, for progress and the summary. */
  waits = 0;
  waitedMs = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = abortableSleep,
  ) {}

  /**
   * Call before sending a query: waits while the quota the answers reported, less the queries
   * still in flight, is spent, then counts this query as in flight. Several queries may run at
   * once (a scan overlaps its summaries with its first findings page); the in-flight count keeps
   * them inside the quota all the same. While the remainder is not known — before the first
   * answer, and once the window has reset — one query goes alone and its answer tells the rest.
   * Returns the time waited for the quota to refill.
   */
  async beforeQuery(signal?: AbortSignal, onWait?: (ms: number) => void): Promise<number> {
    let waited = 0;
    for (;;) {
      signal?.throwIfAborted();
      const now = this.now();
      if (this.resetAt !== 0 && now >= this.resetAt) {
        this.remaining = undefined;
        this.resetAt = 0;
      }
      if (this.remaining === undefined) {
        if (this.inFlight === 0) break;
        await new Promise<void>((wake) => this.wakers.push(wake));
        continue;
      }
      if (this.remaining - this.inFlight > 0) break;
      if (this.resetAt === 0) {
        // Spent, and no reset time given: the answers in flight will say more.
        if (this.inFlight > 0) await new Promise<void>((wake) => this.wakers.push(wake));
        else this.remaining = undefined;
        continue;
      }
      const ms = this.resetAt - now;
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
    this.land();
    const text = headers['x-ms-user-quota-remaining'];
    const remaining = Number(text);
    if (text === undefined || text.trim() === '' || !Number.isFinite(remaining)) return;
    const reset = parseQuotaReset(headers['x-ms-user-quota-resets-after']);
    const resetAt = reset !== undefined ? this.now() + reset : 0;
    // Within one window `now + resets-after` stays put (up to the header's whole seconds), so an
    // answer ending more than a second later is from a new window and replaces the reading; any
    // other keeps the smaller remainder (answers to concurrent queries arrive in any order).
    if (this.remaining === undefined || (resetAt !== 0 && resetAt > this.resetAt + 1000)) {
      this.remaining = remaining;
      this.resetAt = resetAt;
    } else {
      this.remaining = Math.min(this.remaining, remaining);
      this.resetAt = Math.max(this.resetAt, resetAt);
    }
  }

  /** Ends a query's flight that got no answer with quota headers (it failed). */
  abandon(): void {
    this.land();
  }

  private land(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }
}
