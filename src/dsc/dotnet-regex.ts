/**
 * Translates a driftscan `matches` pattern (a JavaScript regular expression, compiled with the `u`
 * flag, and `i` for `ignoreCase`) into a .NET regular expression that accepts exactly the same
 * strings, for the DriftscanDsc resource to run with `[regex]::IsMatch` and no options.
 *
 * The engines differ in ways that matter: .NET's `$` also matches before a final newline, its
 * `\d`/`\w`/`\s` are Unicode classes, `.` and negated classes match half of a surrogate pair, and
 * case-insensitive matching folds case differently. So the translation spells everything out:
 * anchors become `\A`/`\z`, shorthand classes become explicit ranges, "any character" matches a
 * whole surrogate pair (or a lone surrogate) as JavaScript's `u` mode does, and with `ignoreCase`
 * every literal becomes the class of characters JavaScript itself treats as equal to it ignoring
 * case (computed by asking JavaScript's engine), so .NET matches case-sensitively.
 *
 * Patterns outside this subset (look-around, back-references, named groups, `\b`, Unicode property
 * escapes, characters outside the BMP) are refused with the reason: the compile then names the rule.
 */
import { DscUnsupported } from './resources.js';

const JS_SPACE: ReadonlyArray<readonly [number, number]> = [
  [0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff],
];
const DIGIT: ReadonlyArray<readonly [number, number]> = [[0x30, 0x39]];
const WORD: ReadonlyArray<readonly [number, number]> = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
const LINE_TERMINATORS: ReadonlyArray<readonly [number, number]> = [[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]];

const u = (n: number): string => `\\u${n.toString(16).padStart(4, '0')}`;
const PAIR = '[\\ud800-\\udbff][\\udc00-\\udfff]';
const LONE_HIGH = '[\\ud800-\\udbff](?![\\udc00-\\udfff])';
const LONE_LOW = '(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';

function rangesText(ranges: ReadonlyArray<readonly [number, number]>): string {
  return ranges.map(([a, b]) => (a === b ? u(a) : `${u(a)}-${u(b)}`)).join('');
}

/** A class of BMP code units; `negated` classes match every other character, surrogate pairs as one. */
function classText(ranges: ReadonlyArray<readonly [number, number]>, negated: boolean): string {
  if (!negated) return ranges.length ? `[${rangesText(ranges)}]` : '(?!)';
  return `(?:[^${rangesText(ranges)}\\ud800-\\udfff]|${PAIR}|${LONE_HIGH}|${LONE_LOW})`;
}

const foldCache = new Map<number, number[]>();

/** Every BMP code unit JavaScript's `iu` matching treats as equal to `c`. */
function caseVariants(c: number): number[] {
  const cached = foldCache.get(c);
  if (cached) return cached;
  const re = new RegExp(`^${u(c)}$`, 'iu');
  const out: number[] = [];
  for (let x = 0; x <= 0xffff; x++) {
    if (x >= 0xd800 && x <= 0xdfff) continue;
    if (re.test(String.fromCharCode(x))) out.push(x);
  }
  foldCache.set(c, out);
  return out;
}

function closeOverCase(ranges: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const size = ranges.reduce((n, [a, b]) => n + b - a + 1, 0);
  if (size > 512) throw new DscUnsupported('ignoreCase with a character class of more than 512 characters cannot be translated exactly for the in-guest engine');
  const set = new Set<number>();
  for (const [a, b] of ranges) for (let c = a; c <= b; c++) for (const v of caseVariants(c)) set.add(v);
  const sorted = [...set].sort((x, y) => x - y);
  const out: Array<[number, number]> = [];
  for (const c of sorted) {
    const last = out[out.length - 1];
    if (last && last[1] === c - 1) last[1] = c;
    else out.push([c, c]);
  }
  return out;
}

const SYNTAX = '^$\\.*+?()[]{}|/';

