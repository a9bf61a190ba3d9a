/**
 * `driftscan remediate` against Azure: what the plan needs to know (which assignments remediate which
 * baseline, from Resource Graph; which tasks exist, listed at every scope the plan touches), and
 * performing a plan — opening its tasks within the tenant's running-task limit and, with `--wait`,
 * following them to the end with backoff and collecting each machine's result.
 *
 * Crash safety comes from the plan's deterministic names (rollout/remediation/plan.ts): whatever
 * point a run is killed at, the tasks Azure holds are a subset of the plan's, and a rerun lists them,
 * finds those and opens exactly the rest. The history store is written after each round of PUTs and
 * after the wait; a rerun rewrites the same rows.
 */
import type { AzureConnection } from '../azure/connection.js';
import { createArmRestClient, type ArmRestClient } from '../azure/arm-rest-client.js';
import { AzureError } from '../azure/errors.js';
import { abortableSleep } from '../azure/abortable-sleep.js';
import { mapConcurrent } from '../azure/concurrent-calls.js';
import { queryResourceGraph } from '../azure/resource-graph.js';
import { isTerminal, listRemediationDeployments, listRemediations, putRemediation, type Remediation } from '../azure/remediations.js';
import type { ExistingTask, PlannedTask, RemediationPlan } from '../rollout/remediation/plan.js';
import { resolveTargets, type PolicyResourceRow, type RemediationTarget } from '../rollout/remediation/targets.js';
import type { FailedRemediation } from '../rollout/remediation/failures.js';
import type { DirectReapply, GuestAssignmentSeen } from '../rollout/remediation/direct.js';
import { provisioningOutcome } from '../rollout/guest-assignment.js';
import { getGuestAssignment, GUEST_CONFIGURATION_API_VERSION } from '../azure/guest-configuration.js';
import { getResource, putResource } from '../azure/arm-resource.js';
import { DriftscanError } from '../core/diagnostics.js';
import { remediationTargetsQuery } from './queries.js';
import { listDescendantSubscriptions } from '../azure/management-groups.js';
import { recordTasks, type TaskRecord } from './history/remediation.js';
import type { HistoryStore } from './history/store.js';

export interface TargetsAndGroups {
  targets: RemediationTarget[];
  /** Subscriptions (lower case) under each management-group scope an assignment has. */
  groupSubscriptions: Map<string, Set<string>>;
}

/** The remediation targets visible in `subscriptions` (Resource Graph), and the member subscriptions of management-group scopes. */
export async function loadTargets(connection: AzureConnection, subscriptions: readonly string[], managementGroup: string | undefined): Promise<TargetsAndGroups> {
  const rest = createArmRestClient(connection);
  const rows: PolicyResourceRow[] = [];
  const scope = managementGroup ? { managementGroups: [managementGroup] } : { subscriptions: [...subscriptions] };
  for await (const row of queryResourceGraph(rest, { query: remediationTargetsQuery(), ...scope }, { signal: connection.deadline.signal })) {
    rows.push({ id: String(row.id), type: String(row.type), properties: row.properties });
  }
  const targets = resolveTargets(rows);
  const groupSubscriptions = new Map<string, Set<string>>();
  const groups = targets.map((t) => t.scope);
  // The group asked for (--management-group) too: its subscriptions narrow the drift.
  if (managementGroup) groups.push(`/providers/Microsoft.Management/managementGroups/${managementGroup}`);
  for (const scope of groups) {
    const m = /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)$/i.exec(scope.replace(/\/+$/, ''));
    if (!m || groupSubscriptions.has(scope.toLowerCase())) continue;
    // The descendants API, as scan uses: it lists every subscription under the group, also those
    // Resource Graph would leave out for want of a role there (azure/management-groups.ts).
    const subs = new Set((await listDescendantSubscriptions(connection, m[1]!)).map((d) => d.subscriptionId.toLowerCase()));
    groupSubscriptions.set(scope.toLowerCase(), subs);
  }
  return { targets, groupSubscriptions };
}

