/**
 * Word wrapping the way the `table` package wraps a `wrapWord` column, in linear time. Both ways a
 * verdict table is drawn use it: rows too big for the package's quadratic wrapping are wrapped here
 * before the package sees them (table.ts), and printable-ASCII tables are drawn without the package
 * (box-table.ts).
 */

export const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/**
 * Wraps one line for a column `width` wide, appending to `out`, breaking where the `table` package
 * breaks (after whitespace, else after one of \ / _ . , ; -, else hard at the width), in linear
 * time, so plain text renders exactly as the package renders it. Width here counts UTF-16 units
 * where the package counts terminal columns per grapheme: a line of wide characters can still be
 * too wide, and the package then wraps it further (the table stays aligned). For printable ASCII
 * the two counts are the same.
 */
export function wrapLine(line: string, width: number, out: string[]): void {
  if (line.length <= width) {
    out.push(line);
    return;
  }
  const fits = new RegExp(`.{1,${width}}(?:\\s+|$)|.{1,${Math.max(width - 1, 1)}}[\\\\/_.,;-]`, 'y');
  let pos = 0;
  while (pos < line.length) {
    fits.lastIndex = pos;
    const m = fits.exec(line);
    if (m) {
      out.push(m[0].trimEnd());
      pos += m[0].length;
    } else {
      // Hard cut, never between the two halves of a surrogate pair (even at width 1).
      let end = Math.min(pos + width, line.length);
      if (end < line.length && isHighSurrogate(line.charCodeAt(end - 1))) end += end - 1 > pos ? -1 : 1;
      out.push(line.slice(pos, end));
      pos = end;
    }
  }
}
