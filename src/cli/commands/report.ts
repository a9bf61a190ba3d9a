/** `driftscan report`: trends between fleet scans from the history store, as table, JSON, CSV, Markdown or a self-contained HTML page. */
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { RegisterCommand } from '../command.js';
import { usageError } from '../../core/diagnostics.js';
import { parseDuration } from '../duration.js';

// Kept here (not imported from fleet-report/) so `--help` loads nothing of the writers.
const FORMATS = ['table', 'json', 'csv', 'markdown', 'html'] as const;
type Format = (typeof FORMATS)[number];

interface ReportFlags {
  history: string;
  since?: string;
  format: Format;
  output?: string;
  limit?: string;
}

export const register: RegisterCommand = (program: Command) => {
  program
    .command('report')
    .summary('report trends between fleet scans (newly drifted, fixed, still drifting) as table, JSON, CSV, Markdown or HTML')
    .description(
      'Compare the latest scan in the history store with an earlier one — the scan before it, or with --since the scan ' +
        'that started closest to that long before it — and report what newly drifted, what was fixed and what is still ' +
        'drifting (with its age since first seen), per machine, rule, baseline and subscription, with compliance over ' +
        'the year of scans before the latest. Markdown suits a GitHub step summary, an Azure DevOps build summary or a wiki page; ' +
        'html is one self-contained file with charts (no network needed to open it); csv and json carry every machine row.',
    )
    .option('--history <path>', 'the history store (a DuckDB file)', 'reports/history.duckdb')
    .option('--since <duration>', 'compare with the scan closest to this long before the latest (7d, 30d, 12h); default: the scan before')
    .addOption(new Option('-f, --format <format>', 'output format').choices([...FORMATS]).default('table'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout (replaced atomically)')
    .option('--limit <n>', 'rows per machine list (newly drifted, fixed, still drifting); "all" for every row (default: table 50, markdown 100, html 2000, json/csv all)')
    .addHelpText('after', `
Exit codes: 0 the report was written; 2 usage or input error (no store, no scans, a bad flag).

Examples:
  driftscan report
  driftscan report --since 7d --format markdown >> "$GITHUB_STEP_SUMMARY"
  driftscan report --since 30d --format html -o reports/fleet.html
  driftscan report --format csv --limit all -o drift.csv`)
    .action(async (o: ReportFlags) => {
      const sinceMs = o.since === undefined ? undefined : parseDuration('--since', o.since, { min: 1000 });
      let limit: number | undefined;
      if (o.limit !== undefined && o.limit !== 'all') {
        if (!/^\d+$/.test(o.limit)) throw usageError(`--limit takes a whole number or "all", not '${o.limit}'`);
        limit = Number(o.limit);
      }
      if (!existsSync(o.history)) throw usageError(`${o.history}: no history store there (run driftscan scan first, or pass --history PATH)`);
      const [{ HistoryStore }, { buildReportModel }, writers, { prepareOutput, emit, writeOutput }, { VERSION }] = await Promise.all([
        import('../../fleet/history/store.js'),
        import('../../fleet/report-model.js'),
        import('../../fleet-report/index.js'),
        import('../../io/output-file.js'),
        import('../../core/version.js'),
      ]);
      const output = o.output === undefined ? undefined : prepareOutput(o.output, [{ file: o.history, what: 'history store' }], { what: 'report' });
      if (o.limit === undefined) limit = writers.DEFAULT_LIMIT[o.format];
      const store = await HistoryStore.open(o.history, { readOnly: true });
      let model;
      try {
        model = await buildReportModel(store, o.history, { ...(sinceMs === undefined ? {} : { sinceMs, since: o.since! }), ...(limit === undefined ? {} : { limit }) });
      } finally {
        store.close();
      }
      if (o.format === 'html') {
        const { renderHtml } = await import('../../fleet-report/html.js');
        const html = await renderHtml(model, `driftscan ${VERSION}`);
        if (output) writeOutput(output, html, 'report');
        else emit(undefined, html.trimEnd(), 'report');
        return;
      }
      const text = writers.renderTextReport(model, o.format);
      if (output) writeOutput(output, text, 'report');
      else emit(undefined, text.trimEnd(), 'report');
    });
};
