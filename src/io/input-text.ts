/**
 * Text files the user names (baselines): the bytes decoded the way YAML 1.2 says to detect them
 * (§5.2: a byte-order mark, or the NUL pattern of the first ASCII character), so a file saved by
 * Windows PowerShell 5.1's `>` (UTF-16LE with a BOM) loads, and any other bytes get a message
 * that names the encoding found instead of a puzzling parse error further on.
 */
import { DriftscanError } from '../core/diagnostics.js';
import { readInputFile } from './input-file.js';

/** The encodings `decodeInputText` tells apart. */
export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'utf-32le' | 'utf-32be';

/** The encoding of `bytes` and how many leading bytes are its byte-order mark (YAML 1.2 §5.2). */
export function detectEncoding(b: Uint8Array): { encoding: TextEncoding; bom: number } {
  const at = (i: number) => (i < b.length ? b[i]! : -1);
  // UTF-32 first: its little-endian BOM begins with the UTF-16LE one.
  if (at(0) === 0x00 && at(1) === 0x00 && at(2) === 0xfe && at(3) === 0xff) return { encoding: 'utf-32be', bom: 4 };
  if (at(0) === 0xff && at(1) === 0xfe && at(2) === 0x00 && at(3) === 0x00) return { encoding: 'utf-32le', bom: 4 };
  if (at(0) === 0xfe && at(1) === 0xff) return { encoding: 'utf-16be', bom: 2 };
  if (at(0) === 0xff && at(1) === 0xfe) return { encoding: 'utf-16le', bom: 2 };
  if (at(0) === 0xef && at(1) === 0xbb && at(2) === 0xbf) return { encoding: 'utf-8', bom: 3 };
  // No BOM: a YAML stream starts with an ASCII character, whose NUL bytes give the width away.
  if (at(0) === 0x00 && at(1) === 0x00 && at(2) === 0x00 && at(3) > 0) return { encoding: 'utf-32be', bom: 0 };
  if (at(0) > 0 && at(1) === 0x00 && at(2) === 0x00 && at(3) === 0x00) return { encoding: 'utf-32le', bom: 0 };
  if (at(0) === 0x00 && at(1) > 0) return { encoding: 'utf-16be', bom: 0 };
  if (at(0) > 0 && at(1) === 0x00) return { encoding: 'utf-16le', bom: 0 };
  return { encoding: 'utf-8', bom: 0 };
}

/**
 * Decodes a text file's bytes: UTF-8 (with or without BOM) or UTF-16 (LE or BE, with or without
 * BOM). UTF-32 and bytes that are not valid in the detected encoding are rejected with a message
 * saying what was found and where; `what` names the kind of file ("baseline").
 */
export function decodeInputText(bytes: Uint8Array, file: string, what: string): string {
  const { encoding, bom } = detectEncoding(bytes);
  const body = bytes.subarray(bom);
  const resave = 'save it as UTF-8 (or UTF-16 with a byte-order mark)';
  if (encoding === 'utf-32le' || encoding === 'utf-32be') {
    throw new DriftscanError(`${what} is ${encoding.toUpperCase()}${bom ? ' (byte-order mark)' : ''}, which driftscan does not read; ${resave}`, { location: { file, offset: 0 } });
  }
  if (encoding === 'utf-8') {
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(body);
    const bad = firstInvalidUtf8(body, text);
    if (bad !== undefined) {
      // Located by line and column (what an editor shows): the text before the bad byte decoded cleanly.
      const before = text.slice(0, bad.index);
      const line = before.split('\n').length;
      const col = before.length - before.lastIndexOf('\n');
      const byte = body[bad.offset]!.toString(16).padStart(2, '0');
      throw new DriftscanError(`${what} is not valid UTF-8 (byte 0x${byte} at offset 0x${(bad.offset + bom).toString(16)}); ${resave}`, { location: { file, line, col } });
    }
    return text;
  }
  if (body.length % 2 !== 0) {
    throw new DriftscanError(`${what} looks like ${encoding.toUpperCase()} but has an odd number of bytes; ${resave}`, { location: { file, offset: bytes.length - 1 } });
  }
  // Swap a copy to little-endian so one decoder serves both byte orders.
  const le = encoding === 'utf-16be' ? Buffer.from(body).swap16() : body;
  try {
    return new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true }).decode(le);
  } catch {
    throw new DriftscanError(`${what} is ${encoding.toUpperCase()} with an unpaired surrogate (damaged text); ${resave}`, { location: { file, offset: 0 } });
  }
}

/**
 * Where `bytes` stops being valid UTF-8, given `text`, its lenient decoding: the first U+FFFD that
 * does not stand for the three bytes EF BF BD, as a byte offset and a string index. Everything
 * before it decoded one-to-one, so its UTF-8 length is the byte offset.
 */
function firstInvalidUtf8(bytes: Uint8Array, text: string): { offset: number; index: number } | undefined {
  let from = 0;
  let bytePos = 0;
  for (;;) {
    const i = text.indexOf('\uFFFD', from);
    if (i < 0) return undefined;
    bytePos += Buffer.byteLength(text.slice(from, i), 'utf8');
    if (!(bytes[bytePos] === 0xef && bytes[bytePos + 1] === 0xbf && bytes[bytePos + 2] === 0xbd)) return { offset: bytePos, index: i };
    bytePos += 3;
    from = i + 1;
  }
}

/** Reads and decodes a text file the user named (see `decodeInputText`). */
export function readInputText(file: string, what: string): string {
  return decodeInputText(readInputFile(file, what), file, what);
}
