/**
 * Plan writers, one per format like the verdict writers (`index.ts`): `publish`, `deploy` and
 * `assign` print the table and write `--output plan.json|plan.md`. The text is redacted here, once:
 * a plan's bodies can hold a contentUri with a SAS token.
 */
import { redactSecrets } from '../core/redact.js';
import type { ApplyOutcome } from '../rollout/apply.js';
import type { Plan } from '../rollout/plan.js';
import { renderPlanJson } from './plan-json.js';
import { renderPlanMarkdown } from './plan-markdown.js';
import { renderPlanTable } from './plan-table.js';

export const PLAN_FORMATS = ['table', 'json', 'markdown'] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

export interface PlanRenderOptions {
  /** After `--apply`: the result of each write. */
  outcome?: ApplyOutcome;
  /** Table width (default 120). */
  width?: number;
}

export function renderPlan(plan: Plan, format: PlanFormat, options: PlanRenderOptions = {}): string {
  const o = options.outcome ? { outcome: options.outcome } : {};
  switch (format) {
    case 'table':
      return redactSecrets(renderPlanTable(plan, { ...o, ...(options.width !== undefined ? { width: options.width } : {}) }));
    case 'json':
      return redactSecrets(renderPlanJson(plan, o));
    case 'markdown':
      return redactSecrets(renderPlanMarkdown(plan, o));
  }
}

/** The format an `--output` file name asks for: `.json` → json, `.md`/`.markdown` → markdown, else undefined. */
export function planFormatOf(file: string): PlanFormat | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.md') || lower.endsWith('.markdown')) return 'markdown';
  return undefined;
}
