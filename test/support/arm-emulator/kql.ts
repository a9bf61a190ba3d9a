/**
 * The part of the Kusto Query Language the emulator's Resource Graph answers. Supported, exactly:
 *
 *     <table> [| <operator>]…
 *
 * - `<table>`: any table of the state file (`resources`, `guestconfigurationresources`,
 *   `policyresources`, …), case-insensitive, as Resource Graph's table names are;
 * - `where <cond> [and <cond>]…` with `<cond>` one of `<col> == v`, `<col> != v`, `<col> =~ v`
 *   (case-insensitive equality), `<col> !~ v`, `<col> in (v, …)`, `<col> in~ (v, …)`,
 *   `<col> !in (v, …)`, `<col> contains v`, `<col> startswith v`, `isnotempty(<col>)`,
 *   `isempty(<col>)`;
 * - `project <col> [, name = <col>]…`;
 * - `order by <col> [asc|desc]` (also `sort by`; default descending, as in KQL);
 * - `take N` / `limit N`;
 * - `count` (one row `{ "Count": n }`).
 *
 * `<col>` is a column or a dotted path into one (`properties.complianceStatus`,
 * `properties['complianceStatus']`), optionally wrapped in `tostring(…)` or `tolower(…)`. Values are
 * 'single' or "double" quoted strings, numbers, `true`/`false`. Anything else — `extend`, `join`,
 * `summarize`, `mv-expand`, `or` — is refused with Resource Graph's error shape, naming the
 * unsupported part, so a test never silently gets rows a real query would not return.
 */

export class KqlError extends Error {}

type Row = Record<string, unknown>;
type Value = string | number | boolean;
type Getter = (row: Row) => unknown;

interface Token {
  kind: 'word' | 'string' | 'number' | 'op' | 'punct';
  text: string;
}

function tokenize(q: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?)|(==|!=|=~|!~|in~|!in|[|(),=\[\].])|([A-Za-z_][A-Za-z0-9_-]*))/y;
  let i = 0;
  while (i < q.length) {
    if (/^\s*$/.test(q.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(q);
    if (!m) throw new KqlError(`cannot read the query at '${q.slice(i).trim().slice(0, 20)}'`);
    if (m[1] !== undefined) out.push({ kind: 'string', text: m[1].slice(1, -1).replace(/\\(.)/g, '$1') });
    else if (m[2] !== undefined) out.push({ kind: 'number', text: m[2] });
    else if (m[3] !== undefined) out.push({ kind: /^[a-z!=~]/.test(m[3]) && m[3].length > 1 ? 'op' : 'punct', text: m[3] });
    else out.push({ kind: 'word', text: m[4]! });
    i = re.lastIndex;
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly t: Token[]) {}
  peek(ahead = 0): Token | undefined {
    return this.t[this.i + ahead];
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
  /** `a.b['c']`, optionally inside tostring()/tolower(). */
  column(): { name: string; get: Getter } {
    const first = this.word();
    const fn = first.toLowerCase();
    if ((fn === 'tostring' || fn === 'tolower') && this.peek()?.text === '(') {
      this.punct('(');
      const inner = this.column();
      this.punct(')');
      return {
        name: inner.name,
        get: (row) => {
          const v = inner.get(row);
          if (v === undefined || v === null) return '';
          const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
          return fn === 'tolower' ? s.toLowerCase() : s;
        },
      };
    }
    const path = [first];
    for (;;) {
      const p = this.peek()?.text;
      if (p === '.') {
        this.next();
        path.push(this.word());
      } else if (p === '[') {
        this.next();
        const key = this.next();
        if (key.kind !== 'string') throw new KqlError(`expected a quoted name in [ ], found '${key.text}'`);
        path.push(key.text);
        this.punct(']');
      } else break;
    }
    return {
      name: path[path.length - 1]!,
      get: (row) => path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Row)[k] : undefined), row),
    };
  }
  value(): Value {
    const tok = this.next();
    if (tok.kind === 'string') return tok.text;
    if (tok.kind === 'number') return Number(tok.text);
    if (tok.kind === 'word' && (tok.text === 'true' || tok.text === 'false')) return tok.text === 'true';
    throw new KqlError(`expected a value, found '${tok.text}'`);
  }
  list(): Value[] {
    this.punct('(');
    const vs = [this.value()];
    while (this.peek()?.text === ',') {
      this.next();
      vs.push(this.value());
    }
    this.punct(')');
    return vs;
  }
}

