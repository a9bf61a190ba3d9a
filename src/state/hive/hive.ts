/**
 * Offline reader for Windows registry hive files (regf, windows-formats.md §1). Lazy: opening
 * validates the base block and maps the hive bins; keys, values and security descriptors are
 * decoded only when asked for, so a lookup touches just the cells on its path.
 *
 * Every offset read from the file is bounds-checked against the bin that holds it. Damage under
 * one key surfaces as a `HiveError` from that key's method (the evaluator reports that rule as
 * `error`); damage to the base block or root key is a `HiveError` from `Hive.open`.
 */
import { basename } from 'node:path';
import { DriftscanError } from '../../core/diagnostics.js';
import { decodeValue, type RegistryValue } from '../../windows/value.js';
import { parseSecurityDescriptor, type SecurityDescriptor } from '../../windows/security-descriptor.js';
import type { InputFile } from '../../io/input-file.js';
import { LazyBytes } from './lazy-bytes.js';
import { applyTransactionLogs } from './log.js';
import { quoteName, upcaseName } from './names.js';
import { BASE_BLOCK_SIZE as BASE, DB_SEGMENT_SIZE as DB_SEGMENT, KEY_COMP_NAME, NO_CELL, SIG, VALUE_COMP_NAME, baseBlockChecksum } from './format.js';


/** A damaged or unreadable hive; `location.offset` is a byte offset in the hive FILE. */
export class HiveError extends DriftscanError {
  constructor(detail: string, location: { file: string; offset: number }, cause?: unknown) {
    super(detail, { location, ...(cause === undefined ? {} : { cause }) });
    this.name = 'HiveError';
  }
}

export interface OpenHiveOptions {
  /** Name used in errors and notices (the path the user gave). */
  file: string;
  /** Transaction logs (`.LOG1`, `.LOG2`, `.LOG`) replayed when the primary file is dirty. */
  logs?: Array<{ file: string; bytes: Uint8Array }>;
}

/** A key of an open hive. Methods throw `HiveError` when this key's own cells are damaged. */
export interface HiveKey {
  readonly name: string;
  /** Offset of the key's `nk` cell, relative to the hive bins (as stored in the file). */
  readonly offset: number;
  /** Path below the root, backslash-joined (`''` for the root). */
  readonly path: string;
  readonly lastWritten: Date | undefined;
  readonly className: string | undefined;
  subkey(name: string): HiveKey | undefined;
  subkeyNames(): string[];
  subkeys(): HiveKey[];
  values(): HiveValue[];
  /** A value by name, case-insensitively; `''` is the default value. */
  value(name: string): HiveValue | undefined;
  /** The key's descriptor; keys sharing an `sk` record share the returned object, so do not mutate it. */
  securityDescriptor(): SecurityDescriptor | undefined;
  securityBytes(): Uint8Array | undefined;
  /**
   * For dumps of damaged hives: the subkeys and values that can be read, plus what went wrong.
   * `claims` (one per walk) makes a cell that the walk already read an error instead of reading it
   * again: see `WalkClaims`.
   */
  readable(claims?: WalkClaims): { subkeys: HiveKey[]; values: HiveValue[]; errors: HiveError[] };
}

/** A value of a key. `bytes()` and `decoded()` read the data cell(s) on demand. */
export interface HiveValue {
  readonly name: string;
  readonly typeCode: number;
  /** Data size the `vk` record declares (inline flag removed). */
  readonly size: number;
  bytes(): Uint8Array;
  decoded(): RegistryValue;
}

/**
 * The cells one walk of a hive has read. A hive is a tree: every key, value list, value and data
 * cell belongs to exactly one owner (only `sk` records are shared, and a walk reads those through
 * the descriptor cache). A damaged or crafted hive can list one key under several parents, or the
 * same entry many times: a walk that follows every reference then re-reads whole subtrees, and an
 * 8 KB file took 36 s and 190 MB of output; a few more entries and it never ends. With claims, a
 * second reference to a cell is reported where it is made and not followed, so a walk reads each
 * cell at most once: linear in the file size. One bit per 8-byte cell slot (cells are 8-aligned;
 * a damaged reference that is not goes to a set).
 */
export class WalkClaims {
  private bits: Uint8Array | undefined;
  private readonly unaligned = new Set<number>();

