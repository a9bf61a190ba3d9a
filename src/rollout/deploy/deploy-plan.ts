/**
 * The `deploy` plan: from the definitions and initiatives in build/ (with the baselines they came
 * from) and what Azure holds at the scope, every resource driftscan manages there — create, update
 * (field by field), unchanged, or delete candidate. Pure: the azure/ stage lists what exists, the
 * CLI performs the plan.
 *
 * Waves (apply order; deletes run afterwards in reverse):
 *   0 policy definitions → 1 policy set definitions (reference the definitions) → 2 policy
 *   assignments (reference the set) → 3 role assignments for the assignment's identity and policy
 *   exemptions (reference the assignment).
 *
 * Only the fields driftscan sets are compared (`rollout/field-diff.ts`): ARM's own additions
 * (`metadata.createdBy`, an assignment's `scope`/`notScopes`, an identity's `principalId`, a role
 * assignment's `createdOn`…) are not drift, so a second `--apply` writes nothing.
 */
import type { Baseline } from '../../rules/model.js';
import type { PolicyDefinition, PolicySetDefinition } from '../../compile/policy/model.js';
import type { DiffOptions } from '../field-diff.js';
import { planChange, planDelete, type Plan, type PlannedChange } from '../plan.js';
import { hasManagedDescription, hasManagedMetadata, managedMark, MANAGED_SUFFIX } from './managed.js';
import { assignmentName, exemptionName, roleAssignmentName } from './names.js';
import { nonComplianceMessage } from './non-compliance.js';
import { waiverCoverage } from './waiver-exemption.js';

export const DEPLOY_KINDS = {
  definition: 'policyDefinition',
  initiative: 'policySetDefinition',
  assignment: 'policyAssignment',
  roleAssignment: 'roleAssignment',
  exemption: 'policyExemption',
} as const;

const WAVE: Record<string, number> = { policyDefinition: 0, policySetDefinition: 1, policyAssignment: 2, roleAssignment: 3, policyExemption: 3 };

/** The text a role assignment's principal id shows until the policy assignment exists. */
export const PRINCIPAL_AFTER_APPLY = '(known after apply)';

export type ArmJson = { id?: string; name?: string; type?: string; location?: string; identity?: { type?: string; principalId?: string }; properties?: Record<string, unknown>; [key: string]: unknown };

/** What Azure holds at the scope (each list already narrowed to resources *at* the scope). */
export interface ActualState {
  definitions: ArmJson[];
  initiatives: ArmJson[];
  assignments: ArmJson[];
  exemptions: ArmJson[];
  roleAssignments: ArmJson[];
}

export interface DeployInput {
  /** `/subscriptions/<id>` or `/providers/Microsoft.Management/managementGroups/<id>`. */
  scope: string;
  /** Region of the assignment (needed for a managed identity). */
  location?: string;
  prune: boolean;
  /** `YYYY-MM-DD` (UTC) for waiver expiry. */
  today: string;
  definitions: PolicyDefinition[];
  /** Member ids already at `scope`. */
  initiatives: PolicySetDefinition[];
  /** The baseline each definition (by name) was compiled from. */
  baselineOf: ReadonlyMap<string, Baseline>;
  actual: ActualState;
}

/** Ids compare without case in ARM. */
const key = (id: string) => id.toLowerCase();

