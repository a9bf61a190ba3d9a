/**
 * The fleet report writers, one per format, like the single-run writers in report/: a
 * `FleetReportModel` (fleet/report-model.ts) in, text out. Pure. The html writer is not here:
 * it pulls in vega, so the command imports `./html.js` only when --format html is asked for.
 */
import type { FleetReportModel } from '../fleet/report-model.js';
import type { FleetReportFormat } from './facts.js';
import { renderCsv } from './csv.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderTable } from './table.js';

export { FLEET_REPORT_FORMATS, DEFAULT_LIMIT, type FleetReportFormat } from './facts.js';

export function renderTextReport(m: FleetReportModel, format: Exclude<FleetReportFormat, 'html'>): string {
  switch (format) {
    case 'json': return renderJson(m);
    case 'csv': return renderCsv(m);
    case 'markdown': return renderMarkdown(m);
    case 'table': return renderTable(m);
  }
}
