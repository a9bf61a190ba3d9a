/**
 * The remediation plan: which tasks `driftscan remediate` opens for a recorded scan's drift, and why.
 * Pure: findings, targets and the tasks Azure already holds in; tasks out.
 *
 * 1. Each drifted machine × baseline goes to one DeployIfNotExists target (assignment + initiative
 *    member) whose scope covers it — the most specific scope, then the lowest id, so a machine under
 *    two assignments is remediated once. Machines whose only covering targets audit are reported per
 *    assignment as not remediable; machines no assignment covers are reported too.
 * 2. Per target, machines sorted by id are cut into batches of at most 100 (`filters.resourceIds`).
 * 3. Each batch's task name is derived from scan, assignment, member and batch number only
 *    (`taskName`), so a rerun — after success, failure or a kill at any point — computes the same
 *    names: a batch whose task exists is not opened again, and one that does not is opened with the
 *    same machines. The batches are cut before anything is filtered, which keeps them stable.
 * 4. Machines already inside a running task of someone else (another scan's, another tool's) for the
 *    same assignment and member are left out of a batch that still has to be opened; a batch left
 *    empty is not opened.
 * 5. Queueing: the tenant runs at most 100 tasks at once, counting every running task listed; the
 *    tasks to open are taken in name order, the first `limit − running` now, the rest wait.
 */
import { createHash } from 'node:crypto';
import { covers, cmp, isDeployIfNotExists, type RemediationTarget } from './targets.js';
import type { DirectReapply } from './direct.js';
import type { PlannedMachine } from './machine.js';

export const MAX_BATCH = 100;

/** One failing rule of a drifted machine, from the history store's findings. */
export interface DriftFinding {
  machineId: string;
  subscriptionId: string;
  baseline: string;
  ruleId: string;
  reason: string;
}

/** A task Azure holds (listed at the scopes the plan touches). */
export interface ExistingTask {
  id: string;
  name: string;
  assignmentId: string;
  referenceId?: string | undefined;
  state: string;
  running: boolean;
  /** `filters.resourceIds` (empty: every non-compliant resource of the assignment). */
  resourceIds: string[];
}

export interface TaskSettings {
  parallelDeployments: number;
  /** Fraction 0–1. */
  failureThreshold: number;
}

export type { PlannedMachine };

export type TaskStatus =
  /** Will be opened now. */
  | 'open'
  /** Would be opened, but the tenant's running-task limit is reached: waits for a slot. */
  | 'queued'
  /** Already opened (by an earlier run for the same scan); its state is `existingState`. */
  | 'exists'
  /** Every machine of the batch is inside a running task of someone else. */
  | 'covered';

export interface PlannedTask {
  name: string;
  id: string;
  scope: string;
  assignmentId: string;
  referenceId?: string | undefined;
  baseline: string;
  batch: number;
  batches: number;
  status: TaskStatus;
  existingState?: string;
  /** The machines the task remediates (after leaving out those in running tasks of others). */
  machines: PlannedMachine[];
  /** Machines of the batch left out because a running task of someone else holds them. */
  skipped: Array<{ machineId: string; task: string }>;
  body: RemediationBody;
}

/** The body of a remediation task PUT (PolicyInsights 2024-10-01, Remediations_CreateOrUpdateAtResource and its scope siblings). */
export interface RemediationBody {
  properties: {
    policyAssignmentId: string;
    policyDefinitionReferenceId?: string;
    resourceDiscoveryMode: 'ExistingNonCompliant';
    filters: { resourceIds: string[] };
    parallelDeployments: number;
    failureThreshold: { percentage: number };
    resourceCount?: number;
  };
}

export interface AuditOnly {
  assignmentId: string;
  referenceId?: string | undefined;
  baseline: string;
  effect: string;
  machines: number;
}

export interface RemediationPlan {
  scanId: number;
  tasks: PlannedTask[];
  /** Assignments (members) that cover drifted machines but cannot remediate them. */
  auditOnly: AuditOnly[];
  /** Drifted machines × baseline no assignment of the baseline covers. */
  uncovered: Array<{ baseline: string; machines: number; example: string }>;
  /** Those machines themselves (direct-mode candidates: a guest assignment `assign` made may re-apply them). */
  uncoveredMachines: Array<{ baseline: string; machine: PlannedMachine }>;
  /** Guest assignments re-applied directly (no Azure Policy), planned by `direct.ts`. */
  direct: DirectReapply[];
  limit: number;
  /** Tasks running in the tenant when planned (the plan's own included). */
  running: number;
}

