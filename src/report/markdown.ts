/**
 * Markdown for `$GITHUB_STEP_SUMMARY`, Azure Pipelines `##vso[task.uploadsummary]` and PR
 * comments: a headline with the counts, source warnings as a GitHub alert, a table of every rule
 * that needs attention (failures first), waivers, and the passing rules folded away in `<details>`.
 * All text from baselines and machines is escaped (`escapeMarkdownCell`), so a pipe in registry
 * data cannot split a row and `<script>` cannot become HTML.
 */
import { formatLocation } from '../core/diagnostics.js';
import type { Report, RuleResult, RuleStatus } from '../evaluate/result.js';
import { escapeMarkdown, escapeMarkdownCell } from './markdown-text.js';
import { summaryLine } from './table.js';

const STATUS_LABEL: Record<RuleStatus, string> = {
  pass: '✅ pass',
  fail: '❌ fail',
  error: '⚠️ error',
  waived: '🔕 waived',
  skipped: '⏭️ skipped',
};

const ATTENTION_ORDER: Record<RuleStatus, number> = { fail: 0, error: 1, waived: 2, skipped: 3, pass: 4 };

function headline(report: Report): string {
  const s = report.summary;
  if (s.error > 0) return `## ⚠️ driftscan: ${s.error} ${s.error === 1 ? 'rule' : 'rules'} could not be evaluated`;
  if (s.fail > 0) return `## ❌ driftscan: ${s.fail} of ${s.total} ${s.total === 1 ? 'rule' : 'rules'} failed`;
  return `## ✅ driftscan: no failing rules (${s.total} evaluated)`;
}

function ruleCell(r: RuleResult): string {
  return `${escapeMarkdownCell(`${r.baseline}/${r.ruleId}`)}<br>${escapeMarkdownCell(formatLocation(r.location))}`;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** Renders the report as GitHub-flavoured Markdown. */
export function renderMarkdown(report: Report): string {
  const out: string[] = [headline(report), ''];
  out.push(`**${summaryLine(report.summary)}** · ${escapeMarkdown(`${report.tool.name} ${report.tool.version}`)}`);
  if (report.sources.length) out.push('', `Sources: ${report.sources.map((s) => escapeMarkdown(s.replace(/\s+/g, ' '))).join(', ')}`);
  if (report.notices.length) {
    out.push('', '> [!WARNING]');
    for (const n of report.notices) out.push(`> ${escapeMarkdown(n.replace(/\s+/g, ' '))}  `);
  }

  // Failures first: a PR comment is read top-down and is often cut off.
  const attention = report.results.filter((r) => r.status !== 'pass').sort((a, b) => ATTENTION_ORDER[a.status] - ATTENTION_ORDER[b.status]);
  if (attention.length) {
    out.push('', row(['Status', 'Severity', 'Rule', 'Title', 'Expected', 'Found / reason']), row(['---', '---', '---', '---', '---', '---']));
    for (const r of attention) {
      const found = r.status === 'fail' || r.status === 'waived' ? r.actual : r.message;
      out.push(row([STATUS_LABEL[r.status], r.severity, ruleCell(r), escapeMarkdownCell(r.title), escapeMarkdownCell(r.expected), escapeMarkdownCell(found)]));
    }
  }

  const waived = report.results.filter((r) => r.status === 'waived' && r.waiver);
  if (waived.length) {
    out.push('', '### Waivers', '');
    for (const r of waived) {
      const w = r.waiver!;
      out.push(`- ${escapeMarkdown(`${r.baseline}/${r.ruleId}`)}: ${escapeMarkdown(w.reason.replace(/\s+/g, ' '))} (owner ${escapeMarkdown(w.owner)}, expires ${escapeMarkdown(w.expires)})`);
    }
  }

  const passed = report.results.filter((r) => r.status === 'pass');
  if (passed.length) {
    // A blank line after <summary> lets GitHub render the Markdown table inside the HTML block.
    out.push('', `<details><summary>${passed.length} passing ${passed.length === 1 ? 'rule' : 'rules'}</summary>`, '');
    out.push(row(['Severity', 'Rule', 'Title', 'Found']), row(['---', '---', '---', '---']));
    for (const r of passed) out.push(row([r.severity, ruleCell(r), escapeMarkdownCell(r.title), escapeMarkdownCell(r.actual)]));
    out.push('', '</details>');
  }
  return `${out.join('\n')}\n`;
}