function existingTask(r: Remediation): ExistingTask {
  const p = r.properties ?? {};
  const state = String(p.provisioningState ?? 'Accepted');
  return {
    id: String(r.id),
    name: String(r.name),
    assignmentId: String(p.policyAssignmentId ?? ''),
    referenceId: p.policyDefinitionReferenceId || undefined,
    state,
    running: !isTerminal(state),
    resourceIds: p.filters?.resourceIds ?? [],
  };
}

/**
 * Every task at `scopes` (each listed once; a subscription's list includes its resource groups'),
 * deduplicated by id. These are the tasks counted against the tenant's limit: tasks in
 * subscriptions or management groups outside the scopes are not seen (docs: remediate).
 */
export async function listTasks(client: ArmRestClient, scopes: readonly string[], signal?: AbortSignal): Promise<Map<string, { task: ExistingTask; raw: Remediation }>> {
  const lists = await mapConcurrent(scopes, 8, (s) => listRemediations(client, s), signal);
  const out = new Map<string, { task: ExistingTask; raw: Remediation }>();
  for (const r of lists.flat()) out.set(String(r.id).toLowerCase(), { task: existingTask(r), raw: r });
  return out;
}

/** The scopes to list tasks at: every assignment scope of the plan's targets and every subscription with drift. */
export function listingScopes(targets: readonly RemediationTarget[], subscriptions: Iterable<string>): string[] {
  const scopes = new Map<string, string>();
  for (const t of targets) scopes.set(t.scope.toLowerCase().replace(/\/+$/, ''), t.scope.replace(/\/+$/, ''));
  for (const s of subscriptions) {
    const id = `/subscriptions/${s}`;
    // A subscription under an assignment scope already listed at subscription level is covered by it.
    if (!scopes.has(id.toLowerCase())) scopes.set(id.toLowerCase(), id);
  }
  return [...scopes.values()].sort();
}

export type RemediateEvent =
  | { type: 'opened'; task: PlannedTask; opened: number; toOpen: number }
  | { type: 'limit'; running: number; queued: number }
  | { type: 'poll'; running: number; terminal: number; total: number; queued: number; nextMs: number };

export interface ApplyOptions {
  wait: boolean;
  limit: number;
  /** First delay between polls; doubled each round up to `maxPollMs`. */
  pollMs: number;
  maxPollMs: number;
  /** PUTs in flight at once. */
  concurrency: number;
  onEvent?: (e: RemediateEvent) => void;
}

export interface TaskOutcome {
  task: PlannedTask;
  id: string;
  state: string;
  /** Opened by this run (false: existed before). */
  opened: boolean;
  totalDeployments?: number | undefined;
  successfulDeployments?: number | undefined;
  failedDeployments?: number | undefined;
  statusMessage?: string | undefined;
  /** Per machine, after the wait: the deployment's status and error. */
  results?: Map<string, { status: string; error?: string | undefined }>;
}

export interface ApplyOutcome {
  tasks: TaskOutcome[];
  /** Still waiting for a slot (only without --wait). */
  queued: PlannedTask[];
  opened: number;
  /** Most tasks seen running at once in the listed scopes (this run's and others'). */
  peakRunning: number;
  failures: FailedRemediation[];
  /** Every task of the plan reached a terminal state (only with --wait). */
  finished: boolean;
}

/** True for ARM's answer to a task over the tenant's running-task limit (a 400; the exact code is not documented). */
function isLimitError(err: unknown): boolean {
  return err instanceof AzureError && err.status === 400 && /limit|too many|concurrent/i.test(`${err.code ?? ''} ${err.message}`);
}

