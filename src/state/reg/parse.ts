/**
 * Parser for regedit `.reg` files (windows-formats.md §4): `Windows Registry Editor Version 5.00`
 * (UTF-16LE with BOM as regedit and `reg export` write it, or UTF-8) and `REGEDIT4` (ANSI).
 * Accepts what regedit, `reg export`, Wine and hivexregedit produce; every problem becomes one
 * `DriftscanError` at `file:line:col`, never any other exception.
 */
import { DriftscanError } from '../../core/diagnostics.js';
import { parseRegistryPath, type RegistryPath } from '../../windows/registry-path.js';
import { decodeValue, REG, type RegistryValue } from '../../windows/value.js';

/** How the file's bytes were decoded. */
export type RegFileEncoding = 'utf-16le' | 'utf-8' | 'utf-8-bom' | 'windows-1252';

/** One `"name"=data` line; `value: null` is a deletion (`"name"=-`). `name` `''` is the default value (`@`). */
export interface RegValueEntry {
  name: string;
  value: RegistryValue | null;
  line: number;
}

/** One `[key]` block (or `[-key]` deletion, which has no values), in file order. */
export interface RegKeyBlock {
  path: RegistryPath;
  deleted: boolean;
  line: number;
  values: RegValueEntry[];
}

export interface RegFile {
  version: 'REGEDIT4' | '5.00';
  encoding: RegFileEncoding;
  keys: RegKeyBlock[];
}

const HEADER_500 = 'Windows Registry Editor Version 5.00';
const HEADER_4 = 'REGEDIT4';

/**
 * Windows-1252 for 0x80–0x9F (the rest is Latin-1). Spelled out because Node 20's
 * `TextDecoder('windows-1252')` decodes as ISO-8859-1 (0x80 → U+0080, not €).
 */
const CP1252_HIGH = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/** Decodes single-byte ANSI (cp1252) data, as REGEDIT4 files and their hex(1)/(2)/(7) data use. */
export function decodeAnsi(bytes: Uint8Array): string {
  // One UTF-16 code unit per byte through a table, decoded in one native pass. Appending one
  // character per byte made checking a 20 MB REGEDIT4 file take 13 s and 1 GB.
  const units = new Uint16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) units[i] = CP1252[bytes[i]!]!;
  return Buffer.from(units.buffer, units.byteOffset, units.byteLength).toString('utf16le');
}

/** Byte → UTF-16 code unit for cp1252. */
const CP1252 = Uint16Array.from({ length: 256 }, (_, b) => (b >= 0x80 && b <= 0x9f ? CP1252_HIGH.charCodeAt(b - 0x80) : b));

/** Parses a `.reg` file. `file` is only used in error locations. */
export function parseRegFile(bytes: Uint8Array, file: string): RegFile {
  const { text, encoding } = decodeText(bytes, file);
  return new Parser(text, file, encoding).parse();
}

function decodeText(bytes: Uint8Array, file: string): { text: string; encoding: RegFileEncoding } {
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    throw new DriftscanError('file is UTF-16 big-endian; regedit files are UTF-16LE or UTF-8', { location: { file, offset: 0 } });
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    if (bytes.length % 2 !== 0) {
      throw new DriftscanError('UTF-16LE file has an odd number of bytes (truncated?)', { location: { file, offset: bytes.length - 1 } });
    }
    return { text: Buffer.from(bytes.buffer, bytes.byteOffset + 2, bytes.length - 2).toString('utf16le'), encoding: 'utf-16le' };
  }
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const body = bom ? bytes.subarray(3) : bytes;
  // A 5.00 file saved as UTF-16LE without its BOM starts with "W\0i\0".
  if (body.length >= 4 && body[1] === 0 && body[3] === 0 && body[0] !== 0) {
    throw new DriftscanError('file looks like UTF-16LE without a byte-order mark; save it with a BOM (FF FE) or as UTF-8', { location: { file, offset: 0 } });
  }
  // REGEDIT4 files are in the ANSI code page by definition (only a UTF-8 BOM says otherwise):
  // cp1252 text such as "Ã©" would otherwise pass as valid UTF-8 and be misread.
  if (!bom && decodeAnsi(body.subarray(0, 64)).trimStart().startsWith(HEADER_4)) return { text: decodeAnsi(body), encoding: 'windows-1252' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body), encoding: bom ? 'utf-8-bom' : 'utf-8' };
  } catch {
    // Not UTF-8: REGEDIT4 files are in the ANSI code page.
    return { text: decodeAnsi(body), encoding: 'windows-1252' };
  }
}