/** The .NET pattern for `pattern`; throws DscUnsupported for constructs it does not translate. */
export function dotnetRegex(pattern: string, ignoreCase: boolean): string {
  let i = 0;
  const refuse = (what: string): never => {
    throw new DscUnsupported(`pattern /${pattern}/ uses ${what}, which the in-guest engine cannot reproduce exactly; rewrite the pattern without it`);
  };
  const bmp = (c: number): number => {
    if (c >= 0xd800 && c <= 0xdfff) refuse('characters outside the Basic Multilingual Plane');
    return c;
  };
  // A complement is the same with and without ignoreCase only when its base set is closed under case
  // (\D and \S are; \W is not: JavaScript folds U+017F and U+212A into \w).
  const negatedUnderCase = (base: ReadonlyArray<readonly [number, number]>): ReadonlyArray<readonly [number, number]> => {
    if (ignoreCase && JSON.stringify(closeOverCase(base)) !== JSON.stringify(base)) refuse('a negated shorthand class whose case variants differ (\\W) with ignoreCase');
    return base;
  };
  const literal = (c: number): string => (ignoreCase ? classText(closeOverCase([[c, c]]), false) : u(c));

  /** One escape after `\` at i (i points after the backslash); returns ranges for class escapes or a code unit. */
  const escape = (inClass: boolean): { ranges: ReadonlyArray<readonly [number, number]>; negated: boolean } | number => {
    const ch = pattern[i++];
    if (ch === undefined) return refuse('a trailing backslash');
    switch (ch) {
      case 'd': return { ranges: DIGIT, negated: false };
      case 'D': return { ranges: DIGIT, negated: true };
      case 'w': return { ranges: WORD, negated: false };
      case 'W': return { ranges: WORD, negated: true };
      case 's': return { ranges: JS_SPACE, negated: false };
      case 'S': return { ranges: JS_SPACE, negated: true };
      case 'n': return 0x0a;
      case 'r': return 0x0d;
      case 't': return 0x09;
      case 'f': return 0x0c;
      case 'v': return 0x0b;
      case '0':
        if (/[0-9]/.test(pattern[i] ?? '')) return refuse('an octal escape');
        return 0;
      case 'x': {
        const h = pattern.slice(i, i + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) return refuse('a malformed \\x escape');
        i += 2;
        return parseInt(h, 16);
      }
      case 'u': {
        if (pattern[i] === '{') {
          const end = pattern.indexOf('}', i);
          const n = parseInt(pattern.slice(i + 1, end), 16);
          i = end + 1;
          return bmp(n);
        }
        const h = pattern.slice(i, i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(h)) return refuse('a malformed \\u escape');
        i += 4;
        return bmp(parseInt(h, 16));
      }
      case '-':
        if (inClass) return 0x2d;
        return refuse('\\-');
      default:
        if (SYNTAX.includes(ch)) return ch.charCodeAt(0);
        if (ch === 'b' || ch === 'B') return refuse(`\\${ch} (word boundaries differ between the engines)`);
        return refuse(`\\${ch}`);
    }
  };

  const klass = (): string => {
    i++; // [
    const negated = pattern[i] === '^';
    if (negated) i++;
    const ranges: Array<[number, number]> = [];
    // \D, \W, \S inside brackets: the class is the union of the rest and their complements.
    const complements: Array<ReadonlyArray<readonly [number, number]>> = [];
    const atom = (): number | { ranges: ReadonlyArray<readonly [number, number]>; negated: boolean } => {
      const c = pattern.charCodeAt(i);
      if (pattern[i] === '\\') { i++; return escape(true); }
      i++;
      return bmp(c);
    };
    while (i < pattern.length && pattern[i] !== ']') {
      const a = atom();
      if (typeof a !== 'number') {
        if (a.negated) {
          if (negated) refuse('a negated shorthand class (\\D, \\W, \\S) inside a negated class');
          complements.push(negatedUnderCase(a.ranges));
        } else ranges.push(...a.ranges.map(([x, y]) => [x, y] as [number, number]));
        continue;
      }
      if (pattern[i] === '-' && pattern[i + 1] !== ']' && i + 1 < pattern.length) {
        i++;
        const b = atom();
        if (typeof b !== 'number') return refuse('a shorthand class as a range end');
        ranges.push([a, b]);
      } else ranges.push([a, a]);
    }
    if (pattern[i] !== ']') refuse('an unterminated character class');
    i++;
    if (ignoreCase) {
      if (ranges.some(([a, b]) => b - a > 512)) refuse('ignoreCase with a wide character range');
      if (!complements.length) return classText(closeOverCase(ranges), negated);
      if (ranges.length) ranges.splice(0, ranges.length, ...closeOverCase(ranges));
    }
    if (complements.length) return `(?:${[...(ranges.length ? [classText(ranges, false)] : []), ...complements.map((c) => classText(c, true))].join('|')})`;
    return classText(ranges, negated);
  };

  let out = '';
  while (i < pattern.length) {
    const ch = pattern[i]!;
    switch (ch) {
      case '^': out += '\\A'; i++; break;
      case '$': out += '\\z'; i++; break;
      case '.': out += classText(LINE_TERMINATORS, true); i++; break;
      case '|': case ')': out += ch; i++; break;
      case '(':
        if (pattern[i + 1] === '?') {
          if (pattern[i + 2] !== ':') refuse('look-around or named groups');
          out += '(?:'; i += 3;
        } else { out += '('; i++; }
        break;
      case '*': case '+': case '?': out += ch; i++; break;
      case '{': {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
        if (!m) return refuse('a malformed quantifier');
        out += m[0]; i += m[0].length; break;
      }
      case '[': out += klass(); break;
      case '\\': {
        i++;
        const ch2 = pattern[i];
        if (ch2 !== undefined && /[1-9k]/.test(ch2)) refuse('back-references');
        if (ch2 === 'p' || ch2 === 'P') refuse('Unicode property escapes');
        const e = escape(false);
        if (typeof e === 'number') out += literal(e);
        else if (e.negated) out += classText(negatedUnderCase(e.ranges), true);
        else out += classText(ignoreCase ? closeOverCase(e.ranges) : e.ranges, false);
        break;
      }
      default: {
        const c = pattern.codePointAt(i)!;
        bmp(c);
        out += literal(c);
        i++;
      }
    }
  }
  return out;
}