function record(o: TaskOutcome, scanId: number): TaskRecord {
  return {
    taskId: o.id,
    taskName: o.task.name,
    scanId,
    mode: 'policy',
    assignmentId: o.task.assignmentId,
    referenceId: o.task.referenceId,
    baseline: o.task.baseline,
    batch: o.task.batch,
    state: o.state,
    totalDeployments: o.totalDeployments,
    successfulDeployments: o.successfulDeployments,
    failedDeployments: o.failedDeployments,
    statusMessage: o.statusMessage,
    machines: o.task.machines.map((m) => {
      const r = o.results?.get(m.machineId.toLowerCase());
      return { machineId: m.machineId, subscriptionId: m.subscriptionId, rules: m.rules, result: r?.status ?? (isTerminal(o.state) ? `Task${o.state}` : 'Opened'), error: r?.error };
    }),
  };
}

function update(o: TaskOutcome, raw: Remediation): void {
  const p = raw.properties ?? {};
  o.state = String(p.provisioningState ?? o.state);
  o.totalDeployments = p.deploymentStatus?.totalDeployments;
  o.successfulDeployments = p.deploymentStatus?.successfulDeployments;
  o.failedDeployments = p.deploymentStatus?.failedDeployments;
  o.statusMessage = p.statusMessage || undefined;
}

/**
 * Opens the plan's tasks, never more running at once (in the listed scopes) than `limit`, and with
 * `wait` follows them until every one is terminal. Tasks the plan found existing are followed too.
 */