/** A logical line: physical lines joined at `\` continuations, with a map back to physical positions. */
interface Segment { start: number; line: number; col: number }

class Parser {
  private readonly lines: string[];
  private version: RegFile['version'] = '5.00';
  private current: RegKeyBlock | undefined;
  private readonly keys: RegKeyBlock[] = [];
  /** Whether the last line has its line break: every exporter ends each line with one. */
  private readonly complete: boolean;

  constructor(text: string, private readonly file: string, private readonly encoding: RegFileEncoding) {
    this.lines = text.split(/\r\n|\n|\r/);
    this.complete = /[\r\n]$/.test(text);
  }

  private fail(message: string, line: number, col: number): never {
    throw new DriftscanError(message, { location: { file: this.file, line, col } });
  }

  parse(): RegFile {
    let i = 0;
    while (i < this.lines.length && this.lines[i]!.trim() === '') i++;
    if (i === this.lines.length) this.fail(`empty file; expected the header "${HEADER_500}" or "${HEADER_4}"`, 1, 1);
    const header = this.lines[i]!.trim();
    if (header === HEADER_500) this.version = '5.00';
    else if (header === HEADER_4) this.version = 'REGEDIT4';
    else {
      const shown = header.length > 60 ? `${header.slice(0, 60)}…` : header;
      this.fail(`expected the header "${HEADER_500}" or "${HEADER_4}", found ${JSON.stringify(shown)}`, i + 1, 1);
    }
    const headerLine = i;
    this.truncation(headerLine);
    for (i++; i < this.lines.length; i++) {
      const raw = this.lines[i]!;
      const indent = raw.length - raw.trimStart().length;
      const text = raw.trim();
      const lineNo = i + 1;
      if (text === '' || text.startsWith(';')) continue;
      if (text.startsWith('[')) {
        this.keyLine(text, lineNo, indent + 1);
      } else if (text.startsWith('"') || text.startsWith('@')) {
        i = this.valueLine(i, indent);
      } else {
        this.fail('unexpected text; expected [key], "name"=value, @=value or a ; comment', lineNo, indent + 1);
      }
    }
    if (this.keys.length === 0) {
      // regedit, reg export, Wine and hivexregedit always write at least the exported key, so a
      // header alone is a cut-off or empty file; as machine state it would make absence rules pass.
      const last = this.lines.length;
      this.fail('no [key] block after the header: the file holds no registry state (an empty or cut-off export?)', last, this.lines[last - 1]!.length + 1);
    }
    return { version: this.version, encoding: this.encoding, keys: this.keys };
  }

  /**
   * A file cut off mid-line still parses — `dword:000`, half the bytes of a hex value, a key block
   * missing its later values — and would be read as a shorter, different export. Every exporter
   * ends its last line with a line break, so a last line with content and no break is truncation.
   */
  private truncation(headerLine: number): void {
    const last = this.lines.length - 1;
    const text = this.lines[last]!;
    if (this.complete || last === headerLine) return;
    // Walk back over `\` continuations to the line the value starts on.
    let start = last;
    const continues = (line: string) => line.trimEnd().endsWith('\\') || line.replace(/;.*$/, '').trimEnd().endsWith('\\');
    while (start - 1 > headerLine && continues(this.lines[start - 1]!)) start--;
    // Trailing blanks or a comment lose nothing, unless they are the indent of a continued value.
    if (start === last && (text.trim() === '' || text.trimStart().startsWith(';'))) return;
    const first = this.lines[start]!;
    const indent = first.length - first.trimStart().length;
    let what = `line ${start + 1}`;
    if (first[indent] === '[') what = 'a [key] line';
    else if (first[indent] === '@') what = 'the default value (@)';
    else if (first[indent] === '"') {
      try {
        what = `the value ${JSON.stringify(this.quoted(first, indent, start + 1).text)}`;
      } catch (err) {
        if (!(err instanceof DriftscanError)) throw err;
        what = 'a value name';
      }
    }
    const started = start === last ? '' : ` started at line ${start + 1}`;
    this.fail(`file ends inside ${what}${started} without a line break: the file looks truncated (complete exports end with one)`, last + 1, text.length + 1);
  }