  /** @internal True the first time `rel` (a bins-relative cell offset) is claimed. */
  claim(hive: Hive, rel: number): boolean {
    if ((rel & 7) !== 0) {
      if (this.unaligned.has(rel)) return false;
      this.unaligned.add(rel);
      return true;
    }
    const bits = (this.bits ??= new Uint8Array((hive.buf.length >>> 6) + 1));
    const slot = rel >>> 3;
    // cell() has already checked that rel lies inside the bins, hence inside the buffer.
    const mask = 1 << (slot & 7);
    if (bits[slot >>> 3]! & mask) return false;
    bits[slot >>> 3]! |= mask;
    return true;
  }
}

/** Windows refuses to create keys deeper than 512 levels; deeper paths here mean a cycle or damage. */
const MAX_DEPTH = 512;
/** `ri` never points to `ri` on disk (§1.7); allow a little nesting, then call it damage. */
const MAX_LIST_DEPTH = 4;
const PAGE_SHIFT = 9;
const { NK: SIG_NK, VK: SIG_VK, SK: SIG_SK, LF: SIG_LF, LH: SIG_LH, LI: SIG_LI, RI: SIG_RI, DB: SIG_DB } = SIG;

const hex = (n: number): string => `0x${n.toString(16)}`;

const dirtyWithoutLogs = (label: string, dirt: string): string =>
  `${label} is dirty (${dirt}) and no .LOG1/.LOG2 were given: reading the primary file only; ` +
  `it may be up to an hour older than the machine's state`;

/** A lazily read hive's file is closed when nothing uses the hive any more (a CLI run just exits). */
const closeWhenCollected = new FinalizationRegistry<InputFile>((source) => source.close());

/** An open hive file. */
export class Hive {
  readonly file: string;
  readonly notices: string[];
  readonly minorVersion: number;
  /** @internal */ readonly buf: Buffer;
  /** @internal */ readonly dv: DataView;
  /** End (relative offset) of the bin containing each 512-byte page of the bins data; 0 = no bin there. */
  private readonly pageEnd: Uint32Array;
  private rootKey: KeyNode | undefined;
  /** Parsed descriptors by `sk` offset: thousands of keys share a few hundred `sk` records (§1.11). */
  /** @internal */ readonly descriptors = new Map<number, SecurityDescriptor>();
  private readonly rootOffset: number;
  /** Set when the hive is read from its file as cells are needed (`openFile`). */
  private readonly lazy: LazyBytes | undefined;

  private constructor(bytes: Uint8Array, file: string, notices: string[], lazy?: LazyBytes) {
    this.file = file;
    this.notices = notices;
    this.lazy = lazy;
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const base = readBaseBlock(this.buf, this.dv, file);
    this.minorVersion = base.minor;
    this.rootOffset = base.root;
    this.pageEnd = mapBins(this, base.binsSize, notices, lazy ? (pos) => lazy.scanU32(pos) : (pos) => this.dv.getUint32(pos, true));
    lazy?.endScan();
  }

  /**
   * Opens a hive file that has no transaction logs to replay (clean, or dirty without logs: then
   * with the same notice as `open`), read as it is used: the base block
   * and the bin headers at open, then each cell when it is first asked for, so a lookup reads just
   * the cells on its path. Everything else is as `open` on the whole file's bytes. The file stays
   * open while the hive is in use.
   */
  static openFile(source: InputFile, options: { file: string }): Hive {
    const lazy = new LazyBytes(source);
    lazy.ensure(0, BASE);
    closeWhenCollected.register(lazy, source);
    const dirt = lazy.buf.length >= BASE ? dirtiness(new DataView(lazy.buf.buffer, lazy.buf.byteOffset, lazy.buf.byteLength)) : undefined;
    const notices = dirt ? [dirtyWithoutLogs(basename(options.file), dirt)] : [];
    const hive = new Hive(lazy.buf, options.file, notices, lazy);
    hive.rootKey = hive.readKey(hive.rootOffset, undefined, 36);
    return hive;
  }

  /**
   * Validates the base block, replays transaction logs when the hive is dirty and logs are given,
   * maps the bins and reads the root key. Throws `HiveError` when the file cannot be a hive.
   */
  static open(bytes: Uint8Array, options: OpenHiveOptions): Hive {
    const file = options.file;
    const label = basename(file);
    const notices: string[] = [];
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    readBaseBlock(buf, dv, file);
    const dirt = dirtiness(dv);
    if (dirt) {
      const logs = options.logs ?? [];
      if (logs.length > 0) {
        const replayed = applyTransactionLogs(bytes, logs);
        bytes = replayed.bytes;
        const names = logs.map((l) => basename(l.file)).join(', ');
        notices.push(
          replayed.applied > 0
            ? `${label}: dirty hive (${dirt}); applied ${replayed.applied} log entries from ${names}`
            : `${label} is dirty (${dirt}) and ${names} had nothing to apply: reading the primary file only; it may be up to an hour older than the machine's state`,
          ...replayed.notices,
        );
      } else {
        notices.push(dirtyWithoutLogs(label, dirt));
      }
    }
    const hive = new Hive(bytes, file, notices);
    hive.rootKey = hive.readKey(hive.rootOffset, undefined, 36);
    return hive;
  }