/** `driftscan-s<scan>-<12 hex of assignment and member>-b<batch>`: ≤ 64 characters, deterministic. */
export function taskName(scanId: number, assignmentId: string, referenceId: string | undefined, batch: number): string {
  const key = createHash('sha256').update(`${assignmentId.toLowerCase()}|${(referenceId ?? '').toLowerCase()}`, 'utf8').digest('hex').slice(0, 12);
  return `driftscan-s${scanId}-${key}-b${String(batch).padStart(3, '0')}`;
}

const targetKey = (assignmentId: string, referenceId: string | undefined) => `${assignmentId.toLowerCase()}|${(referenceId ?? '').toLowerCase()}`;

function scopeDepth(scope: string): number {
  return scope.split('/').filter(Boolean).length;
}

export interface PlanInput {
  scanId: number;
  findings: Iterable<DriftFinding>;
  targets: readonly RemediationTarget[];
  existing: readonly ExistingTask[];
  settings: TaskSettings;
  /** The tenant's running-task limit (100). */
  limit: number;
  groupSubscriptions?: (scope: string) => ReadonlySet<string> | undefined;
}

export function planRemediation(input: PlanInput): RemediationPlan {
  // Machines × baseline, with their failing rules.
  const machines = new Map<string, { baseline: string; machine: PlannedMachine }>();
  for (const f of input.findings) {
    const key = `${f.baseline.toLowerCase()}|${f.machineId.toLowerCase()}`;
    let m = machines.get(key);
    if (!m) machines.set(key, (m = { baseline: f.baseline, machine: { machineId: f.machineId, subscriptionId: f.subscriptionId, rules: [] } }));
    // One entry per rule: a rule reported twice (two DSC resources of one rule) keeps its first reason.
    if (!m.machine.rules.some((r) => r.ruleId === f.ruleId)) m.machine.rules.push({ ruleId: f.ruleId, reason: f.reason });
  }
  const byBaseline = new Map<string, RemediationTarget[]>();
  for (const t of input.targets) {
    const k = t.baseline.toLowerCase();
    byBaseline.set(k, [...(byBaseline.get(k) ?? []), t]);
  }
  const groups = new Map<string, { target: RemediationTarget; machines: PlannedMachine[] }>();
  const audit = new Map<string, AuditOnly>();
  const uncovered = new Map<string, { baseline: string; machines: number; example: string }>();
  const uncoveredMachines: RemediationPlan['uncoveredMachines'] = [];
  for (const { baseline, machine } of machines.values()) {
    const covering = (byBaseline.get(baseline.toLowerCase()) ?? []).filter((t) => covers(t, machine.machineId, input.groupSubscriptions));
    const dine = covering.filter(isDeployIfNotExists).sort((a, b) => scopeDepth(b.scope) - scopeDepth(a.scope) || cmp(a.assignmentId.toLowerCase(), b.assignmentId.toLowerCase()) || cmp(a.referenceId ?? '', b.referenceId ?? ''));
    const chosen = dine[0];
    if (chosen) {
      const k = targetKey(chosen.assignmentId, chosen.referenceId);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { target: chosen, machines: [] }));
      g.machines.push(machine);
      continue;
    }
    if (covering.length === 0) {
      const u = uncovered.get(baseline.toLowerCase()) ?? { baseline, machines: 0, example: machine.machineId };
      u.machines += 1;
      uncovered.set(baseline.toLowerCase(), u);
      uncoveredMachines.push({ baseline, machine });
      continue;
    }
    for (const t of covering) {
      const k = targetKey(t.assignmentId, t.referenceId);
      const a = audit.get(k) ?? { assignmentId: t.assignmentId, referenceId: t.referenceId, baseline: t.baseline, effect: t.effect, machines: 0 };
      a.machines += 1;
      audit.set(k, a);
    }
  }

  const existingByName = new Map(input.existing.map((t) => [t.name.toLowerCase(), t]));
  const running = input.existing.filter((t) => t.running);
  const tasks: PlannedTask[] = [];
  const ownNames = new Set<string>();
  for (const { target, machines: list } of [...groups.values()].sort((a, b) => cmp(targetKey(a.target.assignmentId, a.target.referenceId), targetKey(b.target.assignmentId, b.target.referenceId)))) {
    list.sort((a, b) => cmp(a.machineId.toLowerCase(), b.machineId.toLowerCase()));
    const batches = Math.ceil(list.length / MAX_BATCH);
    for (let b = 0; b < batches; b++) ownNames.add(taskName(input.scanId, target.assignmentId, target.referenceId, b + 1));
    // Running tasks of others for this assignment and member, by machine.
    const held = new Map<string, string>();
    let holdsAll: string | undefined;
    for (const t of running) {
      if (ownNames.has(t.name) || targetKey(t.assignmentId, t.referenceId) !== targetKey(target.assignmentId, target.referenceId)) continue;
      if (t.resourceIds.length === 0) holdsAll ??= t.name;
      for (const id of t.resourceIds) held.set(id.toLowerCase(), t.name);
    }
    for (let b = 0; b < batches; b++) {
      const batch = list.slice(b * MAX_BATCH, (b + 1) * MAX_BATCH);
      const name = taskName(input.scanId, target.assignmentId, target.referenceId, b + 1);
      const existing = existingByName.get(name.toLowerCase());
      const skipped: PlannedTask['skipped'] = [];
      const kept = existing ? batch : batch.filter((m) => {
        const by = holdsAll ?? held.get(m.machineId.toLowerCase());
        if (by) skipped.push({ machineId: m.machineId, task: by });
        return by === undefined;
      });
      tasks.push({
        name,
        id: existing?.id ?? `${target.scope.replace(/\/+$/, '')}/providers/Microsoft.PolicyInsights/remediations/${name}`,
        scope: target.scope,
        assignmentId: target.assignmentId,
        referenceId: target.referenceId,
        baseline: target.baseline,
        batch: b + 1,
        batches,
        status: existing ? 'exists' : kept.length === 0 ? 'covered' : 'open',
        ...(existing ? { existingState: existing.state } : {}),
        machines: kept,
        skipped,
        body: {
          properties: {
            policyAssignmentId: target.assignmentId,
            ...(target.referenceId ? { policyDefinitionReferenceId: target.referenceId } : {}),
            resourceDiscoveryMode: 'ExistingNonCompliant',
            filters: { resourceIds: kept.map((m) => m.machineId) },
            parallelDeployments: input.settings.parallelDeployments,
            failureThreshold: { percentage: input.settings.failureThreshold },
          },
        },
      });
    }
  }
  // Queue behind the tenant's limit, in name order.
  let free = Math.max(0, input.limit - running.length);
  for (const t of [...tasks].sort((a, b) => cmp(a.name, b.name))) {
    if (t.status !== 'open') continue;
    if (free > 0) free -= 1;
    else t.status = 'queued';
  }
  return {
    scanId: input.scanId,
    tasks,
    auditOnly: [...audit.values()].sort((a, b) => cmp(a.assignmentId, b.assignmentId)),
    uncovered: [...uncovered.values()].sort((a, b) => cmp(a.baseline, b.baseline)),
    uncoveredMachines: uncoveredMachines.sort((a, b) => cmp(a.machine.machineId.toLowerCase(), b.machine.machineId.toLowerCase()) || cmp(a.baseline, b.baseline)),
    direct: [],
    limit: input.limit,
    running: running.length,
  };
}

/** One line on how to make an audit-only assignment remediable. */
export function auditOnlyAdvice(a: AuditOnly): string {
  return `assignment ${a.assignmentId}${a.referenceId ? ` (member ${a.referenceId})` : ''} only ${a.effect || 'audits'} baseline ${a.baseline}: ${a.machines} drifted ` +
    `machine${a.machines === 1 ? '' : 's'} cannot be remediated by it. To remediate, set spec.assignment.type: ApplyAndMonitor (or ApplyAndAutoCorrect) ` +
    `in the baseline, then compile, publish and deploy again so the assignment carries the DeployIfNotExists definition with effect DeployIfNotExists`;
}
