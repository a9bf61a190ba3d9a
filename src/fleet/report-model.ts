/**
 * The data of a fleet report (`driftscan report`), read from the history store. Every count, series
 * and list is computed by DuckDB — filtered on `scan_id` first, then joined and grouped — so a year
 * of weekly scans of a 100,000-machine fleet stays a few columnar scans; JavaScript only reshapes
 * the rows that come back (a few hundred points, and machine lists bounded by `limit`).
 *
 * The model knows no output formats (`src/fleet-report/` holds one writer per format).
 *
 * What is compared: the latest scan with an earlier one — by default the scan before it; with
 * `sinceMs`, the scan that started closest to `sinceMs` before the latest (reproducible from the
 * store alone, and robust to a weekly job that starts a few seconds earlier or later each week).
 * The series over time (compliance, new vs fixed) cover the scans of the year before the latest
 * (TREND_DAYS), or from the compared scan if that is older.
 */
import { compareScans, complianceOverTime, type RuleTrend } from './history/trends.js';
import type { FindingRecord, HistoryStore, ScanRecord } from './history/store.js';
import { DriftscanError } from '../core/diagnostics.js';

/** How far back the series over time reach from the latest scan. */
export const TREND_DAYS = 365;

export const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low', 'unknown'] as const;

export type Change = 'newly-drifted' | 'fixed' | 'still-drifting';

/** One (machine, baseline, rule) in a change list. */
export interface MachineFinding extends Omit<FindingRecord, 'waived' | 'waiverReason'> {
  change: Change;
  /** `reason`: what the machine reported — in the latest scan, or for `fixed` in the earlier scan. */
  /** When this drift was first seen (ISO date-time); for `fixed`, as the earlier scan had it. */
  firstSeen: string;
  /** Whole days from `firstSeen` to the latest scan (for `fixed`: how long it drifted, up to the scan that found it fixed). */
  ageDays: number;
}

/** A machine list: its exact size in the store, and the rows kept (most severe, then oldest, first). */
export interface MachineList {
  total: number;
  rows: MachineFinding[];
}

export interface CompliancePoint {
  scanId: number;
  startedAt: string;
  complete: boolean;
  compliant: number;
  nonCompliant: number;
  waived: number;
  pending: number;
  missing: number;
  /** (Compliant + Waived) / all machine × baseline pairs, 0–100, one decimal; null when the scan counted none. */
  percentCompliant: number | null;
}

/** Compliance of one baseline or subscription in one scan. */
export interface KeyedCompliancePoint extends CompliancePoint {
  key: string;
}

export interface ChangePoint {
  scanId: number;
  startedAt: string;
  /** Unwaived findings of this scan that the scan before it did not have. */
  newlyDrifted: number;
  /** Unwaived findings of the scan before that this one, having read their subscription, no longer has. */
  fixed: number;
}

/**
 * What `driftscan remediate` did about the drift of the compared scans (tasks planned from the
 * compared scan up to the latest; remediation_tasks / remediation_machines, docs/history.md):
 * absent when nothing was recorded, or the store predates schema version 2.
 */
export interface RemediationSection {
  /** The scans whose drift the tasks remediate: from the compared scan (or the latest) to the latest. */
  fromScan: number;
  toScan: number;
  tasks: RemediationTaskRow[];
  /** Machines per baseline, rule and result (`Opened`, `Succeeded`, `Failed`, …), each machine once per rule. */
  byRule: Array<{ baseline: string; ruleId: string; result: string; machines: number }>;
  /** Machine × rule rows whose deployment failed, with Azure's error; cut at the list limit. */
  failed: { total: number; rows: RemediationFailureRow[] };
}

export interface RemediationTaskRow {
  taskName: string;
  scanId: number;
  mode: 'policy' | 'direct';
  baseline: string;
  state: string;
  machines: number;
  /** Deployments that succeeded / failed, as Azure last reported them (null before --wait saw them). */
  succeeded: number | null;
  failed: number | null;
  updatedAt: string;
}

