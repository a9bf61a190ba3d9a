/**
 * Text hygiene shared by the writers. Rule titles, registry data and waiver reasons come from
 * baselines and from the machine under test, so they can hold anything: escape sequences that
 * would repaint a CI log, NULs from REG_SZ data, lone UTF-16 surrogates from damaged hives.
 */

// C0 controls except tab/newline/CR, DEL, C1 controls (some terminals act on CSI 0x9b), the
// noncharacters U+FFFE/U+FFFF (not XML 1.0 `Char`s), and unpaired surrogates, which no UTF-8
// writer can encode faithfully.
const UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Replaces control characters and lone surrogates with a visible `\xNN` / `\uNNNN` form; keeps tab, LF, CR. */
export function showControlCharacters(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