const eq = (a: unknown, b: Value) => a === b || (typeof a === 'number' && String(a) === String(b)) || (typeof a === 'string' && typeof b === 'number' && a === String(b));
const eqi = (a: unknown, b: Value) => typeof a === 'string' && a.toLowerCase() === String(b).toLowerCase();

function condition(p: Parser): (row: Row) => boolean {
  const head = p.peek();
  if (head?.kind === 'word' && /^(isnotempty|isempty)$/i.test(head.text) && p.peek(1)?.text === '(') {
    const fn = p.word().toLowerCase();
    p.punct('(');
    const col = p.column();
    p.punct(')');
    const empty = (v: unknown) => v === undefined || v === null || v === '';
    return fn === 'isempty' ? (r) => empty(col.get(r)) : (r) => !empty(col.get(r));
  }
  const col = p.column();
  const op = p.next();
  const o = op.text.toLowerCase();
  switch (o) {
    case '==': { const v = p.value(); return (r) => eq(col.get(r), v); }
    case '!=': { const v = p.value(); return (r) => !eq(col.get(r), v); }
    case '=~': { const v = p.value(); return (r) => eqi(col.get(r), v); }
    case '!~': { const v = p.value(); return (r) => !eqi(col.get(r), v); }
    case 'in': { const vs = p.list(); return (r) => vs.some((v) => eq(col.get(r), v)); }
    case 'in~': { const vs = p.list(); return (r) => vs.some((v) => eqi(col.get(r), v)); }
    case '!in': { const vs = p.list(); return (r) => !vs.some((v) => eq(col.get(r), v)); }
    case 'contains': { const v = String(p.value()).toLowerCase(); return (r) => String(col.get(r) ?? '').toLowerCase().includes(v); }
    case 'startswith': { const v = String(p.value()).toLowerCase(); return (r) => String(col.get(r) ?? '').toLowerCase().startsWith(v); }
    default:
      throw new KqlError(`unsupported comparison '${op.text}' (supported: ==, !=, =~, !~, in, in~, !in, contains, startswith)`);
  }
}

/** Runs `query` over `tables` (lower-case names); returns the rows or throws `KqlError`. */
export function runKql(query: string, tables: ReadonlyMap<string, Row[]>): Row[] {
  const p = new Parser(tokenize(query));
  const table = p.word().toLowerCase();
  const source = tables.get(table);
  if (!source) throw new KqlError(`table '${table}' does not exist (tables: ${[...tables.keys()].join(', ')})`);
  let rows = [...source];
  while (!p.atEnd()) {
    p.punct('|');
    const op = p.word().toLowerCase();
    if (op === 'where') {
      const conds = [condition(p)];
      while (p.peek()?.kind === 'word' && p.peek()!.text.toLowerCase() === 'and') {
        p.next();
        conds.push(condition(p));
      }
      if (p.peek()?.kind === 'word' && p.peek()!.text.toLowerCase() === 'or') throw new KqlError("unsupported: 'or' in where");
      rows = rows.filter((r) => conds.every((c) => c(r)));
    } else if (op === 'project') {
      const cols: Array<{ name: string; get: Getter }> = [];
      do {
        if (cols.length) p.next();
        const save = p.peek();
        const first = p.column();
        if (p.peek()?.text === '=') {
          p.next();
          const target = p.column();
          cols.push({ name: save!.text, get: target.get });
        } else cols.push(first);
      } while (p.peek()?.text === ',');
      rows = rows.map((r) => Object.fromEntries(cols.map((c) => [c.name, c.get(r) ?? null])));
    } else if (op === 'order' || op === 'sort') {
      p.word('by');
      const col = p.column();
      let desc = true;
      const dir = p.peek();
      if (dir?.kind === 'word' && /^(asc|desc)$/i.test(dir.text)) desc = p.word().toLowerCase() === 'desc';
      rows.sort((a, b) => {
        const x = col.get(a);
        const y = col.get(b);
        const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x ?? '').localeCompare(String(y ?? ''));
        return desc ? -c : c;
      });
    } else if (op === 'take' || op === 'limit') {
      const n = p.next();
      if (n.kind !== 'number') throw new KqlError(`${op} needs a number`);
      rows = rows.slice(0, Number(n.text));
    } else if (op === 'count') {
      rows = [{ Count: rows.length }];
    } else {
      throw new KqlError(`unsupported operator '${op}' (the emulator supports where, project, order by, sort by, take, limit, count)`);
    }
  }
  return rows;
}
