/**
 * Durations on the command line (`--timeout 10m`, `--sas-expiry 7d`): a number with a unit —
 * `ms`, `s`, `m`, `h`, `d` — or several (`1h30m`). A bare number is refused: `--timeout 30` could
 * mean seconds or minutes, and guessing wrong either hangs a pipeline or cuts it short.
 */
import { usageError } from '../core/diagnostics.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `value` for `flag`; the result is in milliseconds, at least `min` and at most `max` when given. */
export function parseDuration(flag: string, value: string, limits: { min?: number; max?: number } = {}): number {
  const text = value.trim().toLowerCase();
  const part = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/gy;
  let total = 0;
  let pos = 0;
  let parts = 0;
  while (pos < text.length) {
    part.lastIndex = pos;
    const m = part.exec(text);
    if (!m) break;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = part.lastIndex;
    parts += 1;
    while (text[pos] === ' ') pos += 1;
  }
  if (parts === 0 || pos !== text.length || !Number.isFinite(total)) {
    throw usageError(`${flag} expects a duration such as 90s, 10m, 1h30m or 7d (units ms, s, m, h, d), not "${value}"`);
  }
  const ms = Math.round(total);
  if (limits.min !== undefined && ms < limits.min) throw usageError(`${flag} ${value} is too short: at least ${limits.min / 1000} s`);
  if (limits.max !== undefined && ms > limits.max) throw usageError(`${flag} ${value} is too long: at most ${limits.max / 86_400_000} d`);
  return ms;
}
