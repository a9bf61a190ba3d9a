/**
 * Source positions inside YAML and JSON documents (JSON is YAML 1.2): finds where the value or key
 * at a path (`['spec', 'rules', 3, 'id']`, or an ajv JSON pointer) starts, so validation errors can
 * name `file:line:col` instead of a path the user has to search for.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type Node as YamlNode } from 'yaml';
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
 * Locates `pointer` (a JSON pointer such as ajv's `instancePath`) in the JSON `text`; falls back to
 * the nearest existing ancestor, and to the start of the file when the path leaves the document.
 *
 * A scan of the JSON text, not a YAML parse: building a YAML document of a 20 MB snapshot to
 * point at one bad field took 47 s and 2 GB, and 100,000 nested arrays defeated it. This walks
 * down the path once, skipping the values it does not enter without building anything, and
 * keeps no recursion, so any valid JSON is located in time linear in its length.
 */
export function locatePointer(text: string, file: string, pointer: string): SourceLocation {
  const offset = jsonPointerOffset(text, pointerToPath(pointer));
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { file, line, col: offset - lineStart + 1 };
}

/** Offset of the value at `path` in JSON `text` (or of the deepest ancestor that exists). */
function jsonPointerOffset(text: string, path: ReadonlyArray<string | number>): number {
  const ws = (p: number): number => {
    while (p < text.length && (text[p] === ' ' || text[p] === '\t' || text[p] === '\n' || text[p] === '\r')) p++;
    return p;
  };
  /** Index after the string starting at `p` (a quote). */
  const endOfString = (p: number): number => {
    for (p++; p < text.length; p++) {
      if (text[p] === '\\') p++;
      else if (text[p] === '"') return p + 1;
    }
    return text.length;
  };
  /** Index after the value starting at `p`: containers by counting brackets, so nesting depth costs no stack. */
  const endOfValue = (p: number): number => {
    if (text[p] === '"') return endOfString(p);
    if (text[p] !== '{' && text[p] !== '[') {
      while (p < text.length && !',}] \t\r\n'.includes(text[p]!)) p++;
      return p;
    }
    let depth = 0;
    while (p < text.length) {
      const c = text[p]!;
      if (c === '"') {
        p = endOfString(p);
        continue;
      }
      if (c === '{' || c === '[') depth++;
      else if ((c === '}' || c === ']') && --depth === 0) return p + 1;
      p++;
    }
    return p;
  };
  let at = ws(0);
  for (const seg of path) {
    let found = -1;
    let p = at + 1;
    if (text[at] === '{') {
      // JSON.parse keeps the last of duplicate names, and so does this.
      for (p = ws(p); p < text.length && text[p] === '"'; ) {
        const keyEnd = endOfString(p);
        let name: unknown;
        try {
          name = JSON.parse(text.slice(p, keyEnd));
        } catch {
          return at;
        }
        const value = ws(ws(keyEnd) + 1);
        if (name === String(seg)) found = value;
        p = ws(endOfValue(value));
        if (text[p] !== ',') break;
        p = ws(p + 1);
      }
    } else if (text[at] === '[' && typeof seg === 'number') {
      for (let i = 0, q = ws(p); q < text.length && text[q] !== ']'; i++) {
        if (i === seg) {
          found = q;
          break;
        }
        q = ws(endOfValue(q));
        if (text[q] !== ',') break;
        q = ws(q + 1);
      }
    }
    if (found === -1) break;
    at = found;
  }
  return at;
}
