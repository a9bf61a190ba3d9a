/**
 * Escaping for GitHub-flavoured Markdown: rule text and registry data must render literally in
 * step summaries, PR comments and SARIF `help.markdown`, not as emphasis, links, HTML or table
 * structure.
 */
import { showControlCharacters } from './text.js';

// CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that open
// inline constructs (code, emphasis, links and images via `[`, HTML and autolinks, strikethrough,
// entities, headings in list items), plus `|`, which GFM splits table cells on even in code spans.
// `(`, `)` and `!` only act next to an (escaped) `[`/`]`, so they stay readable.
const SPECIAL = /[\\`*_[\]<>#|~&]/g;

/** Escapes inline Markdown; line breaks are kept as Markdown hard breaks. */
export function escapeMarkdown(s: string): string {
  return showControlCharacters(s).replace(SPECIAL, (c) => `\\${c}`).replace(/\r\n|\r|\n/g, '  \n');
}

/** Escapes text for one GFM table cell: a line break would end the row, so it becomes `<br>`. */
export function escapeMarkdownCell(s: string): string {
  return showControlCharacters(s)
    .replace(SPECIAL, (c) => `\\${c}`)
    .replace(/\r\n|\r|\n/g, '<br>')
    .replace(/\t/g, ' ');
}