export interface RemediationFailureRow {
  taskName: string;
  machineId: string;
  subscriptionId: string;
  baseline: string;
  ruleId: string;
  reason: string;
  error: string | null;
}

export interface FleetReportModel {
  /** The store it was read from (as given on the command line). */
  history: string;
  /** The comparison window asked for, e.g. `7d`, or null for "the scan before". */
  since: string | null;
  previous: ScanRecord | null;
  latest: ScanRecord;
  /** Subscriptions the latest scan could not read: their findings are neither fixed nor current. */
  unreadInLatest: Array<{ scopeId: string; status: string; error: string | null }>;
  totals: { newlyDrifted: number; fixed: number; stillDrifting: number };
  /** Per rule between `previous` and `latest` (trends.ts `compareScans`), most findings in the latest scan first. */
  rules: RuleTrend[];
  /** Fleet-wide compliance per scan, over the year before the latest scan (TREND_DAYS) or since the compared scan. */
  compliance: CompliancePoint[];
  byBaseline: KeyedCompliancePoint[];
  bySubscription: KeyedCompliancePoint[];
  /** Display names of subscriptions, where a scan recorded one. */
  subscriptionNames: Record<string, string>;
  /** Newly drifted and fixed per scan of the window, each against the scan before it. */
  changes: ChangePoint[];
  newlyDrifted: MachineList;
  fixed: MachineList;
  stillDrifting: MachineList;
  remediation?: RemediationSection;
}

export interface ReportModelOptions {
  /** Compare with the scan closest to this long before the latest. */
  sinceMs?: number;
  /** The text `sinceMs` came from, shown in reports. */
  since?: string;
  /** Rows kept per machine list; undefined keeps all. */
  limit?: number;
}

const SEVERITY_RANK = `CASE lower(severity) WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END`;
const ISO = (col: string) => `strftime(${col} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ')`;

export async function buildReportModel(store: HistoryStore, history: string, options: ReportModelOptions = {}): Promise<FleetReportModel> {
  const scans = await store.listScans();
  const latest = scans[scans.length - 1];
  if (!latest) throw new DriftscanError(`${history}: no scans recorded yet (run driftscan scan first)`);
  const previous = await pickPrevious(store, latest.scanId, options.sinceMs);
  const prevRecord = previous === undefined ? null : scans.find((s) => s.scanId === previous) ?? null;
  const yearAgo = Date.parse(latest.startedAt) - TREND_DAYS * 86_400_000;
  const from = Math.min(prevRecord?.scanId ?? latest.scanId, ...scans.filter((s) => Date.parse(s.startedAt) >= yearAgo).map((s) => s.scanId));
  const to = latest.scanId;

  // One after the other: a DuckDB connection runs one query at a time.
  const rules = prevRecord ? await compareScans(store, prevRecord.scanId, latest.scanId) : [];
  const fleet = await fleetCompliance(store, from, to);
  const byBaseline = await complianceOverTime(store, 'baseline', { from, to });
  const bySubscription = await complianceOverTime(store, 'subscription', { from, to });
  const changes = await changesOverTime(store, from, to);
  const names = await subscriptionNames(store, to);
  const unread = await store.query(`SELECT scope_id, status, error FROM scan_scopes WHERE scan_id = $1 AND status <> 'ok' ORDER BY scope_id`, [to]);
  const lists = prevRecord ? await machineLists(store, prevRecord.scanId, latest.scanId, options.limit) : await currentAsStill(store, latest.scanId, options.limit);
  const remediation = await remediationSection(store, prevRecord?.scanId ?? latest.scanId, latest.scanId, options.limit);
  const complete = new Map(scans.map((s) => [s.scanId, s.complete]));
  const ruleFindings = (r: RuleTrend) => r.newlyDrifted + r.stillDrifting;
  return {
    history,
    since: options.since ?? null,
    previous: prevRecord,
    latest,
    unreadInLatest: unread.map((r) => ({ scopeId: r.scope_id as string, status: r.status as string, error: (r.error as string | null) ?? null })),
    totals: { newlyDrifted: lists.newlyDrifted.total, fixed: lists.fixed.total, stillDrifting: lists.stillDrifting.total },
    rules: [...rules].sort((a, b) => ruleFindings(b) - ruleFindings(a) || b.fixed - a.fixed || a.baseline.localeCompare(b.baseline) || a.ruleId.localeCompare(b.ruleId)),
    compliance: fleet.map((p) => ({ ...p, complete: complete.get(p.scanId) ?? true })),
    byBaseline: keyed(byBaseline, complete),
    bySubscription: keyed(bySubscription, complete),
    subscriptionNames: names,
    changes,
    ...lists,
    ...(remediation ? { remediation } : {}),
  };
}