  /** The root key (its name is meaningless: `ROOT`, `CMI-CreateHive{…}`, §1.6). */
  root(): HiveKey {
    return this.rootKey!;
  }

  /** Walks `segments` from the root, comparing names case-insensitively; `undefined` when a key is missing. */
  lookup(segments: readonly string[]): HiveKey | undefined {
    let key: HiveKey | undefined = this.rootKey!;
    for (const seg of segments) {
      key = key.subkey(seg);
      if (!key) return undefined;
    }
    return key;
  }

  /** @internal A HiveError at a file offset computed from a bins-relative one. */
  fail(detail: string, relOffset: number): HiveError {
    return new HiveError(detail, { file: this.file, offset: BASE + relOffset });
  }

  /**
   * @internal Validates the allocated cell at `rel` (bins-relative) and returns its data length.
   * The data starts at file offset `BASE + rel + 4`. `what` names the record for the error.
   */
  cell(rel: number, what: string | (() => string), owner?: KeyNode): number {
    const end = (rel >>> PAGE_SHIFT) < this.pageEnd.length ? this.pageEnd[rel >>> PAGE_SHIFT]! : 0;
    if (end !== 0 && rel + 4 <= end) {
      // Every read of a cell's bytes follows this check, so this is where a lazily read hive reads them.
      this.lazy?.ensure(BASE + rel, BASE + rel + 4);
      const size = this.dv.getInt32(BASE + rel, true);
      if (size <= -8 && rel - size <= end) {
        this.lazy?.ensure(BASE + rel + 4, BASE + rel - size);
        return -size - 4;
      }
    }
    const w = typeof what === 'string' ? what : what();
    return this.cellError(rel, owner ? `${w} of ${describeKey(owner)}` : w, end, owner);
  }

  /** Builds the message for a bad cell reference only when there is one (messages name keys by path, which costs). */
  private cellError(rel: number, what: string, end: number, owner: KeyNode | undefined): never {
    // A reference past the end of the file is located at the key that holds it.
    const at = BASE + rel < this.buf.length ? BASE + rel : BASE + (owner?.offset ?? 0);
    if (rel === NO_CELL) throw new HiveError(`${what} is missing (offset 0xffffffff)`, { file: this.file, offset: at });
    if (end === 0 || rel + 4 > end) throw new HiveError(`${what} at offset ${hex(rel)} points outside the hive bins`, { file: this.file, offset: at });
    const size = this.dv.getInt32(BASE + rel, true);
    if (size >= 0) throw this.fail(size === 0 ? `${what}: cell size is 0` : `${what} points to a free cell`, rel);
    throw this.fail(`${what}: cell size ${-size} ${-size < 8 ? 'is too small' : 'runs past the end of its hive bin'}`, rel);
  }

  /** @internal Reads the `nk` at `rel`; `ref` is the file offset of the field that pointed to it. */
  readKey(rel: number, parent: KeyNode | undefined, ref: number): KeyNode {
    const what = (): string => (parent ? `subkey of ${describeKey(parent)}` : 'root key');
    let len: number;
    try {
      len = this.cell(rel, parent ? 'subkey' : 'root key', parent);
    } catch (err) {
      if (!parent && err instanceof HiveError) throw new HiveError(`${err.detail} (base block root offset)`, { file: this.file, offset: ref });
      throw err;
    }
    const p = BASE + rel + 4;
    if (len < 76 || this.dv.getUint16(p, true) !== SIG_NK) throw this.fail(`${what()} at ${hex(rel)} is not a key node (nk) record`, rel);
    const nameLen = this.dv.getUint16(p + 72, true);
    if (76 + nameLen > len) throw this.fail(`${what()}: key name length ${nameLen} exceeds its cell`, rel);
    const comp = (this.dv.getUint16(p + 2, true) & KEY_COMP_NAME) !== 0;
    const name = comp ? this.buf.toString('latin1', p + 76, p + 76 + nameLen) : this.buf.toString('utf16le', p + 76, p + 76 + (nameLen & ~1));
    return new KeyNode(this, rel, name, parent);
  }

