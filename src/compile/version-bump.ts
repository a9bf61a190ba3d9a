/**
 * `--bump`: raises the patch part of a baseline's `metadata.version` by editing that one scalar
 * in the YAML text, so comments, folding and key order stay exactly as the author wrote them
 * (re-serialising the document would rewrap every folded string).
 */
import { LineCounter, isMap, isScalar, parseDocument } from 'yaml';
import { DriftscanError, type SourceLocation } from '../core/diagnostics.js';

/** Where `metadata.version` sits in the text: source range of the scalar token and its line:col. */
export function findVersionScalar(text: string, file: string): { start: number; end: number; value: string; location: SourceLocation } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: true });
  const metadata = doc.contents && isMap(doc.contents) ? doc.contents.get('metadata', true) : undefined;
  const node = metadata && isMap(metadata) ? metadata.get('version', true) : undefined;
  if (!node || !isScalar(node) || !node.range) throw new DriftscanError('metadata.version not found', { location: { file, line: 1, col: 1 } });
  const [start, end] = node.range;
  const pos = lines.linePos(start);
  return { start, end, value: String(node.value), location: { file, line: pos.line, col: pos.col } };
}

/** `1.2.3` → `1.2.4` (pre-release/build suffixes are dropped: a bumped build is a release). */
export function nextPatch(version: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`version ${version} is not major.minor.patch`);
  return `${m[1]}.${m[2]}.${Number(m[3]) + 1}`;
}

/** Returns the YAML text with metadata.version replaced by `version`, keeping the scalar's quoting. */
export function setBaselineVersion(text: string, file: string, version: string): string {
  const s = findVersionScalar(text, file);
  const original = text.slice(s.start, s.end);
  const quote = original.startsWith('"') ? '"' : original.startsWith("'") ? "'" : '';
  // `end` may include trailing spaces or a comment for plain scalars; replace only the value itself.
  const valueEnd = quote ? text.indexOf(quote, s.start + 1) + 1 : s.start + original.trimEnd().length;
  return `${text.slice(0, s.start)}${quote}${version}${quote}${text.slice(valueEnd)}`;
}