/** The remediation recorded for scans `from`..`to`, or undefined when there is none (or no such tables). */
async function remediationSection(store: HistoryStore, from: number, to: number, limit: number | undefined): Promise<RemediationSection | undefined> {
  const tables = await store.query(`SELECT count(*) AS n FROM duckdb_tables() WHERE table_name IN ('remediation_tasks', 'remediation_machines')`);
  if (Number(tables[0]!.n) < 2) return undefined;
  const tasks = await store.query(`SELECT task_name, scan_id, mode, baseline, state, machines, successful_deployments, failed_deployments, ${ISO('updated_at')} AS updated_at
      FROM remediation_tasks WHERE scan_id BETWEEN $1 AND $2 ORDER BY scan_id, baseline, task_name`, [from, to]);
  if (tasks.length === 0) return undefined;
  const byRule = await store.query(`SELECT m.baseline, m.rule_id, m.result, count(DISTINCT m.machine_id) AS machines
      FROM remediation_machines m JOIN remediation_tasks t USING (task_id)
      WHERE t.scan_id BETWEEN $1 AND $2 GROUP BY ALL ORDER BY m.baseline, m.rule_id, m.result`, [from, to]);
  const failedFrom = `FROM remediation_machines m JOIN remediation_tasks t USING (task_id) WHERE t.scan_id BETWEEN $1 AND $2 AND m.result = 'Failed'`;
  const failedCount = await store.query(`SELECT count(*) AS n ${failedFrom}`, [from, to]);
  const failedRows = limit === 0 ? [] : await store.query(`SELECT t.task_name, m.machine_id, m.subscription_id, m.baseline, m.rule_id, m.reason, m.error ${failedFrom}
      ORDER BY m.baseline, m.rule_id, m.machine_id ${limit === undefined ? '' : `LIMIT ${Math.floor(limit)}`}`, [from, to]);
  const count = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    fromScan: from,
    toScan: to,
    tasks: tasks.map((r) => ({
      taskName: r.task_name as string,
      scanId: Number(r.scan_id),
      mode: r.mode as 'policy' | 'direct',
      baseline: r.baseline as string,
      state: r.state as string,
      machines: Number(r.machines),
      succeeded: count(r.successful_deployments),
      failed: count(r.failed_deployments),
      updatedAt: r.updated_at as string,
    })),
    byRule: byRule.map((r) => ({ baseline: r.baseline as string, ruleId: r.rule_id as string, result: r.result as string, machines: Number(r.machines) })),
    failed: {
      total: Number(failedCount[0]!.n),
      rows: failedRows.map((r) => ({
        taskName: r.task_name as string,
        machineId: r.machine_id as string,
        subscriptionId: r.subscription_id as string,
        baseline: r.baseline as string,
        ruleId: r.rule_id as string,
        reason: r.reason as string,
        error: (r.error as string | null) ?? null,
      })),
    },
  };
}

