/** Exit codes, documented in `--help` and the README, and how `check` picks one. */
import { SEVERITIES, type Severity } from '../rules/model.js';
import type { RuleResult } from '../evaluate/result.js';

export const EXIT = {
  /** Every rule passes or is waived (or the command succeeded). */
  OK: 0,
  /** At least one rule fails (or, for `compile --check`, the build is stale). */
  FAIL: 1,
  /** Usage or input error: bad flags, invalid baseline, unreadable or damaged state, or nothing evaluated. */
  INPUT: 2,
  /**
   * An Azure call was refused or kept failing (throttled or 5xx after every retry, no answer, past
   * `--timeout`). The output lists what was applied and what was not.
   */
  AZURE: 3,
} as const;

export interface GateOptions {
  /** Only failures of this severity or higher fail the run (default `low`: every failure). */
  failOnSeverity?: Severity;
  /** Rules the source could not answer fail the run too. */
  failOnSkipped?: boolean;
  /** A run in which every rule was skipped (nothing evaluated) may pass. */
  allowAllSkipped?: boolean;
}

/** The exit code of a `check` run and, when the run evaluated nothing, the one line that says so. */
export interface GateOutcome {
  exit: number;
  /** Why the run exits 2 although no rule has an `error` verdict (printed on stderr). */
  problem?: string;
}

/** `critical` ≥ `high` ≥ `medium` ≥ `low`. */
function atLeast(s: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(s) <= SEVERITIES.indexOf(threshold);
}

/**
 * The outcome of a `check` run: 2 when any rule could not be evaluated (damaged state must not
 * pass a gate) or when every rule was skipped — a run that checked nothing says nothing about the
 * machine, and is far more often a wrong `--hive`/`--reg` than a deliberate choice, so it is an
 * input problem (2), not a finding (1), unless `allowAllSkipped`. Then 1 when a failure (or, with
 * `failOnSkipped`, a skip) at or above the severity threshold remains, else 0. Waived failures
 * never fail the run; a waived rule was evaluated, so it is not "skipped".
 */
export function checkOutcome(results: readonly RuleResult[], options: GateOptions = {}): GateOutcome {
  if (results.some((r) => r.status === 'error')) return { exit: EXIT.INPUT };
  if (options.allowAllSkipped !== true && results.every((r) => r.status === 'skipped')) {
    const first = results[0];
    const why = first
      ? `every rule was skipped (${results.length} ${results.length === 1 ? 'rule' : 'rules'}), nothing was checked; first: ${first.ruleId}: ${first.message.replace(/\s*[\r\n]+\s*/g, ' ')}`
      : 'the baselines hold no rules, so nothing was checked';
    return { exit: EXIT.INPUT, problem: `${why} (pass --allow-all-skipped to accept)` };
  }
  const threshold = options.failOnSeverity ?? 'low';
  const gating = results.filter((r) => atLeast(r.severity, threshold));
  if (gating.some((r) => r.status === 'fail' || (options.failOnSkipped === true && r.status === 'skipped'))) return { exit: EXIT.FAIL };
  return { exit: EXIT.OK };
}
