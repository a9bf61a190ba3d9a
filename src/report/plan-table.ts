/**
 * The plan as a terminal/CI-log table: one row per resource in apply order (Action, Kind, Name,
 * Changes, and Result after `--apply`), then the summary line. Same borders and width handling as
 * the verdict table (`table.ts`).
 */
import tableLibrary from 'table';
import type { ApplyOutcome } from '../rollout/apply.js';
import { orderedChanges, planSummaryLine, type Plan } from '../rollout/plan.js';
import { applySummaryLine } from './plan-summary.js';
import { actionLabel, changeDetails, resultLabel } from './plan-text.js';
import { redactSecrets } from '../core/redact.js';
import { showControlCharacters } from './text.js';

export interface PlanTableOptions {
  width?: number;
  outcome?: ApplyOutcome;
}

/**
 * Up to this many resources the table lists every one; beyond it (an `assign` on 1,000 machines) it
 * lists only what changes and counts the rest: a CI log is read by people, the JSON plan has them all.
 */
const LIST_ALL_UP_TO = 50;

export function renderPlanTable(plan: Plan, options: PlanTableOptions = {}): string {
  const all = orderedChanges(plan);
  const changes = all.length > LIST_ALL_UP_TO ? all.filter((c) => c.action !== 'unchanged') : all;
  const hidden = all.length - changes.length;
  const hiddenLine = hidden ? `${hidden} unchanged resource${hidden === 1 ? '' : 's'} not listed (--output plan.json lists every one)\n` : '';
  const summary = hiddenLine + (options.outcome ? `${planSummaryLine(plan)}\n${applySummaryLine(options.outcome)}` : planSummaryLine(plan)) + skippedLines(plan);
  if (changes.length === 0) return `${plan.command} ${showControlCharacters(plan.target)}: nothing to ${hidden ? 'change' : 'do'}\n${summary}\n`;
  const byChange = new Map(options.outcome?.results.map((r) => [r.change, r]));
  const header = ['Action', 'Kind', 'Name', 'Changes', ...(options.outcome ? ['Result'] : [])];
  const rows = changes.map((c) => [
    actionLabel(c),
    c.kind,
    redactSecrets(showControlCharacters(c.name)),
    changeDetails(c).join('\n'),
    ...(options.outcome ? [resultLabel(byChange.get(c), c)] : []),
  ]);
  const width = Math.max(options.width ?? 120, 60);
  // Fixed columns first, the rest to Changes (and Result). Kind is as wide as the longest kind
  // (up to 30), so `guestConfigurationAssignment` is not broken over two lines.
  const kindWidth = Math.min(30, Math.max(12, ...changes.map((c) => c.kind.length)));
  const fixed = 9 + kindWidth + 30;
  const rest = Math.max(width - fixed - (header.length * 3 + 1), 20);
  const changesWidth = options.outcome ? Math.max(Math.floor(rest * 0.65), 12) : rest;
  const resultWidth = Math.max(rest - changesWidth, 8);
  const columns = [{ width: 9 }, { width: kindWidth, wrapWord: true }, { width: 30, wrapWord: true }, { width: changesWidth, wrapWord: true }, ...(options.outcome ? [{ width: resultWidth, wrapWord: true }] : [])];
  const text = tableLibrary.table([header, ...rows], { columns, border: tableLibrary.getBorderCharacters('norc'), drawHorizontalLine: (i, n) => i === 0 || i === 1 || i === n });
  return `${plan.command} ${showControlCharacters(plan.target)}\n${text}${summary}\n`;
}

/** `skipped 2:` and one line per target left alone, after the summary. */
function skippedLines(plan: Plan): string {
  if (!plan.skipped?.length) return '';
  return `\nskipped ${plan.skipped.length}:\n${plan.skipped.map((s) => `  ${redactSecrets(showControlCharacters(s.id))}: ${showControlCharacters(s.reason)}`).join('\n')}`;
}
