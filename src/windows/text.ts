/**
 * Case-insensitive comparison the way Windows and .NET do it: each character maps to one character
 * (simple upper-case mapping, as RtlUpcaseUnicodeString and `String.ToUpperInvariant`), never to
 * several as `String.prototype.toUpperCase` maps `ß` to `SS`. driftscan's in-guest DSC module runs
 * `ToUpperInvariant` under PowerShell 7, so this is the one folding both sides use; the differential
 * test (test/dsc-engine.test.ts) and test/windows-text.test.ts hold them together.
 */

/**
 * Where .NET's invariant upper-casing differs from JavaScript's one-to-one mappings: `ı` stays (the
 * Turkish pair is culture-specific in .NET), Greek letters with iota subscript map to their
 * title-case forms (JavaScript only has the two-character full mapping), and letters added in
 * Unicode 16 that .NET 10's casing table does not map yet.
 */
const DOTNET_UPPER: ReadonlyMap<number, number> = new Map<number, number>([
  [0x0131, 0x0131], [0x019b, 0x019b], [0x0264, 0x0264], [0x1c8a, 0x1c8a],
  [0xa7cd, 0xa7cd], [0xa7cf, 0xa7cf], [0xa7d3, 0xa7d3], [0xa7d5, 0xa7d5], [0xa7db, 0xa7db],
  ...[0x1f80, 0x1f90, 0x1fa0].flatMap((base) => Array.from({ length: 8 }, (_, i) => [base + i, base + i + 8] as [number, number])),
  [0x1fb3, 0x1fbc], [0x1fc3, 0x1fcc], [0x1ff3, 0x1ffc],
]);

const ASCII = /^[\x00-\x7f]*$/;

/** One character upper-cased one-to-one (a character with no single-character mapping stays). */
function upperChar(ch: string): string {
  const special = DOTNET_UPPER.get(ch.codePointAt(0)!);
  if (special !== undefined) return String.fromCodePoint(special);
  const u = ch.toUpperCase();
  return u.length === ch.length ? u : ch;
}

/** `s` upper-cased one character at a time (code point by code point; lone surrogates stay). */
export function foldCase(s: string): string {
  // ASCII (nearly every registry and account name) has one-to-one mappings in both runtimes; the
  // per-character walk below costs ~10 ms at start-up when the identity tables are built.
  if (ASCII.test(s)) return s.toUpperCase();
  let out = '';
  for (const ch of s) out += upperChar(ch);
  return out;
}

/** Equal ignoring case, as Windows compares names. */
export function sameIgnoringCase(a: string, b: string): boolean {
  return foldCase(a) === foldCase(b);
}
