/**
 * Report writers: one per output format, each rendering a `Report` (src/evaluate/result.ts) and
 * nothing else. The CLI picks the format and decides about colour; writers do no I/O.
 */
import type { Report } from '../evaluate/result.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderSarif } from './sarif.js';
import { renderTable } from './table.js';
import { redactReport } from './redact.js';

import type { ReportFormat } from './formats.js';

export { REPORT_FORMATS, type ReportFormat } from './formats.js';

export interface RenderOptions {
  /** ANSI colour in the table format (the CLI enables it for a TTY without NO_COLOR). */
  color?: boolean;
  /** Directory that SARIF and JUnit file paths are made relative to (the repository root in CI). Default: `process.cwd()`. */
  cwd?: string;
  /** Table width in columns. Default: `process.stdout.columns`, or 120 when stdout is not a terminal. */
  width?: number;
}

/**
 * Renders `report` in `format`; the result ends with a newline. Secrets in machine data (SAS
 * signatures, bearer tokens, URL and connection-string credentials) are redacted here, once, for
 * every format and whether the text goes to stdout or to an `--output` file.
 */
export function renderReport(unredacted: Report, format: ReportFormat, options: RenderOptions = {}): string {
  const { report } = redactReport(unredacted);
  const cwd = options.cwd ?? process.cwd();
  switch (format) {
    case 'table':
      return renderTable(report, { color: options.color === true, width: options.width ?? (process.stdout.columns || 120) });
    case 'json':
      return renderJson(report);
    case 'sarif':
      return renderSarif(report, { cwd });
    case 'junit':
      return renderJunit(report, { cwd });
    case 'markdown':
      return renderMarkdown(report);
  }
}

export { summaryLine } from './table.js';
