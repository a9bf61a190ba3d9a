/**
 * Azure Policy exemptions as waivers. An exemption (`Microsoft.Authorization/policyExemptions`) at a
 * scope exempts the resources under that scope from one policy assignment; when that assignment's
 * definition is one driftscan compiled (`metadata.driftscan.baseline`), a failing rule of that
 * baseline on a machine under the scope is waived — shown as waived with the exemption's name and
 * category, never as compliant. Expired exemptions (`expiresOn` in the past) waive nothing, as in
 * Azure Policy. Not covered: assignments of policy sets (initiatives) and their
 * `policyDefinitionReferenceIds`.
 */

export interface ExemptionRow {
  id: string;
  name: string;
  type: string;
  baseline: string;
  assignmentId: string;
  definitionId: string;
  category: string;
  expiresOn: string;
}

interface Exemption {
  /** Lower-case scope id with a trailing slash. */
  scope: string;
  baseline: string;
  reason: string;
}

const EXEMPTION_SEGMENT = '/providers/microsoft.authorization/policyexemptions/';

export class Exemptions {
  private readonly list: Exemption[] = [];

  /** Builds the matcher from the exemptions query's rows (`queries.ts`), as of `now`. */
  constructor(rows: Iterable<ExemptionRow>, now: Date = new Date()) {
    const definitions = new Map<string, string>();
    const assignments = new Map<string, string>();
    const exemptions: ExemptionRow[] = [];
    for (const r of rows) {
      const type = r.type.toLowerCase();
      if (type === 'microsoft.authorization/policydefinitions' && r.baseline) definitions.set(r.id.toLowerCase(), r.baseline);
      else if (type === 'microsoft.authorization/policyassignments') assignments.set(r.id.toLowerCase(), r.definitionId.toLowerCase());
      else if (type === 'microsoft.authorization/policyexemptions') exemptions.push(r);
    }
    for (const e of exemptions) {
      if (e.expiresOn && !Number.isNaN(Date.parse(e.expiresOn)) && Date.parse(e.expiresOn) <= now.getTime()) continue;
      const baseline = definitions.get(assignments.get(e.assignmentId.toLowerCase()) ?? '');
      const id = e.id.toLowerCase();
      const at = id.lastIndexOf(EXEMPTION_SEGMENT);
      if (!baseline || at < 0) continue;
      this.list.push({ scope: `${id.slice(0, at)}/`, baseline: baseline.toLowerCase(), reason: `Azure Policy exemption ${e.name}${e.category ? ` (${e.category})` : ''}` });
    }
  }

  get size(): number {
    return this.list.length;
  }

  /** The reason a failing rule of `baseline` on `machineId` is exempted, if it is. */
  reasonFor(machineId: string, baseline: string): string | undefined {
    if (this.list.length === 0) return undefined;
    const id = `${machineId.toLowerCase()}/`;
    const b = baseline.toLowerCase();
    return this.list.find((e) => e.baseline === b && id.startsWith(e.scope))?.reason;
  }
}
