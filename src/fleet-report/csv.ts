/**
 * `report --format csv`: one row per machine × baseline × rule that changed or still drifts between
 * the two scans compared (RFC 4180), for spreadsheets. Text a spreadsheet would run as a formula
 * (`=`, `+`, `-`, `@`, tab or CR first — OWASP's CSV injection list) gets a leading `'`: the reasons
 * come from the machines, and a machine must not put a formula in an auditor's sheet.
 */
import type { FleetReportModel } from '../fleet/report-model.js';
import { LIST_KEYS } from './facts.js';

const HEADER = ['change', 'machine_id', 'subscription_id', 'subscription_name', 'baseline', 'rule_id', 'severity', 'expected', 'reason', 'first_seen', 'age_days'];

export function csvCell(v: string | number): string {
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(m: FleetReportModel): string {
  const lines = [HEADER.join(',')];
  for (const key of LIST_KEYS) {
    for (const f of m[key].rows) {
      lines.push([f.change, f.machineId, f.subscriptionId, m.subscriptionNames[f.subscriptionId] ?? '', f.baseline, f.ruleId, f.severity, f.expected, f.reason, f.firstSeen, f.ageDays].map(csvCell).join(','));
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}
