/**
 * Baseline text → plain data, with every YAML problem reported as one located line: the first
 * syntax error only (the parser's follow-on errors after it describe its recovery, not the file),
 * aliases that point nowhere or into themselves, and aliases that multiply the document (an
 * "alias bomb") — each at the line and column of the offending token.
 */
import { isAlias, isCollection, isPair, isScalar, LineCounter, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import { DriftscanError, type SourceLocation } from '../core/diagnostics.js';
import { nodeOffset } from '../core/source-position.js';

/**
 * The most nodes aliases may add to a baseline. A large baseline that reuses anchors for paths
 * and ACL lists adds a few thousand; an alias bomb adds billions. The cost of loading is linear
 * in the expanded size (schema validation and rule parsing walk every copy), so this bounds it.
 */
export const MAX_ALIAS_EXPANSION = 100_000;

/** A parsed baseline: its data and a way to locate any path in it. */
export interface ParsedYaml {
  data: unknown;
  /** Location of the value (or, with `key`, the key) at `path`, or of its nearest existing ancestor. */
  at(path: ReadonlyArray<string | number>, key?: boolean): SourceLocation;
}

/** Parses one baseline's text; throws a located `DriftscanError` for the first problem. */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lines = new LineCounter();
  // schema 'core' pins YAML 1.2 even under a `%YAML 1.1` directive, whose schema would turn
  // 2027-06-30 into a Date, `yes` into true and `!!set`/`!!binary` into objects no rule expects.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false, schema: 'core', merge: false });
  const locate = (offset: number): SourceLocation => {
    const p = lines.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  const first = firstError(doc);
  if (first) throw new DriftscanError(first.message, { location: locate(first.offset) });
  checkNodes(doc, locate);
  // checkNodes has bounded the expansion by size and ruled out cycles and dangling aliases, so
  // yaml's own alias counter is switched off: it cannot say where the problem is, and it rejects
  // harmless documents (its default of 100 fails a baseline whose 101 rules share a path anchor).
  const data = doc.toJS({ maxAliasCount: -1 }) as unknown;
  return { data, at: (path, key = false) => locate(nodeOffset(doc, path, key)) };
}

/**
 * The syntax error to report: the earliest in the file. An unclosed quote swallows the rest of the
 * file, so yaml reports it at the end, after complaints about escapes inside the runaway string;
 * it is reported at its opening quote instead, and errors inside that string are dropped.
 */
function firstError(doc: Document): { offset: number; message: string } | undefined {
  if (doc.errors.length === 0) return undefined;
  const errors = doc.errors.map((e) => ({ offset: e.pos[0], code: e.code, message: e.message }));
  const runaway: Array<readonly [number, number]> = [];
  for (const e of errors.filter((x) => x.code === 'MISSING_CHAR' && /quote/.test(x.message))) {
    visit(doc, {
      Scalar(_k, node) {
        const r = node.range;
        if (r && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && r[0] <= e.offset && e.offset <= r[1]) {
          runaway.push([r[0], r[1]]);
          e.offset = r[0];
          e.message = `${node.type === 'QUOTE_DOUBLE' ? 'double' : 'single'} quote is never closed`;
          return visit.BREAK;
        }
        return undefined;
      },
    });
  }
  const kept = errors.filter((e) => !runaway.some(([from, to]) => e.offset > from && e.offset <= to));
  const first = kept.sort((a, b) => a.offset - b.offset)[0] ?? errors[0]!;
  return { offset: first.offset, message: syntaxMessage(first.code, first.message) };
}

/** One line: yaml's message without its own position suffix, in driftscan's words where they help. */
function syntaxMessage(code: string, message: string): string {
  if (code === 'RESOURCE_EXHAUSTION') return 'YAML syntax error: collections are nested too deeply to parse';
  if (code === 'MULTIPLE_DOCS') return 'YAML syntax error: a baseline file holds one YAML document, and a second one starts here; put each baseline in its own file';
  return `YAML syntax error: ${message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
}

/**
 * Rejects keys that are not scalars, and resolves every alias the way yaml does (the last anchor
 * of that name before it, in document order) and rejects, at the alias: an anchor that is not
 * defined before it, an alias inside the node its anchor marks (a cycle no data structure can
 * hold), and aliases that together add more than `MAX_ALIAS_EXPANSION` nodes.
 */
function checkNodes(doc: Document, locate: (offset: number) => SourceLocation): void {
  const anchors = new Map<string, YamlNode>();
  const aliases = new Map<YamlNode, YamlNode>();
  const fail = (node: YamlNode, message: string): never => { throw new DriftscanError(message, { location: locate(node.range?.[0] ?? 0) }); };
  visit(doc, {
    Pair(_k, pair) {
      // A list or mapping as a key would become "[object]"-like text in the data; no baseline key is one.
      if (pair.key !== null && !isScalar(pair.key)) fail(pair.key as YamlNode, 'a mapping key must be plain text, not a list, mapping or alias');
    },
    Node(_k, node) {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (!target) fail(node, `alias *${node.source} has no anchor &${node.source} before it`);
        else aliases.set(node, target);
      } else if (node.anchor) anchors.set(node.anchor, node);
    },
  });
  if (aliases.size === 0) return;

  // Expanded size of each anchored node, computed once; `open` marks nodes being sized, so an
  // alias reached while its own target is open is a cycle.
  const size = new Map<YamlNode, number>();
  const open = new Set<YamlNode>();
  const sizeOf = (node: unknown): number => {
    if (isAlias(node)) {
      const target = aliases.get(node)!;
      if (open.has(target)) fail(node, `alias *${node.source} is inside the node its anchor &${node.source} marks, which would make the data contain itself`);
      return sizeOf(target);
    }
    if (isPair(node)) return sizeOf(node.key) + sizeOf(node.value);
    if (!isCollection(node)) return isScalar(node) ? 1 : 0;
    const known = size.get(node);
    if (known !== undefined) return known;
    open.add(node);
    let n = 1;
    for (const item of node.items) {
      n += sizeOf(item);
      if (n > MAX_ALIAS_EXPANSION) break;
    }
    open.delete(node);
    size.set(node, n);
    return n;
  };
  let added = 0;
  for (const [alias, target] of aliases) {
    open.clear();
    added += sizeOf(target);
    if (added > MAX_ALIAS_EXPANSION) {
      fail(alias, `alias *${(alias as YamlNode & { source: string }).source} expands the document past ${MAX_ALIAS_EXPANSION} nodes; nested aliases this large look like an alias bomb (write the data out, or reuse it less deeply)`);
    }
  }
}