export async function applyRemediation(connection: AzureConnection, store: HistoryStore, plan: RemediationPlan, scopes: readonly string[], options: ApplyOptions): Promise<ApplyOutcome> {
  const client = createArmRestClient(connection);
  const signal = connection.deadline.signal;
  const queue = plan.tasks.filter((t) => t.status === 'open' || t.status === 'queued').sort((a, b) => (a.name < b.name ? -1 : 1));
  const outcomes: TaskOutcome[] = plan.tasks.filter((t) => t.status === 'exists').map((t) => ({ task: t, id: t.id, state: t.existingState ?? 'Accepted', opened: false }));
  let listed = await listTasks(client, scopes, signal);
  const byId = () => new Map(outcomes.map((o) => [o.id.toLowerCase(), o]));
  for (const [id, o] of byId()) {
    const l = listed.get(id);
    if (l) update(o, l.raw);
  }
  let peak = 0;
  let opened = 0;
  const toOpen = queue.length;
  let delay = options.pollMs;
  for (;;) {
    const running = [...listed.values()].filter((l) => l.task.running).length;
    peak = Math.max(peak, running);
    let free = Math.max(0, options.limit - running);
    if (queue.length && free === 0) options.onEvent?.({ type: 'limit', running, queued: queue.length });
    if (queue.length && free > 0) {
      const batch = queue.splice(0, free);
      const refused: PlannedTask[] = [];
      const round: TaskOutcome[] = [];
      await mapConcurrent(batch, options.concurrency, async (t) => {
        try {
          const made = await putRemediation(client, t.id, t.body);
          const o: TaskOutcome = { task: t, id: String(made.id ?? t.id), state: 'Accepted', opened: true };
          update(o, made);
          round.push(o);
          opened += 1;
          options.onEvent?.({ type: 'opened', task: t, opened, toOpen });
        } catch (err) {
          // Someone else's task took the slot between the listing and this PUT: wait for the next one.
          if (isLimitError(err)) refused.push(t);
          else throw err;
        }
      }, signal).finally(async () => {
        outcomes.push(...round);
        await recordTasks(store, round.map((o) => record(o, plan.scanId)));
      });
      free -= round.length;
      queue.unshift(...refused.sort((a, b) => (a.name < b.name ? -1 : 1)));
      peak = Math.max(peak, running + round.length);
    }
    if (!options.wait) break;
    const pending = outcomes.filter((o) => !isTerminal(o.state)).length;
    if (pending === 0 && queue.length === 0) break;
    options.onEvent?.({ type: 'poll', running: pending, terminal: outcomes.length - pending, total: outcomes.length + queue.length, queued: queue.length, nextMs: delay });
    await abortableSleep(delay, signal);
    delay = Math.min(options.maxPollMs, Math.ceil(delay * 1.5));
    listed = await listTasks(client, scopes, signal);
    const known = byId();
    for (const [id, l] of listed) {
      const o = known.get(id);
      if (o) update(o, l.raw);
    }
  }

  const failures: FailedRemediation[] = [];
  const finished = options.wait && queue.length === 0 && outcomes.every((o) => isTerminal(o.state));
  if (options.wait) {
    await mapConcurrent(outcomes, 8, async (o) => {
      const deployments = await listRemediationDeployments(client, o.id);
      o.results = new Map(deployments.map((d) => [String(d.remediatedResourceId ?? '').toLowerCase(), { status: String(d.status ?? 'Unknown'), error: d.error?.message }]));
      const failed = deployments.filter((d) => !/^succeeded$/i.test(String(d.status ?? '')));
      if (o.state.toLowerCase() !== 'failed' && o.state.toLowerCase() !== 'canceled' && failed.length === 0) return;
      const byMachine = new Map(o.task.machines.map((m) => [m.machineId.toLowerCase(), m]));
      failures.push({
        taskName: o.task.name,
        taskId: o.id,
        state: o.state,
        assignmentId: o.task.assignmentId,
        ...(o.task.referenceId ? { policyDefinitionReferenceId: o.task.referenceId } : {}),
        baseline: o.task.baseline,
        subscriptionId: /^\/subscriptions\/([^/]+)/i.exec(o.task.machines[0]?.machineId ?? o.id)?.[1]?.toLowerCase() ?? '',
        deployments: failed.map((d) => {
          const m = byMachine.get(String(d.remediatedResourceId ?? '').toLowerCase());
          const rule = m?.rules[0];
          return {
            resourceId: String(d.remediatedResourceId ?? ''),
            status: String(d.status ?? 'Unknown'),
            ...(d.error?.message !== undefined ? { error: d.error.message } : {}),
            ...(rule ? { ruleId: rule.ruleId, reason: rule.reason } : {}),
          };
        }),
      });
    }, signal);
    failures.sort((a, b) => (a.taskName < b.taskName ? -1 : 1));
  }
  await recordTasks(store, outcomes.map((o) => record(o, plan.scanId)));
  outcomes.sort((a, b) => (a.task.name < b.task.name ? -1 : 1));
  return { tasks: outcomes, queued: queue, opened, peakRunning: peak, failures, finished };
}

/**
 * Direct mode's reading: for each drifted machine no assignment covers, the guest configuration
 * assignment `driftscan assign` would have made (named after the baseline), by GET — Resource Graph
 * lags ARM by minutes, and the re-PUT needs the assignment's contentUri and hash, which Resource
 * Graph rows need not carry (cli/assign.ts says the same).
 */
export async function loadDirectAssignments(connection: AzureConnection, machines: RemediationPlan['uncoveredMachines']): Promise<Array<{ baseline: string; machine: PlannedTask['machines'][number]; assignment: GuestAssignmentSeen }>> {
  const client = createArmRestClient(connection);
  const seen = await mapConcurrent(machines, 16, async (m) => {
    const a = await getGuestAssignment(client, m.machine.machineId, m.baseline).catch((err: unknown) => {
      // A machine type guest assignments cannot live on (or a malformed id) has none.
      if (err instanceof DriftscanError && !(err instanceof AzureError)) return undefined;
      throw err;
    });
    const gc = a?.properties?.guestConfiguration;
    return a && gc ? { baseline: m.baseline, machine: m.machine, assignment: { id: String(a.id), ...(a.location ? { location: a.location } : {}), guestConfiguration: gc as Record<string, unknown> } } : undefined;
  }, connection.deadline.signal);
  return seen.filter((x): x is NonNullable<typeof x> => x !== undefined);
}