  /** @internal Collects the `nk` offsets of a subkey list (li/lf/lh, or ri of those), bounded by cell sizes. */
  listOffsets(rel: number, owner: KeyNode, out: number[], depth: number, seen: Set<number>, claims?: WalkClaims): void {
    if (depth > MAX_LIST_DEPTH) throw this.fail(`subkey list of ${describeKey(owner)} nests index roots too deeply (cycle?)`, rel);
    if (seen.has(rel)) throw this.fail(`subkey list of ${describeKey(owner)} contains a cycle`, rel);
    seen.add(rel);
    const len = this.cell(rel, 'subkey list', owner);
    if (claims && !claims.claim(this, rel)) throw this.fail(`subkey list of ${describeKey(owner)} at ${hex(rel)} is also another key's subkey list (damaged key)`, rel);
    const p = BASE + rel + 4;
    if (len < 4) throw this.fail(`subkey list of ${describeKey(owner)} is truncated`, rel);
    const sig = this.dv.getUint16(p, true);
    const declared = this.dv.getUint16(p + 2, true);
    const dv = this.dv;
    if (sig === SIG_LF || sig === SIG_LH) {
      const n = Math.min(declared, (len - 4) >>> 3);
      for (let i = 0; i < n; i++) out.push(dv.getUint32(p + 4 + i * 8, true));
    } else if (sig === SIG_LI) {
      const n = Math.min(declared, (len - 4) >>> 2);
      for (let i = 0; i < n; i++) out.push(dv.getUint32(p + 4 + i * 4, true));
    } else if (sig === SIG_RI) {
      const n = Math.min(declared, (len - 4) >>> 2);
      for (let i = 0; i < n; i++) this.listOffsets(dv.getUint32(p + 4 + i * 4, true), owner, out, depth + 1, seen, claims);
    } else {
      throw this.fail(`subkey list of ${describeKey(owner)} has unknown signature ${JSON.stringify(this.buf.toString('latin1', p, p + 2))}`, rel);
    }
  }
}

function describeKey(k: KeyNode): string {
  return k.path === '' ? 'the root key' : `key ${quoteName(k.path)}`;
}

/** Checks the fixed fields of the base block (§1.2); throws HiveError for anything that is not a primary regf v1.3+ hive. */
function readBaseBlock(buf: Buffer, dv: DataView, file: string): { minor: number; root: number; binsSize: number } {
  const at = (offset: number, detail: string) => new HiveError(detail, { file, offset });
  if (buf.length < BASE) throw at(0, `not a registry hive: the file is ${buf.length} bytes, shorter than the 4096-byte regf base block`);
  if (buf.toString('latin1', 0, 4) !== 'regf') throw at(0, `not a registry hive: signature is ${JSON.stringify(buf.toString('latin1', 0, 4))}, expected "regf"`);
  const major = dv.getUint32(20, true);
  const minor = dv.getUint32(24, true);
  if (major !== 1) throw at(20, `unsupported hive major version ${major} (expected 1)`);
  // Minor 1/2 are NT 3.x hives with a different cell layout.
  if (minor < 3) throw at(24, `unsupported hive version 1.${minor} (Windows NT 3.x layout); driftscan reads 1.3 to 1.6`);
  const type = dv.getUint32(28, true);
  if (type !== 0) throw at(28, `this is a transaction log or an unknown file type (${type}), not a primary hive file`);
  const root = dv.getUint32(36, true);
  const binsSize = dv.getUint32(40, true);
  if (binsSize === 0 || binsSize % 4096 !== 0) throw at(40, `hive bins size ${hex(binsSize)} in the base block is not a positive multiple of 4096`);
  return { minor, root, binsSize };
}

/**
 * Why a hive file is dirty (§1.3: sequence numbers differ or the checksum is wrong), e.g.
 * `sequence 1622/1621`; undefined when clean or too short to tell. Callers use it to decide
 * whether transaction logs are worth reading.
 */
