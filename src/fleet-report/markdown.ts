/**
 * `report --format markdown`: for a GitHub Actions step summary ($GITHUB_STEP_SUMMARY), an Azure
 * DevOps build summary (`##vso[task.uploadsummary]`) or a wiki page — GFM tables only (both render
 * them), no HTML beyond `<br>`, every value escaped (src/report/markdown-text.ts). GitHub caps a step
 * summary at 1 MiB, which is why the machine lists are cut at `--limit` (100 by default).
 */
import type { FleetReportModel, MachineFinding } from '../fleet/report-model.js';
import { escapeMarkdown, escapeMarkdownCell } from '../report/markdown-text.js';
import { comparedLine, headline, latestByKey, LIST_KEYS, LIST_TITLES, machineName, percentText, remediationLine, shownNote, subscriptionLabel, unreadNote } from './facts.js';

const cell = (v: string | number) => escapeMarkdownCell(String(v));

function table(head: string[], rows: Array<Array<string | number>>, right: number[] = []): string[] {
  return [
    `| ${head.map(cell).join(' | ')} |`,
    `|${head.map((_, i) => (right.includes(i) ? ' ---: ' : ' --- ')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
}

function machineRows(m: FleetReportModel, rows: readonly MachineFinding[]): Array<Array<string | number>> {
  return rows.map((f) => [machineName(f.machineId), subscriptionLabel(m, f.subscriptionId), f.baseline, f.ruleId, f.severity, f.expected, f.reason, f.firstSeen.slice(0, 10), f.ageDays]);
}

export function renderMarkdown(m: FleetReportModel): string {
  const out: string[] = ['# driftscan fleet report', '', escapeMarkdown(comparedLine(m)), ''];
  const unread = unreadNote(m);
  if (unread) out.push(`> **Warning:** ${escapeMarkdown(unread)}`, '');
  const h = headline(m);
  out.push(...table(h.map((x) => x.label), [h.map((x) => x.value)]), '');

  out.push('## Compliance over time', '');
  out.push(...table(['Scan', 'Started (UTC)', 'Compliant', 'Non-compliant', 'Waived', 'Pending', 'Missing', 'Compliant %', 'Newly drifted', 'Fixed'],
    m.compliance.map((p) => {
      const c = m.changes.find((x) => x.scanId === p.scanId);
      return [`${p.scanId}${p.complete ? '' : ' (incomplete)'}`, p.startedAt.replace('T', ' ').replace('Z', ''), p.compliant, p.nonCompliant, p.waived, p.pending, p.missing, percentText(p.percentCompliant), c?.newlyDrifted ?? '–', c?.fixed ?? '–'];
    }), [2, 3, 4, 5, 6, 7, 8, 9]), '');

  if (m.rules.length > 0) {
    const top = m.rules.slice(0, 20);
    out.push('## Top drifting rules', '');
    out.push(...table(['Baseline', 'Rule', 'Severity', 'Drifting now', 'Newly drifted', 'Fixed', 'Still drifting', 'Oldest (days)'],
      top.map((r) => [r.baseline, r.ruleId, r.severity, r.newlyDrifted + r.stillDrifting, r.newlyDrifted, r.fixed, r.stillDrifting, r.maxAgeDays ?? '–']), [3, 4, 5, 6, 7]));
    if (m.rules.length > top.length) out.push('', `_${m.rules.length - top.length} more rules in --format json or html._`);
    out.push('');
  }

  for (const [title, points, label] of [
    ['By baseline', latestByKey(m.byBaseline, m.latest.scanId), (k: string) => k],
    ['By subscription', latestByKey(m.bySubscription, m.latest.scanId), (k: string) => subscriptionLabel(m, k)],
  ] as const) {
    if (points.length === 0) continue;
    out.push(`## ${title} (latest scan)`, '');
    out.push(...table([title === 'By baseline' ? 'Baseline' : 'Subscription', 'Compliant', 'Non-compliant', 'Waived', 'Pending', 'Missing', 'Compliant %'],
      points.map((p) => [label(p.key), p.compliant, p.nonCompliant, p.waived, p.pending, p.missing, percentText(p.percentCompliant)]), [1, 2, 3, 4, 5, 6]), '');
  }

  for (const key of LIST_KEYS) {
    const list = m[key];
    out.push(`## ${LIST_TITLES[key]} (${list.total})`, '');
    if (list.total === 0) {
      out.push('None.', '');
      continue;
    }
    if (list.rows.length > 0) out.push(...table(['Machine', 'Subscription', 'Baseline', 'Rule', 'Severity', 'Expected', key === 'fixed' ? 'Reason (before)' : 'Reason', 'First seen', 'Age (days)'], machineRows(m, list.rows), [8]));
    const note = shownNote(list.total, list.rows);
    if (note) out.push('', `_${escapeMarkdown(note)}_`);
    out.push('');
  }
  if (m.remediation) {
    const r = m.remediation;
    out.push('## Remediation', '', escapeMarkdown(remediationLine(r)), '');
    out.push(...table(['Task', 'Scan', 'Mode', 'Baseline', 'State', 'Machines', 'Deployments succeeded', 'Deployments failed'],
      r.tasks.map((t) => [t.taskName, t.scanId, t.mode, t.baseline, t.state, t.machines, t.succeeded ?? '', t.failed ?? '']), [1, 5, 6, 7]), '');
    out.push('### Per rule', '', ...table(['Baseline', 'Rule', 'Result', 'Machines'], r.byRule.map((x) => [x.baseline, x.ruleId, x.result, x.machines]), [3]), '');
    out.push(`### Failed (${r.failed.total})`, '');
    if (r.failed.total === 0) out.push('None.', '');
    else {
      if (r.failed.rows.length > 0) out.push(...table(['Machine', 'Subscription', 'Baseline', 'Rule', 'Reason', 'Error', 'Task'], r.failed.rows.map((f) => [machineName(f.machineId), subscriptionLabel(m, f.subscriptionId), f.baseline, f.ruleId, f.reason, f.error ?? '', f.taskName])));
      const note = shownNote(r.failed.total, r.failed.rows);
      if (note) out.push('', `_${escapeMarkdown(note)}_`);
      out.push('');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}