function directRecord(d: DirectReapply, scanId: number, state: string, result: string, error?: string): TaskRecord {
  return {
    taskId: `${d.assignmentId}/driftscan-reapply/${d.name}`,
    taskName: d.name,
    scanId,
    mode: 'direct',
    assignmentId: d.assignmentId,
    baseline: d.baseline,
    batch: 1,
    state,
    machines: [{ machineId: d.machine.machineId, subscriptionId: d.machine.subscriptionId, rules: d.machine.rules, result, error }],
  };
}

export interface DirectOutcome {
  reapplied: number;
  failures: FailedRemediation[];
}

/**
 * Re-PUTs the planned direct-mode assignments (16 at a time), recording each as it is written; with
 * `wait`, polls each with GET (backoff as for tasks) until its provisioningState is final.
 */
export async function applyDirect(connection: AzureConnection, store: HistoryStore, scanId: number, planned: readonly DirectReapply[], options: Pick<ApplyOptions, 'wait' | 'pollMs' | 'maxPollMs'>): Promise<DirectOutcome> {
  const client = createArmRestClient(connection);
  const signal = connection.deadline.signal;
  const todo = planned.filter((d) => d.status === 'reapply');
  const states = new Map<string, string>();
  await mapConcurrent(todo, 16, async (d) => {
    const r = await putResource<{ properties?: { provisioningState?: string } }>(client, d.assignmentId, GUEST_CONFIGURATION_API_VERSION, d.body);
    states.set(d.name, String(r.body?.properties?.provisioningState ?? 'Created'));
  }, signal);
  await recordTasks(store, todo.map((d) => directRecord(d, scanId, states.get(d.name) ?? 'Created', 'Reapplied')));
  const failures: FailedRemediation[] = [];
  if (!options.wait || todo.length === 0) return { reapplied: todo.length, failures };
  let pending = todo.filter((d) => provisioningOutcome(states.get(d.name)) === 'pending');
  let delay = options.pollMs;
  while (pending.length) {
    await abortableSleep(delay, signal);
    delay = Math.min(options.maxPollMs, Math.ceil(delay * 1.5));
    await mapConcurrent(pending, 16, async (d) => {
      const a = await getResource<{ properties?: { provisioningState?: string } }>(client, d.assignmentId, GUEST_CONFIGURATION_API_VERSION);
      states.set(d.name, String(a?.properties?.provisioningState ?? 'Deleted'));
    }, signal);
    pending = pending.filter((d) => provisioningOutcome(states.get(d.name)) === 'pending' && states.get(d.name) !== 'Deleted');
  }
  for (const d of todo) {
    const state = states.get(d.name)!;
    if (provisioningOutcome(state) === 'succeeded') continue;
    failures.push({
      taskName: d.name, taskId: d.assignmentId, state, assignmentId: d.assignmentId, baseline: d.baseline,
      subscriptionId: d.machine.subscriptionId.toLowerCase(),
      deployments: [{ resourceId: d.machine.machineId, status: state, ...(d.machine.rules[0] ? { ruleId: d.machine.rules[0].ruleId, reason: d.machine.rules[0].reason } : {}) }],
    });
  }
  await recordTasks(store, todo.map((d) => directRecord(d, scanId, states.get(d.name)!, provisioningOutcome(states.get(d.name)) === 'succeeded' ? 'Succeeded' : states.get(d.name)!)));
  return { reapplied: todo.length, failures };
}

/** Names of the direct-mode re-applies already recorded for `scanId`. */
export async function recordedDirect(store: HistoryStore, scanId: number): Promise<Set<string>> {
  const rows = await store.query(`SELECT task_name FROM remediation_tasks WHERE mode = 'direct' AND scan_id = $1`, [scanId]);
  return new Set(rows.map((r) => String(r.task_name)));
}
