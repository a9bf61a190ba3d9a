/**
 * The plan as JSON (`--output plan.json`): every change with its field diffs and the body `--apply`
 * sends, plus the outcome after `--apply`. Stable shape (`planVersion`), for scripts and for
 * comparing plans between runs.
 */
import { summarizeOutcome, type ApplyOutcome } from '../rollout/apply.js';
import { orderedChanges, summarizePlan, type Plan } from '../rollout/plan.js';

export const PLAN_VERSION = 1;

export function renderPlanJson(plan: Plan, options: { outcome?: ApplyOutcome } = {}): string {
  const byChange = new Map(options.outcome?.results.map((r) => [r.change, r]));
  const doc = {
    planVersion: PLAN_VERSION,
    command: plan.command,
    target: plan.target,
    summary: summarizePlan(plan),
    changes: orderedChanges(plan).map((c) => {
      const r = byChange.get(c);
      return {
        action: c.action,
        kind: c.kind,
        id: c.id,
        name: c.name,
        wave: c.wave,
        ...(c.action === 'delete' ? { pruned: c.pruned === true } : {}),
        ...(c.note !== undefined ? { note: c.note } : {}),
        fields: c.fields.map((f) => ({ path: f.path, before: f.before ?? null, after: f.after ?? null })),
        ...(c.body !== undefined ? { body: c.body } : {}),
        ...(r ? { result: r.status, ...(r.error !== undefined ? { error: r.error } : {}) } : {}),
      };
    }),
    ...(options.outcome ? { outcome: summarizeOutcome(options.outcome) } : {}),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