  private keyLine(text: string, line: number, col: number): void {
    const close = text.lastIndexOf(']');
    if (close === -1) this.fail('missing closing ] after the key name', line, col + text.length);
    const after = text.slice(close + 1).trim();
    if (after !== '' && !after.startsWith(';')) this.fail('unexpected text after ]', line, col + close + 1);
    const deleted = text[1] === '-';
    const name = text.slice(deleted ? 2 : 1, close);
    let path: RegistryPath;
    try {
      path = parseRegistryPath(name);
    } catch (err) {
      this.fail((err as Error).message, line, col + (deleted ? 2 : 1));
    }
    if (name.trim() === '') this.fail('empty key name in [ ]', line, col + 1);
    this.current = { path, deleted, line, values: [] };
    this.keys.push(this.current);
  }

  /** Parses a value line starting at physical line index `i`; returns the index of its last physical line. */
  private valueLine(i: number, indent: number): number {
    const lineNo = i + 1;
    const line = this.lines[i]!;
    if (!this.current) this.fail('value line outside a [key] block', lineNo, indent + 1);
    if (this.current.deleted) this.fail('value line inside a [-key] deletion block (a deleted key has no values)', lineNo, indent + 1);
    let pos = indent;
    let name: string;
    if (line[pos] === '@') {
      name = '';
      pos++;
    } else {
      const s = this.quoted(line, pos, lineNo);
      name = s.text;
      pos = s.end;
    }
    while (line[pos] === ' ' || line[pos] === '\t') pos++;
    if (line[pos] !== '=') this.fail(`expected = after the value name`, lineNo, pos + 1);
    pos++;
    while (line[pos] === ' ' || line[pos] === '\t') pos++;
    const block = this.current;
    const rest = line.slice(pos);
    const add = (value: RegistryValue | null) => block.values.push({ name, value, line: lineNo });

    if (rest.trimEnd() === '-') {
      add(null);
      return i;
    }
    if (rest.startsWith('"')) {
      const s = this.quoted(line, pos, lineNo);
      this.expectEnd(line, s.end, lineNo);
      add(decodeValue(REG.SZ, utf16z(s.text)));
      return i;
    }
    if (rest.slice(0, 6).toLowerCase() === 'dword:') {
      const m = /^dword:([0-9a-fA-F]{1,8})(?![0-9a-fA-F])/.exec(rest);
      if (!m) this.fail('expected up to 8 hex digits after dword: (regedit writes dword:0000001f)', lineNo, pos + 7);
      this.expectEnd(line, pos + m[0].length, lineNo);
      const b = Buffer.alloc(4);
      b.writeUInt32LE(parseInt(m[1]!, 16));
      add(decodeValue(REG.DWORD, b));
      return i;
    }
    const str = /^str(?:\(([0-9a-fA-F]{1,8})\))?:/i.exec(rest);
    if (str) {
      // Wine's and hivexregedit's str(N):"…" form: string data stored with type N.
      const type = str[1] === undefined ? REG.SZ : parseInt(str[1], 16);
      const at = pos + str[0].length;
      if (line[at] !== '"') this.fail(`expected "…" after ${str[0]}`, lineNo, at + 1);
      const s = this.quoted(line, at, lineNo);
      this.expectEnd(line, s.end, lineNo);
      add(decodeValue(type, utf16z(s.text)));
      return i;
    }
    const hex = /^hex(?:\(([0-9a-fA-F]{1,8})\))?:/i.exec(rest);
    if (hex) {
      const type = hex[1] === undefined ? REG.BINARY : parseInt(hex[1], 16);
      const { bytes, last } = this.hexData(i, pos + hex[0].length);
      let data: Uint8Array = bytes;
      if (this.version === 'REGEDIT4' && (type === REG.SZ || type === REG.EXPAND_SZ || type === REG.MULTI_SZ)) {
        // REGEDIT4 stores string types as single-byte ANSI; widen to the UTF-16LE Windows keeps.
        data = Buffer.from(decodeAnsi(bytes), 'utf16le');
      }
      add(decodeValue(type, data));
      return last;
    }
    if (/^hex\(/i.test(rest)) this.fail('expected hex(N): with N a hexadecimal type number, such as hex(2): or hex(b):', lineNo, pos + 5);
    this.fail('expected value data: "string", dword:, hex:, hex(N): or - to delete', lineNo, pos + 1);
  }

  /** Reads `"…"` starting at `start` (the quote); returns the unescaped text and the index after the closing quote. */
  private quoted(line: string, start: number, lineNo: number): { text: string; end: number } {
    // Copies the runs between escapes whole. Appending one character at a time builds a rope of
    // millions of nodes: checking a 20 MB string value took 7 s and 850 MB that way, 1 s and 420 MB this way.
    const parts: string[] = [];
    let from = start + 1;
    for (let p = from; p < line.length; p++) {
      const c = line.charCodeAt(p);
      if (c === 0x22 /* " */) {
        parts.push(line.slice(from, p));
        return { text: parts.join(''), end: p + 1 };
      }
      if (c === 0x5c /* \ */ && p + 1 < line.length) {
        const n = line[p + 1]!;
        // Standard: \\ and \". Wine also writes \n, \r and \0; any other backslash stays literal
        // (hivexregedit --unsafe-printable-strings does not escape backslashes).
        const esc = n === '\\' ? '\\' : n === '"' ? '"' : n === 'n' ? '\n' : n === 'r' ? '\r' : n === '0' ? '\0' : undefined;
        if (esc !== undefined) {
          parts.push(line.slice(from, p), esc);
          p++; // the escaped character
          from = p + 1;
        }
      }
    }
    this.fail('missing closing quote', lineNo, start + 1);
  }

  private expectEnd(line: string, end: number, lineNo: number): void {
    const after = line.slice(end).trim();
    if (after !== '' && !after.startsWith(';')) this.fail('unexpected text after the value data', lineNo, end + 1 + (line.slice(end).length - line.slice(end).trimStart().length));
  }

  /** Reads comma-separated hex bytes from line `i` at `start`, following `\` continuations. */
  private hexData(i: number, start: number): { bytes: Uint8Array; last: number } {
    let logical = '';
    const segments: Segment[] = [];
    let li = i;
    let col = start;
    for (;;) {
      let piece = this.lines[li]!.slice(col);
      const comment = piece.indexOf(';');
      if (comment !== -1) piece = piece.slice(0, comment);
      const trimmed = piece.trimEnd();
      segments.push({ start: logical.length, line: li + 1, col: col + 1 });
      if (trimmed.endsWith('\\')) {
        logical += trimmed.slice(0, -1);
        li++;
        // Only the empty remainder after the last line break can follow: the data was cut off there.
        if (li >= this.lines.length || (li === this.lines.length - 1 && this.lines[li] === '')) {
          this.fail('line continuation \\ at the end of the file: the rest of the value is missing (truncated?)', li, this.lines[li - 1]!.length);
        }
        const next = this.lines[li]!;
        col = next.length - next.trimStart().length;
        continue;
      }
      logical += trimmed;
      break;
    }
    const where = (offset: number): [number, number] => {
      let seg = segments[0]!;
      for (const s of segments) if (s.start <= offset) seg = s;
      return [seg.line, seg.col + offset - seg.start];
    };
    // Every byte takes at least one digit and a comma (but the last): an upper bound to allocate once.
    const bytes = new Uint8Array(Math.ceil((logical.length + 1) / 2));
    let count = 0;
    // A character loop rather than a regular expression per byte: a match object per byte made
    // large binary values cost about 250 ns a byte. Grammar: (\s* hex{1,2} \s* (, | end))* \s*.
    const end = logical.length;
    const skipSpace = (p: number): number => {
      while (p < end && isSpace(logical.charCodeAt(p))) p++;
      return p;
    };
    for (let p = skipSpace(0); p < end; p = skipSpace(p + 1)) {
      const start = p;
      let value = hexDigit(logical.charCodeAt(p));
      const second = p + 1 < end ? hexDigit(logical.charCodeAt(p + 1)) : -1;
      if (value >= 0 && second >= 0) {
        value = value * 16 + second;
        p++;
      }
      p = skipSpace(p + 1);
      if (value < 0 || (p < end && logical.charCodeAt(p) !== 0x2c /* , */)) {
        const [l, c] = where(start);
        this.fail('expected a hex byte such as 0a (bytes are separated by commas)', l, c);
      }
      bytes[count++] = value;
    }
    return { bytes: bytes.slice(0, count), last: li };
  }
}

/** Whitespace as the regular expression class \s has it (ASCII fast path). */
function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d) || (code > 0x7f && /\s/.test(String.fromCharCode(code)));
}

/** The value of one hexadecimal digit, or -1. */
function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/** A string as Windows stores REG_SZ data: UTF-16LE with a terminating NUL. */
function utf16z(s: string): Uint8Array {
  return Buffer.from(s + '\u0000', 'utf16le');
}
