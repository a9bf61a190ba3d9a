/**
 * Azure Policy exemptions as waivers. An exemption (`Microsoft.Authorization/policyExemptions`) at a
 * scope exempts the resources under that scope from one policy assignment; when that assignment's
 * definition is one driftscan compiled (`metadata.driftscan.baseline`), a failing rule of that
 * baseline on a machine under the scope is waived — shown as waived with the exemption's name and
 * category, never as compliant. Expired exemptions (`expiresOn` in the past) waive nothing, as in
 * Azure Policy.
 *
 * Assignments of policy sets (initiatives — driftscan's own `deploy` assigns one): the exemption
 * covers every member of the set (`properties.policyDefinitions[]`) unless it lists
 * `policyDefinitionReferenceIds`, then only the members with those reference ids (Azure Policy's
 * rule: the list narrows an exemption of a set assignment to those members). Each member whose
 * `policyDefinitionId` is a driftscan definition waives that definition's baseline. Reference ids
 * are compared ignoring case, as ARM compares ids.
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
  /** An exemption's `policyDefinitionReferenceIds` (null or empty: the whole assignment). */
  referenceIds?: unknown;
  /** A policy set definition's `policyDefinitions` (null for every other type). */
  members?: unknown;
}

interface Exemption {
  /** Lower-case scope id with a trailing slash. */
  scope: string;
  baseline: string;
  reason: string;
}

interface SetMember {
  definitionId: string;
  referenceId: string;
}

const EXEMPTION_SEGMENT = '/providers/microsoft.authorization/policyexemptions/';

/** The members of a set definition's `policyDefinitions` (lower-case ids); anything malformed is skipped. */
function setMembers(value: unknown): SetMember[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((m: unknown) => {
    if (!m || typeof m !== 'object') return [];
    const { policyDefinitionId, policyDefinitionReferenceId } = m as Record<string, unknown>;
    return typeof policyDefinitionId === 'string' ? [{ definitionId: policyDefinitionId.toLowerCase(), referenceId: typeof policyDefinitionReferenceId === 'string' ? policyDefinitionReferenceId.toLowerCase() : '' }] : [];
  });
}

/** An exemption's reference ids in lower case; undefined when it names none (the whole assignment). */
function referenceIds(value: unknown): Set<string> | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return new Set(value.filter((v): v is string => typeof v === 'string').map((v) => v.toLowerCase()));
}

export class Exemptions {
  private readonly list: Exemption[] = [];

  /** Builds the matcher from the exemptions query's rows (`queries.ts`), as of `now`. */
  constructor(rows: Iterable<ExemptionRow>, now: Date = new Date()) {
    const definitions = new Map<string, string>();
    const sets = new Map<string, SetMember[]>();
    const assignments = new Map<string, string>();
    const exemptions: ExemptionRow[] = [];
    for (const r of rows) {
      const type = r.type.toLowerCase();
      if (type === 'microsoft.authorization/policydefinitions' && r.baseline) definitions.set(r.id.toLowerCase(), r.baseline.toLowerCase());
      else if (type === 'microsoft.authorization/policysetdefinitions') sets.set(r.id.toLowerCase(), setMembers(r.members));
      else if (type === 'microsoft.authorization/policyassignments') assignments.set(r.id.toLowerCase(), r.definitionId.toLowerCase());
      else if (type === 'microsoft.authorization/policyexemptions') exemptions.push(r);
    }
    // The baselines an exemption waives: its assignment's driftscan definition, or the driftscan
    // members of its assignment's set (narrowed to the reference ids it lists).
    const baselinesOf = (e: ExemptionRow): Set<string> => {
      const definitionId = assignments.get(e.assignmentId.toLowerCase()) ?? '';
      const direct = definitions.get(definitionId);
      if (direct) return new Set([direct]);
      const members = sets.get(definitionId) ?? [];
      const refs = referenceIds(e.referenceIds);
      const out = new Set<string>();
      for (const m of members) {
        const baseline = definitions.get(m.definitionId);
        if (baseline && (!refs || refs.has(m.referenceId))) out.add(baseline);
      }
      return out;
    };
    for (const e of exemptions) {
      if (e.expiresOn && !Number.isNaN(Date.parse(e.expiresOn)) && Date.parse(e.expiresOn) <= now.getTime()) continue;
      const id = e.id.toLowerCase();
      const at = id.lastIndexOf(EXEMPTION_SEGMENT);
      if (at < 0) continue;
      const reason = `Azure Policy exemption ${e.name}${e.category ? ` (${e.category})` : ''}`;
      for (const baseline of baselinesOf(e)) this.list.push({ scope: `${id.slice(0, at)}/`, baseline, reason });
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
