/**
 * The remote-access lock-out guard, shared by `compile` (before a package is built) and `deploy`
 * (before an assignment is written): enforcing a rule that touches remote access (RDP listener,
 * its certificates, logon rights, the firewall — `dsc/remote-access.ts`) can leave every
 * administrator locked out of a fleet with the serial console as the only way back, so a
 * non-Audit assignment type needs the baseline's `spec.assignment.remoteAccessAcknowledgement`.
 * `deploy` checks again because build/ can be edited (or a definition republished) after compile.
 */
import { formatLocation } from '../core/diagnostics.js';
import { ruleKind } from '../rules/index.js';
import type { AssignmentType, Baseline } from '../rules/model.js';

/** One `file:line:col: …` line per rule the guard refuses for `assignmentType`; empty when it may be enforced. */
export function lockOutViolations(b: Baseline, assignmentType: AssignmentType): string[] {
  if (assignmentType === 'Audit' || b.assignment.remoteAccessAcknowledgement) return [];
  const errors: string[] = [];
  for (const rule of b.rules) {
    const reason = ruleKind(rule.kind)?.dsc?.remoteAccess(rule.check as never);
    if (reason) {
      errors.push(`${formatLocation(rule.location)}: rule ${rule.id} touches ${reason}; enforcing it (${assignmentType}) can lock every administrator out of the VM, ` +
        'so the compiler requires spec.assignment.remoteAccessAcknowledgement stating why the team accepts that risk (or compile with assignment type Audit)');
    }
  }
  return errors;
}
