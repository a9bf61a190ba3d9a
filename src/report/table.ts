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
import { drawBoxTable, isPrintableAscii } from './box-table.js';
import { showControlCharacters } from './text.js';
import { isHighSurrogate, wrapLine } from './word-wrap.js';

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

/**
 * Longest text of one field (title, expected, found, message …) the table shows, and how many
 * lines of text of it. A registry value can be megabytes: the table is for people reading a CI
 * log, the JSON report (and SARIF, JUnit, Markdown) carry the full text.
 */
const CELL_CHARACTERS = 2000;
const CELL_LINES = 30;

/**
 * The `table` package's cost grows with the square of a cell's size: it wraps a long line by
 * re-slicing the rest of the line for every output line, and splits a cell into lines by
 * re-slicing the whole cell for every line (40,000 characters took 13 s; 20 MB overflowed its
 * stack). A row up to this many characters goes to it as multi-line cells (well under a
 * millisecond); a bigger one is wrapped here and handed over as one table row per line.
 */
const SMALL_ROW = 1200;

/** Cuts `s` to at most `max` UTF-16 units without splitting a surrogate pair. */
function head(s: string, max: number): string {
  if (s.length <= max) return s;
  return s.slice(0, isHighSurrogate(s.charCodeAt(max - 1)) ? max - 1 : max);
}

const cutMarker = (text: string): string => `… (${text.length} characters in all; the full text is in --format json)`;

/**
 * One field as lines of text: controls shown, and cut with a marker saying so after
 * CELL_CHARACTERS characters or CELL_LINES lines. The rest of a huge field is never looked at.
 */
function fieldLines(text: string): string[] {
  const shown = head(text, CELL_CHARACTERS);
  const lines = cell(shown).split('\n');
  if (shown.length === text.length && lines.length <= CELL_LINES) return lines;
  return [...lines.slice(0, CELL_LINES), cutMarker(text)];
}

/** A one-line field outside the table (notices, sources, waiver reasons): controls shown, cut at CELL_CHARACTERS. */
function oneLine(text: string): string {
  const shown = head(text, CELL_CHARACTERS);
  const cut = shown.length < text.length ? ` ${cutMarker(text)}` : '';
  return `${cell(shown).replace(/\n/g, ' ')}${cut}`;
}

/** The "Expected / found" lines, each field cut on its own so a huge "expected" cannot hide "found". */
function details(r: RuleResult): string[] {
  switch (r.status) {
    case 'pass':
      return [];
    case 'fail':
      return [...fieldLines(`expected ${r.expected}`), ...fieldLines(`found ${r.actual}`)];
    case 'waived': {
      const w = r.waiver;
      // The reason can be long; it is printed in full under "Waivers:" below the table.
      const waiver = w ? fieldLines(`waived until ${w.expires} by ${w.owner}`) : [];
      return [...fieldLines(`expected ${r.expected}`), ...fieldLines(`found ${r.actual}`), ...waiver];
    }
    case 'error':
    case 'skipped':
      return fieldLines(r.message);
  }
}

/** Lines of one cell, each with the SGR style it is painted in ('' for none). */
type CellLines = Array<{ text: string; style: string }>;

const plain = (lines: string[], style = ''): CellLines => lines.map((text) => ({ text, style }));

/**
 * One result as table rows: a multi-line cell per column when the row is small, else one row per
 * line of text, wrapped here (the caller draws no rule between the rows of one result).
 */
function tableRows(cells: CellLines[], widths: readonly number[], paint: (style: string, s: string) => string): string[][] {
  let size = 0;
  for (const c of cells) for (const l of c) size += l.text.length + 1;
  if (size <= SMALL_ROW) {
    // Consecutive lines of one style are painted as one run, so the package sees the text as before.
    return [cells.map((c) => {
      const runs: string[] = [];
      for (let i = 0; i < c.length; ) {
        let j = i;
        while (j < c.length && c[j]!.style === c[i]!.style) j++;
        runs.push(paint(c[i]!.style, c.slice(i, j).map((l) => l.text).join('\n')));
        i = j;
      }
      return runs.join('\n');
    })];
  }
  const columns = cells.map((c, i) => {
    const out: string[] = [];
    for (const l of c) {
      const from = out.length;
      wrapLine(l.text, widths[i]!, out);
      for (let k = from; k < out.length; k++) out[k] = paint(l.style, out[k]!);
    }
    return out;
  });
  const height = Math.max(...columns.map((c) => c.length));
  return Array.from({ length: height }, (_, k) => columns.map((c) => c[k] ?? ''));
}