/** The scan to compare the latest with: the one before it, or the one closest to `sinceMs` before it. */
async function pickPrevious(store: HistoryStore, latest: number, sinceMs: number | undefined): Promise<number | undefined> {
  const rows = sinceMs === undefined
    ? await store.query('SELECT scan_id FROM scans WHERE scan_id < $1 ORDER BY scan_id DESC LIMIT 1', [latest])
    : await store.query(`SELECT scan_id FROM scans
        WHERE scan_id < $1
        ORDER BY abs(epoch_ms(started_at) - (epoch_ms((SELECT started_at FROM scans WHERE scan_id = $1)) - $2)), scan_id DESC LIMIT 1`, [latest, sinceMs]);
  return rows[0]?.scan_id as number | undefined;
}

function percent(good: number, all: number): number | null {
  return all === 0 ? null : Math.round((good / all) * 1000) / 10;
}

async function fleetCompliance(store: HistoryStore, from: number, to: number): Promise<Array<Omit<CompliancePoint, 'complete'>>> {
  const rows = await store.query(`SELECT s.scan_id, ${ISO('any_value(s.started_at)')} AS started_at,
      coalesce(sum(t.machines) FILTER (WHERE t.compliance = 'Compliant'), 0) AS compliant,
      coalesce(sum(t.machines) FILTER (WHERE t.compliance = 'NonCompliant'), 0) AS noncompliant,
      coalesce(sum(t.machines) FILTER (WHERE t.compliance = 'Waived'), 0) AS waived,
      coalesce(sum(t.machines) FILTER (WHERE t.compliance = 'Pending'), 0) AS pending,
      coalesce(sum(t.machines) FILTER (WHERE t.compliance = 'Missing'), 0) AS missing
    FROM scans s LEFT JOIN compliance_totals t ON t.scan_id = s.scan_id
    WHERE s.scan_id BETWEEN $1 AND $2 GROUP BY s.scan_id ORDER BY s.scan_id`, [from, to]);
  return rows.map((r) => point(r));
}

function point(r: Record<string, unknown>): Omit<CompliancePoint, 'complete'> {
  const c = { compliant: Number(r.compliant), nonCompliant: Number(r.noncompliant), waived: Number(r.waived), pending: Number(r.pending), missing: Number(r.missing) };
  return { scanId: r.scan_id as number, startedAt: r.started_at as string, ...c, percentCompliant: percent(c.compliant + c.waived, c.compliant + c.nonCompliant + c.waived + c.pending + c.missing) };
}

function keyed(rows: Awaited<ReturnType<typeof complianceOverTime>>, complete: Map<number, boolean>): KeyedCompliancePoint[] {
  // complianceOverTime returns one row per scan × key × compliance, grouped by DuckDB; this folds
  // the five compliance rows of each scan × key into one point.
  const out = new Map<string, KeyedCompliancePoint>();
  for (const r of rows) {
    const id = `${r.scanId}\u0000${r.key}`;
    let p = out.get(id);
    if (!p) {
      p = { scanId: r.scanId, startedAt: r.startedAt, key: r.key, complete: complete.get(r.scanId) ?? true, compliant: 0, nonCompliant: 0, waived: 0, pending: 0, missing: 0, percentCompliant: null };
      out.set(id, p);
    }
    const field = ({ Compliant: 'compliant', NonCompliant: 'nonCompliant', Waived: 'waived', Pending: 'pending', Missing: 'missing' } as const)[r.compliance as 'Compliant'];
    if (field) p[field] += r.machines;
  }
  for (const p of out.values()) p.percentCompliant = percent(p.compliant + p.waived, p.compliant + p.nonCompliant + p.waived + p.pending + p.missing);
  return [...out.values()];
}

