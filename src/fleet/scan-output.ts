/**
 * A recorded scan as `--format table|json|markdown|csv`, read back from the history store so the
 * output is exactly what was committed. Findings are streamed from DuckDB chunk by chunk and
 * written as they come, so a fleet's worth of findings never sits in memory as one string.
 *
 * - json: `{ summary, scopes[], totals[], findings[] }`; each finding has machineId, subscriptionId,
 *   baseline, ruleId, severity, expected, reason, firstSeen, waived (and waiverReason).
 * - csv: the findings, one per line (RFC 4180 quoting), with a header.
 * - table / markdown: totals per baseline, scopes that failed, and failing rules with their machine
 *   counts (per-machine rows are in json and csv).
 */
import type { HistoryStore } from './history/store.js';

export const SCAN_FORMATS = ['table', 'json', 'markdown', 'csv'] as const;
export type ScanFormat = (typeof SCAN_FORMATS)[number];

const COMPLIANCE = ['Compliant', 'NonCompliant', 'Waived', 'Pending', 'Missing'] as const;

export interface ScanSummary {
  scanId: number;
  startedAt: string;
  finishedAt: string;
  complete: boolean;
  exitCode: number;
  baselines: string[];
  machines: number;
  compliance: Record<(typeof COMPLIANCE)[number], number>;
  findings: number;
  waivedFindings: number;
  requests: number;
}

const FINDING_SQL = `SELECT machine_id AS machineId, subscription_id AS subscriptionId, baseline, rule_id AS ruleId, severity, expected, reason,
  strftime(first_seen AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS firstSeen, waived, waiver_reason AS waiverReason
  FROM findings WHERE scan_id = $1 ORDER BY waived, subscription_id, machine_id, baseline, rule_id`;

export async function scanSummary(store: HistoryStore, scanId: number): Promise<ScanSummary> {
  const [scan] = (await store.listScans()).filter((s) => s.scanId === scanId);
  if (!scan) throw new Error(`scan ${scanId} is not in the store`);
  const totals = await store.query('SELECT compliance, sum(machines) AS n FROM compliance_totals WHERE scan_id = $1 GROUP BY compliance', [scanId]);
  const waived = await store.query('SELECT count(*) AS n FROM findings WHERE scan_id = $1 AND waived', [scanId]);
  const compliance = Object.fromEntries(COMPLIANCE.map((c) => [c, Number(totals.find((t) => t.compliance === c)?.n ?? 0)])) as ScanSummary['compliance'];
  return {
    scanId,
    startedAt: scan.startedAt,
    finishedAt: scan.finishedAt,
    complete: scan.complete,
    exitCode: scan.exitCode,
    baselines: scan.baselines,
    machines: scan.machines,
    compliance,
    findings: scan.findings,
    waivedFindings: Number(waived[0]?.n ?? 0),
    requests: scan.requests,
  };
}

/** `Compliant 10, NonCompliant 2, …` for the one-line summary on stderr. */
export function summaryLine(s: ScanSummary): string {
  return `${s.machines} machine × baseline pairs: ${COMPLIANCE.map((c) => `${s.compliance[c]} ${c}`).join(', ')}; ${s.findings} failing ${s.findings === 1 ? 'rule' : 'rules'}${s.complete ? '' : '; scan incomplete'}`;
}

function mdCell(v: unknown): string {
  return String(v ?? '').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Columns padded to their widest cell. */
function textTable(head: string[], rows: unknown[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => String(c ?? '')))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

function mdTable(head: string[], rows: unknown[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)].join('\n');
}