export function definitionId(scope: string, name: string): string {
  return `${scope}/providers/Microsoft.Authorization/policyDefinitions/${name}`;
}
export function setDefinitionId(scope: string, name: string): string {
  return `${scope}/providers/Microsoft.Authorization/policySetDefinitions/${name}`;
}
export function assignmentId(scope: string, name: string): string {
  return `${scope}/providers/Microsoft.Authorization/policyAssignments/${name}`;
}
export function exemptionId(scope: string, name: string): string {
  return `${scope}/providers/Microsoft.Authorization/policyExemptions/${name}`;
}
export function roleAssignmentId(scope: string, name: string): string {
  return `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
}

/** The GUID at the end of a role definition id. */
export function roleGuid(roleDefinitionId: string): string {
  return roleDefinitionId.split('/').pop()!.toLowerCase();
}

/**
 * The role definition id as a role assignment at `scope` carries it: ARM answers built-in roles
 * at a subscription as `/subscriptions/<id>/providers/Microsoft.Authorization/roleDefinitions/<guid>`
 * and at a management group as `/providers/Microsoft.Authorization/roleDefinitions/<guid>`.
 */
export function scopedRoleDefinitionId(scope: string, guid: string): string {
  const sub = /^\/subscriptions\/[^/]+/i.exec(scope)?.[0] ?? '';
  return `${sub}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
}

/** The role definitions the policy rules ask for (`then.details.roleDefinitionIds`: DeployIfNotExists, Modify), by GUID. */
export function requiredRoles(definitions: readonly PolicyDefinition[]): string[] {
  const roles = new Set<string>();
  for (const d of definitions) {
    const ids = (d.properties.policyRule.then.details as { roleDefinitionIds?: unknown }).roleDefinitionIds;
    if (Array.isArray(ids)) for (const id of ids) roles.add(roleGuid(String(id)));
  }
  return [...roles].sort();
}

const DEFINITION_DIFF: DiffOptions = { exactObjects: ['properties.policyRule', 'properties.parameters'] };
const SET_DIFF: DiffOptions = { exactObjects: ['properties.parameters', 'properties.policyDefinitions'] };
const ASSIGNMENT_DIFF: DiffOptions = { caseInsensitive: ['location', 'properties.policyDefinitionId'], exactObjects: ['properties.parameters'] };
const EXEMPTION_DIFF: DiffOptions = { caseInsensitive: ['properties.policyAssignmentId'], unorderedArrays: ['properties.policyDefinitionReferenceIds'] };
const ROLE_DIFF: DiffOptions = { caseInsensitive: ['properties.roleDefinitionId', 'properties.principalId'] };

/** `metadata` with driftscan's mark added (build/ files do not carry it; Azure must). */
function marked<T extends { metadata?: object }>(props: T, extra: Record<string, string> = {}): T {
  return { ...props, metadata: { ...(props.metadata ?? {}), driftscan: managedMark(extra) } };
}

/** A role assignment as compared: its role definition id rewritten to the scope's form when the GUID matches. */
function comparableRole(actual: ArmJson | undefined, wanted: string): ArmJson | undefined {
  if (!actual?.properties) return actual;
  const have = String(actual.properties.roleDefinitionId ?? '');
  return roleGuid(have) === roleGuid(wanted) ? { ...actual, properties: { ...actual.properties, roleDefinitionId: wanted } } : actual;
}

export interface DeployPlanResult {
  plan: Plan;
  /** The assignments that need a managed identity (and so `--location`), by name. */
  identityAssignments: string[];
  /** For each planned role assignment (lower-case id): the policy assignment whose identity it grants. */
  roleAssignmentsFor: Map<string, string>;
  /**
   * Resources driftscan would write that exist without its mark: someone else's, under the same
   * name. The caller refuses the whole plan rather than take them over.
   */
  conflicts: PlannedChange[];
}

