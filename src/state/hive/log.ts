/**
 * Transaction log replay for dirty hives (windows-formats.md §1.14). Since Windows 8.1 writes land
 * in `.LOG1`/`.LOG2` first and reach the primary file only at reconciliation, so a hive copied from
 * a running machine is only current once its logs are replayed. Replay happens on a copy in
 * memory: the user's files are never written.
 *
 * Both formats begin with a 512-byte partial base block copy. New format (file type 6): `HvLE`
 * entries, each a set of dirty pages protected by two Marvin32 hashes. Old format (file type 1,
 * XP–8.0): `DIRT`, a bitmap with one bit per 512-byte page of the bins data, then those pages.
 * Damaged logs are skipped with a notice; replay stops at the first gap or bad hash, as Windows
 * does, because later entries build on the missing ones.
 */
import { basename } from 'node:path';
import { BASE_BLOCK_SIZE as BASE, baseBlockChecksum } from './format.js';

/** A transaction log file as given by the user. */
export interface TransactionLog {
  file: string;
  bytes: Uint8Array;
}

export interface ReplayResult {
  /** The recovered hive (a new buffer), or the primary itself when nothing was applied. */
  bytes: Uint8Array;
  /** One line per log that was skipped, stopped early or applied. */
  notices: string[];
  /** Log entries replayed (an old-format log counts as one entry). */
  applied: number;
}

const LOG_HEADER = 512;
const ENTRY_HEADER = 40;
const FILE_TYPE_OLD_LOG = 1;
const FILE_TYPE_OLD_LOG_NT4 = 2;
const FILE_TYPE_NEW_LOG = 6;
/**
 * Marvin32 seed for `HvLE` hashes (§1.14 lists it as `82 EF 4D 88 7A 4E 55 C5`): it is the number
 * 0x82EF4D887A4E55C5, low half first into the state; only that reading validates real logs' hashes.
 */
export const LOG_HASH_SEED = 0x82ef4d887a4e55c5n;

const hex = (n: number): string => `0x${n.toString(16)}`;

const rotl = (x: number, n: number): number => ((x << n) | (x >>> (32 - n))) >>> 0;

/**
 * Marvin32 (the keyed checksum Windows uses for registry log entries and .NET string hashing).
 * Returns the 64-bit state `hi:lo` as a bigint, the form stored in `HvLE` entries.
 */
export function marvin32(data: Uint8Array, seed: bigint = LOG_HASH_SEED): bigint {
  let lo = Number(seed & 0xffffffffn) >>> 0;
  let hi = Number((seed >> 32n) & 0xffffffffn) >>> 0;
  const mix = (): void => {
    hi = (hi ^ lo) >>> 0;
    lo = rotl(lo, 20);
    lo = (lo + hi) >>> 0;
    hi = rotl(hi, 9);
    hi = (hi ^ lo) >>> 0;
    lo = rotl(lo, 27);
    lo = (lo + hi) >>> 0;
    hi = rotl(hi, 19);
  };
  const n = data.length;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    lo = (lo + dv.getUint32(i, true)) >>> 0;
    mix();
  }
  // The tail (0–3 bytes) is padded with a single 0x80 byte, then zeros, to make a final word.
  let last = 0x80;
  for (let k = n - i - 1; k >= 0; k--) last = ((last << 8) | data[i + k]!) >>> 0;
  lo = (lo + last) >>> 0;
  mix();
  mix();
  return (BigInt(hi) << 32n) | BigInt(lo);
}

interface LogEntry {
  /** Byte offset of the entry in its log file. */
  at: number;
  sequence: number;
  binsSize: number;
  pages: Array<{ offset: number; size: number; from: number }>;
  hashOk: () => boolean;
}

interface ParsedLog {
  label: string;
  format: 'new' | 'old';
  sequence: number;
  binsSize: number;
  bytes: Uint8Array;
  dv: DataView;
}

/**
 * Replays `logs` onto a copy of `primary` (a dirty hive). New-format entries are applied in
 * sequence order starting at the sequence number in the oldest usable log's base block that is not
 * older than the primary, continuing from one log into the other. Never throws for damaged logs:
 * they are reported in `notices`. The returned base block is made clean (equal sequence numbers,
 * valid checksum) when anything was applied.
 */
