/**
 * The terminal/CI-log report (default format): source notices first, one bordered row per rule
 * with expected vs found for every row that is not a pass, then the summary line and waivers.
 * Borders are plain box-drawing characters and colour is opt-in, so a CI log without ANSI
 * support reads the same as a terminal.
 */
// A static import, so the CLI bundle (scripts/bundle-cli.ts) carries the package: loading its 46
// CommonJS files one by one through createRequire cost ~23 ms of every `check` start-up.
import tableLibrary, { type TableUserConfig } from 'table';
import { formatLocation } from '../core/diagnostics.js';
import type { Report, RuleResult, RuleStatus, Summary } from '../evaluate/result.js';
import type { Severity } from '../rules/model.js';
import { showControlCharacters } from './text.js';

export interface TableOptions {
  color?: boolean;
  /** Total width to fit, in terminal columns. */
  width?: number;
}

const SGR = { reset: '\u001b[0m', bold: '\u001b[1m', dim: '\u001b[2m', red: '\u001b[31m', green: '\u001b[32m', yellow: '\u001b[33m', magenta: '\u001b[35m', cyan: '\u001b[36m' };

const STATUS_STYLE: Record<RuleStatus, string> = {
  pass: SGR.green,
  fail: SGR.red + SGR.bold,
  error: SGR.magenta + SGR.bold,
  waived: SGR.yellow,
  skipped: SGR.cyan,
};

const SEVERITY_STYLE: Record<Severity, string> = {
  critical: SGR.red + SGR.bold,
  high: SGR.red,
  medium: SGR.yellow,
  low: '',
};

/** `3 passed, 1 failed, 0 errors, 1 waived, 0 skipped` — the same words the CLI prints to stderr. */
export function summaryLine(s: Summary): string {
  return `${s.pass} passed, ${s.fail} failed, ${s.error} errors, ${s.waived} waived, ${s.skipped} skipped`;
}

/**
 * Cell text the `table` package accepts: it rejects most C0 controls outright, and a raw ESC in
 * registry data would repaint the terminal. Line breaks stay (the package wraps them), tabs
 * become spaces.
 */
function cell(s: string): string {
  return showControlCharacters(s).replace(/\r\n|\r/g, '\n').replace(/\t/g, ' ');
}

function details(r: RuleResult): string {
  switch (r.status) {
    case 'pass':
      return '';
    case 'fail':
      return `expected ${r.expected}\nfound ${r.actual}`;
    case 'waived': {
      const w = r.waiver;
      // The reason can be long; it is printed in full under "Waivers:" below the table.
      const waiver = w ? `\nwaived until ${w.expires} by ${w.owner}` : '';
      return `expected ${r.expected}\nfound ${r.actual}${waiver}`;
    }
    case 'error':
    case 'skipped':
      return r.message;
  }
}

/**
 * Column widths (content only, without padding and borders) that fit `width`: status and
 * severity are fixed, the rule column fits the longest id within limits, title and details
 * share what is left. Below a usable minimum the table overflows rather than becoming unreadable.
 */
function columnWidths(results: readonly RuleResult[], width: number): number[] {
  const status = 7; // "skipped"
  const severity = 8; // "critical", "Severity"
  const longestRule = Math.max(4, ...results.map((r) => Math.max(r.ruleId.length, formatLocation(r.location).length)));
  const overhead = 6 + 5 * 2; // six vertical borders, one space of padding each side of five columns
  const free = Math.max(width - overhead - status - severity, 3 * 12);
  const rule = Math.min(longestRule, Math.max(12, Math.floor(free * 0.42)));
  const rest = Math.max(free - rule, 24);
  const title = Math.max(12, Math.floor(rest * 0.4));
  return [status, severity, rule, title, Math.max(12, rest - title)];
}

/** Renders the table report, ending with a newline. */
export function renderTable(report: Report, options: TableOptions = {}): string {
  const color = options.color === true;
  const paint = (style: string, s: string) => (color && style ? `${style}${s}${SGR.reset}` : s);
  const out: string[] = [];

  for (const n of report.notices) out.push(`${paint(SGR.yellow + SGR.bold, 'warning:')} ${cell(n).replace(/\n/g, ' ')}`);
  if (report.sources.length) out.push(`${paint(SGR.dim, 'sources:')} ${report.sources.map((s) => cell(s).replace(/\n/g, ' ')).join(', ')}`);
  if (out.length) out.push('');

  if (report.results.length === 0) {
    out.push('no rules evaluated');
  } else {
    const header = ['Status', 'Severity', 'Rule', 'Title', 'Expected / found'].map((h) => paint(SGR.bold, h));
    const rows = report.results.map((r) => [
      paint(STATUS_STYLE[r.status], r.status.toUpperCase()),
      paint(SEVERITY_STYLE[r.severity], r.severity),
      `${cell(r.ruleId)}\n${paint(SGR.dim, cell(formatLocation(r.location)))}`,
      cell(r.title),
      cell(details(r)),
    ]);
    const widths = columnWidths(report.results, options.width ?? 120);
    const { getBorderCharacters, table } = tableLibrary;
    const config: TableUserConfig = {
      border: getBorderCharacters('norc'),
      columns: widths.map((w) => ({ width: w, wrapWord: true })),
    };
    out.push(table([header, ...rows], config).trimEnd());
  }

  out.push(paint(SGR.bold, summaryLine(report.summary)));

  const waived = report.results.filter((r) => r.status === 'waived' && r.waiver);
  if (waived.length) {
    out.push('', 'Waivers:');
    for (const r of waived) {
      const w = r.waiver!;
      out.push(`  ${cell(`${r.baseline}/${r.ruleId}`)}: ${cell(w.reason).replace(/\n/g, ' ')} (owner ${cell(w.owner)}, expires ${cell(w.expires)})`);
    }
  }
  return `${out.join('\n')}\n`;
}
