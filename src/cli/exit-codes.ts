/** Exit codes, documented in `--help` and the README. */
export const EXIT = {
  /** Every rule passes or is waived (or the command succeeded). */
  OK: 0,
  /** At least one rule fails (or, for `compile --check`, the build is stale). */
  FAIL: 1,
  /** Usage or input error: bad flags, invalid baseline, unreadable or damaged state. */
  INPUT: 2,
} as const;
