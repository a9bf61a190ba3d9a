/**
 * Registry key and value names compare case-insensitively, one UTF-16 code unit at a time
 * (windows-formats.md §1.7): Windows upper-cases each unit through its own table and never
 * changes a name's length, unlike `String.prototype.toUpperCase` (ß → SS).
 */

/** Upper-cases `name` per code unit, keeping units whose upper case is not a single unit. */
export function upcaseName(name: string): string {
  const whole = name.toUpperCase();
  // Same length ⇒ no unit expanded, so the whole-string result equals the per-unit one (the common, ASCII case).
  if (whole.length === name.length && !/[\ud800-\udfff]/.test(name)) return whole;
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    const u = c.toUpperCase();
    out += u.length === 1 ? u : c;
  }
  return out;
}

/**
 * Quotes a key path or value name for a one-line message: `"ControlSet001\Services"`. Backslashes
 * stay single (they separate keys); control characters, legal in names, are escaped.
 */
export function quoteName(name: string): string {
  return `"${name.replace(/[\u0000-\u001f\u007f"]/g, (c) => JSON.stringify(c).slice(1, -1))}"`;
}
