/**
 * The part of the Kusto Query Language the emulator's Resource Graph answers: a small parser and
 * evaluator, never string matching, so a wrong query gives wrong rows in a test. Supported:
 *
 *     <table> [| <operator>]…
 *
 * - `<table>`: any table (`resources`, `guestconfigurationresources`, `policyresources`, …),
 *   case-insensitive, as Resource Graph's table names are;
 * - `where <expr>`;
 * - `extend name = <expr> [, …]`;
 * - `project <expr> | name = <expr> [, …]` (an unnamed path is named after its last segment);
 * - `summarize [name =] <agg> [, …] [by <expr> | name = <expr>, …]` with `count()`, `countif(e)`,
 *   `sum(e)`, `min(e)`, `max(e)`, `dcount(e)` (exact here; Kusto's is an estimate);
 * - `mv-expand name = <expr> [limit N]` (also `mvexpand`): one row per array element, at most
 *   `limit` (default 128, as Kusto) — rows whose value is null or an empty array are dropped;
 * - `order by <expr> [asc|desc] [, …]` (also `sort by`; default descending, as in KQL);
 * - `take N` / `limit N`; `count` (one row `{ "Count": n }`).
 *
 * Expressions: `or`, `and`, comparisons `==, !=, =~, !~, <, <=, >, >=, contains, !contains,
 * startswith, has, in, in~, !in, !in~` (lists in parentheses), literals ('…', "…", numbers,
 * true/false), columns and paths (`properties.a.b`, `properties['a']`, `arr[0]`), and the functions
 * `tostring, tolower, toupper, tobool, toint, tolong, isempty, isnotempty, isnull, isnotnull,
 * coalesce, iff/iif, strcat, not, array_length`. Anything else — `join`, `union`, other functions —
 * is refused with Resource Graph's error shape, naming the unsupported part.
 *
 * Operators run as generators over the table's rows, so a generated table of a large fleet is never
 * held in memory as a whole (only `summarize` groups and `order by` collect).
 */

export class KqlError extends Error {}

type Row = Record<string, unknown>;
type Expr = (row: Row) => unknown;

interface Token {
  kind: 'word' | 'string' | 'number' | 'op' | 'punct';
  text: string;
}

