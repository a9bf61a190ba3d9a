/**
 * `driftscan remediate`: Azure Policy remediation tasks for the drift of a recorded scan (or of a
 * fresh one), planned (rollout/remediation/plan.ts), reviewed (`--plan`, `--output`), opened within the
 * tenant's limit (`--apply`) and followed to the end (`--wait`, fleet/remediation.ts), with the outcome
 * recorded in the history store.
 *
 * `runRemediate` takes hooks so commands built on it (the `--notify` integration) receive the failed
 * tasks after the wait without this file knowing about them.
 */
import { DriftscanError, usageError } from '../core/diagnostics.js';
import { stderr, stdout } from '../io/console.js';
import { writeOutput } from '../io/output-file.js';
import { lockOutViolations } from '../compile/lockout-guard.js';
import type { Baseline } from '../rules/model.js';
import { planRemediation, type RemediationPlan } from '../rollout/remediation/plan.js';
import { planDirect, withDirect } from '../rollout/remediation/direct.js';
import type { FailedRemediation } from '../rollout/remediation/failures.js';
import { renderRemediationJson, renderRemediationMarkdown, renderRemediationText, type TaskStates } from '../report/remediation-plan.js';
import { TENANT_RUNNING_TASK_LIMIT } from '../azure/remediations.js';
import type { HistoryStore } from '../fleet/history/store.js';
import { openConnection, wantsApply, type AzureFlags, type RolloutFlags } from './azure-options.js';
import { preparePlanOutputs, type PlanOutput } from './rollout.js';
import { parseDuration } from './duration.js';
import { baselinePaths } from './options.js';
import { baselineInputs } from './inputs.js';
import { EXIT } from './exit-codes.js';
import { scanProgress } from './scan-progress.js';
import { remediateProgress } from './remediate-progress.js';

export interface RemediateFlags extends AzureFlags, RolloutFlags {
  from?: string;
  scanNow?: boolean;
  baseline?: string[];
  subscription?: string[];
  managementGroup?: string;
  allSubscriptions?: boolean;
  history: string;
  wait?: boolean;
  parallelDeployments: string;
  failureThreshold: string;
  pollInterval: string;
  iUnderstandLockoutRisk?: boolean;
  quiet?: boolean;
}

export interface RemediateHooks {
  /** Called after `--wait` with every task that failed or had failed deployments (empty when none). */
  onFailures?: (failures: readonly FailedRemediation[]) => Promise<void>;
}

export interface RemediateResult {
  plan: RemediationPlan;
  failures: FailedRemediation[];
  exitCode: number;
}

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw usageError(`${flag} must be a whole number from ${min} to ${max}, not '${text}'`);
  return n;
}

/** `0.1` or `10%` → 0.1. */
function fraction(flag: string, text: string): number {
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(text);
  const n = pct ? Number(pct[1]) / 100 : Number(text);
  if (!/^(\d+(\.\d+)?%?)$/.test(text) || !Number.isFinite(n) || n < 0 || n > 1) throw usageError(`${flag} must be a fraction from 0 to 1 (or a percentage like 10%), not '${text}'`);
  return n;
}

/** The baselines `remediate` plans for: those loaded, narrowed by `--baseline`. */
function chooseBaselines(loaded: Baseline[], names: readonly string[] | undefined): Baseline[] {
  if (!names?.length) return loaded;
  for (const n of names) {
    if (!loaded.some((b) => b.metadata.name.toLowerCase() === n.toLowerCase())) {
      throw usageError(`--baseline ${n}: no loaded baseline has that name; loaded: ${loaded.map((b) => b.metadata.name).join(', ')}`);
    }
  }
  return loaded.filter((b) => names.some((n) => n.toLowerCase() === b.metadata.name.toLowerCase()));
}

/**
 * The lock-out guard (compile/lockout-guard.ts), for the baselines the plan would remediate: a
 * remediation task enforces the baseline on the machines, so a baseline touching remote access
 * needs its `remoteAccessAcknowledgement` or `--i-understand-lockout-risk`. A baseline the plan
 * names but no file was loaded for cannot be checked, and is refused the same way.
 */
