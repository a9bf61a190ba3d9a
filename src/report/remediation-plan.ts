/**
 * The remediation plan (`driftscan remediate`) as text (stdout), JSON and Markdown (`--output
 * plan.json|plan.md`, for review in a pull request): per task its name, assignment, member, batch,
 * status and machines, and per machine why it is there — the failing rules and the reasons the
 * machine reported; the assignments that cannot remediate (audit only) and the drift no assignment
 * covers; after `--apply`, each task's state. Pure: a plan in, a string out; redacted like the other
 * plan writers.
 */
import { redactSecrets } from '../core/redact.js';
import { auditOnlyAdvice, type PlannedTask, type RemediationPlan } from '../rollout/remediation/plan.js';
import type { DirectReapply } from '../rollout/remediation/direct.js';
import { escapeMarkdown, escapeMarkdownCell } from './markdown-text.js';

export const REMEDIATION_PLAN_VERSION = 1;

/** The state each task reached after `--apply` (and `--wait`), by task name. */
export type TaskStates = ReadonlyMap<string, { state: string; opened: boolean; failedDeployments?: number | undefined }>;

const DIRECT_WORDS: Record<DirectReapply['status'], string> = {
  reapply: 're-apply (PUT the guest assignment again)',
  done: 'already re-applied for this scan',
  audit: 'not remediable: the assignment only audits (assign the package with an ApplyAndMonitor build to remediate)',
  autocorrect: 'corrects itself (ApplyAndAutoCorrect): nothing to do',
};

const STATUS_WORDS: Record<PlannedTask['status'], string> = {
  open: 'open',
  queued: 'queued (tenant limit)',
  exists: 'exists',
  covered: 'covered by running tasks',
};

export function remediationSummaryLine(plan: RemediationPlan): string {
  const count = (s: PlannedTask['status']) => plan.tasks.filter((t) => t.status === s).length;
  const machines = plan.tasks.filter((t) => t.status === 'open' || t.status === 'queued').reduce((n, t) => n + t.machines.length, 0);
  return `scan ${plan.scanId}: ${plan.tasks.length} task${plan.tasks.length === 1 ? '' : 's'} — ${count('open')} to open now, ${count('queued')} queued behind the tenant limit ` +
    `(${plan.running}/${plan.limit} running), ${count('exists')} already opened, ${count('covered')} covered by running tasks; ${machines} machine${machines === 1 ? '' : 's'} to remediate` +
    (plan.direct.length ? `; ${plan.direct.filter((d) => d.status === 'reapply').length} direct-mode guest assignment${plan.direct.length === 1 ? '' : 's'} to re-apply` : '');
}

function member(t: { referenceId?: string | undefined }): string {
  return t.referenceId ? ` / ${t.referenceId}` : '';
}

/** Plain text for stdout: one line per task, its machines (first few) with rule and reason. */
export function renderRemediationText(plan: RemediationPlan, states?: TaskStates, options: { machinesPerTask?: number } = {}): string {
  const per = options.machinesPerTask ?? 3;
  const out: string[] = [];
  for (const t of plan.tasks) {
    const s = states?.get(t.name);
    out.push(`${t.status === 'open' || t.status === 'queued' ? '+' : ' '} ${t.name}  ${STATUS_WORDS[t.status]}${s ? ` → ${s.state}${s.failedDeployments ? ` (${s.failedDeployments} failed deployments)` : ''}` : t.existingState ? ` (${t.existingState})` : ''}`);
    out.push(`    ${t.baseline} via ${t.assignmentId}${member(t)}, batch ${t.batch}/${t.batches}, ${t.machines.length} machine${t.machines.length === 1 ? '' : 's'}${t.skipped.length ? `, ${t.skipped.length} left out (in running task ${t.skipped[0]!.task}${t.skipped.length > 1 ? ', …' : ''})` : ''}`);
    for (const m of t.machines.slice(0, per)) out.push(`    - ${m.machineId}: ${m.rules.map((r) => `${r.ruleId} (${r.reason})`).join('; ')}`);
    if (t.machines.length > per) out.push(`    - … ${t.machines.length - per} more (all in --output plan.json / plan.md)`);
  }
  for (const d of plan.direct) out.push(`${d.status === 'reapply' ? '+' : ' '} ${d.name}  ${DIRECT_WORDS[d.status]}\n    ${d.baseline} via guest assignment ${d.assignmentId} (direct mode, ${String(d.body.properties.guestConfiguration.assignmentType ?? 'no assignment type')})\n    - ${d.machine.machineId}: ${d.machine.rules.map((r) => `${r.ruleId} (${r.reason})`).join('; ')}`);
  for (const a of plan.auditOnly) out.push(`not remediable: ${auditOnlyAdvice(a)}`);
  for (const u of plan.uncovered) out.push(`not covered: ${u.machines} drifted machine${u.machines === 1 ? '' : 's'} of baseline ${u.baseline} (e.g. ${u.example}) lie under no assignment of it in the scanned scopes`);
  out.push(remediationSummaryLine(plan));
  return redactSecrets(`${out.join('\n')}\n`);
}

