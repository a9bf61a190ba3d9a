/**
 * What every fleet report says, in the same words whatever the format: the headline numbers, the
 * label of a scan, of a subscription, of a machine. The writers (one file per format) only lay
 * these out.
 */
import type { FleetReportModel, KeyedCompliancePoint, RemediationSection } from '../fleet/report-model.js';
import type { ScanRecord } from '../fleet/history/store.js';

export const FLEET_REPORT_FORMATS = ['table', 'json', 'csv', 'markdown', 'html'] as const;
export type FleetReportFormat = (typeof FLEET_REPORT_FORMATS)[number];

/** Rows per machine list when `--limit` is not given: what a page or a summary can show. */
export const DEFAULT_LIMIT: Record<FleetReportFormat, number | undefined> = { table: 50, markdown: 100, html: 2000, json: undefined, csv: undefined };

export function scanLabel(s: ScanRecord): string {
  return `scan ${s.scanId} (${s.startedAt.replace('T', ' ').replace(/:\d\dZ$/, ' UTC')}${s.complete ? '' : ', incomplete'})`;
}

export function comparedLine(m: FleetReportModel): string {
  if (!m.previous) return `${scanLabel(m.latest)}: the only scan recorded, nothing to compare with`;
  return `${scanLabel(m.latest)} compared with ${scanLabel(m.previous)}${m.since ? ` (the scan closest to ${m.since} before it)` : ''}`;
}

/** `name (id)` when the store knows the subscription's display name. */
export function subscriptionLabel(m: FleetReportModel, id: string): string {
  const name = m.subscriptionNames[id];
  return name ? `${name} (${id})` : id;
}

/** The last segment of an ARM id: the machine's name. */
export function machineName(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1);
}

export function percentText(p: number | null): string {
  return p === null ? '–' : `${p.toFixed(1)}%`;
}

/** The latest point per key (baseline or subscription), most non-compliant first. */
export function latestByKey(points: readonly KeyedCompliancePoint[], latestScan: number): KeyedCompliancePoint[] {
  return points.filter((p) => p.scanId === latestScan).sort((a, b) => b.nonCompliant - a.nonCompliant || a.key.localeCompare(b.key));
}

export interface Headline {
  label: string;
  value: string;
}

export function headline(m: FleetReportModel): Headline[] {
  const last = m.compliance[m.compliance.length - 1];
  const first = m.previous ? m.compliance.find((p) => p.scanId === m.previous!.scanId) : undefined;
  const delta = m.previous && last?.percentCompliant != null && first?.percentCompliant != null ? last.percentCompliant - first.percentCompliant : null;
  return [
    { label: 'Compliant', value: `${percentText(last?.percentCompliant ?? null)}${delta === null ? '' : ` (${delta >= 0 ? '+' : '−'}${Math.abs(delta).toFixed(1)} pts)`}` },
    { label: 'Machine × baseline pairs', value: String(m.latest.machines) },
    { label: 'Non-compliant', value: String(m.latest.noncompliantMachines) },
    { label: 'Newly drifted', value: String(m.totals.newlyDrifted) },
    { label: 'Fixed', value: String(m.totals.fixed) },
    { label: 'Still drifting', value: String(m.totals.stillDrifting) },
  ];
}

export const LIST_TITLES = { newlyDrifted: 'Newly drifted', fixed: 'Fixed', stillDrifting: 'Still drifting' } as const;
export const LIST_KEYS = ['newlyDrifted', 'fixed', 'stillDrifting'] as const;

/** "showing 100 of 2,345" when a list was cut by the limit. */
export function shownNote(total: number, rows: readonly unknown[]): string | null {
  return rows.length < total ? `showing ${rows.length} of ${total} (most severe, then longest drifting, first; --limit N or --format csv for more)` : null;
}

/** One sentence on what remediate did for the compared scans: tasks by state, machines by result. */
export function remediationLine(r: RemediationSection): string {
  const tally = (pairs: Array<[string, number]>) => {
    const m = new Map<string, number>();
    for (const [k, n] of pairs) m.set(k, (m.get(k) ?? 0) + n);
    return [...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${n} ${k}`).join(', ');
  };
  const scans = r.fromScan === r.toScan ? `scan ${r.toScan}` : `scans ${r.fromScan}–${r.toScan}`;
  const machines = new Map<string, number>();
  for (const x of r.byRule) machines.set(x.result, (machines.get(x.result) ?? 0) + x.machines);
  return `remediation of ${scans}: ${r.tasks.length} task${r.tasks.length === 1 ? '' : 's'} (${tally(r.tasks.map((t) => [t.state, 1]))}); machine × rule results: ${tally([...machines])}`;
}

export function unreadNote(m: FleetReportModel): string | null {
  if (m.unreadInLatest.length === 0) return null;
  return `the latest scan could not read ${m.unreadInLatest.map((u) => `${u.scopeId} (${u.status})`).join(', ')}: findings there are neither fixed nor current`;
}
