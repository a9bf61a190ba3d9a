/**
 * Faults on demand. A test (or `--faults` on the command line) adds rules; each request is checked
 * against them in order, and the first rule that matches and still has uses left acts:
 *
 * | field | meaning |
 * |---|---|
 * | `method` | only this HTTP method (any when absent) |
 * | `path` | only paths containing this text (case-insensitive), or matching `/regex/` |
 * | `subscription` | only requests for this subscription (path, or a Resource Graph body's list) |
 * | `times` | act on this many matching requests, then stop matching (default: always) |
 * | `status` | answer with this status and ARM's error body (`code`/`message` overridable) |
 * | `retryAfter` / `retryAfterMs` / `xMsRetryAfterMs` | add `Retry-After` (seconds) / `retry-after-ms` / `x-ms-retry-after-ms` |
 * | `headers` | any other response headers (e.g. `x-ms-ratelimit-remaining-subscription-writes`) |
 * | `delayMs` | wait this long first (then answer normally, or with `status`) |
 * | `drop` | destroy the connection without answering (the client sees ECONNRESET) |
 * | `forbid` | answer 403 AuthorizationFailed naming the subscription (like `forbidSubscription`) |
 */

export interface FaultRule {
  method?: string;
  path?: string;
  subscription?: string;
  times?: number;
  status?: number;
  code?: string;
  message?: string;
  retryAfter?: number;
  retryAfterMs?: number;
  xMsRetryAfterMs?: number;
  headers?: Record<string, string>;
  delayMs?: number;
  drop?: boolean;
  forbid?: boolean;
}

export interface FaultHit {
  rule: FaultRule;
  /** How many times this rule has acted (including this one). */
  count: number;
}

const KEYS = new Set(['method', 'path', 'subscription', 'times', 'status', 'code', 'message', 'retryAfter', 'retryAfterMs', 'xMsRetryAfterMs', 'headers', 'delayMs', 'drop', 'forbid']);

/** Checks a rule read from `--faults` JSON; throws naming the bad field. */
export function checkFaultRule(value: unknown, where: string): FaultRule {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: a fault rule must be an object`);
  const r = value as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!KEYS.has(k)) throw new Error(`${where}: unknown fault field '${k}' (known: ${[...KEYS].join(', ')})`);
  for (const k of ['method', 'path', 'subscription', 'code', 'message']) if (r[k] !== undefined && typeof r[k] !== 'string') throw new Error(`${where}.${k} must be a string`);
  for (const k of ['times', 'status', 'retryAfter', 'retryAfterMs', 'xMsRetryAfterMs', 'delayMs']) {
    if (r[k] !== undefined && (typeof r[k] !== 'number' || !Number.isFinite(r[k] as number) || (r[k] as number) < 0)) throw new Error(`${where}.${k} must be a non-negative number`);
  }
  for (const k of ['drop', 'forbid']) if (r[k] !== undefined && typeof r[k] !== 'boolean') throw new Error(`${where}.${k} must be true or false`);
  if (r.headers !== undefined && (typeof r.headers !== 'object' || r.headers === null || Object.values(r.headers).some((v) => typeof v !== 'string'))) throw new Error(`${where}.headers must map names to strings`);
  if (r.status === undefined && r.drop !== true && r.forbid !== true && r.delayMs === undefined && r.headers === undefined) throw new Error(`${where}: a fault rule needs status, drop, forbid, delayMs or headers`);
  return r as FaultRule;
}

export class Faults {
  private readonly rules: Array<{ rule: FaultRule; count: number }> = [];
  private readonly forbidden = new Set<string>();

  /** Adds a rule; returns a function that removes it. */
  add(rule: FaultRule): () => void {
    const entry = { rule, count: 0 };
    this.rules.push(entry);
    return () => {
      const i = this.rules.indexOf(entry);
      if (i >= 0) this.rules.splice(i, 1);
    };
  }

  /** Every request for `subscriptionId` answers 403 AuthorizationFailed from now on. */
  forbidSubscription(subscriptionId: string): void {
    this.forbidden.add(subscriptionId.toLowerCase());
  }

  isForbidden(subscriptionId: string | undefined): boolean {
    return subscriptionId !== undefined && this.forbidden.has(subscriptionId.toLowerCase());
  }

  forbiddenSubscriptions(): string[] {
    return [...this.forbidden];
  }

  clear(): void {
    this.rules.length = 0;
    this.forbidden.clear();
  }

  /** The first rule matching the request that still has uses left (and counts the use). */
  take(method: string, path: string, subscriptions: string[]): FaultHit | undefined {
    for (const entry of this.rules) {
      const { rule } = entry;
      if (rule.times !== undefined && entry.count >= rule.times) continue;
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (rule.path) {
        const re = /^\/(.*)\/([a-z]*)$/.exec(rule.path);
        if (re ? !new RegExp(re[1]!, re[2] || 'i').test(path) : !path.toLowerCase().includes(rule.path.toLowerCase())) continue;
      }
      if (rule.subscription && !subscriptions.some((s) => s.toLowerCase() === rule.subscription!.toLowerCase())) continue;
      entry.count += 1;
      return { rule, count: entry.count };
    }
    return undefined;
  }
}