export function renderRemediationJson(plan: RemediationPlan, states?: TaskStates): string {
  const doc = {
    planVersion: REMEDIATION_PLAN_VERSION,
    command: 'remediate',
    scanId: plan.scanId,
    limit: plan.limit,
    running: plan.running,
    summary: remediationSummaryLine(plan),
    tasks: plan.tasks.map((t) => {
      const s = states?.get(t.name);
      return {
        name: t.name,
        id: t.id,
        scope: t.scope,
        assignmentId: t.assignmentId,
        ...(t.referenceId ? { policyDefinitionReferenceId: t.referenceId } : {}),
        baseline: t.baseline,
        batch: t.batch,
        batches: t.batches,
        status: t.status,
        ...(t.existingState ? { existingState: t.existingState } : {}),
        ...(s ? { result: { state: s.state, opened: s.opened, ...(s.failedDeployments !== undefined ? { failedDeployments: s.failedDeployments } : {}) } } : {}),
        machines: t.machines,
        ...(t.skipped.length ? { skipped: t.skipped } : {}),
        body: t.body,
      };
    }),
    direct: plan.direct.map((d) => ({ name: d.name, assignmentId: d.assignmentId, baseline: d.baseline, status: d.status, machine: d.machine, body: d.body })),
    auditOnly: plan.auditOnly.map((a) => ({ ...a, advice: auditOnlyAdvice(a) })),
    uncovered: plan.uncovered,
  };
  return redactSecrets(`${JSON.stringify(doc, null, 2)}\n`);
}

export function renderRemediationMarkdown(plan: RemediationPlan, states?: TaskStates): string {
  const lines = ['### driftscan remediate', '', `**${escapeMarkdown(remediationSummaryLine(plan))}**`];
  if (plan.tasks.length) {
    lines.push('', `| Task | Status | Baseline | Assignment | Batch | Machines |${states ? ' Result |' : ''}`, `|---|---|---|---|---|---|${states ? '---|' : ''}`);
    for (const t of plan.tasks) {
      const s = states?.get(t.name);
      const cells = [t.name, STATUS_WORDS[t.status], t.baseline, `${t.assignmentId}${member(t)}`, `${t.batch}/${t.batches}`, String(t.machines.length)].map(escapeMarkdownCell);
      if (states) cells.push(escapeMarkdownCell(s ? `${s.state}${s.failedDeployments ? `, ${s.failedDeployments} failed` : ''}` : ''));
      lines.push(`| ${cells.join(' | ')} |`);
    }
    lines.push('', '<details><summary>Machines and reasons</summary>', '', '| Task | Machine | Rule | Reason |', '|---|---|---|---|');
    for (const t of plan.tasks) for (const m of t.machines) for (const r of m.rules) lines.push(`| ${[t.name, m.machineId, r.ruleId, r.reason].map(escapeMarkdownCell).join(' | ')} |`);
    lines.push('', '</details>');
  }
  if (plan.direct.length) {
    lines.push('', 'Direct-mode guest assignments (no Azure Policy):', '', '| Name | Status | Baseline | Machine | Rules |', '|---|---|---|---|---|');
    for (const d of plan.direct) lines.push(`| ${[d.name, DIRECT_WORDS[d.status], d.baseline, d.machine.machineId, d.machine.rules.map((r) => `${r.ruleId}: ${r.reason}`).join('; ')].map(escapeMarkdownCell).join(' | ')} |`);
  }
  if (plan.auditOnly.length) {
    lines.push('', 'Not remediable:', '');
    for (const a of plan.auditOnly) lines.push(`- ${escapeMarkdown(auditOnlyAdvice(a))}`);
  }
  if (plan.uncovered.length) {
    lines.push('', 'Not covered by any assignment:', '');
    for (const u of plan.uncovered) lines.push(`- ${escapeMarkdown(`${u.baseline}: ${u.machines} machines (e.g. ${u.example})`)}`);
  }
  return redactSecrets(`${lines.join('\n')}\n`);
}
