/**
 * The emulator's PolicyInsights remediation tasks (remediations.json 2024-10-01), beyond storing
 * the PUT body as every ARM resource is stored:
 *
 * - **Checks ARM makes beyond the schema** (machine-configuration.md §6.1): `filters.resourceIds`
 *   at most 100 and not empty, not with ReEvaluateCompliance; `parallelDeployments` 1–30;
 *   `failureThreshold.percentage` 0–1; the policy assignment must exist and the task's scope must be
 *   at or below the assignment's; an initiative assignment needs `policyDefinitionReferenceId`.
 * - **The tenant's limit** of running tasks (100, documented): a new task while `limit` are running
 *   is answered 400 `InvalidCreateRemediationRequest` with a message naming the limit. The status and
 *   code are **our assumption** (docs/arm-emulator.md): Microsoft documents the limit, not the error.
 * - **Progress on a clock**: Accepted for one step, Evaluating while its deployments run —
 *   `parallelDeployments` at a time, one step each — then Succeeded, or Failed when the share of
 *   failed deployments exceeds `failureThreshold`. A re-PUT of a task with the same body answers the
 *   task as it is (200); a different body is refused (a started task is immutable).
 * - **Injected failures**: `failDeployment(machineId)` decides which machines' deployments fail,
 *   with an error message in `listDeployments`.
 * - `peakRunning`: the most tasks running at once, as the emulator counted them.
 */
type Json = Record<string, unknown>;

export interface RemediationOptions {
  /** Tenant-wide running-task limit (default 100). */
  limit?: number;
  /** One step of the clock in ms (default 100). */
  stepMs?: number;
  /** Error message for a machine whose deployment fails; undefined for success. */
  failDeployment?: (machineId: string) => string | undefined;
}

interface Task {
  createdAt: number;
  resourceIds: string[];
  parallel: number;
  threshold: number;
  canceledAt?: number;
}

const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'complete']);

export class RemediationClock {
  readonly limit: number;
  readonly stepMs: number;
  peakRunning = 0;
  /** Tasks refused for the limit. */
  refusedForLimit = 0;
  failDeployment: (machineId: string) => string | undefined;
  private readonly tasks = new Map<string, Task>();

  constructor(options: RemediationOptions = {}) {
    this.limit = options.limit ?? 100;
    this.stepMs = options.stepMs ?? 100;
    this.failDeployment = options.failDeployment ?? (() => undefined);
  }

  private doneAt(t: Task): number {
    return t.createdAt + this.stepMs * (1 + Math.max(1, Math.ceil(t.resourceIds.length / t.parallel)));
  }

  /** The state of task `id` now. */
  state(id: string, now = Date.now()): { state: string; total: number; ok: number; failed: number } {
    const t = this.tasks.get(id)!;
    const total = t.resourceIds.length;
    if (t.canceledAt !== undefined && t.canceledAt < this.doneAt(t)) return { state: 'Canceled', total, ok: 0, failed: 0 };
    if (now < t.createdAt + this.stepMs) return { state: 'Accepted', total, ok: 0, failed: 0 };
    // Deployments finish `parallel` per step after the first step.
    const finished = Math.min(total, Math.floor((now - t.createdAt - this.stepMs) / this.stepMs) * t.parallel);
    const done = t.resourceIds.slice(0, finished);
    const failed = done.filter((id) => this.failDeployment(id) !== undefined).length;
    if (now < this.doneAt(t)) return { state: 'Evaluating', total, ok: done.length - failed, failed };
    const allFailed = t.resourceIds.filter((id) => this.failDeployment(id) !== undefined).length;
    return { state: total > 0 && allFailed / total > t.threshold ? 'Failed' : 'Succeeded', total, ok: total - allFailed, failed: allFailed };
  }

  running(now = Date.now()): number {
    let n = 0;
    for (const id of this.tasks.keys()) if (!TERMINAL.has(this.state(id, now).state.toLowerCase())) n += 1;
    return n;
  }

  /** Read-only fields of task `id` as of now, written into its stored resource. */
  refresh(id: string, resource: Json): void {
    if (!this.tasks.has(id)) return;
    const s = this.state(id);
    const p = resource.properties as Json;
    if (p.provisioningState !== s.state) p.lastUpdatedOn = new Date().toISOString();
    p.provisioningState = s.state;
    p.deploymentStatus = { totalDeployments: s.total, successfulDeployments: s.ok, failedDeployments: s.failed };
    p.statusMessage = s.state === 'Failed' ? `${s.failed} of ${s.total} deployments failed, more than the failure threshold` : '';
  }

