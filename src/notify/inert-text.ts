/**
 * Text from machines and from Azure (error messages, rule reasons, resource names) made inert for
 * an issue or work item body: it renders literally, inside one table cell, and acts on nobody.
 *
 * - Markdown structure, HTML and entities: escaped as in every driftscan Markdown report
 *   (`report/markdown-text.ts`: `\|` keeps the cell, `\<` keeps HTML out, line breaks become
 *   `<br>`); control characters are shown as `\xNN`.
 * - GitHub acts on the **rendered text**, after Markdown: `@name` notifies a person or team,
 *   `#123`, `GH-123` and `owner/repo#123` link and cross-reference other issues, a bare URL to an
 *   issue cross-references it, and `fixes #123` in a pull request closes it. A backslash escape does
 *   not survive rendering, so a zero-width space (U+200B) goes after `@`, after `#`, after `GH-`,
 *   inside `://` and `www.`, and after the first letter of a closing keyword (close, fix, resolve
 *   and their forms) — the approach Dependabot takes for `@` in release notes. Readers see the same
 *   characters; nothing is linked, mentioned or closed.
 * - Secrets: redacted before anything else (`core/redact.ts`), so a SAS URL in an Azure error does
 *   not reach the tracker.
 * - Length: one cell holds at most `maxLength` characters, so one runaway message cannot crowd the
 *   other machines out of the body.
 */
import { redactSecrets } from '../core/redact.js';
import { escapeMarkdownCell } from '../report/markdown-text.js';

const ZWSP = '\u200b';

/** Default cap for one cell's source text. */
export const MAX_CELL_TEXT = 1000;

const CLOSING_KEYWORD = /\b(c)(?=lose[sd]?\b)|\b(f)(?=ix(?:e[sd])?\b)|\b(r)(?=esolve[sd]?\b)/gi;

/** `text` for one Markdown table cell (or an inline phrase): escaped, inert, redacted, capped. */
export function inertCell(text: string, maxLength: number = MAX_CELL_TEXT): string {
  return neutraliseReferences(escapeMarkdownCell(capText(redactSecrets(text), maxLength)));
}

/** `text` with its start kept and `…` appended when it is longer than `max` (never splitting a surrogate pair). */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = Math.max(0, max - 1);
  if (/[\ud800-\udbff]/.test(text[cut - 1] ?? '')) cut -= 1;
  return `${text.slice(0, cut)}…`;
}

/** Breaks mentions, issue references, autolinks and closing keywords with zero-width spaces. */
export function neutraliseReferences(text: string): string {
  return text
    .replace(/@/g, `@${ZWSP}`)
    .replace(/#/g, `#${ZWSP}`)
    .replace(/\b(GH)-/gi, `$1-${ZWSP}`)
    .replace(/:\/\//g, `:/${ZWSP}/`)
    .replace(/\b(www)\./gi, `$1${ZWSP}.`)
    .replace(CLOSING_KEYWORD, (m) => `${m}${ZWSP}`);
}

/** A title line: no Markdown is rendered there, but control characters and line breaks go. */
export function plainTitle(text: string, max: number): string {
  return capText(redactSecrets(text).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim(), max);
}
