/**
 * Writes keys and values as a regedit `.reg` file (windows-formats.md §4), in the style regedit
 * exports: long root names, `dword:%08x`, `hex(N):` wrapped near 80 columns with `\` and a
 * two-space indent, a blank line after every block. What `"…"` cannot carry exactly (CR, LF, NUL,
 * unpaired surrogates) is written as `hex(1):`, so parsing the output gives back the same values.
 */
import { DriftscanError } from '../../core/diagnostics.js';
import { formatRegistryPath, type RegistryPath } from '../../windows/registry-path.js';
import { encodeValue, REG, typeCodeOf, type RegistryValue } from '../../windows/value.js';
import { decodeAnsi } from './parse.js';

/** A key to write; `deleted` writes `[-key]`, a `null` value writes `"name"=-`. */
export interface RegKeyInput {
  path: RegistryPath;
  deleted?: boolean;
  values?: ReadonlyArray<{ name: string; value: RegistryValue | null }>;
}

export interface RegFormatOptions {
  version: '5.00' | 'REGEDIT4';
}

const HEADERS = { '5.00': 'Windows Registry Editor Version 5.00', REGEDIT4: 'REGEDIT4' } as const;
const EOL = '\r\n';
const WRAP = 80;

/** Formats a `.reg` file as text (CRLF line ends). Encode it with `encodeRegFileText`. */
export function formatRegFile(keys: readonly RegKeyInput[], options: RegFormatOptions): string {
  const out: string[] = [HEADERS[options.version], ''];
  for (const key of keys) {
    const path = formatRegistryPath(key.path, 'long');
    if (/[\r\n]/.test(path)) throw new DriftscanError(`key ${JSON.stringify(path)} contains a line break and cannot be written to a .reg file`);
    if (key.deleted) {
      out.push(`[-${path}]`, '');
      continue;
    }
    out.push(`[${path}]`);
    for (const { name, value } of key.values ?? []) out.push(...valueLines(name, value, options.version));
    out.push('');
  }
  return out.join(EOL) + EOL;
}

/** Encodes `.reg` text the way regedit saves it: UTF-16LE with BOM for 5.00, ANSI (cp1252) for REGEDIT4. */
export function encodeRegFileText(text: string, version: '5.00' | 'REGEDIT4'): Uint8Array {
  if (version === '5.00') return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  return encodeAnsi(text, 'the .reg text');
}

function valueLines(name: string, value: RegistryValue | null, version: RegFormatOptions['version']): string[] {
  if (!canQuote(name, version)) {
    throw new DriftscanError(`value name ${JSON.stringify(name)} contains characters a .reg file cannot carry (line break, NUL or unpaired surrogate)`);
  }
  const lhs = name === '' ? '@=' : `"${escape(name)}"=`;
  if (value === null) return [`${lhs}-`];
  switch (value.type) {
    case 'String':
      if (canQuote(value.data, version)) return [`${lhs}"${escape(value.data)}"`];
      return hexLines(lhs, REG.SZ, stringBytes(value, version));
    case 'DWord':
      return [`${lhs}dword:${(value.data >>> 0).toString(16).padStart(8, '0')}`];
    case 'ExpandString':
    case 'MultiString':
      return hexLines(lhs, typeCodeOf(value), stringBytes(value, version));
    default:
      return hexLines(lhs, typeCodeOf(value), encodeValue(value));
  }
}

/** String data bytes: UTF-16LE in 5.00 files, single-byte ANSI in REGEDIT4 files. */
function stringBytes(value: RegistryValue, version: RegFormatOptions['version']): Uint8Array {
  const bytes = encodeValue(value);
  if (version === '5.00') return bytes;
  return encodeAnsi(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf16le'), 'string data');
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
const HEX_COMMA = HEX.map((h) => `${h},`);

function hexLines(lhs: string, type: number, bytes: Uint8Array): string[] {
  // regedit writes REG_BINARY as plain `hex:` and every other type as hex(N) with N in hex.
  const prefix = `${lhs}${type === REG.BINARY ? 'hex' : `hex(${(type >>> 0).toString(16)})`}:`;
  const lines: string[] = [];
  let parts: string[] = [prefix];
  let length = prefix.length;
  let fresh = true; // nothing written on this line yet
  const last = bytes.length - 1;
  // Hot path of `export` (a full SYSTEM hive is mostly hex data): table lookups, one join per line.
  for (let i = 0; i <= last; i++) {
    const tokenLength = i < last ? 3 : 2;
    // Leave room for the trailing backslash; regedit breaks before column 80.
    if (length + tokenLength > WRAP - 3 && !fresh) {
      parts.push('\\');
      lines.push(parts.join(''));
      parts = ['  '];
      length = 2;
    }
    parts.push(i < last ? HEX_COMMA[bytes[i]!]! : HEX[bytes[i]!]!);
    length += tokenLength;
    fresh = false;
  }
  lines.push(parts.join(''));
  return lines;
}

function escape(s: string): string {
  return s.replace(/[\\"]/g, (c) => `\\${c}`);
}

/** True when `"…"` carries `s` exactly: no line breaks or NULs, valid UTF-16, and (REGEDIT4) cp1252 only. */
function canQuote(s: string, version: RegFormatOptions['version']): boolean {
  if (/[\r\n\0]/.test(s) || LONE_SURROGATE.test(s)) return false;
  return version === '5.00' || [...s].every((c) => ANSI_ENCODE.has(c));
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const ANSI_ENCODE: Map<string, number> = (() => {
  const all = decodeAnsi(Uint8Array.from({ length: 256 }, (_, i) => i));
  return new Map([...all].map((c, i) => [c, i]));
})();

function encodeAnsi(text: string, what: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const b = ANSI_ENCODE.get(text[i]!);
    if (b === undefined) {
      throw new DriftscanError(`${what} contains ${JSON.stringify(text[i])} (U+${text.charCodeAt(i).toString(16).padStart(4, '0')}), which REGEDIT4 (ANSI) files cannot carry; use version 5.00`);
    }
    out[i] = b;
  }
  return out;
}
