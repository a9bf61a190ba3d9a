/**
 * Trends from the history store, in SQL that DuckDB answers from its columnar scans: a year of
 * weekly scans of a 100,000-machine fleet is ~52 × (findings of one scan) rows, and every query
 * below filters on `scan_id` (kept clustered by the append order) before it joins.
 *
 * - `compareScans`: between two scans, per rule (with baseline) — newly drifted, fixed, still
 *   drifting and the oldest still-drifting `first_seen`. "Fixed" counts only subscriptions that the
 *   later scan read (a forbidden subscription is not fixed).
 * - `complianceOverTime`: machines per scan × baseline (or subscription) × compliance.
 * - `findingsOverTime`: unwaived findings per scan × rule, baseline or subscription.
 */
import type { HistoryStore } from './store.js';

export interface RuleTrend {
  baseline: string;
  ruleId: string;
  severity: string;
  newlyDrifted: number;
  fixed: number;
  stillDrifting: number;
  /** Oldest `first_seen` among the still-drifting, ISO date-time, or null. */
  oldestFirstSeen: string | null;
  /** Days from that oldest first sighting to the later scan. */
  maxAgeDays: number | null;
}

export async function latestTwoScans(store: HistoryStore): Promise<{ previous?: number; latest?: number }> {
  const rows = await store.query('SELECT scan_id FROM scans ORDER BY scan_id DESC LIMIT 2');
  return { ...(rows[0] ? { latest: rows[0].scan_id as number } : {}), ...(rows[1] ? { previous: rows[1].scan_id as number } : {}) };
}

export async function compareScans(store: HistoryStore, previous: number, latest: number): Promise<RuleTrend[]> {
  const rows = await store.query(`
    WITH a AS (SELECT machine_id, baseline, rule_id, severity, subscription_id FROM findings WHERE scan_id = $1 AND NOT waived),
         b AS (SELECT machine_id, baseline, rule_id, severity, first_seen FROM findings WHERE scan_id = $2 AND NOT waived),
         read_by_b AS (SELECT scope_id FROM scan_scopes WHERE scan_id = $2 AND kind = 'subscription' AND status = 'ok'),
         joined AS (
           SELECT coalesce(b.baseline, a.baseline) AS baseline, coalesce(b.rule_id, a.rule_id) AS rule_id,
                  coalesce(b.severity, a.severity) AS severity, a.machine_id IS NOT NULL AS in_a, b.machine_id IS NOT NULL AS in_b,
                  a.subscription_id AS a_sub, b.first_seen
           FROM a FULL OUTER JOIN b ON a.machine_id = b.machine_id AND a.baseline = b.baseline AND a.rule_id = b.rule_id)
    SELECT baseline, rule_id, any_value(severity) AS severity,
           count(*) FILTER (WHERE in_b AND NOT in_a) AS newly,
           count(*) FILTER (WHERE in_a AND NOT in_b AND a_sub IN (SELECT scope_id FROM read_by_b)) AS fixed,
           count(*) FILTER (WHERE in_a AND in_b) AS still,
           strftime(min(first_seen) FILTER (WHERE in_a AND in_b) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS oldest,
           date_diff('day', min(first_seen) FILTER (WHERE in_a AND in_b), (SELECT started_at FROM scans WHERE scan_id = $2)) AS age
    FROM joined GROUP BY baseline, rule_id ORDER BY baseline, rule_id`, [previous, latest]);
  return rows.map((r) => ({
    baseline: r.baseline as string,
    ruleId: r.rule_id as string,
    severity: r.severity as string,
    newlyDrifted: Number(r.newly),
    fixed: Number(r.fixed),
    stillDrifting: Number(r.still),
    oldestFirstSeen: (r.oldest as string | null) ?? null,
    maxAgeDays: r.age === null || r.age === undefined ? null : Number(r.age),
  }));
}

export type TrendDimension = 'baseline' | 'subscription' | 'rule';

const COLUMN: Record<TrendDimension, string> = { baseline: 'f.baseline', subscription: 'f.subscription_id', rule: "f.baseline || '/' || f.rule_id" };

export async function findingsOverTime(store: HistoryStore, by: TrendDimension): Promise<Array<{ scanId: number; startedAt: string; key: string; findings: number }>> {
  const rows = await store.query(`SELECT f.scan_id, strftime(any_value(s.started_at) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS started_at, ${COLUMN[by]} AS key, count(*) AS n
    FROM findings f JOIN scans s USING (scan_id) WHERE NOT f.waived GROUP BY f.scan_id, key ORDER BY f.scan_id, key`);
  return rows.map((r) => ({ scanId: r.scan_id as number, startedAt: r.started_at as string, key: r.key as string, findings: Number(r.n) }));
}

/** `scans` limits the series to scan ids from `from` to `to` (inclusive). */
export async function complianceOverTime(store: HistoryStore, by: 'baseline' | 'subscription', scans?: { from: number; to: number }): Promise<Array<{ scanId: number; startedAt: string; key: string; compliance: string; machines: number }>> {
  const col = by === 'baseline' ? 't.baseline' : 't.subscription_id';
  const rows = await store.query(`SELECT t.scan_id, strftime(any_value(s.started_at) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS started_at, ${col} AS key, t.compliance, sum(t.machines) AS n
    FROM compliance_totals t JOIN scans s USING (scan_id) ${scans ? 'WHERE t.scan_id BETWEEN $1 AND $2' : ''}
    GROUP BY t.scan_id, key, t.compliance ORDER BY t.scan_id, key, t.compliance`, scans ? [scans.from, scans.to] : []);
  return rows.map((r) => ({ scanId: r.scan_id as number, startedAt: r.started_at as string, key: r.key as string, compliance: r.compliance as string, machines: Number(r.n) }));
}