/**
 * Newly drifted and fixed of every scan in [from, to] against the scan recorded before it, from
 * `first_seen` instead of a join of every scan's findings with the previous scan's: the store sets
 * `first_seen` at commit from the previous scan that read the subscription (docs/history.md), so per
 * scan k, previous scan p and subscription S that p read, a finding of k is new exactly when its
 * `first_seen` is k's start, and carried over (still drifting) otherwise; every finding of S is new
 * when p did not read S. Fixed = p's findings in the subscriptions k read − k's carried-over ones.
 * This reads no machine, baseline or rule id (a year of a 100,000-machine fleet: ~0.4 s instead of
 * ~7.5 s for the join, bench/fleet-report.ts). It equals `compareScans` except when a waiver
 * changed between the two scans (first_seen is carried over waived rows too): such a finding counts
 * as still drifting here. The lists of the two scans compared are exact set differences (below).
 */
async function changesOverTime(store: HistoryStore, from: number, to: number): Promise<ChangePoint[]> {
  const rows = await store.query(`
    WITH pairs AS (SELECT scan_id, started_at, prev FROM (SELECT scan_id, started_at, lag(scan_id) OVER (ORDER BY scan_id) AS prev FROM scans) WHERE scan_id BETWEEN $1 AND $2),
         ok AS (SELECT scan_id, scope_id AS subscription_id FROM scan_scopes WHERE kind = 'subscription' AND status = 'ok'),
         per_sub AS (
           SELECT f.scan_id, f.subscription_id, count(*) AS n, count(*) FILTER (WHERE f.first_seen = s.started_at) AS fresh
           FROM findings f JOIN scans s USING (scan_id)
           WHERE f.scan_id BETWEEN (SELECT coalesce(min(prev), $1) FROM pairs) AND $2 AND NOT f.waived
           GROUP BY f.scan_id, f.subscription_id),
         cur AS (
           SELECT p.scan_id,
                  sum(CASE WHEN o.scan_id IS NULL THEN c.n ELSE c.fresh END) AS newly,
                  sum(CASE WHEN o.scan_id IS NULL THEN 0 ELSE c.n - c.fresh END) AS still
           FROM pairs p JOIN per_sub c ON c.scan_id = p.scan_id LEFT JOIN ok o ON o.scan_id = p.prev AND o.subscription_id = c.subscription_id
           GROUP BY p.scan_id),
         before AS (
           SELECT p.scan_id, sum(b.n) AS n
           FROM pairs p JOIN per_sub b ON b.scan_id = p.prev JOIN ok o ON o.scan_id = p.scan_id AND o.subscription_id = b.subscription_id
           GROUP BY p.scan_id)
    SELECT p.scan_id, ${ISO('p.started_at')} AS started_at, p.prev, coalesce(cur.newly, 0) AS newly, coalesce(before.n, 0) - coalesce(cur.still, 0) AS fixed
    FROM pairs p LEFT JOIN cur USING (scan_id) LEFT JOIN before USING (scan_id) ORDER BY p.scan_id`, [from, to]);
  // The very first scan of a store has nothing to compare with: not a point.
  return rows.filter((r) => r.prev !== null && r.prev !== undefined).map((r) => ({ scanId: r.scan_id as number, startedAt: r.started_at as string, newlyDrifted: Number(r.newly), fixed: Number(r.fixed) }));
}

async function subscriptionNames(store: HistoryStore, upTo: number): Promise<Record<string, string>> {
  const rows = await store.query(`SELECT scope_id, arg_max(display_name, scan_id) AS name FROM scan_scopes
    WHERE scan_id <= $1 AND kind = 'subscription' AND display_name IS NOT NULL GROUP BY scope_id ORDER BY scope_id`, [upTo]);
  return Object.fromEntries(rows.map((r) => [r.scope_id as string, r.name as string]));
}

const LIST_COLUMNS = (change: Change, alias: string, ageTo: string) => `'${change}' AS change, ${alias}.machine_id, ${alias}.subscription_id, ${alias}.baseline, ${alias}.rule_id, ${alias}.severity, ${alias}.expected, ${alias}.reason,
  ${ISO(`${alias}.first_seen`)} AS first_seen, date_diff('day', ${alias}.first_seen, ${ageTo}) AS age_days`;

