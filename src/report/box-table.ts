/**
 * Draws a bordered table of printable-ASCII text, without colour, exactly as the `table` package
 * draws it for the verdict table (table.ts): the 'norc' border, a rule above and below the header,
 * between rows and at the bottom, one space of padding either side, cells left-aligned and
 * top-aligned, each column `wrapWord`-wrapped to a fixed width.
 *
 * Why not the package: for every cell it strips ANSI codes, splits the text into graphemes with
 * Unicode-property regexes, measures them with string-width and re-slices each line with
 * slice-ansi, because a cell may hold any Unicode text and colour codes. That was ~8 ms of every
 * `check` start-up (issue #7: the gate's whole process must stay near bare Node's start-up) for a
 * table of a few rows. With printable ASCII and no colour, one character is one terminal column,
 * so wrapping (word-wrap.ts, the package's break rules) and padding are plain string work.
 * Anything else — colour, wide characters, emoji, combining marks — still goes to the package,
 * which knows terminal widths. test/report-box-table.test.ts checks this drawer against the
 * package, character for character.
 */
import { wrapLine } from './word-wrap.js';

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Whether `s` is only printable ASCII (space to tilde), which this drawer may draw. */
export function isPrintableAscii(s: string): boolean {
  return PRINTABLE_ASCII.test(s);
}

/**
 * The table, lines joined by '\n' with no newline at the end. `rows[r][c]` holds the lines of
 * text of cell c of row r (the first row is the header), each printable ASCII; `widths[c]` is the
 * width of column c's text, without padding, at least 2 (the verdict table's are at least 7; at
 * width 1 the package's own break rules overflow the column).
 */
export function drawBoxTable(rows: ReadonlyArray<ReadonlyArray<readonly string[]>>, widths: readonly number[]): string {
  const rule = (left: string, join: string, right: string): string => left + widths.map((w) => '─'.repeat(w + 2)).join(join) + right;
  const out: string[] = [rule('┌', '┬', '┐')];
  const between = rule('├', '┼', '┤');
  rows.forEach((row, r) => {
    if (r > 0) out.push(between);
    const columns = row.map((lines, c) => {
      const wrapped: string[] = [];
      for (const line of lines) wrapLine(line, widths[c]!, wrapped);
      // An empty cell is one empty line, as the package has it.
      return wrapped.length ? wrapped : [''];
    });
    const height = Math.max(...columns.map((c) => c.length));
    for (let k = 0; k < height; k++) {
      out.push(`│${columns.map((c, i) => ` ${(c[k] ?? '').padEnd(widths[i]!)} `).join('│')}│`);
    }
  });
  out.push(rule('└', '┴', '┘'));
  return out.join('\n');
}