  /**
   * Checks a PUT of task `id` (`existing`: what the store holds) and, for a new task, starts its
   * clock. Returns an ARM error (`[status, code, message]`) or undefined.
   */
  put(id: string, properties: Json, existing: Json | undefined, assignment: Json | undefined): [number, string, string] | undefined {
    const filters = (properties.filters as Json | undefined) ?? {};
    const ids = filters.resourceIds as string[] | undefined;
    if (ids !== undefined && ids.length === 0) return [400, 'InvalidCreateRemediationRequest', 'The resourceIds filter cannot be empty if provided.'];
    if (ids !== undefined && ids.length > 100) return [400, 'InvalidCreateRemediationRequest', `The resourceIds filter can specify at most 100 IDs, not ${ids.length}.`];
    if (ids !== undefined && properties.resourceDiscoveryMode === 'ReEvaluateCompliance') return [400, 'InvalidCreateRemediationRequest', 'The resourceIds filter cannot be used with ReEvaluateCompliance.'];
    const parallel = properties.parallelDeployments === undefined ? 10 : Number(properties.parallelDeployments);
    if (!Number.isInteger(parallel) || parallel < 1 || parallel > 30) return [400, 'InvalidCreateRemediationRequest', 'parallelDeployments must be from 1 to 30.'];
    const threshold = (properties.failureThreshold as Json | undefined)?.percentage === undefined ? 1 : Number((properties.failureThreshold as Json).percentage);
    if (!(threshold >= 0 && threshold <= 1)) return [400, 'InvalidCreateRemediationRequest', 'failureThreshold.percentage must be from 0 to 1.'];
    if (!assignment) return [404, 'PolicyAssignmentNotFound', `The policy assignment '${String(properties.policyAssignmentId)}' could not be found.`];
    const scope = String((assignment.properties as Json).scope ?? '').toLowerCase();
    const taskScope = id.slice(0, id.toLowerCase().lastIndexOf('/providers/microsoft.policyinsights/'));
    if (!`${taskScope.toLowerCase()}/`.startsWith(`${scope}/`)) return [400, 'InvalidCreateRemediationRequest', `The remediation scope '${taskScope}' is not at or below the policy assignment's scope '${scope}'.`];
    if (/policySetDefinitions/i.test(String((assignment.properties as Json).policyDefinitionId)) && !properties.policyDefinitionReferenceId) {
      return [400, 'InvalidCreateRemediationRequest', 'The policy assignment assigns a policy set definition: policyDefinitionReferenceId is required.'];
    }
    if (existing) {
      const before = existing.properties as Json;
      const same = ['policyAssignmentId', 'policyDefinitionReferenceId', 'resourceDiscoveryMode'].every((k) => String(before[k] ?? '').toLowerCase() === String(properties[k] ?? '').toLowerCase())
        && JSON.stringify(((before.filters as Json | undefined)?.resourceIds as string[] | undefined) ?? []) === JSON.stringify(ids ?? []);
      return same ? undefined : [400, 'InvalidUpdateRemediationRequest', 'A remediation that has started cannot be changed.'];
    }
    const now = Date.now();
    const running = this.running(now);
    if (running >= this.limit) {
      this.refusedForLimit += 1;
      return [400, 'InvalidCreateRemediationRequest', `The tenant already has ${running} running remediation tasks; at most ${this.limit} can run concurrently. Wait for tasks to complete.`];
    }
    this.tasks.set(id.toLowerCase(), { createdAt: now, resourceIds: ids ?? [], parallel, threshold });
    this.peakRunning = Math.max(this.peakRunning, running + 1);
    return undefined;
  }

  /** Forgets every task, the peak and the refusals (a benchmark's next round). */
  reset(): void {
    this.tasks.clear();
    this.peakRunning = 0;
    this.refusedForLimit = 0;
  }

  get size(): number {
    return this.tasks.size;
  }

  cancel(id: string): void {
    const t = this.tasks.get(id.toLowerCase());
    if (t && t.canceledAt === undefined) t.canceledAt = Date.now();
  }

  has(id: string): boolean {
    return this.tasks.has(id.toLowerCase());
  }

  /** The deployments of task `id` (one per resource whose deployment finished, or started). */
  deployments(id: string): Json[] {
    const t = this.tasks.get(id.toLowerCase());
    if (!t) return [];
    const s = this.state(id.toLowerCase());
    const finished = s.state === 'Accepted' ? 0 : TERMINAL.has(s.state.toLowerCase()) ? t.resourceIds.length : s.ok + s.failed;
    const created = new Date(t.createdAt + this.stepMs).toISOString();
    return t.resourceIds.slice(0, finished).map((rid, i) => {
      const error = this.failDeployment(rid);
      return {
        remediatedResourceId: rid,
        deploymentId: `${rid.split('/providers/')[0]}/providers/Microsoft.Resources/deployments/${id.split('/').pop()}-${i}`,
        status: error === undefined ? 'Succeeded' : 'Failed',
        resourceLocation: 'westeurope',
        ...(error === undefined ? {} : { error: { code: 'DeploymentFailed', message: error } }),
        createdOn: created,
        lastUpdatedOn: new Date().toISOString(),
      };
    });
  }
}
