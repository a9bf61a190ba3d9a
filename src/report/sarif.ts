/**
 * SARIF 2.1.0 (OASIS) for GitHub code scanning and other SARIF viewers. Every rule becomes a
 * `reportingDescriptor` (`<baseline>/<ruleId>`); results point at the rule's line in its baseline
 * file, the file a reviewer opens to fix or waive it.
 *
 * How statuses map (SARIF §3.27.9 `kind`, §3.27.10 `level`):
 * - `fail` → `kind: "fail"`, `level` from severity (critical/high `error`, medium `warning`, low `note`).
 * - `waived` → the same failing result plus `suppressions: [{ kind: "external", status: "accepted" }]`
 *   (§3.35): the finding is real and accepted outside the code; GitHub shows it as dismissed.
 * - `error` → `kind: "open"`: "the rule was evaluated, and the tool concluded that there was
 *   insufficient information to decide whether a problem exists". §3.27.10 requires `level: "none"`
 *   for any kind but `fail`. The cause also goes to `invocations[0].toolExecutionNotifications` at
 *   level `error`, and `executionSuccessful` is false, matching the CLI's exit code 2.
 * - `skipped` → no result: the source cannot answer the rule. It is recorded as a `note`
 *   notification so the log still says why the rule was not evaluated.
 * - `pass` → no result: GitHub code scanning ignores `kind` and would open an alert for a
 *   `kind: "pass"` result. Counts per status are in `runs[0].properties.summary`.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Severity } from '../rules/model.js';
import type { Report, RuleResult } from '../evaluate/result.js';
import { relativeToRoot } from './artifact-path.js';
import { escapeMarkdown } from './markdown-text.js';
import { showControlCharacters } from './text.js';

/** node:crypto, loaded on first use: loading it (~5-10 ms on the build machine) would cost every start-up, and most runs never need it. */
const nodeCrypto = (): typeof import('node:crypto') => createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
const INFORMATION_URI = 'https://driftscan.dev';
const SRCROOT = '%SRCROOT%';

type Level = 'error' | 'warning' | 'note' | 'none';

const LEVEL: Record<Severity, Level> = { critical: 'error', high: 'error', medium: 'warning', low: 'note' };

/** GitHub code scanning's numeric severity (critical > 9.0, high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9). */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0' };

/** The SARIF rule id of a result: rule ids are unique within a baseline only. */
export function sarifRuleId(r: Pick<RuleResult, 'baseline' | 'ruleId'>): string {
  return `${r.baseline}/${r.ruleId}`;
}

/** A full sentence: SARIF2001 asks for message text that ends with a period. */
function sentence(s: string): string {
  const t = s.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/** `KerberosMaxTokenSize` from `kerberos-max-token-size`: SARIF2012 wants `name` to be a Pascal-case identifier. */
function pascalName(id: string): string {
  const name = id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
  return /^[A-Za-z]/.test(name) ? name : `Rule${name}`;
}

/** Percent-encodes each path segment (spaces, `#`, `%` in file names) for a relative URI reference. */
function uriPath(rel: string): string {
  return rel.split('/').map(encodeURIComponent).join('/');
}

function artifactLocation(file: string, cwd: string): Record<string, unknown> {
  const rel = relativeToRoot(file, cwd);
  return rel === undefined ? { uri: pathToFileURL(resolve(cwd, file)).href } : { uri: uriPath(rel), uriBaseId: SRCROOT };
}

/**
 * Stable across runs and line moves: the same rule on the same registry key is the same alert.
 * Registry paths are case-insensitive and sources spell them differently (`.reg` exports keep
 * what regedit wrote, hives the stored key-name case), so the target is compared case-folded.
 */
function fingerprint(r: RuleResult): string {
  return nodeCrypto().createHash('sha256').update(`${r.baseline}\0${r.ruleId}\0${(r.target ?? '').toLowerCase()}`).digest('hex');
}

function ruleDescriptor(r: RuleResult): Record<string, unknown> {
  const title = sentence(r.title);
  const md: string[] = [];
  if (r.rationale) md.push(`**Why it matters.** ${escapeMarkdown(r.rationale.trim())}`);
  if (r.remediation) md.push(`**How to fix.** ${escapeMarkdown(r.remediation.trim())}`);
  md.push(`Baseline \`${r.baseline.replace(/`/g, "'")}\`, rule \`${r.ruleId.replace(/`/g, "'")}\` (${r.kind}, severity ${r.severity}).`);
  const text = [r.rationale ? `Why it matters: ${r.rationale.trim()}` : '', r.remediation ? `How to fix: ${r.remediation.trim()}` : '']
    .filter(Boolean)
    .join('\n\n');
  return {
    id: sarifRuleId(r),
    name: pascalName(r.ruleId),
    shortDescription: { text: title },
    fullDescription: { text: sentence(r.rationale ?? r.title) },
    // No period appended here: remediation often ends in a command that must stay copy-pasteable.
    help: { text: text || r.title, markdown: md.join('\n\n') },
    defaultConfiguration: { level: LEVEL[r.severity] },
    properties: {
      tags: [...new Set(['security', 'compliance', 'windows', r.kind, ...r.tags])],
      precision: 'very-high',
      'security-severity': SECURITY_SEVERITY[r.severity],
    },
  };
}

