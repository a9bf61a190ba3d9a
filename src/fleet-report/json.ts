/** `report --format json`: the whole model, for dashboards and scripts (lists complete unless --limit). */
import type { FleetReportModel } from '../fleet/report-model.js';

export function renderJson(m: FleetReportModel): string {
  return `${JSON.stringify({ report: 'driftscan-fleet-report', version: 1, ...m }, null, 2)}\n`;
}
