/**
 * Text from untrusted files (zip entry names, MOF strings, metaconfig values) made safe to put on
 * one line of a terminal or CI log. Raw, such text can forge output: a newline starts a fake
 * `ok:` line, ESC sequences erase or recolour lines, C1 controls (U+009B is CSI) act like ESC on
 * some terminals, U+2028/U+2029 break lines in editors and log viewers, and bidi overrides make
 * `cod.exe` display as `exe.doc`.
 */

// C0 controls (tab, LF and CR included: one value, one line), DEL, C1 controls, ALM, LRM/RLM,
// line/paragraph separators, the bidi embeddings/overrides and isolates, the BOM, unpaired surrogates.
const HAZARD = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The non-ASCII hazards JSON.stringify leaves raw (it escapes only C0 controls and lone surrogates). */
const JSON_HAZARD = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

const escape = (c: string): string => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** True when `s` holds a character `printable` would escape. */
export function hasHazard(s: string): boolean {
  HAZARD.lastIndex = 0;
  return HAZARD.test(s);
}

/** `s` with every hazard written as `\xNN` / `\uNNNN`; everything else (backslashes too) as it is. */
export function printable(s: string): string {
  return s.replace(HAZARD, escape);
}

/** `s` in double quotes, JSON-escaped and with the hazards JSON leaves raw escaped too: for names inside messages. */
export function quoted(s: string): string {
  return printableJson(s);
}

/**
 * JSON.stringify, then the hazards it leaves raw as `\uNNNN`: still valid JSON that parses to
 * the same value (they can only occur inside strings), but safe to read in a terminal.
 */
export function printableJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(JSON_HAZARD, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
