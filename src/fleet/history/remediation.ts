/**
 * The history store's side of `driftscan remediate`: the drift of a recorded scan (what tasks are
 * planned from), and the tasks and per-machine results (`remediation_tasks`,
 * `remediation_machines`, schema version 2). A task is recorded whole in one transaction, replacing
 * what an earlier run recorded for it, so a rerun after a kill brings the store to the same rows as
 * an uninterrupted run.
 */
import { DriftscanError } from '../../core/diagnostics.js';
import type { HistoryStore } from './store.js';

export interface DriftRow {
  machineId: string;
  subscriptionId: string;
  baseline: string;
  ruleId: string;
  reason: string;
}

/** The scan `from` names (`latest` or an id), checked to exist. */
export async function resolveScan(store: HistoryStore, from: string): Promise<number> {
  const scans = await store.listScans();
  if (from === 'latest') {
    const last = scans.at(-1);
    if (!last) throw new DriftscanError(`${store.path}: the history store holds no scan; run driftscan scan first (or remediate --scan-now)`);
    return last.scanId;
  }
  const id = Number(from);
  if (!/^\d+$/.test(from) || !scans.some((s) => s.scanId === id)) {
    throw new DriftscanError(`--from ${from}: no such scan in ${store.path} (scans: ${scans.length ? scans.map((s) => s.scanId).join(', ') : 'none'}; or say latest)`);
  }
  return id;
}

/** The unwaived failing rules of scan `scanId`, of `baselines` when given (case-insensitive), by machine. */
export async function readDrift(store: HistoryStore, scanId: number, baselines?: readonly string[]): Promise<DriftRow[]> {
  const rows = await store.query(`SELECT machine_id AS machineId, subscription_id AS subscriptionId, baseline, rule_id AS ruleId, reason
    FROM findings WHERE scan_id = $1 AND NOT waived ORDER BY machine_id, baseline, rule_id`, [scanId]);
  const wanted = baselines?.length ? new Set(baselines.map((b) => b.toLowerCase())) : undefined;
  return (rows as unknown as DriftRow[]).filter((r) => !wanted || wanted.has(r.baseline.toLowerCase()));
}

export interface TaskRecord {
  taskId: string;
  taskName: string;
  scanId: number;
  mode: 'policy' | 'direct';
  assignmentId: string;
  referenceId?: string | undefined;
  baseline: string;
  batch: number;
  state: string;
  totalDeployments?: number | undefined;
  successfulDeployments?: number | undefined;
  failedDeployments?: number | undefined;
  statusMessage?: string | undefined;
  machines: Array<{ machineId: string; subscriptionId: string; rules: Array<{ ruleId: string; reason: string }>; result: string; error?: string | undefined }>;
}

/**
 * Records (or replaces) `tasks`, all in one transaction: one DELETE of their machine rows, the task
 * rows in multi-row upserts, and the machine rows through an appender (DuckDB's bulk path: a
 * 10,000-machine run writes ~20,000 rows twice, which parameterised inserts made take seconds).
 */
export async function recordTasks(store: HistoryStore, tasks: readonly TaskRecord[]): Promise<void> {
  if (tasks.length === 0) return;
  const c = store.connection;
  const now = new Date().toISOString();
  await c.run('BEGIN TRANSACTION');
  try {
    const ids = tasks.map((t) => t.taskId.toLowerCase());
    await c.run(`DELETE FROM remediation_machines WHERE list_contains(string_split($1, chr(31)), task_id)`, [ids.join('\u001f')]);
    for (let at = 0; at < tasks.length; at += 200) {
      const chunk = tasks.slice(at, at + 200);
      const width = 15;
      const values = chunk.map((_, r) => `(${Array.from({ length: width - 1 }, (_, k) => `$${r * width + k + 1}`).join(', ')}, $${r * width + width}::TIMESTAMPTZ, $${r * width + width}::TIMESTAMPTZ)`).join(', ');
      await c.run(`INSERT INTO remediation_tasks VALUES ${values}
        ON CONFLICT (task_id) DO UPDATE SET state = excluded.state, machines = excluded.machines, total_deployments = excluded.total_deployments,
          successful_deployments = excluded.successful_deployments, failed_deployments = excluded.failed_deployments,
          status_message = excluded.status_message, updated_at = excluded.updated_at`,
      chunk.flatMap((t) => [t.taskId.toLowerCase(), t.taskName, t.scanId, t.mode, t.assignmentId.toLowerCase(), t.referenceId ?? null, t.baseline, t.batch, t.machines.length, t.state,
        t.totalDeployments ?? null, t.successfulDeployments ?? null, t.failedDeployments ?? null, t.statusMessage ?? null, now]) as never);
    }
    const appender = await c.createAppender('remediation_machines');
    try {
      for (const t of tasks) {
        const id = t.taskId.toLowerCase();
        for (const m of t.machines) {
          for (const r of m.rules) {
            appender.appendVarchar(id);
            appender.appendVarchar(m.machineId.toLowerCase());
            appender.appendVarchar(m.subscriptionId.toLowerCase());
            appender.appendVarchar(t.baseline);
            appender.appendVarchar(r.ruleId);
            appender.appendVarchar(r.reason);
            appender.appendVarchar(m.result);
            if (m.error === undefined) appender.appendNull();
            else appender.appendVarchar(m.error);
            appender.endRow();
          }
        }
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    await c.run('COMMIT');
  } catch (err) {
    await c.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Remediation outcomes per baseline, rule and result (for reports): machines counted once per rule. */
export async function remediationSummary(store: HistoryStore, scanId?: number): Promise<Array<{ baseline: string; ruleId: string; result: string; machines: number }>> {
  const rows = await store.query(`SELECT m.baseline, m.rule_id AS ruleId, m.result, count(DISTINCT m.machine_id) AS machines
    FROM remediation_machines m JOIN remediation_tasks t USING (task_id)
    ${scanId === undefined ? '' : 'WHERE t.scan_id = $1'} GROUP BY ALL ORDER BY ALL`, scanId === undefined ? [] : [scanId]);
  return rows as Array<{ baseline: string; ruleId: string; result: string; machines: number }>;
}
