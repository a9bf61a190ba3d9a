/**
 * ARM template / Azure Policy expression quoting. A JSON string is evaluated as an expression
 * when it starts with `[` and ends with `]` and its second character is not `[` (the pattern of
 * `common/definitions.json#/definitions/expression`: `^\[([^\[].*)?\]$`). A literal of that shape
 * is written with one more leading bracket (`[[x]` → `[x]`, ARM "Escape characters"). Inside an
 * expression, string literals are single-quoted and a quote is doubled.
 */

/** True when ARM/Policy would evaluate `s` (and unescape a leading `[[`) rather than use it as is. */
function looksBracketed(s: string): boolean {
  return s.length >= 2 && s.startsWith('[') && s.endsWith(']');
}

/** Makes `s` a JSON string value that ARM and Policy read back as exactly `s`. */
export function armLiteral(s: string): string {
  return looksBracketed(s) ? `[${s}` : s;
}

/** The inverse of `armLiteral`: what ARM makes of a non-expression string value. */
export function armUnescape(s: string): string {
  return looksBracketed(s) && s.startsWith('[[') ? s.slice(1) : s;
}

/** True when ARM would evaluate the string value as an expression. */
export function isArmExpression(s: string): boolean {
  return looksBracketed(s) && !s.startsWith('[[');
}

/** `s` as a single-quoted string literal inside an expression (`it's` → `'it''s'`). */
export function armStringLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
