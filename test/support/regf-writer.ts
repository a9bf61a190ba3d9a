/**
 * A small regf writer (windows-formats.md §1) for fixtures and the bundled sample image. No
 * Linux tool creates a hive from nothing or sets security descriptors (hivex shares its seed's one
 * `sk`, §6.3), so ACL fixtures need their `sk` cells written here. Output is deterministic: the
 * same tree gives the same bytes, so generated files can be committed and compared.
 *
 * Layout: base block, then 4096-byte hbins filled in depth-first order (larger bins for cells that
 * do not fit one); the unused tail of each bin is a free cell, as in Windows-written hives.
 */
import {
  BASE_BLOCK_SIZE as BASE,
  DB_SEGMENT_SIZE as DB_SEGMENT,
  HBIN_ALIGN as BIN,
  HBIN_HEADER_SIZE as BIN_HEADER,
  KEY_COMP_NAME,
  KEY_HIVE_ENTRY,
  KEY_NO_DELETE,
  NO_CELL as NONE,
  VALUE_COMP_NAME,
  baseBlockChecksum,
} from '../../src/state/hive/format.js';
import { upcaseName } from '../../src/state/hive/names.js';

/** One key to write. `security` is a self-relative SECURITY_DESCRIPTOR; keys without one share their parent's. */
export interface WriterKey {
  name: string;
  values?: WriterValue[];
  subkeys?: WriterKey[];
  security?: Uint8Array;
  lastWritten?: Date;
  className?: string;
}

/** One value: raw data bytes and any numeric type code (§1.12). */
export interface WriterValue {
  name: string;
  typeCode: number;
  data: Uint8Array;
}

export interface WriteHiveOptions {
  /** 5 (SYSTEM/SOFTWARE layout: `lh` lists, `db` big data) or 3 (NTUSER/SAM layout: `lf`, big data in one cell). */
  minorVersion?: 5 | 3;
  /** Name of the root `nk` (meaningless to Windows, §1.6); defaults to `root.name`, or `ROOT` when empty. */
  rootName?: string;
}

/** Timestamp for keys without `lastWritten`, fixed so output is reproducible. */
export const DEFAULT_LAST_WRITTEN = new Date(Date.UTC(2024, 0, 1, 0, 0, 0));

/** Root descriptor when the tree gives none: `O:BAG:SYD:(A;CI;KA;;;SY)(A;CI;KA;;;BA)`. */
const DEFAULT_SECURITY = Uint8Array.from(
  Buffer.from(
    '0100048014000000240000000000000030000000010200000000000520000000200200000101000000000005120000000200340002000000' +
      '000214003f000f00010100000000000512000000000218003f000f0001020000000000052000000020020000',
    'hex',
  ),
);



/** FILETIME (100 ns ticks since 1601-01-01 UTC) as a bigint. */
function filetime(d: Date): bigint {
  return (BigInt(d.getTime()) + 11644473600000n) * 10000n;
}

const isAscii = (s: string): boolean => /^[\x00-\x7f]*$/.test(s);

/** Name bytes as stored: 8-bit when ASCII (the COMP_NAME flag), else UTF-16LE. */
function encodeName(name: string): { bytes: Buffer; compressed: boolean } {
  return isAscii(name) ? { bytes: Buffer.from(name, 'latin1'), compressed: true } : { bytes: Buffer.from(name, 'utf16le'), compressed: false };
}

/** `lh` hash: h = h·37 + unit over the upper-cased name's UTF-16 code units (§1.7). */
export function lhHash(name: string): number {
  const up = upcaseName(name);
  let h = 0;
  for (let i = 0; i < up.length; i++) h = (Math.imul(h, 37) + up.charCodeAt(i)) >>> 0;
  return h;
}

/** `lf` hint: the first 4 name characters as bytes, zero-padded; 0 in the first byte if any is above U+00FF (§1.7). */
function lfHint(name: string): Buffer {
  const out = Buffer.alloc(4);
  for (let i = 0; i < Math.min(4, name.length); i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff) return Buffer.alloc(4);
    out[i] = c;
  }
  return out;
}

/** Hands out cells in hbins. Offsets are relative to the start of the bins (as stored in the hive). */
class CellAllocator {
  buf = Buffer.alloc(BIN * 16);
  /** End of the bins written so far, and the current bin's start and free position. */
  private end = 0;
  private pos = 0;

  constructor(private readonly stamp: bigint) {}

  /** Allocates a cell holding `length` data bytes; returns its offset. Contents are written with `data()`. */
  alloc(length: number): number {
    const size = (length + 4 + 7) & ~7;
    if (this.end === 0 || this.pos + size > this.end) {
      this.closeBin();
      this.openBin(Math.ceil((size + BIN_HEADER) / BIN) * BIN);
    }
    const at = this.pos;
    this.buf.writeInt32LE(-size, at);
    this.buf.fill(0, at + 4, at + size);
    this.pos += size;
    return at;
  }