export function applyTransactionLogs(primary: Uint8Array, logs: TransactionLog[]): ReplayResult {
  const notices: string[] = [];
  if (primary.byteLength < BASE) return { bytes: primary, notices, applied: 0 };
  const pdv = view(primary);
  const primarySecondary = pdv.getUint32(8, true);

  const parsed: ParsedLog[] = [];
  for (const log of logs) {
    const p = parseLogHeader(log, notices);
    if (p) parsed.push(p);
  }
  if (parsed.length === 0) return { bytes: primary, notices, applied: 0 };

  let hive: Uint8Array = new Uint8Array(primary);
  let binsSize = pdv.getUint32(40, true);
  let applied = 0;
  let lastSequence: number | undefined;

  const newLogs = parsed.filter((l) => l.format === 'new').sort((a, b) => a.sequence - b.sequence);
  const oldLogs = parsed.filter((l) => l.format === 'old');

  const usable = newLogs.filter((l) => seqNotBefore(l.sequence, primarySecondary));
  for (const l of newLogs) {
    if (!usable.includes(l)) notices.push(`${l.label}: log is older than the hive (log sequence ${l.sequence}, hive ${primarySecondary}); not applied`);
  }
  if (usable.length > 0) {
    let expected = usable[0]!.sequence;
    let stopped = false;
    for (const log of usable) {
      if (stopped) break;
      let count = 0;
      for (const entry of entries(log, notices)) {
        if (seqBefore(entry.sequence, expected)) continue; // already replayed from the other log or reconciled
        if (entry.sequence !== expected) {
          if (count === 0 && log !== usable[0]) {
            notices.push(`${log.label}: first entry has sequence ${entry.sequence}, expected ${expected}; entries are missing, replay stops here`);
            stopped = true;
          }
          break;
        }
        if (!entry.hashOk()) {
          notices.push(`${log.label} @ byte ${hex(entry.at)}: log entry ${entry.sequence} fails its Marvin32 hash; replay stops here`);
          stopped = true;
          break;
        }
        const fits = entry.pages.every((pg) => pg.offset + pg.size <= entry.binsSize);
        if (!fits) {
          notices.push(`${log.label} @ byte ${hex(entry.at)}: log entry ${entry.sequence} writes past its hive bins size; replay stops here`);
          stopped = true;
          break;
        }
        if (BASE + entry.binsSize !== hive.length) hive = resize(hive, BASE + entry.binsSize);
        binsSize = entry.binsSize;
        for (const pg of entry.pages) hive.set(log.bytes.subarray(pg.from, pg.from + pg.size), BASE + pg.offset);
        lastSequence = entry.sequence;
        expected = (expected + 1) >>> 0;
        applied++;
        count++;
      }
      if (count > 0) notices.push(`${log.label}: replayed ${count} log entr${count === 1 ? 'y' : 'ies'}`);
    }
  }

  for (const log of oldLogs) {
    if (!seqNotBefore(log.sequence, primarySecondary)) {
      notices.push(`${log.label}: log is older than the hive (log sequence ${log.sequence}, hive ${primarySecondary}); not applied`);
      continue;
    }
    const result = applyOldLog(log, hive, notices);
    if (result) {
      hive = result.hive;
      binsSize = log.binsSize;
      lastSequence = log.sequence;
      applied++;
      notices.push(`${log.label}: replayed ${result.pages} dirty page${result.pages === 1 ? '' : 's'} (old-format log)`);
    }
  }

  if (applied === 0) return { bytes: primary, notices, applied };
  // A recovered hive is consistent: both sequence numbers equal, bins size as last logged, fresh checksum (§1.3).
  const dv = view(hive);
  dv.setUint32(4, lastSequence!, true);
  dv.setUint32(8, lastSequence!, true);
  dv.setUint32(28, 0, true);
  dv.setUint32(40, binsSize, true);
  dv.setUint32(508, baseBlockChecksum(dv), true);
  return { bytes: hive, notices, applied };
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Sequence numbers are uint32 and may wrap; compare within half the range. */
function seqBefore(a: number, b: number): boolean {
  return a !== b && ((b - a) >>> 0) < 0x80000000;
}
function seqNotBefore(a: number, b: number): boolean {
  return !seqBefore(a, b);
}

function resize(hive: Uint8Array, length: number): Uint8Array {
  if (length <= hive.length) return hive.slice(0, length);
  const out = new Uint8Array(length);
  out.set(hive);
  return out;
}

/** Reads and checks a log's 512-byte base block copy; `undefined` (with a notice) when unusable. */
function parseLogHeader(log: TransactionLog, notices: string[]): ParsedLog | undefined {
  const label = basename(log.file);
  const b = log.bytes;
  // An empty or zero-filled log (e.g. a leftover SYSTEM.LOG) holds nothing to replay.
  if (b.byteLength === 0 || b.subarray(0, Math.min(b.byteLength, LOG_HEADER)).every((x) => x === 0)) return undefined;
  if (b.byteLength < LOG_HEADER) {
    notices.push(`${label}: transaction log is ${b.byteLength} bytes, shorter than its 512-byte header; ignored`);
    return undefined;
  }
  const dv = view(b);
  if (dv.getUint32(0, true) !== 0x66676572 /* 'regf' */) {
    notices.push(`${label} @ byte 0x0: not a transaction log (no "regf" signature); ignored`);
    return undefined;
  }
  const stored = dv.getUint32(508, true);
  const computed = baseBlockChecksum(dv);
  if (stored !== computed) {
    notices.push(`${label} @ byte 0x1fc: log header checksum ${hex(stored)} does not match ${hex(computed)}; ignored`);
    return undefined;
  }
  const type = dv.getUint32(28, true);
  const sequence = dv.getUint32(4, true);
  const binsSize = dv.getUint32(40, true);
  if (type === FILE_TYPE_NEW_LOG) return { label, format: 'new', sequence, binsSize, bytes: b, dv };
  if (type === FILE_TYPE_OLD_LOG || type === FILE_TYPE_OLD_LOG_NT4) {
    if (binsSize === 0 || binsSize % 4096 !== 0) {
      notices.push(`${label} @ byte 0x28: log header bins size ${hex(binsSize)} is not a positive multiple of 4096; ignored`);
      return undefined;
    }
    return { label, format: 'old', sequence, binsSize, bytes: b, dv };
  }
  notices.push(`${label} @ byte 0x1c: file type ${type} is not a transaction log (1, 2 or 6); ignored`);
  return undefined;
}

/** Walks the `HvLE` entries of a new-format log in file order, stopping at the first non-entry. */
function* entries(log: ParsedLog, notices: string[]): Generator<LogEntry> {
  const { bytes: b, dv, label } = log;
  let at = LOG_HEADER;
  while (at + ENTRY_HEADER <= b.byteLength) {
    if (dv.getUint32(at, true) !== 0x454c7648 /* 'HvLE' */) return; // end of the used part of the log
    const size = dv.getUint32(at + 4, true);
    const count = dv.getUint32(at + 20, true);
    const bad = (why: string): void => {
      notices.push(`${label} @ byte ${hex(at)}: damaged log entry (${why}); replay stops here`);
    };
    if (size < ENTRY_HEADER || size % 512 !== 0 || at + size > b.byteLength) return bad(`size ${size}`);
    if (count > (size - ENTRY_HEADER) / 8) return bad(`${count} dirty pages do not fit in ${size} bytes`);
    const binsSize = dv.getUint32(at + 16, true);
    if (binsSize === 0 || binsSize % 4096 !== 0) return bad(`hive bins size ${hex(binsSize)}`);
    // Page data follows the references directly, in reference order; the entry may be padded after it.
    let total = 0;
    const refs: Array<{ offset: number; size: number }> = [];
    for (let i = 0; i < count; i++) {
      const offset = dv.getUint32(at + ENTRY_HEADER + i * 8, true);
      const pageSize = dv.getUint32(at + ENTRY_HEADER + i * 8 + 4, true);
      if (pageSize === 0 || pageSize % 512 !== 0 || offset % 512 !== 0) return bad(`dirty page ${i} at ${hex(offset)}, ${pageSize} bytes`);
      total += pageSize;
      refs.push({ offset, size: pageSize });
    }
    let from = at + ENTRY_HEADER + count * 8;
    if (from + total > at + size) return bad(`dirty pages (${total} bytes) do not fit in the entry`);
    const pages = refs.map((r) => {
      const page = { ...r, from };
      from += r.size;
      return page;
    });
    const entryAt = at;
    yield {
      at,
      sequence: dv.getUint32(at + 12, true),
      binsSize,
      pages,
      hashOk: () =>
        marvin32(b.subarray(entryAt + ENTRY_HEADER, entryAt + size)) === dv.getBigUint64(entryAt + 24, true) &&
        marvin32(b.subarray(entryAt, entryAt + 32)) === dv.getBigUint64(entryAt + 32, true),
    };
    at += size;
  }
}

/**
 * Applies an old-format log: after the header, `DIRT` and a bitmap (one bit per 512-byte page of
 * the bins data, LSB first); the dirty pages follow back to back from the next 512-byte boundary.
 */
function applyOldLog(log: ParsedLog, hive: Uint8Array, notices: string[]): { hive: Uint8Array; pages: number } | undefined {
  const { bytes: b, dv, label, binsSize } = log;
  if (b.byteLength < LOG_HEADER + 4 || dv.getUint32(LOG_HEADER, true) !== 0x54524944 /* 'DIRT' */) {
    notices.push(`${label} @ byte 0x200: old-format log without a "DIRT" dirty-page bitmap; ignored`);
    return undefined;
  }
  const pageCount = binsSize / 512;
  const bitmapBytes = Math.ceil(pageCount / 8);
  const bitmapAt = LOG_HEADER + 4;
  if (bitmapAt + bitmapBytes > b.byteLength) {
    notices.push(`${label} @ byte ${hex(bitmapAt)}: dirty-page bitmap for ${pageCount} pages runs past the end of the log; ignored`);
    return undefined;
  }
  let from = Math.ceil((bitmapAt + bitmapBytes) / 512) * 512;
  const dirty: number[] = [];
  for (let k = 0; k < pageCount; k++) if (b[bitmapAt + (k >>> 3)]! & (1 << (k & 7))) dirty.push(k);
  if (from + dirty.length * 512 > b.byteLength) {
    notices.push(`${label} @ byte ${hex(from)}: the bitmap marks ${dirty.length} dirty pages, the log holds only ${Math.max(0, Math.floor((b.byteLength - from) / 512))}; ignored`);
    return undefined;
  }
  const out = hive.length === BASE + binsSize ? new Uint8Array(hive) : resize(hive, BASE + binsSize);
  for (const k of dirty) {
    out.set(b.subarray(from, from + 512), BASE + k * 512);
    from += 512;
  }
  return { hive: out, pages: dirty.length };
}