function resultMessage(r: RuleResult): string {
  const where = r.target ? ` (${r.target})` : '';
  const base = r.status === 'error' ? r.message : `${r.title}: ${r.message}`;
  const waiver = r.status === 'waived' && r.waiver ? ` Waived until ${r.waiver.expires} by ${r.waiver.owner}: ${sentence(r.waiver.reason)}` : '';
  return `${sentence(`${base}${where}`)}${waiver}`;
}

function location(r: RuleResult, cwd: string): Record<string, unknown> {
  const physical: Record<string, unknown> = { artifactLocation: artifactLocation(r.location.file, cwd) };
  if (r.location.line !== undefined) {
    const region: Record<string, number> = { startLine: r.location.line };
    if (r.location.col !== undefined) region.startColumn = r.location.col;
    physical.region = region;
  }
  const loc: Record<string, unknown> = { physicalLocation: physical };
  if (r.target) loc.logicalLocations = [{ fullyQualifiedName: r.target, kind: 'resource' }];
  return loc;
}

/**
 * A copy with every text field made safe for SARIF viewers: raw controls from registry data
 * would reach the code scanning UI, and lone surrogates are not valid UTF-8 for .NET readers.
 */
function viewerSafe(r: RuleResult): RuleResult {
  const t = showControlCharacters;
  const out: RuleResult = {
    ...r,
    baseline: t(r.baseline),
    ruleId: t(r.ruleId),
    title: t(r.title),
    expected: t(r.expected),
    actual: t(r.actual),
    message: t(r.message),
    tags: r.tags.map(t),
  };
  if (r.remediation !== undefined) out.remediation = t(r.remediation);
  if (r.rationale !== undefined) out.rationale = t(r.rationale);
  if (r.target !== undefined) out.target = t(r.target);
  if (r.waiver) out.waiver = { reason: t(r.waiver.reason), owner: t(r.waiver.owner), expires: t(r.waiver.expires) };
  return out;
}

/** Renders the report as a SARIF 2.1.0 log (one run), 2-space indented. */
export function renderSarif(report: Report, options: { cwd?: string } = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const safe = report.results.map(viewerSafe);
  const rules: Record<string, unknown>[] = [];
  const ruleIndex = new Map<string, number>();
  for (const r of safe) {
    const id = sarifRuleId(r);
    if (ruleIndex.has(id)) continue;
    ruleIndex.set(id, rules.length);
    rules.push(ruleDescriptor(r));
  }

  const results: Record<string, unknown>[] = [];
  const notifications: Record<string, unknown>[] = [];
  for (const r of safe) {
    const id = sarifRuleId(r);
    const index = ruleIndex.get(id)!;
    if (r.status === 'error' || r.status === 'skipped') {
      notifications.push({
        level: r.status === 'error' ? 'error' : 'note',
        message: { text: sentence(`${id}: ${r.message}`) },
        locations: [location(r, cwd)],
        associatedRule: { id, index },
      });
    }
    if (r.status === 'pass' || r.status === 'skipped') continue;
    const failing = r.status !== 'error';
    const result: Record<string, unknown> = {
      ruleId: id,
      ruleIndex: index,
      kind: failing ? 'fail' : 'open',
      level: failing ? LEVEL[r.severity] : 'none',
      message: { text: resultMessage(r) },
      locations: [location(r, cwd)],
      partialFingerprints: { 'driftscanRuleTarget/v1': fingerprint(r) },
    };
    if (r.status === 'waived') {
      result.suppressions = [
        {
          kind: 'external',
          status: 'accepted',
          justification: r.waiver ? `${r.waiver.reason} (owner ${r.waiver.owner}, expires ${r.waiver.expires})` : 'waived',
        },
      ];
    }
    result.properties = {
      baseline: r.baseline,
      status: r.status,
      severity: r.severity,
      expected: r.expected,
      actual: r.actual,
      ...(r.target ? { target: r.target } : {}),
    };
    results.push(result);
  }

  const invocation: Record<string, unknown> = { executionSuccessful: report.summary.error === 0 };
  if (notifications.length) invocation.toolExecutionNotifications = notifications;

  const log = {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version: report.tool.version,
            semanticVersion: report.tool.version,
            informationUri: INFORMATION_URI,
            rules,
          },
        },
        invocations: [invocation],
        originalUriBaseIds: { [SRCROOT]: { uri: `${pathToFileURL(cwd).href.replace(/\/$/, '')}/` } },
        results,
        columnKind: 'utf16CodeUnits',
        properties: {
          summary: { ...report.summary },
          sources: report.sources.map(showControlCharacters),
          notices: report.notices.map(showControlCharacters),
        },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
