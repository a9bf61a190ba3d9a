/** `report --format table`: the report for a terminal — headline, top rules, and the machine lists cut at --limit (50). */
import type { FleetReportModel } from '../fleet/report-model.js';
import { comparedLine, headline, LIST_KEYS, LIST_TITLES, machineName, remediationLine, shownNote, unreadNote } from './facts.js';

function pad(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** Terminal text: control characters in machine-reported text would move the cursor or recolour it. */
const clean = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');

export function renderTable(m: FleetReportModel): string {
  const out = [comparedLine(m)];
  const unread = unreadNote(m);
  if (unread) out.push(`warning: ${unread}`);
  out.push('', ...pad(headline(m).map((h) => [`${h.label}:`, h.value])));
  if (m.rules.length > 0) {
    out.push('', 'TOP DRIFTING RULES');
    out.push(...pad([['BASELINE', 'RULE', 'SEVERITY', 'NOW', 'NEW', 'FIXED', 'STILL', 'OLDEST (DAYS)'],
      ...m.rules.slice(0, 15).map((r) => [r.baseline, r.ruleId, r.severity, String(r.newlyDrifted + r.stillDrifting), String(r.newlyDrifted), String(r.fixed), String(r.stillDrifting), r.maxAgeDays === null ? '' : String(r.maxAgeDays)])]));
  }
  for (const key of LIST_KEYS) {
    const list = m[key];
    out.push('', `${LIST_TITLES[key].toUpperCase()} (${list.total})`);
    if (list.rows.length > 0) {
      out.push(...pad([['MACHINE', 'BASELINE', 'RULE', 'SEVERITY', 'AGE (DAYS)', key === 'fixed' ? 'REASON (BEFORE)' : 'REASON'],
        ...list.rows.map((f) => [machineName(f.machineId), f.baseline, f.ruleId, f.severity, String(f.ageDays), clean(f.reason)].map(clean))]));
    }
    const note = shownNote(list.total, list.rows);
    if (note) out.push(note);
  }
  if (m.remediation) {
    const r = m.remediation;
    out.push('', 'REMEDIATION', remediationLine(r));
    if (r.byRule.length > 0) out.push(...pad([['BASELINE', 'RULE', 'RESULT', 'MACHINES'], ...r.byRule.map((x) => [x.baseline, x.ruleId, x.result, String(x.machines)].map(clean))]));
    if (r.failed.rows.length > 0) {
      out.push('', `REMEDIATION FAILED (${r.failed.total})`);
      out.push(...pad([['MACHINE', 'BASELINE', 'RULE', 'ERROR'], ...r.failed.rows.map((f) => [machineName(f.machineId), f.baseline, f.ruleId, f.error ?? ''].map(clean))]));
      const note = shownNote(r.failed.total, r.failed.rows);
      if (note) out.push(note);
    }
  }
  return `${out.join('\n')}\n`;
}