  /** The data area of the cell at `offset`. */
  data(offset: number, length: number): Buffer {
    return this.buf.subarray(offset + 4, offset + 4 + length);
  }

  private openBin(size: number): void {
    const start = this.end;
    if (start + size > this.buf.length) {
      const grown = Buffer.alloc(Math.max(this.buf.length * 2, start + size));
      this.buf.copy(grown);
      this.buf = grown;
    }
    this.buf.fill(0, start, start + size);
    this.buf.write('hbin', start, 'latin1');
    this.buf.writeUInt32LE(start, start + 4);
    this.buf.writeUInt32LE(size, start + 8);
    if (start === 0) this.buf.writeBigUInt64LE(this.stamp, start + 20);
    this.pos = start + BIN_HEADER;
    this.end = start + size;
  }

  /** Marks the unused tail of the current bin as one free cell so cells tile the bin (§1.4). */
  private closeBin(): void {
    if (this.end !== 0 && this.pos < this.end) this.buf.writeInt32LE(this.end - this.pos, this.pos);
  }

  finish(): Buffer {
    this.closeBin();
    return this.buf.subarray(0, this.end);
  }

  get binsSize(): number {
    return this.end;
  }
}

interface SkRecord {
  offset: number;
  refs: number;
}

/**
 * Serialises a key tree as a regf hive (primary file, clean: equal sequence numbers, valid checksum).
 * Subkeys are listed sorted by upper-cased name with `lh` hashes (minor 5) or `lf` hints (minor 3);
 * identical descriptors share one `sk` cell with a reference count.
 */
