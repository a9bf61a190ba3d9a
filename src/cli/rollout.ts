/**
 * The plan/apply cycle every rollout command shares (`publish`, `deploy`, `assign`): print the plan,
 * write `--output` files, and with `--apply` perform exactly that plan with progress on stderr; then
 * say what was applied and what was not. A write that fails stops the run (writes in flight finish,
 * nothing new starts): the outcome lists each write as applied / FAILED / not attempted, on stdout
 * and in every `--output` file, and the failure's own one-line error is rethrown for `main` to print
 * and to exit with (3 for Azure failures).
 */
import { usageError } from '../core/diagnostics.js';
import { stderr, stdout } from '../io/console.js';
import { prepareOutput, writeOutput, type NamedInput, type OutputTarget } from '../io/output-file.js';
import type { ApplyOutcome, ChangeOutcome } from '../rollout/apply.js';
import { applyPlan } from '../rollout/apply.js';
import { isWrite, type Plan, type PlannedChange } from '../rollout/plan.js';
import { planFormatOf, renderPlan, type PlanFormat } from '../report/plan.js';
import { applySummaryLine } from '../report/plan-summary.js';

export interface PlanOutput {
  target: OutputTarget;
  format: PlanFormat;
}

/** Checks `--output` files before anything is read or sent: a known extension, not an input. */
export function preparePlanOutputs(files: readonly string[] | undefined, inputs: readonly NamedInput[]): PlanOutput[] {
  return (files ?? []).map((file) => {
    const format = planFormatOf(file);
    if (!format) throw usageError(`--output ${file}: name a .json or .md file (the plan as JSON or Markdown)`);
    return { target: prepareOutput(file, inputs, { what: 'plan' }), format };
  });
}

export interface RolloutRun {
  plan: Plan;
  apply: boolean;
  outputs: readonly PlanOutput[];
  /** Sends one write. */
  write: (change: PlannedChange) => Promise<void>;
  /** Writes in flight at once. */
  concurrency?: number;
  /** Stops starting new writes (the command's deadline). */
  signal?: AbortSignal;
}

/** Table width: the terminal's, or 120 in a CI log. */
const tableWidth = (): number => process.stdout.columns || 120;

/** Prints and writes the plan; with `apply`, performs it. Returns the outcome (undefined for a plan). */
export async function runRollout(run: RolloutRun): Promise<ApplyOutcome | undefined> {
  const { plan } = run;
  stdout.write(renderPlan(plan, 'table', { width: tableWidth() }));
  if (!run.apply) {
    for (const o of run.outputs) writeOutput(o.target, renderPlan(plan, o.format), 'plan');
    const writes = plan.changes.filter(isWrite).length;
    stderr.line(writes ? `plan only: nothing was changed; run again with --apply to make these ${writes} change${writes === 1 ? '' : 's'}` : 'plan only: nothing to change');
    return undefined;
  }
  const total = plan.changes.filter(isWrite).length;
  const progress = progressReporter(total);
  const outcome = await applyPlan(plan, run.write, {
    concurrency: run.concurrency ?? 8,
    onSettled: progress,
    ...(run.signal ? { signal: run.signal } : {}),
  });
  for (const o of run.outputs) writeOutput(o.target, renderPlan(plan, o.format, { outcome }), 'plan');
  const unfinished = outcome.results.filter((r) => r.status !== 'applied');
  if (unfinished.length) {
    stdout.line('');
    stdout.line('Not applied:');
    for (const r of unfinished) stdout.line(`  ${r.status === 'failed' ? 'FAILED       ' : 'not attempted'} ${r.change.action} ${r.change.kind} ${r.change.id}${r.error ? `: ${r.error}` : ''}`);
  }
  stdout.line(applySummaryLine(outcome));
  if (outcome.firstError !== undefined) throw outcome.firstError;
  return outcome;
}

/**
 * Progress on stderr: every write for small plans; for big ones (1,000 machines) a line every 5 %
 * or 5 seconds, whichever comes first, plus every failure.
 */
function progressReporter(total: number): (o: ChangeOutcome, done: number) => void {
  const everyWrite = total <= 50;
  let lastAt = Date.now();
  let lastShare = 0;
  return (o, done) => {
    const line = `[${done}/${total}] ${o.status === 'applied' ? 'applied' : 'FAILED'} ${o.change.action} ${o.change.kind} ${o.change.name}`;
    const share = Math.floor((done / total) * 20);
    if (everyWrite || o.status !== 'applied' || done === total || share > lastShare || Date.now() - lastAt > 5000) {
      stderr.line(line);
      lastAt = Date.now();
      lastShare = share;
    }
  };
}

