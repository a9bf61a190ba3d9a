/**
 * The JSON report: a stable contract for scripts (`jq '.results[] | select(.status=="fail")'`).
 * Keys are written in a fixed order and the first seven keys of a result never change, so diffs
 * between runs stay readable; new fields may only be added after them.
 */
import type { Report, RuleResult } from '../evaluate/result.js';

function resultObject(r: RuleResult): Record<string, unknown> {
  const location: Record<string, unknown> = { file: r.location.file };
  if (r.location.line !== undefined) location.line = r.location.line;
  if (r.location.col !== undefined) location.col = r.location.col;
  const out: Record<string, unknown> = {
    baseline: r.baseline,
    ruleId: r.ruleId,
    status: r.status,
    severity: r.severity,
    expected: r.expected,
    actual: r.actual,
    message: r.message,
    title: r.title,
    kind: r.kind,
    location,
  };
  if (r.target !== undefined) out.target = r.target;
  if (r.waiver !== undefined) out.waiver = { reason: r.waiver.reason, owner: r.waiver.owner, expires: r.waiver.expires };
  out.tags = [...r.tags];
  return out;
}

/** Renders the report as 2-space-indented JSON with a trailing newline. */
export function renderJson(report: Report): string {
  const s = report.summary;
  const doc = {
    results: report.results.map(resultObject),
    summary: { total: s.total, pass: s.pass, fail: s.fail, error: s.error, waived: s.waived, skipped: s.skipped },
    tool: { name: report.tool.name, version: report.tool.version },
    sources: [...report.sources],
    notices: [...report.notices],
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
