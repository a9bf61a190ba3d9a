/**
 * The assignment's per-definition non-compliance messages (`properties.nonComplianceMessages`, one
 * per `policyDefinitionReferenceId`): what the portal and compliance results show for a machine
 * that fails. Worded like `driftscan check` — each rule's id and "expected …" from the rule kind's
 * own description — so a platform engineer reads the same words in Azure and in CI.
 */
import { ruleKind } from '../../rules/index.js';
import type { Baseline } from '../../rules/model.js';

/** Azure Policy keeps non-compliance messages up to 1,024 characters (assignment structure docs). */
export const MAX_NON_COMPLIANCE_MESSAGE = 1024;

/** `<title> (<name> <version>, driftscan): <rule>: expected …; …`, cut at a rule boundary to fit. */
export function nonComplianceMessage(b: Baseline): string {
  const head = `${b.metadata.title} (${b.metadata.name} ${b.metadata.version}, driftscan)`;
  const parts = b.rules.map((r) => {
    const kind = ruleKind(r.kind);
    return `${r.id}: expected ${kind ? kind.describe(r.check as never) : r.title}`;
  });
  let text = `${head}: ${parts.join('; ')}`;
  if (text.length <= MAX_NON_COMPLIANCE_MESSAGE) return text;
  for (let n = parts.length - 1; n >= 0; n--) {
    const rest = parts.length - n;
    text = `${head}: ${[...parts.slice(0, n), `…and ${rest} more rule${rest === 1 ? '' : 's'}: run driftscan check for each`].join('; ')}`;
    if (text.length <= MAX_NON_COMPLIANCE_MESSAGE) return text;
  }
  return `${head.slice(0, MAX_NON_COMPLIANCE_MESSAGE - 1)}…`;
}