/**
 * The three machine lists between `prev` and `latest`, with the same definitions as `compareScans`:
 * newly drifted = unwaived in latest, not in prev; fixed = unwaived in prev, not in latest, in a
 * subscription latest read; still drifting = in both (age from `first_seen`).
 */
async function machineLists(store: HistoryStore, prev: number, latest: number, limit: number | undefined): Promise<Pick<FleetReportModel, 'newlyDrifted' | 'fixed' | 'stillDrifting'>> {
  const at = (id: number) => `(SELECT started_at FROM scans WHERE scan_id = ${id})`;
  const key = (x: string, y: string) => `${x}.machine_id = ${y}.machine_id AND ${x}.baseline = ${y}.baseline AND ${x}.rule_id = ${y}.rule_id`;
  const newly = `FROM findings b WHERE b.scan_id = ${latest} AND NOT b.waived AND NOT EXISTS (SELECT 1 FROM findings a WHERE a.scan_id = ${prev} AND NOT a.waived AND ${key('a', 'b')})`;
  const fixed = `FROM findings a WHERE a.scan_id = ${prev} AND NOT a.waived
      AND a.subscription_id IN (SELECT scope_id FROM scan_scopes WHERE scan_id = ${latest} AND kind = 'subscription' AND status = 'ok')
      AND NOT EXISTS (SELECT 1 FROM findings b WHERE b.scan_id = ${latest} AND NOT b.waived AND ${key('a', 'b')})`;
  const still = `FROM findings b WHERE b.scan_id = ${latest} AND NOT b.waived AND EXISTS (SELECT 1 FROM findings a WHERE a.scan_id = ${prev} AND NOT a.waived AND ${key('a', 'b')})`;
  const newlyDrifted = await list(store, newly, LIST_COLUMNS('newly-drifted', 'b', at(latest)), 'b', limit);
  const fixedList = await list(store, fixed, LIST_COLUMNS('fixed', 'a', at(latest)), 'a', limit);
  const stillDrifting = await list(store, still, LIST_COLUMNS('still-drifting', 'b', at(latest)), 'b', limit);
  return { newlyDrifted, fixed: fixedList, stillDrifting };
}

/** With one scan only, everything it found is "still drifting" since its first sighting, and nothing is new or fixed. */
async function currentAsStill(store: HistoryStore, latest: number, limit: number | undefined): Promise<Pick<FleetReportModel, 'newlyDrifted' | 'fixed' | 'stillDrifting'>> {
  const at = `(SELECT started_at FROM scans WHERE scan_id = ${latest})`;
  return {
    newlyDrifted: { total: 0, rows: [] },
    fixed: { total: 0, rows: [] },
    stillDrifting: await list(store, `FROM findings b WHERE b.scan_id = ${latest} AND NOT b.waived`, LIST_COLUMNS('still-drifting', 'b', at), 'b', limit),
  };
}

async function list(store: HistoryStore, from: string, columns: string, alias: string, limit: number | undefined): Promise<MachineList> {
  const count = await store.query(`SELECT count(*) AS n ${from}`);
  const rows = limit === 0 ? [] : await store.query(`SELECT ${columns} ${from}
      ORDER BY ${SEVERITY_RANK.replaceAll('severity', `${alias}.severity`)}, ${alias}.first_seen, ${alias}.machine_id, ${alias}.baseline, ${alias}.rule_id
      ${limit === undefined ? '' : `LIMIT ${Math.floor(limit)}`}`);
  return {
    total: Number(count[0]!.n),
    rows: rows.map((r) => ({
      change: r.change as Change,
      machineId: r.machine_id as string,
      subscriptionId: r.subscription_id as string,
      baseline: r.baseline as string,
      ruleId: r.rule_id as string,
      severity: r.severity as string,
      expected: r.expected as string,
      reason: r.reason as string,
      firstSeen: r.first_seen as string,
      ageDays: Number(r.age_days),
    })),
  };
}