export function hiveDirtiness(bytes: Uint8Array): string | undefined {
  if (bytes.byteLength < BASE) return undefined;
  return dirtiness(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

function dirtiness(dv: DataView): string | undefined {
  const primary = dv.getUint32(4, true);
  const secondary = dv.getUint32(8, true);
  const stored = dv.getUint32(508, true);
  const computed = baseBlockChecksum(dv);
  const why: string[] = [];
  if (primary !== secondary) why.push(`sequence ${primary}/${secondary}`);
  if (stored !== computed) why.push(`checksum ${hex(stored)}, computed ${hex(computed)}`);
  return why.length > 0 ? why.join(', ') : undefined;
}

/**
 * Maps hbins to a page table so every cell access is bounds-checked against its own bin. Tolerates
 * damage listed in §1.15: header bins size larger than the file or zero-filled tails, junk/0xFF gaps
 * between bins (scanned over in 512-byte steps), bad bin sizes.
 */
function mapBins(hive: Hive, binsSize: number, notices: string[], u32: (pos: number) => number): Uint32Array {
  const { buf } = hive;
  const declaredEnd = BASE + binsSize;
  const limit = Math.min(declaredEnd, buf.length - (buf.length % 512));
  const pages = new Uint32Array(Math.max(0, Math.ceil((limit - BASE) / 512)));
  let pos = BASE;
  let lastEnd = BASE;
  let skipped = 0;
  while (pos + 32 <= limit) {
    if (u32(pos) === 0x6e696268 /* 'hbin' */) {
      const size = u32(pos + 8);
      if (size >= 4096 && size % 4096 === 0) {
        const end = Math.min(pos + size, limit);
        const relEnd = end - BASE;
        for (let page = (pos - BASE) >>> PAGE_SHIFT; page < (end - BASE) >>> PAGE_SHIFT; page++) pages[page] = relEnd;
        pos = end;
        lastEnd = end;
        continue;
      }
    }
    pos += 512;
    skipped++;
  }
  const label = basename(hive.file);
  if (lastEnd === BASE) throw new HiveError('no hive bin (hbin) found after the base block', { file: hive.file, offset: BASE });
  if (declaredEnd > buf.length) {
    notices.push(`${label} is truncated: the base block says the hive bins end at byte ${hex(declaredEnd)}, the file ends at ${hex(buf.length)}; reading what is there`);
  } else if (lastEnd < declaredEnd) {
    notices.push(`${label} is damaged: hive bins stop at byte ${hex(lastEnd)}, the base block says ${hex(declaredEnd)}; keys stored past that point are unreadable`);
  } else if (skipped > 0) {
    notices.push(`${label} has ${skipped * 512} bytes of damaged or missing hive bins; keys stored there are unreadable`);
  }
  return pages;
}

/** One `nk` record. Fields are read from the file buffer when used. */
class KeyNode implements HiveKey {
  readonly name: string;
  readonly offset: number;
  readonly parent: KeyNode | undefined;
  private readonly hive: Hive;
  private readonly depth: number;
  private pathCache: string | undefined;
  private childOffsets: number[] | undefined;
  private found: Map<string, KeyNode> | undefined;

  constructor(hive: Hive, offset: number, name: string, parent: KeyNode | undefined) {
    this.hive = hive;
    this.offset = offset;
    this.name = name;
    this.parent = parent;
    this.depth = parent ? parent.depth + 1 : 0;
  }

  get path(): string {
    if (this.pathCache === undefined) {
      this.pathCache = !this.parent ? '' : this.parent.parent ? `${this.parent.path}\\${this.name}` : this.name;
    }
    return this.pathCache;
  }

  private get p(): number {
    return BASE + this.offset + 4;
  }

  get lastWritten(): Date | undefined {
    return filetimeToDate(this.hive.dv, this.p + 4);
  }

  get className(): string | undefined {
    const { hive, p } = this;
    const rel = hive.dv.getUint32(p + 48, true);
    const len = hive.dv.getUint16(p + 74, true);
    if (rel === NO_CELL || rel === 0 || len === 0) return undefined;
    const cellLen = hive.cell(rel, 'class name', this);
    const start = BASE + rel + 4;
    return hive.buf.toString('utf16le', start, start + (Math.min(len, cellLen) & ~1));
  }

  /** Offsets of the child `nk` cells, in list order (cached: lists are immutable once opened). */
  private children(): number[] {
    if (this.childOffsets) return this.childOffsets;
    const out = this.listed();
    this.childOffsets = out;
    return out;
  }

  /** Reads the subkey list; with `claims`, a list cell the walk already read is an error. */
  private listed(claims?: WalkClaims): number[] {
    const { hive, p } = this;
    const count = hive.dv.getUint32(p + 20, true);
    const list = hive.dv.getUint32(p + 28, true);
    const out: number[] = [];
    if (count !== 0 && list !== NO_CELL) hive.listOffsets(list, this, out, 0, new Set(), claims);
    return out;
  }

  private child(rel: number): KeyNode {
    if (this.depth + 1 > MAX_DEPTH) throw this.hive.fail(`${describeKey(this)} is nested more than ${MAX_DEPTH} levels deep (cycle in subkey lists?)`, this.offset);
    for (let a: KeyNode | undefined = this; a; a = a.parent) {
      if (a.offset === rel) throw this.hive.fail(`subkey list of ${describeKey(this)} points back to ${describeKey(a)} (cycle)`, this.offset);
    }
    return this.hive.readKey(rel, this, this.p + 28);
  }

  subkeys(): HiveKey[] {
    return this.children().map((rel) => this.child(rel));
  }

  readable(claims?: WalkClaims): { subkeys: HiveKey[]; values: HiveValue[]; errors: HiveError[] } {
    // Plain loops, no closures: a full dump calls this once per key (30,000+ for a SYSTEM hive).
    const errors: HiveError[] = [];
    const subkeys: HiveKey[] = [];
    const values: HiveValue[] = [];
    const { hive, p } = this;
    // The walk's start key: its own cell counts as read, so a list pointing back to it is caught.
    claims?.claim(hive, this.offset);
    let offsets: number[] = [];
    try {
      // A walk reads each key's list once; claiming its cells keeps a list shared by many keys from being read for each.
      offsets = claims ? this.listed(claims) : this.children();
    } catch (err) {
      if (!(err instanceof HiveError)) throw err;
      errors.push(err);
    }
    for (const rel of offsets) {
      try {
        const child = this.child(rel);
        if (claims && !claims.claim(hive, rel)) {
          throw hive.fail(`subkey list of ${describeKey(this)} lists key ${quoteName(child.name)} at ${hex(rel)}, which another entry already lists (a key has one parent; damaged subkey list)`, this.offset);
        }
        subkeys.push(child);
      } catch (err) {
        if (!(err instanceof HiveError)) throw err;
        errors.push(err);
      }
    }
    const count = hive.dv.getUint32(p + 36, true);
    const list = hive.dv.getUint32(p + 40, true);
    if (count === 0 || list === NO_CELL) return { subkeys, values, errors };
    let n = 0;
    try {
      n = Math.min(count, hive.cell(list, 'value list', this) >>> 2);
      if (claims && !claims.claim(hive, list)) {
        n = 0;
        throw hive.fail(`value list of ${describeKey(this)} at ${hex(list)} is also another key's value list (damaged key)`, this.offset);
      }
    } catch (err) {
      if (!(err instanceof HiveError)) throw err;
      errors.push(err);
    }
    const lp = BASE + list + 4;
    for (let i = 0; i < n; i++) {
      try {
        const rel = hive.dv.getUint32(lp + i * 4, true);
        const value = readValue(hive, rel, this, claims);
        if (claims && !claims.claim(hive, rel)) {
          throw hive.fail(`value list of ${describeKey(this)} lists value ${quoteName(value.name)} at ${hex(rel)} a second time, or another key's value (damaged value list)`, list + 4 + i * 4);
        }
        values.push(value);
      } catch (err) {
        if (!(err instanceof HiveError)) throw err;
        errors.push(err);
      }
    }
    return { subkeys, values, errors };
  }

  subkeyNames(): string[] {
    return this.subkeys().map((k) => k.name);
  }

  /**
   * Finds a subkey by name. `lf`/`lh` lists are sorted by upper-cased name, so try a binary search
   * first; §1.7 warns that order is not to be trusted, so a miss falls back to a full scan. A
   * damaged sibling does not hide a readable match; it is reported only when nothing matched
   * (the damaged one might have been the key asked for).
   */
  subkey(name: string): HiveKey | undefined {
    const want = upcaseName(name);
    // Rules often ask many things under one key: keep the keys found on lookup paths (not whole walks).
    const known = this.found?.get(want);
    if (known) return known;
    const k = this.findSubkey(want);
    if (k) (this.found ??= new Map()).set(want, k);
    return k;
  }

  private findSubkey(want: string): KeyNode | undefined {
    const offsets = this.children();
    const probed = new Map<number, KeyNode | HiveError>();
    const at = (i: number): KeyNode | HiveError => {
      let k = probed.get(i);
      if (k === undefined) {
        try {
          k = this.child(offsets[i]!);
        } catch (err) {
          if (!(err instanceof HiveError)) throw err;
          k = err;
        }
        probed.set(i, k);
      }
      return k;
    };
    let lo = 0;
    let hi = offsets.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = at(mid);
      if (k instanceof HiveError) break;
      const have = upcaseName(k.name);
      if (have === want) return k;
      if (have < want) lo = mid + 1;
      else hi = mid - 1;
    }
    let damage: HiveError | undefined;
    for (let i = 0; i < offsets.length; i++) {
      const k = at(i);
      if (k instanceof HiveError) damage ??= k;
      else if (upcaseName(k.name) === want) return k;
    }
    if (damage) throw damage;
    return undefined;
  }

  values(): HiveValue[] {
    const { hive, p } = this;
    const count = hive.dv.getUint32(p + 36, true);
    const list = hive.dv.getUint32(p + 40, true);
    if (count === 0 || list === NO_CELL) return [];
    const len = hive.cell(list, 'value list', this);
    const n = Math.min(count, len >>> 2);
    const out: HiveValue[] = new Array(n);
    const lp = BASE + list + 4;
    for (let i = 0; i < n; i++) out[i] = readValue(hive, hive.dv.getUint32(lp + i * 4, true), this);
    return out;
  }

  value(name: string): HiveValue | undefined {
    const want = upcaseName(name);
    for (const v of this.values()) if (upcaseName(v.name) === want) return v;
    return undefined;
  }

  securityBytes(): Uint8Array | undefined {
    const { hive, p } = this;
    const rel = hive.dv.getUint32(p + 44, true);
    if (rel === NO_CELL) return undefined;
    const len = hive.cell(rel, 'security record (sk)', this);
    const what = `security record (sk) of ${describeKey(this)}`;
    const sp = BASE + rel + 4;
    if (len < 20 || hive.dv.getUint16(sp, true) !== SIG_SK) throw hive.fail(`${what} at ${hex(rel)} is not an sk record`, rel);
    const size = hive.dv.getUint32(sp + 16, true);
    if (size > len - 20) throw hive.fail(`${what}: descriptor size ${size} exceeds its cell (${len - 20} bytes)`, rel);
    return hive.buf.subarray(sp + 20, sp + 20 + size);
  }

  securityDescriptor(): SecurityDescriptor | undefined {
    const skOffset = this.hive.dv.getUint32(this.p + 44, true);
    const cached = this.hive.descriptors.get(skOffset);
    if (cached) return cached;
    const bytes = this.securityBytes();
    if (!bytes) return undefined;
    try {
      const sd = parseSecurityDescriptor(bytes);
      this.hive.descriptors.set(skOffset, sd);
      return sd;
    } catch (err) {
      if (err instanceof DriftscanError) throw err;
      const sdStart = bytes.byteOffset - this.hive.buf.byteOffset;
      // parseSecurityDescriptor names the bad spot as "SD byte 0x…"; point at it in the file.
      const at = /SD byte 0x([0-9a-f]+)/i.exec((err as Error).message);
      const offset = at ? sdStart + Number.parseInt(at[1]!, 16) : sdStart;
      throw new HiveError(`security descriptor of ${describeKey(this)} is invalid: ${(err as Error).message}`, { file: this.hive.file, offset }, err);
    }
  }
}

function readValue(hive: Hive, rel: number, key: KeyNode, claims?: WalkClaims): HiveValue {
  const len = hive.cell(rel, 'value', key);
  const p = BASE + rel + 4;
  const dv = hive.dv;
  if (len < 20 || dv.getUint16(p, true) !== SIG_VK) throw hive.fail(`value of ${describeKey(key)} at ${hex(rel)} is not a value (vk) record`, rel);
  const nameLen = dv.getUint16(p + 2, true);
  if (20 + nameLen > len) throw hive.fail(`value of ${describeKey(key)}: value name length ${nameLen} exceeds its cell`, rel);
  const comp = (dv.getUint16(p + 16, true) & VALUE_COMP_NAME) !== 0;
  const name = nameLen === 0 ? '' : comp ? hive.buf.toString('latin1', p + 20, p + 20 + nameLen) : hive.buf.toString('utf16le', p + 20, p + 20 + (nameLen & ~1));
  return new ValueNode(hive, rel, name, key, claims);
}

class ValueNode implements HiveValue {
  readonly name: string;
  private readonly hive: Hive;
  private readonly rel: number;
  private readonly key: KeyNode;
  /** Set during a walk: the data cells are claimed on the first read (later reads of this value are the same read). */
  private claims: WalkClaims | undefined;

  constructor(hive: Hive, rel: number, name: string, key: KeyNode, claims?: WalkClaims) {
    this.hive = hive;
    this.rel = rel;
    this.name = name;
    this.key = key;
    this.claims = claims;
  }

  /** Claims a data cell for this value's first read; throws when the walk already read it for another value. */
  private claim(rel: number, what: string, ref: number): void {
    if (this.claims && !this.claims.claim(this.hive, rel)) {
      throw this.hive.fail(`${what} of ${describeKey(this.key)} at ${hex(rel)} also belongs to another value (damaged value)`, ref);
    }
  }

  get typeCode(): number {
    return this.hive.dv.getUint32(BASE + this.rel + 4 + 12, true);
  }

  get size(): number {
    return this.hive.dv.getUint32(BASE + this.rel + 4 + 4, true) & 0x7fffffff;
  }

  decoded(): RegistryValue {
    return decodeValue(this.typeCode, this.bytes());
  }

  /** The data: inline (§1.9), one cell, or `db` segments (§1.10); never longer than the cells that hold it. */
  bytes(): Uint8Array {
    const { hive } = this;
    const dv = hive.dv;
    const p = BASE + this.rel + 4;
    const raw = dv.getUint32(p + 4, true);
    const size = raw & 0x7fffffff;
    if (size === 0) return new Uint8Array(0);
    // Bit 31: the data sits in the offset field itself (any type of at most 4 bytes).
    if (raw & 0x80000000) return hive.buf.subarray(p + 8, p + 8 + Math.min(size, 4));
    const dataRel = dv.getUint32(p + 8, true);
    const len = hive.cell(dataRel, () => `data of value ${quoteName(this.name)}`, this.key);
    this.claim(dataRel, `data of value ${quoteName(this.name)}`, this.rel);
    const dp = BASE + dataRel + 4;
    try {
      if (hive.minorVersion > 3 && size > DB_SEGMENT && len >= 8 && dv.getUint16(dp, true) === SIG_DB) {
        return this.bigData(dp, size, `data of value ${quoteName(this.name)}`);
      }
      return hive.buf.subarray(dp, dp + Math.min(size, len));
    } finally {
      this.claims = undefined;
    }
  }

  private bigData(dp: number, size: number, what: string): Uint8Array {
    const { hive } = this;
    const dv = hive.dv;
    const segments = dv.getUint16(dp + 2, true);
    const listRel = dv.getUint32(dp + 4, true);
    const listLen = hive.cell(listRel, `segment list of ${what}`, this.key);
    this.claim(listRel, `segment list of ${what}`, dp - BASE - 4);
    const n = Math.min(segments, listLen >>> 2);
    // Each segment once: a list naming one 16 KB segment 65,535 times would otherwise make a 1 GB value of a 256 KB file.
    const seen = this.claims ? undefined : new Set<number>();
    // Allocate no more than the segments can hold, whatever the vk claims.
    const out = new Uint8Array(Math.min(size, n * DB_SEGMENT));
    let filled = 0;
    const lp = BASE + listRel + 4;
    for (let i = 0; i < n && filled < out.length; i++) {
      const segRel = dv.getUint32(lp + i * 4, true);
      const segLen = hive.cell(segRel, `segment ${i + 1} of ${what}`, this.key);
      if (seen ? seen.has(segRel) : !this.claims!.claim(hive, segRel)) {
        throw hive.fail(`segment ${i + 1} of ${what} of ${describeKey(this.key)} at ${hex(segRel)} is already used (damaged big data)`, listRel + 4 + i * 4);
      }
      seen?.add(segRel);
      const take = Math.min(segLen, DB_SEGMENT, out.length - filled);
      out.set(hive.buf.subarray(BASE + segRel + 4, BASE + segRel + 4 + take), filled);
      filled += take;
    }
    return filled === out.length ? out : out.subarray(0, filled);
  }
}

/** FILETIME (100 ns since 1601-01-01 UTC) → Date; 0 → undefined (§1.2: not always maintained). */
function filetimeToDate(dv: DataView, at: number): Date | undefined {
  const lo = dv.getUint32(at, true);
  const hi = dv.getUint32(at + 4, true);
  if (lo === 0 && hi === 0) return undefined;
  const ms = (hi * 4294967296 + lo) / 10000 - 11644473600000;
  const d = new Date(Math.floor(ms));
  return Number.isNaN(d.getTime()) ? undefined : d;
}
