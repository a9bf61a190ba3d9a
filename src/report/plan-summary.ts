/** The one-line result of `--apply`, shared by every plan writer and the CLI's last line. */
import { summarizeOutcome, type ApplyOutcome } from '../rollout/apply.js';

/** `applied 3 of 4 writes; 1 failed; 0 not attempted`. */
export function applySummaryLine(outcome: ApplyOutcome): string {
  const s = summarizeOutcome(outcome);
  const total = outcome.results.length;
  if (total === 0) return 'applied nothing: every resource is up to date';
  return `applied ${s.applied} of ${total} write${total === 1 ? '' : 's'}; ${s.failed} failed; ${s.notAttempted} not attempted`;
}