function lockOutGuard(plan: RemediationPlan, baselines: readonly Baseline[], accepted: boolean): void {
  if (accepted) return;
  const problems: string[] = [];
  const names = new Set([
    ...plan.tasks.filter((t) => t.status === 'open' || t.status === 'queued').map((t) => t.baseline.toLowerCase()),
    ...plan.direct.filter((d) => d.status === 'reapply').map((d) => d.baseline.toLowerCase()),
  ]);
  for (const name of [...names].sort()) {
    const b = baselines.find((x) => x.metadata.name.toLowerCase() === name);
    if (!b) {
      problems.push(`baseline ${name}: no baseline file with that name was loaded, so the remote-access lock-out guard cannot check it (pass its file or folder)`);
      continue;
    }
    problems.push(...lockOutViolations(b, b.assignment.type === 'Audit' ? 'ApplyAndMonitor' : b.assignment.type));
  }
  if (problems.length) {
    throw new DriftscanError(`${problems.join('\n')}\nremediate refuses to open tasks that enforce these rules: add spec.assignment.remoteAccessAcknowledgement to the baseline, or pass --i-understand-lockout-risk`);
  }
}

function render(plan: RemediationPlan, outputs: readonly PlanOutput[], states?: TaskStates): void {
  for (const o of outputs) writeOutput(o.target, o.format === 'json' ? renderRemediationJson(plan, states) : renderRemediationMarkdown(plan, states), 'plan');
}

