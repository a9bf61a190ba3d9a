/** Exit codes, documented in `--help` and the README, and how `check` picks one. */
import { SEVERITIES, type Severity } from '../rules/model.js';
import type { RuleResult } from '../evaluate/result.js';

export const EXIT = {
  /** Every rule passes or is waived (or the command succeeded). */
  OK: 0,
  /** At least one rule fails (or, for `compile --check`, the build is stale). */
  FAIL: 1,
  /** Usage or input error: bad flags, invalid baseline, unreadable or damaged state. */
  INPUT: 2,
} as const;

export interface GateOptions {
  /** Only failures of this severity or higher fail the run (default `low`: every failure). */
  failOnSeverity?: Severity;
  /** Rules the source could not answer fail the run too. */
  failOnSkipped?: boolean;
}

/** `critical` ≥ `high` ≥ `medium` ≥ `low`. */
function atLeast(s: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(s) <= SEVERITIES.indexOf(threshold);
}

/**
 * The exit code of a `check` run: 2 when any rule could not be evaluated (damaged state must not
 * pass a gate), 1 when a failure (or, with `failOnSkipped`, a skip) at or above the severity
 * threshold remains, else 0. Waived failures never fail the run.
 */
export function checkExitCode(results: readonly RuleResult[], options: GateOptions = {}): number {
  if (results.some((r) => r.status === 'error')) return EXIT.INPUT;
  const threshold = options.failOnSeverity ?? 'low';
  const gating = results.filter((r) => atLeast(r.severity, threshold));
  if (gating.some((r) => r.status === 'fail' || (options.failOnSkipped === true && r.status === 'skipped'))) return EXIT.FAIL;
  return EXIT.OK;
}
