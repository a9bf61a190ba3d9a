/**
 * A rollout plan: what `publish`, `deploy` and `assign` would change in Azure, decided before a
 * single write. Commands build a plan by comparing what they would write (the desired body) with what
 * Azure holds now (the actual resource, or nothing); `--plan` prints it, `--apply` performs exactly
 * it (`apply.ts`). A plan is data: it holds no clients and no tokens, so it can be written to a file
 * for a pull request and compared between runs.
 *
 * Actions, in the words users see (Terraform's vocabulary, which platform teams already read):
 * - `create`: Azure has no such resource;
 * - `update`: it exists and at least one field driftscan sets differs (the field diffs say which);
 * - `unchanged`: it exists and every field driftscan sets is equal — nothing is sent;
 * - `delete`: driftscan created it earlier and no longer produces it. Deleted only with `--prune`;
 *   without it the change stays in the plan as a candidate (`pruned: false`) and is never sent.
 */
import { diffFields, type DiffOptions, type FieldChange } from './field-diff.js';

export const CHANGE_ACTIONS = ['create', 'update', 'unchanged', 'delete'] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];

export interface PlannedChange {
  action: ChangeAction;
  /** What kind of resource, in the service's words: `policyDefinition`, `policyAssignment`, `blob`, `guestConfigurationAssignment`, … */
  kind: string;
  /** The resource id (ARM) or URL without query (blobs): what the change is about, printed in every output. */
  id: string;
  /** A short display name (the resource name, or `machine/assignment`). */
  name: string;
  /** For `update`: each differing field. Empty otherwise. */
  fields: FieldChange[];
  /**
   * Dependency wave: every change of wave n is applied before any change of wave n + 1 starts
   * (definitions before the initiative that references them, before the assignment, before its
   * role assignments). Deletes run in reverse wave order after all creates and updates.
   */
  wave: number;
  /** For `delete`: whether `--prune` was given, i.e. whether `--apply` will send it. */
  pruned?: boolean;
  /** The body `--apply` sends for create/update (not printed by the table; in the JSON plan). */
  body?: unknown;
  /** One line of context for the table (`v1.0.1 (was 1.0.0)`, `content unchanged`). */
  note?: string;
}

export interface Plan {
  /** The command that made it: `publish`, `deploy`, `assign`. */
  command: string;
  /** Where it applies: a management group or subscription id, a container URL, a machine selector. */
  target: string;
  changes: PlannedChange[];
}

export interface ChangeInput {
  kind: string;
  id: string;
  name: string;
  wave: number;
  /** What driftscan would write. */
  desired: unknown;
  /** What Azure holds now; undefined when the resource does not exist. */
  actual: unknown;
  note?: string;
  diff?: DiffOptions;
}

/**
 * One resource's change: `create` when Azure has nothing, else `update` or `unchanged` by a semantic
 * diff of the fields driftscan sets (read-only fields ARM adds — `id`, `systemData`,
 * `provisioningState`, … — are not in the desired body and so never count as drift).
 */
export function planChange(input: ChangeInput): PlannedChange {
  const base = { kind: input.kind, id: input.id, name: input.name, wave: input.wave, ...(input.note !== undefined ? { note: input.note } : {}) };
  if (input.actual === undefined) return { ...base, action: 'create', fields: [], body: input.desired };
  const fields = diffFields(input.desired, input.actual, input.diff);
  return fields.length === 0
    ? { ...base, action: 'unchanged', fields: [] }
    : { ...base, action: 'update', fields, body: input.desired };
}

/** A resource driftscan created earlier and no longer produces. */
export function planDelete(input: { kind: string; id: string; name: string; wave: number; prune: boolean; note?: string }): PlannedChange {
  return {
    action: 'delete',
    kind: input.kind,
    id: input.id,
    name: input.name,
    wave: input.wave,
    fields: [],
    pruned: input.prune,
    ...(input.note !== undefined ? { note: input.note } : {}),
  };
}

/** True when `--apply` sends something for this change. */
export function isWrite(change: PlannedChange): boolean {
  return change.action === 'create' || change.action === 'update' || (change.action === 'delete' && change.pruned === true);
}

export interface PlanSummary {
  create: number;
  update: number;
  unchanged: number;
  delete: number;
  /** Delete candidates left alone because `--prune` was not given. */
  keep: number;
}

export function summarizePlan(plan: Plan): PlanSummary {
  const s: PlanSummary = { create: 0, update: 0, unchanged: 0, delete: 0, keep: 0 };
  for (const c of plan.changes) {
    if (c.action === 'delete' && c.pruned !== true) s.keep += 1;
    else s[c.action] += 1;
  }
  return s;
}

/** `2 to create, 1 to update, 5 unchanged, 0 to delete (1 delete candidate kept: pass --prune)`. */
export function planSummaryLine(plan: Plan): string {
  const s = summarizePlan(plan);
  const kept = s.keep ? ` (${s.keep} delete candidate${s.keep === 1 ? '' : 's'} kept: pass --prune to delete)` : '';
  return `${s.create} to create, ${s.update} to update, ${s.unchanged} unchanged, ${s.delete} to delete${kept}`;
}

/** Changes in the order `--apply` performs and every output lists them: by wave, deletes last in reverse wave order, then by id. */
export function orderedChanges(plan: Plan): PlannedChange[] {
  const key = (c: PlannedChange): number => (c.action === 'delete' ? 1_000_000 - c.wave : c.wave);
  return [...plan.changes].sort((a, b) => key(a) - key(b) || a.id.localeCompare(b.id));
}
