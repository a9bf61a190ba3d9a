/**
 * Reads the instance blocks of a DSC configuration document back (for `package inspect`):
 * class, alias and properties with strings unescaped, arrays and `$alias` references kept.
 * Enough of DSP0221 for compiler-generated MOFs: comments, `instance of … as $x { … };`,
 * string/number/boolean/array/reference values. Throws with a line number on anything else.
 */

export type MofReadValue = string | number | boolean | { ref: string } | MofReadValue[];

export interface MofReadInstance {
  className: string;
  alias?: string;
  properties: Map<string, MofReadValue>;
  line: number;
}

type Tok = { t: 'str' | 'id' | 'num' | 'ref' | 'sym'; v: string; line: number };

function tokenize(text: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let line = 1;
  const err = (m: string): never => { throw new Error(`MOF line ${line}: ${m}`); };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') { line++; i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (text.startsWith('//', i)) { while (i < text.length && text[i] !== '\n') i++; continue; }
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) err('unterminated comment');
      line += (text.slice(i, end).match(/\n/g) ?? []).length;
      i = end + 2;
      continue;
    }
    if (c === '"') {
      let s = '';
      const start = line;
      i++;
      for (;;) {
        if (i >= text.length) err('unterminated string');
        const d = text[i]!;
        if (d === '"') { i++; break; }
        if (d === '\n') err('newline in string');
        if (d === '\\') {
          const e = text[i + 1];
          const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '"': '"', "'": "'", '\\': '\\' };
          if (e !== undefined && simple[e] !== undefined) { s += simple[e]; i += 2; continue; }
          if (e === 'x' || e === 'X') {
            const m = /^[0-9a-fA-F]{1,4}/.exec(text.slice(i + 2));
            if (!m) err('bad \\x escape');
            s += String.fromCharCode(parseInt(m![0], 16));
            i += 2 + m![0].length;
            continue;
          }
          err(`unknown escape \\${e}`);
        }
        s += d;
        i++;
      }
      toks.push({ t: 'str', v: s, line: start });
      continue;
    }
    const m = /^(\$[A-Za-z_]\w*|[A-Za-z_]\w*|-?\d+(?:\.\d+)?)/.exec(text.slice(i, i + 300));
    if (m) {
      const v = m[1]!;
      toks.push({ t: v.startsWith('$') ? 'ref' : /^-?\d/.test(v) ? 'num' : 'id', v, line });
      i += v.length;
      continue;
    }
    if ('{};=,'.includes(c)) { toks.push({ t: 'sym', v: c, line }); i++; continue; }
    err(`unexpected character ${JSON.stringify(c)}`);
  }
  return toks;
}

/** Parses every `instance of` block. */
export function readMof(text: string): MofReadInstance[] {
  const toks = tokenize(text.replace(/^\uFEFF/, ''));
  let p = 0;
  const peek = () => toks[p];
  // Punctuation only: a string literal "}" must not end an array or block.
  const atSym = (v: string) => toks[p]?.t === 'sym' && toks[p]?.v === v;
  const next = (): Tok => {
    const t = toks[p++];
    if (!t) throw new Error('MOF: unexpected end of document');
    return t;
  };
  const expect = (v: string) => {
    const t = next();
    if (t.v !== v || t.t === 'str') throw new Error(`MOF line ${t.line}: expected ${v}, found ${t.v}`);
  };
  // MOF arrays are one-dimensional (DSP0221): an array element is a scalar, so nesting is an
  // error here rather than a recursion as deep as a hostile file's brackets (a stack overflow).
  const value = (inArray = false): MofReadValue => {
    const t = next();
    if (t.t === 'str') return t.v;
    if (t.t === 'num') return Number(t.v);
    if (t.t === 'ref') return { ref: t.v.slice(1) };
    if (t.t === 'id' && /^(true|false)$/i.test(t.v)) return t.v.toLowerCase() === 'true';
    if (t.t === 'sym' && t.v === '{') {
      if (inArray) throw new Error(`MOF line ${t.line}: an array inside an array (MOF arrays are one-dimensional)`);
      const items: MofReadValue[] = [];
      while (!atSym('}')) {
        items.push(value(true));
        if (atSym(',')) next();
      }
      next();
      return items;
    }
    throw new Error(`MOF line ${t.line}: unexpected ${t.v}`);
  };
  const out: MofReadInstance[] = [];
  while (p < toks.length) {
    const t = next();
    if (t.t !== 'id' || t.v !== 'instance') throw new Error(`MOF line ${t.line}: expected "instance of", found ${t.v}`);
    expect('of');
    const cls = next();
    let alias: string | undefined;
    if (peek()?.t === 'id' && peek()?.v === 'as') { next(); alias = next().v.slice(1); }
    expect('{');
    const properties = new Map<string, MofReadValue>();
    while (!atSym('}')) {
      const name = next();
      if (name.t !== 'id') throw new Error(`MOF line ${name.line}: property name expected, found ${name.v}`);
      expect('=');
      properties.set(name.v, value());
      expect(';');
    }
    next();
    expect(';');
    out.push({ className: cls.v, ...(alias ? { alias } : {}), properties, line: cls.line });
  }
  return out;
}