export async function runRemediate(paths: string[], flags: RemediateFlags, hooks: RemediateHooks = {}): Promise<RemediateResult> {
  const apply = wantsApply(flags);
  if (flags.wait && !apply) throw usageError('--wait follows the tasks --apply opens: give --apply too');
  if (flags.from !== undefined && flags.scanNow) throw usageError('give --from SCAN or --scan-now, not both');
  const scopes = [flags.subscription?.length ? 1 : 0, flags.managementGroup ? 1 : 0, flags.allSubscriptions ? 1 : 0].reduce((a, b) => a + b, 0);
  if (scopes > 1) throw usageError('give one scope: --subscription (repeatable), --management-group or --all-subscriptions');
  const settings = {
    parallelDeployments: wholeNumber('--parallel-deployments', flags.parallelDeployments, 1, 30),
    failureThreshold: fraction('--failure-threshold', flags.failureThreshold),
  };
  const pollMs = parseDuration('--poll-interval', flags.pollInterval, { min: 50, max: 600_000 });
  const files = baselinePaths(paths);
  const outputs = preparePlanOutputs(flags.output, [...baselineInputs(files), { file: flags.history, what: 'history store' }]);
  const [{ loadBaselines }, { HistoryStore }, history, fleet] = await Promise.all([
    import('../baseline/load.js'),
    import('../fleet/history/store.js'),
    import('../fleet/history/remediation.js'),
    import('../fleet/remediation.js'),
  ]);
  const baselines = chooseBaselines(loadBaselines(files), flags.baseline);
  if (baselines.length === 0) throw usageError('no baselines to remediate');
  const connection = await openConnection(flags);
  let store: HistoryStore | undefined;
  try {
    store = await HistoryStore.open(flags.history);
    let scanId: number;
    if (flags.scanNow) {
      const { runScan } = await import('../fleet/scan.js');
      const progress = scanProgress({ quiet: flags.quiet === true });
      const s = store;
      const outcome = await progress.run((onEvent) => runScan(connection, s, {
        subscriptions: flags.subscription ?? [],
        managementGroup: flags.managementGroup,
        allSubscriptions: flags.allSubscriptions === true,
        baselines,
      }, onEvent));
      scanId = outcome.scanId;
      if (!flags.quiet) stderr.line(`driftscan: scan ${scanId} recorded in ${flags.history}${outcome.complete ? '' : ' (incomplete: some scopes could not be read)'}`);
    } else {
      scanId = await history.resolveScan(store, flags.from ?? 'latest');
    }
    let drift = await history.readDrift(store, scanId, baselines.map((b) => b.metadata.name));
    const wanted = flags.subscription?.length ? new Set(flags.subscription.map((s) => s.toLowerCase())) : undefined;
    if (wanted) drift = drift.filter((d) => wanted.has(d.subscriptionId.toLowerCase()));
    let subscriptions = [...new Set(drift.map((d) => d.subscriptionId.toLowerCase()))].sort();
    const { targets, groupSubscriptions } = subscriptions.length || flags.managementGroup
      ? await fleet.loadTargets(connection, subscriptions, flags.managementGroup)
      : { targets: [], groupSubscriptions: new Map<string, Set<string>>() };
    if (flags.managementGroup) {
      const under = groupSubscriptions.get(`/providers/microsoft.management/managementgroups/${flags.managementGroup.toLowerCase()}`);
      drift = drift.filter((d) => under?.has(d.subscriptionId.toLowerCase()) === true);
      subscriptions = subscriptions.filter((s) => under?.has(s) === true);
    }
    const { createArmRestClient } = await import('../azure/arm-rest-client.js');
    const listing = fleet.listingScopes(targets, subscriptions);
    const existing = [...(await fleet.listTasks(createArmRestClient(connection), listing, connection.deadline.signal)).values()].map((l) => l.task);
    let plan = planRemediation({
      scanId,
      findings: drift,
      targets,
      existing,
      settings,
      limit: TENANT_RUNNING_TASK_LIMIT,
      groupSubscriptions: (scope) => groupSubscriptions.get(scope.toLowerCase()),
    });
    if (plan.uncoveredMachines.length) {
      const found = await fleet.loadDirectAssignments(connection, plan.uncoveredMachines);
      plan = withDirect(plan, planDirect(scanId, found, await fleet.recordedDirect(store, scanId)));
    }
    stdout.write(renderRemediationText(plan));
    if (!apply) {
      render(plan, outputs);
      const n = plan.tasks.filter((t) => t.status === 'open' || t.status === 'queued').length;
      const d = plan.direct.filter((x) => x.status === 'reapply').length;
      stderr.line(n || d ? `plan only: nothing was changed; run again with --apply to open these ${n} task${n === 1 ? '' : 's'}${d ? ` and re-apply ${d} guest assignment${d === 1 ? '' : 's'}` : ''}` : 'plan only: nothing to open');
      return { plan, failures: [], exitCode: EXIT.OK };
    }
    lockOutGuard(plan, baselines, flags.iUnderstandLockoutRisk === true);
    const progress = remediateProgress({ quiet: flags.quiet === true, limit: TENANT_RUNNING_TASK_LIMIT });
    const outcome = await progress.run((onEvent) => fleet.applyRemediation(connection, store!, plan, listing, {
      wait: flags.wait === true,
      limit: TENANT_RUNNING_TASK_LIMIT,
      pollMs,
      maxPollMs: Math.max(pollMs, 120_000),
      concurrency: 8,
      onEvent,
    }));
    const direct = await fleet.applyDirect(connection, store, scanId, plan.direct, { wait: flags.wait === true, pollMs, maxPollMs: Math.max(pollMs, 120_000) });
    outcome.failures.push(...direct.failures);
    const states: TaskStates = new Map(outcome.tasks.map((o) => [o.task.name, { state: o.state, opened: o.opened, failedDeployments: o.failedDeployments }]));
    render(plan, outputs, states);
    for (const f of outcome.failures) {
      stdout.line(`FAILED ${f.taskName} (${f.state}): ${f.deployments.length} deployment${f.deployments.length === 1 ? '' : 's'} failed`);
      for (const d of f.deployments.slice(0, 5)) stdout.line(`  ${d.resourceId}: ${d.status}${d.error ? `: ${d.error}` : ''}`);
      if (f.deployments.length > 5) stdout.line(`  … ${f.deployments.length - 5} more (recorded in ${flags.history})`);
    }
    const existed = outcome.tasks.filter((o) => !o.opened).length;
    stdout.line(`opened ${outcome.opened} task${outcome.opened === 1 ? '' : 's'}, ${existed} already open${outcome.queued.length ? `, ${outcome.queued.length} queued behind the tenant limit (run again, or use --wait, to open them)` : ''}; ` +
      `peak ${outcome.peakRunning} running at once (limit ${TENANT_RUNNING_TASK_LIMIT})` +
      (plan.direct.length ? `; re-applied ${direct.reapplied} direct-mode guest assignment${direct.reapplied === 1 ? '' : 's'} (${plan.direct.filter((x) => x.status === 'done').length} already re-applied for this scan)` : '') +
      (flags.wait ? `; ${outcome.tasks.filter((o) => /^(succeeded|complete)$/i.test(o.state)).length} succeeded, ${outcome.failures.length} with failures` : '; not waiting (--wait follows them to the end)'));
    if (flags.wait) await hooks.onFailures?.(outcome.failures);
    return { plan, failures: outcome.failures, exitCode: outcome.failures.length ? EXIT.FAIL : EXIT.OK };
  } finally {
    connection.close();
    store?.close();
  }
}
