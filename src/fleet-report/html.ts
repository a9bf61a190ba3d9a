/**
 * `report --format html`: one self-contained file — inline CSS, the charts as inline SVG
 * (charts.ts), the tables as HTML rows and a small inline script that sorts and filters them. It
 * opens offline and asks for nothing over the network: the Content-Security-Policy allows no
 * source at all except inline styles, `data:` images and this one script by its SHA-256 hash, so
 * even a value that slipped through escaping could not load or run anything.
 *
 * The rows are HTML (not data a script renders) so the report reads the same with scripts off,
 * prints, and is searchable with the browser's find. Layout: one column that fits a phone
 * (~390 px), wider tables scroll inside their own box, never the page.
 */
import { createHash } from 'node:crypto';
import type { FleetReportModel, KeyedCompliancePoint, MachineFinding } from '../fleet/report-model.js';
import { SEVERITY_ORDER } from '../fleet/report-model.js';
import { renderCharts, type Chart } from './charts.js';
import { comparedLine, headline, latestByKey, LIST_KEYS, LIST_TITLES, machineName, percentText, remediationLine, shownNote, subscriptionLabel, unreadNote } from './facts.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
:root { color-scheme: light; --fg: #1d2330; --muted: #5b6475; --line: #d9dee7; --bg: #f6f7f9; --accent: #1f5fbf; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); overflow-wrap: anywhere; }
main { max-width: 1240px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.5rem; margin: 0 0 4px; } h2 { font-size: 1.15rem; margin: 28px 0 8px; }
p.sub { color: var(--muted); margin: 0 0 16px; }
.warn { background: #fff4e0; border: 1px solid #e6a23c; padding: 8px 12px; border-radius: 6px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .label { display: block; color: var(--muted); font-size: .85rem; }
.card .value { display: block; font-size: 1.35rem; font-weight: 600; }
.charts { display: grid; align-items: start; grid-template-columns: repeat(auto-fit, minmax(min(100%, 560px), 1fr)); gap: 12px; }
figure { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px; min-width: 0; }
figcaption { font-weight: 600; margin-bottom: 6px; }
figure svg { display: block; max-width: 100%; height: auto; }
.narrow { display: none; }
@media (max-width: 640px) { .wide { display: none; } .narrow { display: block; } main { padding: 10px; } }
figure p { color: var(--muted); font-size: .85rem; margin: 6px 0 0; }
.scroll { overflow-x: auto; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: normal; white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.wrap { white-space: normal; min-width: 22ch; max-width: 60ch; overflow-wrap: anywhere; }
th button { font: inherit; font-weight: 600; border: 0; background: none; padding: 0; cursor: pointer; color: inherit; text-align: inherit; }
th[aria-sort=ascending] button::after { content: " \\25B2"; } th[aria-sort=descending] button::after { content: " \\25BC"; }
thead th { position: sticky; top: 0; background: #eef1f6; }
.sev-critical { color: #8e1b10; font-weight: 600; } .sev-high { color: #c0392b; } .sev-medium { color: #b9770e; }
.tools { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 6px 0; }
.tools input { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; width: min(320px, 100%); }
.note { color: var(--muted); font-size: .85rem; }
footer { color: var(--muted); font-size: .8rem; margin: 28px 0 8px; }
`;

/** Sorting (numbers by data-v) and filtering (every word must appear in the row) of the tables. */
const SCRIPT = `(function () {
  function val(td) { var v = td.getAttribute('data-v'); return v === null ? td.textContent.trim().toLowerCase() : v; }
  document.querySelectorAll('table.sortable').forEach(function (t) {
    var ths = t.tHead.rows[0].cells;
    Array.prototype.forEach.call(ths, function (th, i) {
      var b = th.querySelector('button'); if (!b) return;
      b.addEventListener('click', function () {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(ths, function (o) { o.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var num = th.classList.contains('n');
        var body = t.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = val(a.cells[i]), y = val(b.cells[i]);
          var c = num ? Number(x) - Number(y) : x.localeCompare(y);
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  document.querySelectorAll('input[data-filter]').forEach(function (input) {
    var id = input.getAttribute('data-filter');
    var t = document.getElementById(id), count = document.getElementById(id + '-count');
    input.hidden = false;
    input.addEventListener('input', function () {
      var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean), shown = 0, rows = t.tBodies[0].rows;
      Array.prototype.forEach.call(rows, function (r) {
        var text = r.textContent.toLowerCase();
        var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
        r.hidden = !ok; if (ok) shown++;
      });
      count.textContent = words.length ? shown + ' of ' + rows.length + ' rows match' : '';
    });
  });
})();`;

export const SCRIPT_HASH = `sha256-${createHash('sha256').update(SCRIPT).digest('base64')}`;
export const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'unsafe-inline'; script-src '${SCRIPT_HASH}'; img-src data:; base-uri 'none'; form-action 'none'`;

interface Column<T> {
  head: string;
  num?: boolean;
  cls?: string;
  text: (row: T) => string;
  /** Sort key when it differs from the text. */
  sort?: (row: T) => string | number;
  /** Hover text. */
  title?: (row: T) => string;
}

function table<T>(id: string, caption: string, columns: ReadonlyArray<Column<T>>, rows: readonly T[], filter: boolean): string {
  const head = columns.map((c) => `<th scope="col"${c.num ? ' class="n"' : ''}><button type="button">${escapeHtml(c.head)}</button></th>`).join('');
  const body = rows.map((r) => `<tr>${columns.map((c) => {
    const cls = [c.num ? 'n' : '', c.cls ? c.cls.replace('$', c.text(r).toLowerCase()) : ''].filter(Boolean).join(' ');
    const sort = c.sort ? ` data-v="${escapeHtml(String(c.sort(r)))}"` : c.num ? ` data-v="${escapeHtml(c.text(r))}"` : '';
    const title = c.title ? ` title="${escapeHtml(c.title(r))}"` : '';
    return `<td${cls ? ` class="${escapeHtml(cls)}"` : ''}${sort}${title}>${escapeHtml(c.text(r))}</td>`;
  }).join('')}</tr>`).join('\n');
  const tools = filter ? `<div class="tools"><input type="search" data-filter="${id}" placeholder="Filter rows…" aria-label="Filter ${escapeHtml(caption)}" hidden><span class="note" id="${id}-count" aria-live="polite"></span></div>` : '';
  return `${tools}<div class="scroll"><table class="sortable" id="${id}" aria-label="${escapeHtml(caption)}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

const SEVERITY_RANK = (s: string) => {
  const i = (SEVERITY_ORDER as readonly string[]).indexOf(s.toLowerCase());
  return i < 0 ? SEVERITY_ORDER.length : i;
};

function compliancePointsTable(m: FleetReportModel, id: string, caption: string, points: readonly KeyedCompliancePoint[], label: (k: string) => string): string {
  return table<KeyedCompliancePoint>(id, caption, [
    { head: caption, text: (p) => label(p.key) },
    { head: 'Compliant', num: true, text: (p) => String(p.compliant) },
    { head: 'Non-compliant', num: true, text: (p) => String(p.nonCompliant) },
    { head: 'Waived', num: true, text: (p) => String(p.waived) },
    { head: 'Pending', num: true, text: (p) => String(p.pending) },
    { head: 'Missing', num: true, text: (p) => String(p.missing) },
    { head: 'Compliant %', num: true, text: (p) => percentText(p.percentCompliant), sort: (p) => p.percentCompliant ?? -1 },
  ], points, points.length > 10);
}

function machineTable(m: FleetReportModel, id: string, caption: string, fixed: boolean, rows: readonly MachineFinding[]): string {
  return table<MachineFinding>(id, caption, [
    { head: 'Machine', text: (f) => machineName(f.machineId), title: (f) => f.machineId },
    { head: 'Subscription', text: (f) => m.subscriptionNames[f.subscriptionId] ?? f.subscriptionId, title: (f) => f.subscriptionId },
    { head: 'Baseline', text: (f) => f.baseline },
    { head: 'Rule', text: (f) => f.ruleId },
    { head: 'Severity', cls: 'sev-$', text: (f) => f.severity, sort: (f) => SEVERITY_RANK(f.severity) },
    { head: 'Expected', cls: 'wrap', text: (f) => f.expected },
    { head: fixed ? 'Reason (before the fix)' : 'Reason', cls: 'wrap', text: (f) => f.reason },
    { head: 'First seen', text: (f) => f.firstSeen.slice(0, 10), sort: (f) => f.firstSeen },
    { head: 'Age (days)', num: true, text: (f) => String(f.ageDays) },
  ], rows, true);
}

function figure(c: Chart): string {
  // Vega's SVG escapes its text; the chart is data drawn by driftscan, not markup from the store.
  return `<figure id="${c.id}" aria-labelledby="${c.id}-title"><figcaption id="${c.id}-title">${escapeHtml(c.title)}</figcaption><div class="wide">${c.svg}</div><div class="narrow">${c.svgNarrow}</div><p>${escapeHtml(c.description)}</p></figure>`;
}

export async function renderHtml(m: FleetReportModel, generatedBy: string): Promise<string> {
  const charts = await renderCharts(m);
  const parts: string[] = [];
  parts.push(`<header><h1>driftscan fleet report</h1><p class="sub">${escapeHtml(comparedLine(m))}</p></header>`);
  const unread = unreadNote(m);
  if (unread) parts.push(`<p class="warn" role="note">${escapeHtml(unread)}</p>`);
  parts.push(`<section class="cards" aria-label="Summary">${headline(m).map((h) => `<div class="card" data-metric="${escapeHtml(h.label)}"><span class="label">${escapeHtml(h.label)}</span><span class="value">${escapeHtml(h.value)}</span></div>`).join('')}</section>`);
  parts.push(`<h2>Trends</h2><section class="charts">${charts.map(figure).join('\n')}</section>`);

  for (const key of LIST_KEYS) {
    const list = m[key];
    const id = `list-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    parts.push(`<section aria-labelledby="${id}-h"><h2 id="${id}-h">${escapeHtml(LIST_TITLES[key])} <span class="note">(<span data-total="${id}">${list.total}</span>)</span></h2>`);
    if (list.total === 0) parts.push('<p class="note">None.</p>');
    else if (list.rows.length > 0) parts.push(machineTable(m, id, `${LIST_TITLES[key]} machines`, key === 'fixed', list.rows));
    const note = shownNote(list.total, list.rows);
    if (note) parts.push(`<p class="note">${escapeHtml(note)}</p>`);
    parts.push('</section>');
  }

  if (m.rules.length > 0) {
    parts.push(`<section aria-labelledby="rules-h"><h2 id="rules-h">Rules</h2>${table('rules', 'Rules', [
      { head: 'Baseline', text: (r) => r.baseline },
      { head: 'Rule', text: (r) => r.ruleId },
      { head: 'Severity', cls: 'sev-$', text: (r) => r.severity, sort: (r) => SEVERITY_RANK(r.severity) },
      { head: 'Drifting now', num: true, text: (r) => String(r.newlyDrifted + r.stillDrifting) },
      { head: 'Newly drifted', num: true, text: (r) => String(r.newlyDrifted) },
      { head: 'Fixed', num: true, text: (r) => String(r.fixed) },
      { head: 'Still drifting', num: true, text: (r) => String(r.stillDrifting) },
      { head: 'Oldest (days)', num: true, text: (r) => (r.maxAgeDays === null ? '' : String(r.maxAgeDays)), sort: (r) => r.maxAgeDays ?? -1 },
    ], m.rules, m.rules.length > 10)}</section>`);
  }
  const baselines = latestByKey(m.byBaseline, m.latest.scanId);
  if (baselines.length > 0) parts.push(`<section aria-labelledby="baselines-h"><h2 id="baselines-h">By baseline (latest scan)</h2>${compliancePointsTable(m, 'baselines', 'Baseline', baselines, (k) => k)}</section>`);
  const subs = latestByKey(m.bySubscription, m.latest.scanId);
  if (subs.length > 0) parts.push(`<section aria-labelledby="subscriptions-h"><h2 id="subscriptions-h">By subscription (latest scan)</h2>${compliancePointsTable(m, 'subscriptions', 'Subscription', subs, (k) => subscriptionLabel(m, k))}</section>`);
  parts.push(`<section aria-labelledby="scans-h"><h2 id="scans-h">Scans</h2>${table('scans', 'Scans', [
    { head: 'Scan', num: true, text: (p) => String(p.scanId) },
    { head: 'Started (UTC)', text: (p) => p.startedAt.replace('T', ' ').replace('Z', '') },
    { head: 'Complete', text: (p) => (p.complete ? 'yes' : 'no') },
    { head: 'Compliant %', num: true, text: (p) => percentText(p.percentCompliant), sort: (p) => p.percentCompliant ?? -1 },
    { head: 'Non-compliant', num: true, text: (p) => String(p.nonCompliant) },
    { head: 'Newly drifted', num: true, text: (p) => { const c = m.changes.find((x) => x.scanId === p.scanId); return c ? String(c.newlyDrifted) : ''; }, sort: (p) => m.changes.find((x) => x.scanId === p.scanId)?.newlyDrifted ?? -1 },
    { head: 'Fixed', num: true, text: (p) => { const c = m.changes.find((x) => x.scanId === p.scanId); return c ? String(c.fixed) : ''; }, sort: (p) => m.changes.find((x) => x.scanId === p.scanId)?.fixed ?? -1 },
  ], m.compliance, false)}</section>`);
  if (m.remediation) {
    const r = m.remediation;
    parts.push(`<section aria-labelledby="remediation-h"><h2 id="remediation-h">Remediation</h2><p>${escapeHtml(remediationLine(r))}</p>${table('remediation', 'Remediation tasks', [
      { head: 'Task', text: (t) => t.taskName },
      { head: 'Scan', num: true, text: (t) => String(t.scanId) },
      { head: 'Mode', text: (t) => t.mode },
      { head: 'Baseline', text: (t) => t.baseline },
      { head: 'State', text: (t) => t.state },
      { head: 'Machines', num: true, text: (t) => String(t.machines) },
      { head: 'Succeeded', num: true, text: (t) => (t.succeeded === null ? '' : String(t.succeeded)), sort: (t) => t.succeeded ?? -1 },
      { head: 'Failed', num: true, text: (t) => (t.failed === null ? '' : String(t.failed)), sort: (t) => t.failed ?? -1 },
    ], r.tasks, r.tasks.length > 10)}<h3>Per rule</h3>${table('remediation-rules', 'Remediation per rule', [
      { head: 'Baseline', text: (x) => x.baseline },
      { head: 'Rule', text: (x) => x.ruleId },
      { head: 'Result', text: (x) => x.result },
      { head: 'Machines', num: true, text: (x) => String(x.machines) },
    ], r.byRule, false)}<h3>Failed (${r.failed.total})</h3>${r.failed.rows.length === 0 ? '<p>None.</p>' : table('remediation-failed', 'Failed remediation', [
      { head: 'Machine', text: (f) => machineName(f.machineId), title: (f) => f.machineId },
      { head: 'Baseline', text: (f) => f.baseline },
      { head: 'Rule', text: (f) => f.ruleId },
      { head: 'Reason', text: (f) => f.reason },
      { head: 'Error', text: (f) => f.error ?? '' },
      { head: 'Task', text: (f) => f.taskName },
    ], r.failed.rows, true)}${(() => { const n = shownNote(r.failed.total, r.failed.rows); return n ? `<p class="note">${escapeHtml(n)}</p>` : ''; })()}</section>`);
  }
  parts.push(`<footer>Generated by ${escapeHtml(generatedBy)} from ${escapeHtml(m.history)}.</footer>`);

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CONTENT_SECURITY_POLICY)}">
<meta name="referrer" content="no-referrer">
<title>driftscan fleet report — scan ${m.latest.scanId}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${parts.join('\n')}
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
