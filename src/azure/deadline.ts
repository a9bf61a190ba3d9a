/**
 * One overall deadline per command. Every request a command sends carries the deadline's abort
 * signal, and the retry policy never waits past it, so a command against a throttled or hanging
 * ARM ends when its deadline says — not after `maxRetries × Retry-After` (the SDK does not cap
 * Retry-After: shared/reference/azure-sdk-js.md §9).
 */
import { setMaxListeners } from 'node:events';
import { DriftscanError } from '../core/diagnostics.js';

export interface Deadline {
  /** Milliseconds the command was given. */
  readonly timeoutMs: number;
  /** Aborted when the deadline passes. */
  readonly signal: AbortSignal;
  /** Milliseconds left (0 once passed). */
  remainingMs(): number;
  expired(): boolean;
  /** `the 10 m deadline (--timeout)`, for messages. */
  describe(): string;
  /** Stops the timer (the command is over). */
  dispose(): void;
}

/** `90 s`, `10 m`, `1 h 30 m`: a duration for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} m`;
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} m` : ''}`;
}

export function createDeadline(timeoutMs: number, now: () => number = Date.now): Deadline {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`deadline must be a positive number of milliseconds, not ${timeoutMs}`);
  const expiresAt = now() + timeoutMs;
  const controller = new AbortController();
  // Every request in flight listens on this one signal (the HTTP client adds an abort listener per
  // request), so with --concurrency above 10 Node would warn of a listener leak on stderr, outside
  // the redacting console. The listeners are removed as requests finish: no limit is needed.
  setMaxListeners(0, controller.signal);
  // A service error, not a plain Error: when the reason itself surfaces (a rollout stopped between
  // writes), the CLI prints one line and exits 3 instead of reporting an internal error.
  const timer = setTimeout(() => controller.abort(new DriftscanError(`the ${formatDuration(timeoutMs)} deadline (--timeout) passed`, { kind: 'service' })), timeoutMs);
  timer.unref();
  return {
    timeoutMs,
    signal: controller.signal,
    remainingMs: () => Math.max(0, expiresAt - now()),
    expired: () => controller.signal.aborted || now() >= expiresAt,
    describe: () => `the ${formatDuration(timeoutMs)} deadline (--timeout)`,
    dispose: () => clearTimeout(timer),
  };
}

/** An AbortSignal that aborts when any of `signals` does (AbortSignal.any is Node ≥ 20.3 only). */
export function anySignal(signals: ReadonlyArray<AbortSignal | undefined>): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length === 1) return present[0]!;
  const controller = new AbortController();
  const onAbort = (s: AbortSignal) => () => {
    for (const other of present) other.removeEventListener('abort', listeners.get(other)!);
    controller.abort(s.reason);
  };
  const listeners = new Map<AbortSignal, () => void>();
  for (const s of present) {
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    const l = onAbort(s);
    listeners.set(s, l);
    s.addEventListener('abort', l, { once: true });
  }
  return controller.signal;
}
