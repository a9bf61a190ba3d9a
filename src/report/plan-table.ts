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

export function renderPlanTable(plan: Plan, options: PlanTableOptions = {}): string {
  const changes = orderedChanges(plan);
  const summary = options.outcome ? `${planSummaryLine(plan)}\n${applySummaryLine(options.outcome)}` : planSummaryLine(plan);
  if (changes.length === 0) return `${plan.command} ${showControlCharacters(plan.target)}: nothing to do\n${summary}\n`;
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
  // Fixed columns first, the rest to Changes (and Result).
  const fixed = 9 + 22 + 30;
  const rest = Math.max(width - fixed - (header.length * 3 + 1), 20);
  const changesWidth = options.outcome ? Math.max(Math.floor(rest * 0.65), 12) : rest;
  const resultWidth = Math.max(rest - changesWidth, 8);
  const columns = [{ width: 9 }, { width: 22, wrapWord: true }, { width: 30, wrapWord: true }, { width: changesWidth, wrapWord: true }, ...(options.outcome ? [{ width: resultWidth, wrapWord: true }] : [])];
  const text = tableLibrary.table([header, ...rows], { columns, border: tableLibrary.getBorderCharacters('norc'), drawHorizontalLine: (i, n) => i === 0 || i === 1 || i === n });
  return `${plan.command} ${showControlCharacters(plan.target)}\n${text}${summary}\n`;
}
