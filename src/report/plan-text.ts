/**
 * How a plan's values read in the table and Markdown writers: one short line per field change
 * (`properties.metadata.contentHash: "A5CF…" → "7B21…"`), values as compact JSON cut at a fixed
 * length — the JSON plan carries them whole.
 */
import type { FieldChange } from '../rollout/field-diff.js';
import type { ChangeOutcome } from '../rollout/apply.js';
import type { PlannedChange } from '../rollout/plan.js';
import { redactSecrets } from '../core/redact.js';
import { showControlCharacters } from './text.js';

const VALUE_CHARACTERS = 80;

/** A value as compact JSON, cut with `…` after VALUE_CHARACTERS; `(absent)` for undefined. */
export function shortValue(v: unknown): string {
  if (v === undefined) return '(absent)';
  // Redacted before it is cut or wrapped: a SAS signature split over two lines no longer matches.
  const text = redactSecrets(showControlCharacters(JSON.stringify(v) ?? String(v)));
  return text.length <= VALUE_CHARACTERS ? text : `${text.slice(0, VALUE_CHARACTERS - 1)}…`;
}

export function fieldLine(f: FieldChange): string {
  return `${f.path}: ${shortValue(f.before)} → ${shortValue(f.after)}`;
}

/** The action as users read it: `delete` candidates without --prune read `keep (pass --prune)`. */
export function actionLabel(c: PlannedChange): string {
  if (c.action === 'delete' && c.pruned !== true) return 'keep';
  return c.action;
}

/** What the "Changes" cell says. */
export function changeDetails(c: PlannedChange): string[] {
  const lines: string[] = [];
  if (c.note) lines.push(redactSecrets(showControlCharacters(c.note)));
  if (c.action === 'update') lines.push(...c.fields.map(fieldLine));
  if (c.action === 'delete' && c.pruned !== true) lines.push('no longer produced; deleted only with --prune');
  return lines;
}

/** What the "Result" cell says after `--apply`. */
export function resultLabel(o: ChangeOutcome | undefined, c: PlannedChange): string {
  if (!o) return c.action === 'unchanged' || (c.action === 'delete' && c.pruned !== true) ? '-' : 'not attempted';
  if (o.status === 'failed') return `FAILED: ${redactSecrets(showControlCharacters(o.error ?? ''))}`;
  return o.status === 'applied' ? 'applied' : 'not attempted';
}
