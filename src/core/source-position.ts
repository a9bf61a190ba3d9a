/**
 * Source positions inside YAML and JSON documents (JSON is YAML 1.2): finds where the value or key
 * at a path (`['spec', 'rules', 3, 'id']`, or an ajv JSON pointer) starts, so validation errors can
 * name `file:line:col` instead of a path the user has to search for.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { SourceLocation } from './diagnostics.js';

/** Character offset of the node at `path` (or of its key when `key`), falling back to the nearest existing ancestor. */
export function nodeOffset(doc: Document, path: ReadonlyArray<string | number>, key: boolean): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as YamlNode | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const last = i === path.length - 1;
      if (last && key && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
      node = pair.value;
      const r = (pair.value as YamlNode | null)?.range ?? (isScalar(pair.key) ? pair.key.range : undefined);
      if (r) offset = r[0];
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (item === undefined) break;
      node = item;
      const r = (item as YamlNode | null)?.range;
      if (r) offset = r[0];
    } else break;
  }
  return offset;
}

/** `/spec/rules/3/id` → `["spec", "rules", 3, "id"]` (RFC 6901 unescaping). */
export function pointerToPath(pointer: string): Array<string | number> {
  if (!pointer) return [];
  return pointer.slice(1).split('/').map((s) => {
    const t = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(t) ? Number(t) : t;
  });
}

/**
 * Locates `pointer` (a JSON pointer such as ajv's `instancePath`) in `text`; falls back to the
 * nearest existing ancestor, and to the start of the file when `text` does not parse.
 */
export function locatePointer(text: string, file: string, pointer: string): SourceLocation {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const offset = doc.errors.length ? 0 : nodeOffset(doc, pointerToPath(pointer), false);
  const p = lines.linePos(offset);
  return { file, line: p.line, col: p.col };
}