/**
 * Column widths (content only, without padding and borders) that fit `width`: status and
 * severity are fixed, the rule column fits the longest id within limits, title and details
 * share what is left. Below a usable minimum the table overflows rather than becoming unreadable.
 */
function columnWidths(results: readonly RuleResult[], width: number): number[] {
  const status = 7; // "skipped"
  const severity = 8; // "critical", "Severity"
  // A loop, not Math.max(...spread): spreading one argument per rule overflows the stack for large reports.
  let longestRule = 4;
  for (const r of results) longestRule = Math.max(longestRule, r.ruleId.length, formatLocation(r.location).length);
  const overhead = 6 + 5 * 2; // six vertical borders, one space of padding each side of five columns
  const free = Math.max(width - overhead - status - severity, 3 * 12);
  const rule = Math.min(longestRule, Math.max(12, Math.floor(free * 0.42)));
  const rest = Math.max(free - rule, 24);
  const title = Math.max(12, Math.floor(rest * 0.4));
  return [status, severity, rule, title, Math.max(12, rest - title)];
}

/**
 * The table drawn by the `table` package, which measures text in terminal columns per grapheme
 * and keeps colour codes intact across wrapped lines: for colour and for text beyond printable ASCII.
 */
function packageTable(header: string[], resultCells: CellLines[][], widths: number[], paint: (style: string, s: string) => string): string {
  const rows: string[][] = [];
  // Horizontal rules go above the header, below it, between results and at the bottom.
  const rules = new Set<number>([0, 1]);
  for (const cells of resultCells) {
    rows.push(...tableRows(cells, widths, paint));
    rules.add(rows.length + 1);
  }
  const { getBorderCharacters, table } = tableLibrary;
  const config: TableUserConfig = {
    border: getBorderCharacters('norc'),
    columns: widths.map((w) => ({ width: w, wrapWord: true })),
    drawHorizontalLine: (index) => rules.has(index),
  };
  return table([header, ...rows], config).trimEnd();
}

/** Renders the table report, ending with a newline. */
export function renderTable(report: Report, options: TableOptions = {}): string {
  const color = options.color === true;
  const paint = (style: string, s: string) => (color && style ? `${style}${s}${SGR.reset}` : s);
  const out: string[] = [];

  for (const n of report.notices) out.push(`${paint(SGR.yellow + SGR.bold, 'warning:')} ${oneLine(n)}`);
  if (report.sources.length) out.push(`${paint(SGR.dim, 'sources:')} ${report.sources.map(oneLine).join(', ')}`);
  if (out.length) out.push('');

  if (report.results.length === 0) {
    out.push('no rules evaluated');
  } else {
    const headings = ['Status', 'Severity', 'Rule', 'Title', 'Expected / found'];
    const widths = columnWidths(report.results, options.width ?? 120);
    const resultCells = report.results.map((r): CellLines[] => [
      [{ text: r.status.toUpperCase(), style: STATUS_STYLE[r.status] }],
      [{ text: r.severity, style: SEVERITY_STYLE[r.severity] }],
      [...plain(fieldLines(r.ruleId)), ...plain(fieldLines(formatLocation(r.location)), SGR.dim)],
      plain(fieldLines(r.title)),
      plain(details(r)),
    ]);
    if (!color && resultCells.every((cells) => cells.every((c) => c.every((l) => isPrintableAscii(l.text))))) {
      // One character is one column: drawn here, as the package would draw it (box-table.ts says why).
      out.push(drawBoxTable([headings.map((h) => [h]), ...resultCells.map((cells) => cells.map((c) => c.map((l) => l.text)))], widths));
    } else {
      out.push(packageTable(headings.map((h) => paint(SGR.bold, h)), resultCells, widths, paint));
    }
  }

  out.push(paint(SGR.bold, summaryLine(report.summary)));

  const waived = report.results.filter((r) => r.status === 'waived' && r.waiver);
  if (waived.length) {
    out.push('', 'Waivers:');
    for (const r of waived) {
      const w = r.waiver!;
      out.push(`  ${oneLine(`${r.baseline}/${r.ruleId}`)}: ${oneLine(w.reason)} (owner ${oneLine(w.owner)}, expires ${oneLine(w.expires)})`);
    }
  }
  return `${out.join('\n')}\n`;
}