export function writeHive(root: WriterKey, options: WriteHiveOptions = {}): Uint8Array {
  const minor = options.minorVersion ?? 5;
  const stamp = filetime(root.lastWritten ?? DEFAULT_LAST_WRITTEN);
  const cells = new CellAllocator(stamp);
  const skByBytes = new Map<string, SkRecord>();
  const skOrder: SkRecord[] = [];
  const skBytes = new Map<SkRecord, Uint8Array>();

  const securityCell = (sd: Uint8Array): SkRecord => {
    const k = Buffer.from(sd).toString('hex');
    let rec = skByBytes.get(k);
    if (!rec) {
      rec = { offset: cells.alloc(20 + sd.length), refs: 0 };
      skByBytes.set(k, rec);
      skOrder.push(rec);
      skBytes.set(rec, sd);
    }
    rec.refs++;
    return rec;
  };

  const writeData = (data: Uint8Array): number => {
    if (minor >= 4 && data.length > DB_SEGMENT) {
      const segments: number[] = [];
      for (let i = 0; i < data.length; i += DB_SEGMENT) {
        const chunk = data.subarray(i, Math.min(i + DB_SEGMENT, data.length));
        // Windows leaves 4 spare bytes in each segment cell (a full one is 16352 bytes); reglookup
        // reads only cell size - 8 bytes per segment, so a short tail segment without them loses bytes.
        const at = cells.alloc(chunk.length + 4);
        cells.data(at, chunk.length).set(chunk);
        segments.push(at);
      }
      const list = cells.alloc(segments.length * 4);
      segments.forEach((s, i) => cells.data(list, segments.length * 4).writeUInt32LE(s, i * 4));
      const db = cells.alloc(8);
      const d = cells.data(db, 8);
      d.write('db', 0, 'latin1');
      d.writeUInt16LE(segments.length, 2);
      d.writeUInt32LE(list, 4);
      return db;
    }
    const at = cells.alloc(data.length);
    cells.data(at, data.length).set(data);
    return at;
  };

  const writeValue = (v: WriterValue): number => {
    const name = encodeName(v.name);
    const at = cells.alloc(20 + name.bytes.length);
    // Data ≤ 4 bytes lives in the offset field itself, marked by bit 31 of the size (§1.9).
    let dataField = 0;
    let sizeField = v.data.length;
    if (v.data.length <= 4) {
      sizeField = (v.data.length | 0x80000000) >>> 0;
      const inline = Buffer.alloc(4);
      inline.set(v.data);
      dataField = inline.readUInt32LE(0);
    } else {
      dataField = writeData(v.data);
    }
    const d = cells.data(at, 20 + name.bytes.length);
    d.write('vk', 0, 'latin1');
    d.writeUInt16LE(name.bytes.length, 2);
    d.writeUInt32LE(sizeField, 4);
    d.writeUInt32LE(dataField, 8);
    d.writeUInt32LE(v.typeCode >>> 0, 12);
    d.writeUInt16LE(name.compressed ? VALUE_COMP_NAME : 0, 16);
    name.bytes.copy(d, 20);
    return at;
  };

  const writeKey = (key: WriterKey, parent: number, inherited: SkRecord | undefined, isRoot: boolean): number => {
    const nameText = isRoot ? (options.rootName ?? (key.name || 'ROOT')) : key.name;
    const name = encodeName(nameText);
    const nkLength = 76 + name.bytes.length;
    const nk = cells.alloc(nkLength);
    const sk = key.security ? securityCell(key.security) : inherited ? (inherited.refs++, inherited) : securityCell(DEFAULT_SECURITY);

    let classOffset = NONE;
    let classLength = 0;
    if (key.className !== undefined && key.className !== '') {
      const cls = Buffer.from(key.className, 'utf16le');
      classOffset = cells.alloc(cls.length);
      cls.copy(cells.data(classOffset, cls.length));
      classLength = cls.length;
    }

    const values = key.values ?? [];
    let valueList = NONE;
    let maxValueName = 0;
    let maxValueData = 0;
    if (values.length > 0) {
      valueList = cells.alloc(values.length * 4);
      const offsets = values.map(writeValue);
      const d = cells.data(valueList, values.length * 4);
      offsets.forEach((o, i) => d.writeUInt32LE(o, i * 4));
      for (const v of values) {
        maxValueName = Math.max(maxValueName, v.name.length * 2);
        maxValueData = Math.max(maxValueData, v.data.length);
      }
    }

    const subkeys = [...(key.subkeys ?? [])].sort((a, b) => {
      const x = upcaseName(a.name);
      const y = upcaseName(b.name);
      return x < y ? -1 : x > y ? 1 : 0;
    });
    let list = NONE;
    let maxSubkeyName = 0;
    let maxSubkeyClass = 0;
    if (subkeys.length > 0) {
      const children = subkeys.map((s) => writeKey(s, nk, sk, false));
      list = cells.alloc(4 + subkeys.length * 8);
      const d = cells.data(list, 4 + subkeys.length * 8);
      d.write(minor >= 5 ? 'lh' : 'lf', 0, 'latin1');
      d.writeUInt16LE(subkeys.length, 2);
      subkeys.forEach((s, i) => {
        d.writeUInt32LE(children[i]!, 4 + i * 8);
        if (minor >= 5) d.writeUInt32LE(lhHash(s.name), 8 + i * 8);
        else lfHint(s.name).copy(d, 8 + i * 8);
        maxSubkeyName = Math.max(maxSubkeyName, s.name.length * 2);
        maxSubkeyClass = Math.max(maxSubkeyClass, (s.className ?? '').length * 2);
      });
    }

    const d = cells.data(nk, nkLength);
    d.write('nk', 0, 'latin1');
    d.writeUInt16LE((name.compressed ? KEY_COMP_NAME : 0) | (isRoot ? KEY_HIVE_ENTRY | KEY_NO_DELETE : 0), 2);
    d.writeBigUInt64LE(filetime(key.lastWritten ?? DEFAULT_LAST_WRITTEN), 4);
    d.writeUInt32LE(isRoot ? NONE : parent, 16);
    d.writeUInt32LE(subkeys.length, 20);
    d.writeUInt32LE(list, 28);
    d.writeUInt32LE(NONE, 32);
    d.writeUInt32LE(values.length, 36);
    d.writeUInt32LE(valueList, 40);
    d.writeUInt32LE(sk.offset, 44);
    d.writeUInt32LE(classOffset, 48);
    d.writeUInt32LE(maxSubkeyName, 52);
    d.writeUInt32LE(maxSubkeyClass, 56);
    d.writeUInt32LE(maxValueName, 60);
    d.writeUInt32LE(maxValueData, 64);
    d.writeUInt16LE(name.bytes.length, 72);
    d.writeUInt16LE(classLength, 74);
    name.bytes.copy(d, 76);
    return nk;
  };

  const rootOffset = writeKey(root, NONE, undefined, true);

  // sk cells form one circular doubly-linked list in allocation order (§1.11).
  skOrder.forEach((rec, i) => {
    const sd = skBytes.get(rec)!;
    const d = cells.data(rec.offset, 20 + sd.length);
    d.write('sk', 0, 'latin1');
    d.writeUInt32LE(skOrder[(i + 1) % skOrder.length]!.offset, 4);
    d.writeUInt32LE(skOrder[(i - 1 + skOrder.length) % skOrder.length]!.offset, 8);
    d.writeUInt32LE(rec.refs, 12);
    d.writeUInt32LE(sd.length, 16);
    d.set(sd, 20);
  });

  const bins = cells.finish();
  const out = Buffer.alloc(BASE + bins.length);
  out.write('regf', 0, 'latin1');
  out.writeUInt32LE(1, 4);
  out.writeUInt32LE(1, 8);
  out.writeBigUInt64LE(stamp, 12);
  out.writeUInt32LE(1, 20);
  out.writeUInt32LE(minor, 24);
  out.writeUInt32LE(0, 28);
  out.writeUInt32LE(1, 32);
  out.writeUInt32LE(rootOffset, 36);
  out.writeUInt32LE(bins.length, 40);
  out.writeUInt32LE(1, 44);
  out.writeUInt32LE(baseBlockChecksum(new DataView(out.buffer, out.byteOffset, BASE)), 508);
  bins.copy(out, BASE);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