export async function writeScanReport(store: HistoryStore, scanId: number, format: ScanFormat, write: (chunk: string | Uint8Array) => void): Promise<void> {
  const summary = await scanSummary(store, scanId);
  const scopes = await store.query(`SELECT scope_id AS id, kind, display_name AS displayName, status, error FROM scan_scopes WHERE scan_id = $1 ORDER BY status <> 'ok' DESC, scope_id`, [scanId]);
  if (format === 'csv') {
    // Header: machineId,subscriptionId,baseline,ruleId,severity,expected,reason,firstSeen,waived,waiverReason (FINDING_SQL's names).
    if (!Number.isSafeInteger(scanId)) throw new RangeError(`scan id ${scanId}`);
    await store.streamCsv(FINDING_SQL.replace('$1', String(scanId)), write);
    return;
  }
  if (format === 'json') {
    const totals = await store.query('SELECT subscription_id AS subscriptionId, baseline, compliance, machines FROM compliance_totals WHERE scan_id = $1 ORDER BY ALL', [scanId]);
    write(`{\n  "summary": ${JSON.stringify(summary)},\n  "scopes": ${JSON.stringify(scopes.map((s) => ({ id: s.id, kind: s.kind, ...(s.displayName ? { displayName: s.displayName } : {}), status: s.status, error: s.error ?? null })))},\n  "totals": ${JSON.stringify(totals)},\n  "findings": [`);
    let first = true;
    await streamFindings(store, scanId, (f) => {
      const { waiverReason, ...rest } = f;
      write(`${first ? '\n' : ',\n'}    ${JSON.stringify({ ...rest, ...(waiverReason ? { waiverReason } : {}) })}`);
      first = false;
    });
    write(`${first ? '' : '\n  '}]\n}\n`);
    return;
  }
  const perBaseline = await store.query(`SELECT baseline, ${COMPLIANCE.map((c) => `sum(machines) FILTER (WHERE compliance = '${c}') AS "${c}"`).join(', ')} FROM compliance_totals WHERE scan_id = $1 GROUP BY baseline ORDER BY baseline`, [scanId]);
  const rules = await store.query(`SELECT baseline, rule_id, severity, count(*) AS machines, bool_or(waived) AS waived, any_value(expected) AS expected FROM findings WHERE scan_id = $1
    GROUP BY baseline, rule_id, severity ORDER BY waived, CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, machines DESC, baseline, rule_id`, [scanId]);
  const failedScopes = scopes.filter((s) => s.status !== 'ok');
  const baselineRows = perBaseline.map((r) => [r.baseline, ...COMPLIANCE.map((c) => r[c] ?? 0)]);
  const ruleRows = rules.map((r) => [r.baseline, r.rule_id, r.severity, r.waived ? 'waived' : 'fail', r.machines, r.expected]);
  const scopeRows = failedScopes.map((s) => [s.id, s.displayName ?? '', s.status, s.error ?? '']);
  if (format === 'markdown') {
    write(`## driftscan fleet scan ${scanId}\n\n${summaryLine(summary)}.\n\n### Compliance per baseline\n\n${mdTable(['baseline', ...COMPLIANCE], baselineRows)}\n`);
    if (scopeRows.length) write(`\n### Scopes not scanned\n\n${mdTable(['scope', 'name', 'status', 'error'], scopeRows)}\n`);
    if (ruleRows.length) write(`\n### Failing rules\n\n${mdTable(['baseline', 'rule', 'severity', 'status', 'machines', 'expected'], ruleRows)}\n`);
    return;
  }
  write(`${textTable(['BASELINE', ...COMPLIANCE.map((c) => c.toUpperCase())], baselineRows)}\n`);
  if (scopeRows.length) write(`\n${textTable(['SCOPE', 'NAME', 'STATUS', 'ERROR'], scopeRows)}\n`);
  if (ruleRows.length) write(`\n${textTable(['BASELINE', 'RULE', 'SEVERITY', 'STATUS', 'MACHINES', 'EXPECTED'], ruleRows)}\n`);
  write(`\n${summaryLine(summary)}\n`);
}

interface FindingOut {
  machineId: string;
  subscriptionId: string;
  baseline: string;
  ruleId: string;
  severity: string;
  expected: string;
  reason: string;
  firstSeen: string;
  waived: boolean;
  waiverReason: string | null;
}

async function streamFindings(store: HistoryStore, scanId: number, each: (f: FindingOut) => void): Promise<void> {
  const result = await store.connection.stream(FINDING_SQL, [scanId]);
  for await (const chunk of result.yieldRowObjectJson()) for (const row of chunk) each(row as unknown as FindingOut);
}