function tokenize(q: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")|(\d+(?:\.\d+)?)|(==|!=|=~|!~|<=|>=|!contains\b|!in~|in~|!in\b|[|(),=\[\].<>])|([A-Za-z_][A-Za-z0-9_-]*))/y;
  let i = 0;
  while (i < q.length) {
    if (/^\s*$/.test(q.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(q);
    if (!m) throw new KqlError(`cannot read the query at '${q.slice(i).trim().slice(0, 20)}'`);
    if (m[1] !== undefined) out.push({ kind: 'string', text: m[1].slice(1, -1).replace(/\\(.)/gs, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c) });
    else if (m[2] !== undefined) out.push({ kind: 'number', text: m[2] });
    else if (m[3] !== undefined) out.push({ kind: m[3].length > 1 || m[3] === '<' || m[3] === '>' ? 'op' : 'punct', text: m[3] });
    else out.push({ kind: 'word', text: m[4]! });
    i = re.lastIndex;
  }
  return out;
}

const isEmpty = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
const str = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
const eq = (a: unknown, b: unknown) => a === b || (a !== null && b !== null && a !== undefined && b !== undefined && typeof a !== 'object' && typeof b !== 'object' && String(a) === String(b) && (typeof a === 'number' || typeof b === 'number'));
const eqi = (a: unknown, b: unknown) => typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase();
const cmp = (x: unknown, y: unknown) => (typeof x === 'number' && typeof y === 'number' ? x - y : str(x) < str(y) ? -1 : str(x) > str(y) ? 1 : 0);

function toBool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return /^true$/i.test(v) ? true : /^false$/i.test(v) ? false : null;
  return null;
}

const FUNCTIONS: Record<string, (args: unknown[]) => unknown> = {
  tostring: ([v]) => str(v),
  tolower: ([v]) => str(v).toLowerCase(),
  toupper: ([v]) => str(v).toUpperCase(),
  tobool: ([v]) => toBool(v),
  toint: ([v]) => (v === null || v === undefined || v === '' || Number.isNaN(Number(v)) ? null : Math.trunc(Number(v))),
  tolong: ([v]) => (v === null || v === undefined || v === '' || Number.isNaN(Number(v)) ? null : Math.trunc(Number(v))),
  isempty: ([v]) => isEmpty(v),
  isnotempty: ([v]) => !isEmpty(v),
  isnull: ([v]) => v === undefined || v === null,
  isnotnull: ([v]) => v !== undefined && v !== null,
  // Kusto's coalesce skips nulls, and empty strings for string arguments.
  coalesce: (args) => args.find((v) => v !== undefined && v !== null && v !== '') ?? null,
  iff: ([c, a, b]) => (c === true ? a : b),
  iif: ([c, a, b]) => (c === true ? a : b),
  strcat: (args) => args.map(str).join(''),
  not: ([v]) => !(v === true),
  array_length: ([v]) => (Array.isArray(v) ? v.length : null),
};

const AGGREGATES = new Set(['count', 'countif', 'sum', 'min', 'max', 'dcount']);

interface Aggregate {
  name: string;
  fn: string;
  arg?: Expr;
}

class Parser {
  private i = 0;
  constructor(private readonly t: Token[]) {}
  peek(ahead = 0): Token | undefined {
    return this.t[this.i + ahead];
  }
  isWord(w: string, ahead = 0): boolean {
    const tok = this.peek(ahead);
    return tok?.kind === 'word' && tok.text.toLowerCase() === w;
  }
  next(): Token {
    const tok = this.t[this.i++];
    if (!tok) throw new KqlError('the query ends too early');
    return tok;
  }
  word(expected?: string): string {
    const tok = this.next();
    if (tok.kind !== 'word' || (expected && tok.text.toLowerCase() !== expected)) throw new KqlError(`expected ${expected ?? 'a name'}, found '${tok.text}'`);
    return tok.text;
  }
  punct(p: string): void {
    const tok = this.next();
    if (tok.text !== p) throw new KqlError(`expected '${p}', found '${tok.text}'`);
  }
  atEnd(): boolean {
    return this.i >= this.t.length;
  }
  atPipe(): boolean {
    return this.atEnd() || this.peek()!.text === '|';
  }
  number(what: string): number {
    const n = this.next();
    if (n.kind !== 'number') throw new KqlError(`${what} needs a number, found '${n.text}'`);
    return Number(n.text);
  }

  expr(): Expr {
    let left = this.and();
    while (this.isWord('or')) {
      this.next();
      const l = left;
      const r = this.and();
      left = (row) => l(row) === true || r(row) === true;
    }
    return left;
  }
  private and(): Expr {
    let left = this.comparison();
    while (this.isWord('and')) {
      this.next();
      const l = left;
      const r = this.comparison();
      left = (row) => l(row) === true && r(row) === true;
    }
    return left;
  }
  private comparison(): Expr {
    const left = this.primary();
    const tok = this.peek();
    if (!tok || (tok.kind !== 'op' && !(tok.kind === 'word' && /^(contains|startswith|has|in)$/i.test(tok.text)))) return left;
    const op = this.next().text.toLowerCase();
    if (op === 'in' || op === 'in~' || op === '!in' || op === '!in~') {
      const vs = this.list();
      const same = op.endsWith('~') ? eqi : eq;
      const neg = op.startsWith('!');
      return (row) => {
        const v = left(row);
        const hit = vs.some((e) => same(v, e(row)));
        return neg ? !hit : hit;
      };
    }
    const right = this.primary();
    switch (op) {
      case '==': return (r) => eq(left(r), right(r));
      case '!=': return (r) => !eq(left(r), right(r));
      case '=~': return (r) => eqi(str(left(r)), str(right(r)));
      case '!~': return (r) => !eqi(str(left(r)), str(right(r)));
      case '<': return (r) => cmp(left(r), right(r)) < 0;
      case '<=': return (r) => cmp(left(r), right(r)) <= 0;
      case '>': return (r) => cmp(left(r), right(r)) > 0;
      case '>=': return (r) => cmp(left(r), right(r)) >= 0;
      case 'contains': return (r) => str(left(r)).toLowerCase().includes(str(right(r)).toLowerCase());
      case '!contains': return (r) => !str(left(r)).toLowerCase().includes(str(right(r)).toLowerCase());
      case 'startswith': return (r) => str(left(r)).toLowerCase().startsWith(str(right(r)).toLowerCase());
      case 'has': return (r) => new RegExp(`(^|[^a-z0-9])${str(right(r)).toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^a-z0-9])`).test(str(left(r)).toLowerCase());
      default:
        throw new KqlError(`unsupported comparison '${op}'`);
    }
  }
  private list(): Expr[] {
    this.punct('(');
    const vs = [this.expr()];
    while (this.peek()?.text === ',') {
      this.next();
      vs.push(this.expr());
    }
    this.punct(')');
    return vs;
  }
  private primary(): Expr {
    const tok = this.peek();
    if (!tok) throw new KqlError('the query ends too early');
    if (tok.kind === 'string') {
      this.next();
      return () => tok.text;
    }
    if (tok.kind === 'number') {
      this.next();
      const n = Number(tok.text);
      return () => n;
    }
    if (tok.text === '(') {
      this.next();
      const e = this.expr();
      this.punct(')');
      return e;
    }
    if (tok.kind !== 'word') throw new KqlError(`expected a value, found '${tok.text}'`);
    if (tok.text === 'true' || tok.text === 'false') {
      this.next();
      const b = tok.text === 'true';
      return () => b;
    }
    if (this.peek(1)?.text === '(') {
      const name = this.word().toLowerCase();
      const fn = FUNCTIONS[name];
      if (!fn) throw new KqlError(AGGREGATES.has(name) ? `'${name}()' is an aggregation: use it in summarize` : `unsupported function '${name}'`);
      this.punct('(');
      const args: Expr[] = [];
      if (this.peek()?.text !== ')') {
        args.push(this.expr());
        while (this.peek()?.text === ',') {
          this.next();
          args.push(this.expr());
        }
      }
      this.punct(')');
      return this.suffixes((row) => fn(args.map((a) => a(row))));
    }
    const name = this.word();
    return this.suffixes((row) => row[name]);
  }
  /** `.name`, `['name']`, `[0]` after a value. */
  private suffixes(base: Expr): Expr {
    let e = base;
    for (;;) {
      const p = this.peek()?.text;
      if (p === '.') {
        this.next();
        const key = this.word();
        const inner = e;
        e = (row) => member(inner(row), key);
      } else if (p === '[') {
        this.next();
        const key = this.next();
        if (key.kind !== 'string' && key.kind !== 'number') throw new KqlError(`expected a quoted name or an index in [ ], found '${key.text}'`);
        this.punct(']');
        const inner = e;
        const k = key.kind === 'number' ? Number(key.text) : key.text;
        e = (row) => member(inner(row), k);
      } else return e;
    }
  }
  /** A column name for an unnamed projected expression: the last path segment it reads. */
  nameOf(start: number): string {
    let name = '';
    for (let j = start; j < this.i; j++) {
      const tok = this.t[j]!;
      if (tok.kind === 'word' && !(this.t[j + 1]?.text === '(')) name = tok.text;
      if (tok.kind === 'string' && this.t[j - 1]?.text === '[') name = tok.text;
    }
    if (!name) throw new KqlError('name the projected expression (name = …)');
    return name;
  }
  get position(): number {
    return this.i;
  }
  /** `name = expr` or a bare `expr` named after what it reads. */
  namedExpr(): { name: string; expr: Expr } {
    if (this.peek()?.kind === 'word' && this.peek(1)?.text === '=') {
      const name = this.word();
      this.next();
      return { name, expr: this.expr() };
    }
    const start = this.position;
    const expr = this.expr();
    return { name: this.nameOf(start), expr };
  }
  aggregate(): Aggregate {
    let name: string | undefined;
    if (this.peek()?.kind === 'word' && this.peek(1)?.text === '=') {
      name = this.word();
      this.next();
    }
    const fn = this.word().toLowerCase();
    if (!AGGREGATES.has(fn)) throw new KqlError(`unsupported aggregation '${fn}' (supported: ${[...AGGREGATES].join(', ')})`);
    this.punct('(');
    const arg = this.peek()?.text === ')' ? undefined : this.expr();
    this.punct(')');
    if (fn !== 'count' && !arg) throw new KqlError(`${fn}() needs an argument`);
    return { name: name ?? `${fn}_`, fn, ...(arg ? { arg } : {}) };
  }
}

function member(v: unknown, key: string | number): unknown {
  if (v === null || v === undefined) return undefined;
  if (typeof key === 'number') return Array.isArray(v) ? v[key < 0 ? v.length + key : key] : undefined;
  return typeof v === 'object' && !Array.isArray(v) ? (v as Row)[key] : undefined;
}

function* filter(rows: Iterable<Row>, e: Expr): Iterable<Row> {
  for (const r of rows) if (e(r) === true) yield r;
}

function* extend(rows: Iterable<Row>, cols: Array<{ name: string; expr: Expr }>): Iterable<Row> {
  for (const r of rows) {
    const out = { ...r };
    for (const c of cols) out[c.name] = c.expr(r) ?? null;
    yield out;
  }
}

function* project(rows: Iterable<Row>, cols: Array<{ name: string; expr: Expr }>): Iterable<Row> {
  for (const r of rows) yield Object.fromEntries(cols.map((c) => [c.name, c.expr(r) ?? null]));
}

function* mvExpand(rows: Iterable<Row>, name: string, e: Expr, limit: number): Iterable<Row> {
  for (const r of rows) {
    const v = e(r);
    if (v === null || v === undefined) continue;
    if (!Array.isArray(v)) {
      yield { ...r, [name]: v };
      continue;
    }
    for (const item of v.slice(0, limit)) yield { ...r, [name]: item };
  }
}

function* take(rows: Iterable<Row>, n: number): Iterable<Row> {
  if (n <= 0) return;
  let i = 0;
  for (const r of rows) {
    yield r;
    if (++i >= n) return;
  }
}

function summarize(rows: Iterable<Row>, aggs: Aggregate[], by: Array<{ name: string; expr: Expr }>): Row[] {
  const groups = new Map<string, { keys: unknown[]; acc: unknown[]; sets: Array<Set<string> | undefined> }>();
  for (const r of rows) {
    const keys = by.map((b) => b.expr(r) ?? null);
    const k = JSON.stringify(keys);
    let g = groups.get(k);
    if (!g) {
      g = { keys, acc: aggs.map((a) => (a.fn === 'count' || a.fn === 'countif' || a.fn === 'sum' ? 0 : null)), sets: aggs.map((a) => (a.fn === 'dcount' ? new Set<string>() : undefined)) };
      groups.set(k, g);
    }
    aggs.forEach((a, i) => {
      const v = a.arg?.(r);
      switch (a.fn) {
        case 'count': g!.acc[i] = (g!.acc[i] as number) + 1; break;
        case 'countif': if (v === true) g!.acc[i] = (g!.acc[i] as number) + 1; break;
        case 'sum': if (typeof v === 'number') g!.acc[i] = (g!.acc[i] as number) + v; break;
        case 'min': if (v !== null && v !== undefined && (g!.acc[i] === null || cmp(v, g!.acc[i]) < 0)) g!.acc[i] = v; break;
        case 'max': if (v !== null && v !== undefined && (g!.acc[i] === null || cmp(v, g!.acc[i]) > 0)) g!.acc[i] = v; break;
        case 'dcount': if (!isEmpty(v)) g!.sets[i]!.add(str(v)); break;
      }
    });
  }
  // Kusto: summarize without `by` over no rows still answers one row.
  if (by.length === 0 && groups.size === 0) groups.set('[]', { keys: [], acc: aggs.map((a) => (a.fn === 'min' || a.fn === 'max' ? null : 0)), sets: aggs.map(() => undefined) });
  return [...groups.values()].map((g) => ({
    ...Object.fromEntries(by.map((b, i) => [b.name, g.keys[i]])),
    ...Object.fromEntries(aggs.map((a, i) => [a.name, a.fn === 'dcount' ? g.sets[i]!.size : g.acc[i]])),
  }));
}

/** Runs `query` over `tables` (lower-case names); returns the rows lazily or throws `KqlError`. */
export function runKqlLazy(query: string, tables: (name: string) => Iterable<Row> | undefined): Iterable<Row> {
  const p = new Parser(tokenize(query));
  const table = p.word().toLowerCase();
  const source = tables(table);
  if (!source) throw new KqlError(`table '${table}' does not exist`);
  let rows: Iterable<Row> = source;
  while (!p.atEnd()) {
    p.punct('|');
    const op = p.word().toLowerCase();
    if (op === 'where') {
      rows = filter(rows, p.expr());
    } else if (op === 'extend' || op === 'project') {
      const cols = [p.namedExpr()];
      while (p.peek()?.text === ',') {
        p.next();
        cols.push(p.namedExpr());
      }
      rows = op === 'extend' ? extend(rows, cols) : project(rows, cols);
    } else if (op === 'summarize') {
      const aggs = [p.aggregate()];
      while (p.peek()?.text === ',') {
        p.next();
        aggs.push(p.aggregate());
      }
      const by: Array<{ name: string; expr: Expr }> = [];
      if (p.isWord('by')) {
        p.next();
        by.push(p.namedExpr());
        while (p.peek()?.text === ',') {
          p.next();
          by.push(p.namedExpr());
        }
      }
      rows = summarize(rows, aggs, by);
    } else if (op === 'mv-expand' || op === 'mvexpand') {
      if (!(p.peek()?.kind === 'word' && p.peek(1)?.text === '=')) throw new KqlError('the emulator needs mv-expand to name its column (mv-expand name = …)');
      const { name, expr } = p.namedExpr();
      let limit = 128;
      if (p.isWord('limit')) {
        p.next();
        limit = p.number('mv-expand limit');
      }
      rows = mvExpand(rows, name, expr, limit);
    } else if (op === 'order' || op === 'sort') {
      p.word('by');
      const keys: Array<{ e: Expr; desc: boolean }> = [];
      do {
        if (keys.length) p.next();
        const e = p.expr();
        let desc = true;
        if (p.isWord('asc') || p.isWord('desc')) desc = p.word().toLowerCase() === 'desc';
        keys.push({ e, desc });
      } while (p.peek()?.text === ',');
      const all = [...rows];
      all.sort((a, b) => {
        for (const k of keys) {
          const c = cmp(k.e(a), k.e(b));
          if (c !== 0) return k.desc ? -c : c;
        }
        return 0;
      });
      rows = all;
    } else if (op === 'take' || op === 'limit') {
      rows = take(rows, p.number(op));
    } else if (op === 'count') {
      let n = 0;
      for (const _ of rows) n++;
      rows = [{ Count: n }];
    } else {
      throw new KqlError(`unsupported operator '${op}' (the emulator supports where, extend, project, summarize, mv-expand, order by, sort by, take, limit, count)`);
    }
    if (!p.atPipe()) throw new KqlError(`unexpected '${p.peek()!.text}' after ${op}`);
  }
  return rows;
}

/** Runs `query` over `tables` (lower-case names); returns the rows or throws `KqlError`. */
export function runKql(query: string, tables: ReadonlyMap<string, Iterable<Row>>): Row[] {
  return [...runKqlLazy(query, (name) => tables.get(name))];
}
