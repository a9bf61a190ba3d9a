/**
 * The plan as GitHub-flavoured Markdown (`--output plan.md`): for a pull-request comment or a job
 * summary — the summary line, one table row per resource that changes (unchanged ones are counted,
 * not listed), and after `--apply` the result of each write.
 */
import type { ApplyOutcome } from '../rollout/apply.js';
import { orderedChanges, planSummaryLine, type Plan } from '../rollout/plan.js';
import { escapeMarkdown, escapeMarkdownCell } from './markdown-text.js';
import { applySummaryLine } from './plan-summary.js';
import { actionLabel, changeDetails, resultLabel } from './plan-text.js';

const ACTION_MARK: Record<string, string> = { create: '➕ create', update: '✏️ update', delete: '🗑️ delete', keep: '⏸️ keep', unchanged: 'unchanged' };

export function renderPlanMarkdown(plan: Plan, options: { outcome?: ApplyOutcome } = {}): string {
  const lines = [`### driftscan ${escapeMarkdown(plan.command)}: ${escapeMarkdown(plan.target)}`, '', `**${escapeMarkdown(planSummaryLine(plan))}**`];
  if (options.outcome) lines.push('', `**${escapeMarkdown(applySummaryLine(options.outcome))}**`);
  const shown = orderedChanges(plan).filter((c) => c.action !== 'unchanged');
  if (shown.length) {
    const byChange = new Map(options.outcome?.results.map((r) => [r.change, r]));
    lines.push('', `| Action | Kind | Name | Changes |${options.outcome ? ' Result |' : ''}`, `|---|---|---|---|${options.outcome ? '---|' : ''}`);
    for (const c of shown) {
      const cells = [ACTION_MARK[actionLabel(c)] ?? actionLabel(c), escapeMarkdownCell(c.kind), escapeMarkdownCell(c.name), escapeMarkdownCell(changeDetails(c).join('\n'))];
      if (options.outcome) cells.push(escapeMarkdownCell(resultLabel(byChange.get(c), c)));
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
