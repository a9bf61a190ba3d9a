/**
 * A deliberately careless zip writer for hostile-archive tests: it writes whatever names, sizes,
 * CRCs, flags and offsets it is given, so tests can build what real attackers send (zip-slip
 * names, lying headers, bombs, overlapping entries) without any check getting in the way.
 * Layout follows APPNOTE 4.3.7 (local header) and 4.3.12 (central directory), no ZIP64.
 */
import * as zlib from 'node:zlib';

export interface ForgedEntry {
  /** Name in the central directory (a string is written as UTF-8 with the UTF-8 flag). */
  name: string | Uint8Array;
  /** The bytes as stored: already DEFLATE-compressed when `method` is 8. */
  raw: Uint8Array;
  method: number;
  /** Uncompressed size the headers declare. */
  size: number;
  crc: number;
  flags?: number;
  /** Name written in the local header when it should differ from the central directory's. */
  localName?: string | Uint8Array;
  /** High byte of "version made by" (3 = Unix) and the external attributes (Unix mode << 16). */
  madeBy?: number;
  externalAttrs?: number;
}

const enc = (s: string | Uint8Array) => (typeof s === 'string' ? new TextEncoder().encode(s) : s);

/** CRC-32 from Node's zlib (an implementation independent of the one under test). */
export function zlibCrc32(data: Uint8Array): number {
  const crc32 = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  if (!crc32) throw new Error('these tests need zlib.crc32 (Node >= 20.15)');
  return crc32(data);
}

/** An honest DEFLATE entry compressed by zlib. */
export function deflated(name: string | Uint8Array, data: Uint8Array | string): ForgedEntry {
  const bytes = enc(data);
  return { name, raw: zlib.deflateRawSync(bytes), method: 8, size: bytes.length, crc: zlibCrc32(bytes) };
}

/** An honest stored entry. */
export function stored(name: string | Uint8Array, data: Uint8Array | string): ForgedEntry {
  const bytes = enc(data);
  return { name, raw: bytes, method: 0, size: bytes.length, crc: zlibCrc32(bytes) };
}

/**
 * A DEFLATE stream of `mib` MiB of zeros in about 1 KB per MiB: one zlib segment of 1 MiB ended
 * with a full flush (byte-aligned, no back-references into earlier data, so it can be repeated),
 * repeated `mib` times, then an empty final block. `size` defaults to the honest size.
 */
export function zeroBomb(name: string, mib: number, size = mib * 1024 * 1024): ForgedEntry {
  const segment = zlib.deflateRawSync(Buffer.alloc(1024 * 1024), { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  const raw = new Uint8Array(segment.length * mib + 2);
  for (let i = 0; i < mib; i++) raw.set(segment, i * segment.length);
  raw.set([0x03, 0x00], segment.length * mib); // fixed-Huffman final block holding only end-of-block
  return { name, raw, method: 8, size, crc: 0 };
}

/** The local file header of `e` (30 bytes + name), as it sits before the entry's data. */
export function localHeader(e: ForgedEntry): Uint8Array {
  const name = enc(e.localName ?? e.name);
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(flags(e), 6);
  h.writeUInt16LE(e.method, 8);
  h.writeUInt32LE(0x00210000, 10); // 1980-01-01 00:00
  h.writeUInt32LE(e.crc >>> 0, 14);
  h.writeUInt32LE(e.raw.length, 18);
  h.writeUInt32LE(e.size >>> 0, 22);
  h.writeUInt16LE(name.length, 26);
  h.writeUInt16LE(0, 28);
  return Buffer.concat([h, name]);
}

function flags(e: ForgedEntry): number {
  return e.flags ?? (typeof e.name === 'string' ? 0x800 : 0);
}

/**
 * Writes local headers and data in order, then the central directory. `extraCentral` adds
 * central records for entries whose local header sits at a given offset (overlap tests).
 */
export function forgeZip(entries: readonly ForgedEntry[], extraCentral: ReadonlyArray<{ entry: ForgedEntry; offset: number }> = []): Uint8Array {
  const parts: Uint8Array[] = [];
  const records: Array<{ entry: ForgedEntry; offset: number }> = [];
  let at = 0;
  for (const e of entries) {
    records.push({ entry: e, offset: at });
    const lh = localHeader(e);
    parts.push(lh, e.raw);
    at += lh.length + e.raw.length;
  }
  records.push(...extraCentral);
  const cdStart = at;
  for (const { entry: e, offset } of records) {
    const name = enc(e.name);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(((e.madeBy ?? 0) << 8) | 20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(flags(e), 8);
    c.writeUInt16LE(e.method, 10);
    c.writeUInt32LE(0x00210000, 12);
    c.writeUInt32LE(e.crc >>> 0, 16);
    c.writeUInt32LE(e.raw.length, 20);
    c.writeUInt32LE(e.size >>> 0, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE((e.externalAttrs ?? 0) >>> 0, 38);
    c.writeUInt32LE(offset, 42);
    parts.push(c, name);
    at += c.length + name.length;
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(records.length, 8);
  end.writeUInt16LE(records.length, 10);
  end.writeUInt32LE(at - cdStart, 12);
  end.writeUInt32LE(cdStart, 16);
  parts.push(end);
  return Buffer.concat(parts);
}

/** Flips the low bit of the stored CRC-32 of `name` in both its local header and central record. */
export function corruptCrc(zip: Uint8Array, name: string): Uint8Array {
  const b = Buffer.from(zip);
  const n = Buffer.from(name);
  let hits = 0;
  for (let i = b.indexOf(n); i >= 0; i = b.indexOf(n, i + 1)) {
    if (i >= 30 && b.readUInt32LE(i - 30) === 0x04034b50 && b.readUInt16LE(i - 4) === n.length) {
      b.writeUInt32LE((b.readUInt32LE(i - 16) ^ 1) >>> 0, i - 16);
      hits++;
    }
    if (i >= 46 && b.readUInt32LE(i - 46) === 0x02014b50 && b.readUInt16LE(i - 18) === n.length) {
      b.writeUInt32LE((b.readUInt32LE(i - 30) ^ 1) >>> 0, i - 30);
      hits++;
    }
  }
  if (hits !== 2) throw new Error(`corruptCrc: ${name} found ${hits} times`);
  return b;
}