/** Builds the plan. Throws nothing: missing `--location` is the caller's check (`identityAssignments`). */
export function buildDeployPlan(input: DeployInput): DeployPlanResult {
  const { scope } = input;
  const changes: PlannedChange[] = [];
  const wanted = new Set<string>();
  const byId = (list: ArmJson[]) => new Map(list.filter((r) => r.id).map((r) => [key(r.id!), r]));
  const actual = {
    definitions: byId(input.actual.definitions),
    initiatives: byId(input.actual.initiatives),
    assignments: byId(input.actual.assignments),
    exemptions: byId(input.actual.exemptions),
    roleAssignments: byId(input.actual.roleAssignments),
  };
  const conflicts: PlannedChange[] = [];
  const add = (kind: string, id: string, name: string, desired: unknown, have: ArmJson | undefined, diff: DiffOptions, note?: string) => {
    wanted.add(key(id));
    const managed = kind === DEPLOY_KINDS.roleAssignment ? hasManagedDescription : hasManagedMetadata;
    if (have && !managed(have)) conflicts.push({ action: 'update', kind, id, name, wave: WAVE[kind]!, fields: [] });
    changes.push(planChange({ kind, id, name, wave: WAVE[kind]!, desired, actual: have, diff, ...(note ? { note } : {}) }));
  };

  for (const d of input.definitions) {
    const id = definitionId(scope, d.name);
    const have = actual.definitions.get(key(id));
    const gc = d.properties.metadata.guestConfiguration;
    add(DEPLOY_KINDS.definition, id, d.name, { properties: marked(d.properties) }, have, DEFINITION_DIFF, `${gc.name} ${gc.version}`);
  }

  const identityAssignments: string[] = [];
  const roleAssignmentsFor = new Map<string, string>();
  for (const s of input.initiatives) {
    const setId = setDefinitionId(scope, s.name);
    add(DEPLOY_KINDS.initiative, setId, s.name, { properties: marked(s.properties) }, actual.initiatives.get(key(setId)), SET_DIFF);

    const members = s.properties.policyDefinitions.map((m) => ({ ref: m.policyDefinitionReferenceId, def: input.definitions.find((d) => d.name === m.policyDefinitionId.split('/').pop()) }));
    const roles = requiredRoles(members.flatMap((m) => (m.def ? [m.def] : [])));
    const aName = assignmentName(s.name);
    const aId = assignmentId(scope, aName);
    if (roles.length) identityAssignments.push(aName);
    const parameters = Object.fromEntries(Object.entries(s.properties.parameters).filter(([, p]) => p.defaultValue !== undefined).map(([n, p]) => [n, { value: p.defaultValue }]));
    const nonComplianceMessages = members.flatMap((m) => {
      const b = m.def ? input.baselineOf.get(m.def.name) : undefined;
      return b ? [{ message: nonComplianceMessage(b), policyDefinitionReferenceId: m.ref }] : [];
    });
    const notes: string[] = [];
    const baselines = new Map<string, { b: Baseline; refs: string[] }>();
    for (const m of members) {
      const b = m.def ? input.baselineOf.get(m.def.name) : undefined;
      if (!b) continue;
      const e = baselines.get(b.metadata.name) ?? { b, refs: [] };
      e.refs.push(m.ref);
      baselines.set(b.metadata.name, e);
    }
    const coverage = [...baselines.values()].map(({ b, refs }) => ({ b, refs, c: waiverCoverage(b, input.today) }));
    for (const { c } of coverage) notes.push(...c.notes);
    const desiredAssignment = {
      ...(input.location ? { location: input.location } : {}),
      ...(roles.length ? { identity: { type: 'SystemAssigned' } } : {}),
      properties: {
        displayName: s.properties.displayName,
        description: `Assigned by driftscan deploy: ${s.properties.displayName}.`.slice(0, 512),
        policyDefinitionId: setId,
        enforcementMode: 'Default',
        parameters,
        nonComplianceMessages,
        metadata: { driftscan: managedMark({ initiative: s.name }) },
      },
    };
    const haveAssignment = actual.assignments.get(key(aId));
    add(DEPLOY_KINDS.assignment, aId, aName, desiredAssignment, haveAssignment, ASSIGNMENT_DIFF, notes.join('; ') || undefined);

    // The identity's principal exists once the assignment does; a new one is known only after apply.
    const principal = haveAssignment?.identity?.principalId;
    for (const guid of roles) {
      const rName = roleAssignmentName(scope, guid, aId);
      const rId = roleAssignmentId(scope, rName);
      const roleDefinitionId = scopedRoleDefinitionId(scope, guid);
      roleAssignmentsFor.set(key(rId), aId);
      const properties = {
        roleDefinitionId,
        ...(principal ? { principalId: principal } : {}),
        principalType: 'ServicePrincipal',
        description: `driftscan: role ${guid} for the managed identity of policy assignment ${aName}, which deploys guest configuration assignments ${MANAGED_SUFFIX}`,
      };
      const have = comparableRole(actual.roleAssignments.get(key(rId)), roleDefinitionId);
      // The same grant made outside driftscan (the portal's "grant permissions") already serves: ARM would answer 409.
      const elsewhere = principal
        ? input.actual.roleAssignments.find((r) => key(r.id ?? '') !== key(rId) && r.properties?.principalId === principal && roleGuid(String(r.properties?.roleDefinitionId ?? '')) === guid)
        : undefined;
      if (elsewhere) {
        wanted.add(key(rId));
        changes.push({ action: 'unchanged', kind: DEPLOY_KINDS.roleAssignment, id: rId, name: rName, wave: 3, fields: [], note: `granted outside driftscan (${elsewhere.name ?? elsewhere.id})` });
        continue;
      }
      if (principal) {
        add(DEPLOY_KINDS.roleAssignment, rId, rName, { properties }, have, ROLE_DIFF, `role ${guid}`);
      } else {
        wanted.add(key(rId));
        const note = `role ${guid}; principal id known after apply`;
        changes.push(have
          ? { action: 'update', kind: DEPLOY_KINDS.roleAssignment, id: rId, name: rName, wave: 3, fields: [{ path: 'properties.principalId', before: have.properties?.principalId, after: PRINCIPAL_AFTER_APPLY }], body: { properties }, note }
          : { action: 'create', kind: DEPLOY_KINDS.roleAssignment, id: rId, name: rName, wave: 3, fields: [], body: { properties }, note });
      }
    }

    for (const { b, refs, c } of coverage) {
      if (!c.whole) continue;
      const eName = exemptionName(aName, b.metadata.name);
      const eId = exemptionId(scope, eName);
      const who = c.whole.waivers.map((w) => `${w.rule}: ${w.reason} (owner ${w.owner}, until ${w.expires})`).join('; ');
      add(DEPLOY_KINDS.exemption, eId, eName, {
        properties: {
          policyAssignmentId: aId,
          policyDefinitionReferenceIds: [...refs].sort(),
          exemptionCategory: 'Waiver',
          expiresOn: `${c.whole.expires}T23:59:59Z`,
          displayName: `driftscan waiver: ${b.metadata.name}`.slice(0, 128),
          description: `Baseline ${b.metadata.name} is waived in full by driftscan waivers — ${who}`.slice(0, 1024),
          metadata: { driftscan: managedMark({ baseline: b.metadata.name }) },
        },
      }, actual.exemptions.get(key(eId)), EXEMPTION_DIFF, `waiver until ${c.whole.expires}`);
    }
  }

  // Delete candidates: what driftscan made at this scope and no longer produces.
  const candidates: Array<[string, ArmJson[], (r: ArmJson) => boolean]> = [
    [DEPLOY_KINDS.definition, input.actual.definitions, hasManagedMetadata],
    [DEPLOY_KINDS.initiative, input.actual.initiatives, hasManagedMetadata],
    [DEPLOY_KINDS.assignment, input.actual.assignments, hasManagedMetadata],
    [DEPLOY_KINDS.roleAssignment, input.actual.roleAssignments, hasManagedDescription],
    [DEPLOY_KINDS.exemption, input.actual.exemptions, hasManagedMetadata],
  ];
  for (const [kind, list, managed] of candidates) {
    for (const r of list) {
      if (!r.id || wanted.has(key(r.id)) || !managed(r)) continue;
      changes.push(planDelete({ kind, id: r.id, name: r.name ?? r.id.split('/').pop()!, wave: WAVE[kind]!, prune: input.prune }));
    }
  }
  return { plan: { command: 'deploy', target: scope, changes }, identityAssignments, roleAssignmentsFor, conflicts };
}
