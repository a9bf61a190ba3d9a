/**
 * Which policy assignment can remediate which baseline: the assignments, driftscan's policy
 * definitions (`metadata.driftscan.baseline`, written by compile) and the policy sets (initiatives)
 * they assign, as Resource Graph's `policyresources` rows, resolved into one target per assigned
 * driftscan definition — the assignment, the initiative member (`policyDefinitionReferenceId`), the
 * baseline and the effect that member really has under this assignment.
 *
 * The effect is what decides remediability: only DeployIfNotExists deploys anything, so a remediation
 * task for an AuditIfNotExists (or Disabled) member would do nothing. Compiled definitions take their
 * effect from the `effect` parameter (`[parameters('effect')]`, compile/policy/parameters.ts); an
 * initiative passes its own parameter to it (`<definition>_effect`), whose value comes from the
 * assignment, else the set's default, else the definition's default.
 */

/** A `policyresources` row as the targets query projects it (fleet/queries.ts). */
export interface PolicyResourceRow {
  id: string;
  type: string;
  properties: unknown;
}

export interface RemediationTarget {
  assignmentId: string;
  assignmentName: string;
  /** The assignment's scope (where its tasks are opened). */
  scope: string;
  notScopes: string[];
  /** The initiative member, when the assignment assigns a policy set. */
  referenceId?: string | undefined;
  definitionId: string;
  baseline: string;
  /** The effect under this assignment: `DeployIfNotExists`, `AuditIfNotExists`, `Disabled`, … */
  effect: string;
}

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const lower = (s: string) => s.toLowerCase();

/** `[parameters('x')]` → `x`; anything else → undefined. */
function parameterReference(v: unknown): string | undefined {
  const m = typeof v === 'string' ? /^\[\s*parameters\(\s*'((?:[^']|'')+)'\s*\)\s*\]$/i.exec(v) : null;
  return m ? m[1]!.replace(/''/g, "'") : undefined;
}

/** A parameter's value: the given values' (case-insensitive names, as Azure Policy reads them), else the declaration's default. */
function parameterValue(name: string, given: Json, declared: Json): unknown {
  const g = Object.entries(given).find(([k]) => lower(k) === lower(name));
  if (g && obj(g[1]).value !== undefined) return obj(g[1]).value;
  const d = Object.entries(declared).find(([k]) => lower(k) === lower(name));
  return d ? obj(d[1]).defaultValue : undefined;
}

/** The effect a definition has when its parameters are `given` (a set member's values, or an assignment's). */
function definitionEffect(definition: Json, given: Json, outer: (v: unknown) => unknown): string {
  const props = obj(definition.properties);
  const raw = obj(obj(props.policyRule).then).effect;
  const param = parameterReference(raw);
  if (param === undefined) return String(raw ?? '');
  const g = Object.entries(given).find(([k]) => lower(k) === lower(param));
  const value = g ? outer(obj(g[1]).value) : undefined;
  return String(value ?? obj(obj(props.parameters)[param] ?? Object.entries(obj(props.parameters)).find(([k]) => lower(k) === lower(param))?.[1]).defaultValue ?? '');
}

/** Every driftscan definition assigned by an assignment in `rows`, with its effect. */
export function resolveTargets(rows: Iterable<PolicyResourceRow>): RemediationTarget[] {
  const definitions = new Map<string, Json>();
  const sets = new Map<string, Json>();
  const assignments: Json[] = [];
  for (const r of rows) {
    const type = lower(r.type);
    const row = { id: r.id, properties: obj(r.properties) };
    if (type === 'microsoft.authorization/policydefinitions') definitions.set(lower(r.id), row);
    else if (type === 'microsoft.authorization/policysetdefinitions') sets.set(lower(r.id), row);
    else if (type === 'microsoft.authorization/policyassignments') assignments.push(row);
  }
  const baselineOf = (d: Json) => {
    const b = obj(obj(obj(d.properties).metadata).driftscan).baseline;
    return typeof b === 'string' && b !== '' ? b : undefined;
  };
  const targets: RemediationTarget[] = [];
  for (const a of assignments) {
    const props = obj(a.properties);
    const assignmentId = String(a.id);
    const defId = String(props.policyDefinitionId ?? '');
    const given = obj(props.parameters);
    const base = {
      assignmentId,
      assignmentName: assignmentId.split('/').pop() ?? assignmentId,
      scope: String(props.scope ?? assignmentId.replace(/\/providers\/Microsoft\.Authorization\/policyAssignments\/[^/]+$/i, '')),
      notScopes: Array.isArray(props.notScopes) ? props.notScopes.map(String) : [],
    };
    const direct = definitions.get(lower(defId));
    if (direct) {
      const baseline = baselineOf(direct);
      if (baseline) targets.push({ ...base, definitionId: String(direct.id), baseline, effect: definitionEffect(direct, given, (v) => v) });
      continue;
    }
    const set = sets.get(lower(defId));
    if (!set) continue;
    const setProps = obj(set.properties);
    const setParams = obj(setProps.parameters);
    const members = Array.isArray(setProps.policyDefinitions) ? setProps.policyDefinitions.map(obj) : [];
    for (const m of members) {
      const d = definitions.get(lower(String(m.policyDefinitionId ?? '')));
      const baseline = d ? baselineOf(d) : undefined;
      if (!d || !baseline) continue;
      // A member's parameter value may itself name a set parameter: the assignment's value, else the set's default.
      const outer = (v: unknown) => {
        const p = parameterReference(v);
        return p === undefined ? v : parameterValue(p, given, setParams);
      };
      targets.push({ ...base, referenceId: String(m.policyDefinitionReferenceId ?? ''), definitionId: String(d.id), baseline, effect: definitionEffect(d, obj(m.parameters), outer) });
    }
  }
  return targets.sort((x, y) => cmp(x.assignmentId, y.assignmentId) || cmp(x.referenceId ?? '', y.referenceId ?? ''));
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const isDeployIfNotExists = (t: RemediationTarget): boolean => lower(t.effect) === 'deployifnotexists';

/**
 * True when `machineId` lies under the target's scope and outside its notScopes. A management
 * group's member subscriptions are not visible in a machine id: `groupSubscriptions` names them
 * (lower case); a group it does not know covers nothing, so such machines are reported as not
 * covered rather than sent to a task Azure would skip.
 */
export function covers(t: RemediationTarget, machineId: string, groupSubscriptions: (scope: string) => ReadonlySet<string> | undefined = () => undefined): boolean {
  const id = `${lower(machineId)}/`;
  const under = (scope: string) => id.startsWith(`${lower(scope).replace(/\/+$/, '')}/`);
  if (t.notScopes.some(under)) return false;
  if (/^\/providers\/microsoft\.management\/managementgroups\//i.test(t.scope)) {
    const sub = /^\/subscriptions\/([^/]+)\//i.exec(id)?.[1];
    return sub !== undefined && groupSubscriptions(t.scope)?.has(sub) === true;
  }
  return under(t.scope);
}
