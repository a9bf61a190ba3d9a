/**
 * JUnit XML for test-result publishers: Azure Pipelines `PublishTestResults@2` (JUnit format),
 * dorny/test-reporter and mikepenz/action-junit-report. One `<testsuite>` per baseline, one
 * `<testcase>` per rule. Failures carry expected vs found in `message` (shown in summaries) and the
 * detail in the element text.
 *
 * Mapping: `fail` → `<failure type="<severity>">`; `error` (rule could not be evaluated) →
 * `<error>`; `waived` and `skipped` → `<skipped message>` with the waiver or the reason. The
 * writer knows no timings, so `time` is `0`.
 *
 * XML 1.0 cannot carry most C0 control characters or lone surrogates even as character
 * references, so they are shown as `\xNN` text; line breaks in attributes are written as `&#10;`
 * so attribute-value normalisation does not turn them into spaces.
 */
import { formatLocation } from '../core/diagnostics.js';
import type { BaselineInfo, Report, RuleResult } from '../evaluate/result.js';
import { displayPath } from './artifact-path.js';
import { showControlCharacters } from './text.js';

function text(s: string): string {
  return showControlCharacters(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string | number): string {
  return text(String(s)).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function attributes(pairs: Array<[string, string | number | undefined]>): string {
  return pairs
    .filter((p): p is [string, string | number] => p[1] !== undefined)
    .map(([k, v]) => ` ${k}="${attr(v)}"`)
    .join('');
}

function properties(indent: string, props: Array<[string, string | undefined]>): string[] {
  const present = props.filter((p): p is [string, string] => p[1] !== undefined);
  if (!present.length) return [];
  return [`${indent}<properties>`, ...present.map(([k, v]) => `${indent}  <property${attributes([['name', k], ['value', v]])}/>`), `${indent}</properties>`];
}

function detail(r: RuleResult, cwd: string): string {
  const lines = [`expected: ${r.expected}`, `found: ${r.actual}`];
  if (r.target) lines.push(`target: ${r.target}`);
  lines.push(`rule: ${formatLocation({ ...r.location, file: displayPath(r.location.file, cwd) })}`);
  if (r.remediation) lines.push(`remediation: ${r.remediation.trim()}`);
  return lines.join('\n');
}

function testcase(r: RuleResult, cwd: string): string[] {
  const open = `    <testcase${attributes([
    ['classname', r.baseline],
    ['name', `${r.ruleId}: ${r.title}`],
    ['file', displayPath(r.location.file, cwd)],
    ['line', r.location.line],
    ['time', 0],
  ])}>`;
  const body = properties('      ', [
    ['severity', r.severity],
    ['kind', r.kind],
    ['status', r.status],
    ['target', r.target],
    ['tags', r.tags.length ? r.tags.join(',') : undefined],
  ]);
  switch (r.status) {
    case 'fail':
      body.push(`      <failure${attributes([['message', r.message], ['type', r.severity]])}>${text(detail(r, cwd))}</failure>`);
      break;
    case 'error':
      body.push(`      <error${attributes([['message', r.message], ['type', 'evaluation-error']])}>${text(detail(r, cwd))}</error>`);
      break;
    case 'waived': {
      const w = r.waiver;
      const why = w ? `waived until ${w.expires} by ${w.owner}: ${w.reason}` : 'waived';
      body.push(`      <skipped${attributes([['message', `${why} (${r.message})`]])}/>`);
      break;
    }
    case 'skipped':
      body.push(`      <skipped${attributes([['message', r.message]])}/>`);
      break;
    case 'pass':
      break;
  }
  return [open, ...body, '    </testcase>'];
}

interface Suite {
  info: BaselineInfo | undefined;
  name: string;
  results: RuleResult[];
}

function counts(results: readonly RuleResult[]) {
  return {
    tests: results.length,
    failures: results.filter((r) => r.status === 'fail').length,
    errors: results.filter((r) => r.status === 'error').length,
    skipped: results.filter((r) => r.status === 'waived' || r.status === 'skipped').length,
  };
}

/** Renders the report as JUnit XML (UTF-8, XML 1.0). */
export function renderJunit(report: Report, options: { cwd?: string } = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const suites = new Map<string, Suite>();
  for (const b of report.baselines) suites.set(b.name, { info: b, name: b.name, results: [] });
  for (const r of report.results) {
    let s = suites.get(r.baseline);
    if (!s) suites.set(r.baseline, (s = { info: undefined, name: r.baseline, results: [] }));
    s.results.push(r);
  }

  const all = counts(report.results);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes([['name', report.tool.name], ['tests', all.tests], ['failures', all.failures], ['errors', all.errors], ['skipped', all.skipped], ['time', 0]])}>`,
  ];
  for (const s of suites.values()) {
    const c = counts(s.results);
    const file = s.info?.file ?? s.results[0]?.baselineFile;
    out.push(
      `  <testsuite${attributes([
        ['name', s.name],
        ['tests', c.tests],
        ['failures', c.failures],
        ['errors', c.errors],
        ['skipped', c.skipped],
        ['time', 0],
        ['file', file === undefined ? undefined : displayPath(file, cwd)],
      ])}>`,
    );
    out.push(
      ...properties('    ', [
        ['baseline.title', s.info?.title],
        ['baseline.version', s.info?.version],
        ['tool.version', `${report.tool.name} ${report.tool.version}`],
        ...report.sources.map((src): [string, string] => ['source', src]),
        ...report.notices.map((n): [string, string] => ['notice', n]),
      ]),
    );
    for (const r of s.results) out.push(...testcase(r, cwd));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
