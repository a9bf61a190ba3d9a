/**
 * What a tracking issue / work item says about one failed remediation task: a stable title, a
 * hidden marker that names the task (the deduplication key), and a Markdown body — the task, its
 * assignment, baseline and state, then one table row per failed machine with rule, reason and error.
 *
 * Everything that came from machines or Azure goes through `inert-text.ts`. The body never exceeds
 * the service's limit (GitHub: 65,536 characters for an issue body or comment): rows that do not fit
 * are left out, sorted last by machine id, and the body says how many.
 */
import type { FailedDeployment, FailedRemediation } from '../rollout/remediation/failures.js';
import { VERSION } from '../core/version.js';
import { capText, inertCell, plainTitle } from './inert-text.js';

/** The label (GitHub) and tag (Azure DevOps) every tracking item carries. */
export const TRACKING_LABEL = 'driftscan-remediation';

/** GitHub's limit for an issue body and for a comment, in characters. */
export const GITHUB_BODY_LIMIT = 65_536;
/** GitHub's limit for an issue title. */
export const GITHUB_TITLE_LIMIT = 256;
/** Azure DevOps' limit for `System.Title`. */
export const AZURE_DEVOPS_TITLE_LIMIT = 255;

/**
 * The hidden marker that names the task in a body: an HTML comment, which GitHub and Azure DevOps do
 * not render. The task name is percent-encoded, so no name can end the comment early (`-->`).
 */
export function trackingMarker(taskName: string): string {
  return `<!-- ${TRACKING_LABEL}: ${encodeURIComponent(wellFormed(taskName))} -->`;
}

/** `text` with lone UTF-16 surrogates replaced by U+FFFD (encodeURIComponent throws on them). */
function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** The task name a body's marker names, or undefined when it has none. */
export function markedTaskName(body: string | null | undefined): string | undefined {
  const m = /<!-- driftscan-remediation: ([^\s<>]*) -->/.exec(body ?? '');
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
}

/** The stable title of the task's tracking item: the same on every run, so a title search finds it. */
export function trackingTitle(taskName: string, limit: number): string {
  return plainTitle(`driftscan remediation failed: ${taskName}`, limit);
}

export interface BodyOptions {
  /** Longest body the service accepts, in characters. */
  limit: number;
  /** `new` for a new issue; `update` for a comment on an existing one (says it failed again). */
  kind: 'new' | 'update';
}

/** The last segment of an ARM id (the machine name), or the whole text when it has none. */
function lastSegment(id: string): string {
  const parts = id.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? id;
}

/** The resource group an ARM id names, or empty. */
function resourceGroup(id: string): string {
  return /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? '';
}

function row(d: FailedDeployment): string {
  const cells = [lastSegment(d.resourceId), resourceGroup(d.resourceId), d.status, d.ruleId ?? '—', d.reason ?? '—', d.error ?? '—'];
  return `| ${cells.map((c) => inertCell(c)).join(' | ')} |`;
}

const TABLE_HEAD = '| Machine | Resource group | Status | Rule | Reason | Error |\n|---|---|---|---|---|---|';

/** The Markdown body (or comment) for `failure`, at most `options.limit` characters. */
export function trackingBody(failure: FailedRemediation, options: BodyOptions): string {
  const deployments = [...failure.deployments].sort((a, b) => (a.resourceId < b.resourceId ? -1 : a.resourceId > b.resourceId ? 1 : 0));
  const facts: [string, string | undefined][] = [
    ['Task', failure.taskName],
    ['Task id', failure.taskId],
    ['State', failure.state],
    ['Assignment', failure.assignmentId],
    ['Policy definition reference', failure.policyDefinitionReferenceId],
    ['Baseline', failure.baseline],
    ['Subscription', failure.subscriptionId],
    ['Failed machines', String(deployments.length)],
  ];
  const head = [
    trackingMarker(failure.taskName),
    options.kind === 'new'
      ? `### Remediation task ${inertCell(failure.taskName, 200)} failed`
      : `### Remediation task ${inertCell(failure.taskName, 200)} failed again`,
    '',
    '| | |',
    '|---|---|',
    ...facts.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '').map(([k, v]) => `| ${k} | ${inertCell(v, 2000)} |`),
    '',
  ].join('\n');
  const footer = `\n_Reported by driftscan ${VERSION} \`remediate --notify\`. driftscan adds a comment when the same task fails again; it never opens a second item for it._\n`;
  if (deployments.length === 0) {
    return capText(`${head}The task ended without failed deployments; see the task in Azure for its error.\n${footer}`, options.limit);
  }
  const rows = deployments.map(row);
  // Rows are added while the rest still fits, with room kept for the note that says what was left out.
  const omittedNote = (n: number) => `\n_${n} of ${rows.length} machines are not listed: the body is limited to ${options.limit.toLocaleString('en-US')} characters._\n`;
  let used = head.length + TABLE_HEAD.length + 1 + footer.length;
  const kept: string[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const reserve = i === rows.length - 1 ? 0 : omittedNote(rows.length).length;
    if (used + r.length + 1 + reserve > options.limit) break;
    kept.push(r);
    used += r.length + 1;
  }
  const omitted = rows.length - kept.length;
  const body = `${head}${TABLE_HEAD}\n${kept.map((r) => `${r}\n`).join('')}${omitted > 0 ? omittedNote(omitted) : ''}${footer}`;
  // A limit too small for even the head and footer is a caller's mistake; the cap still holds.
  return body.length <= options.limit ? body : capText(body, options.limit);
}
