/**
 * VHDX log replay ([MS-VHDX] §2.3): a VHDX whose header carries a non-zero LogGuid was not closed
 * cleanly and its log holds metadata (and possibly data) writes that must be applied before the
 * file means anything. Replay here is in memory: the writes become an overlay over the file, and
 * the file itself is never written.
 *
 * The log is a circular buffer of entries (§2.3.1.1: header "loge", CRC-32C over the whole entry,
 * sequence number, the Tail offset of the oldest entry still needed, descriptors, data sectors).
 * The active sequence (§2.3.3) is the run of valid, consecutive entries — sequence numbers rising by
 * one, each starting where the previous ends — with the highest sequence number whose head's Tail
 * points into the run; its entries are applied in order from that tail to the head.
 */
import { ascii, diskError, guid, hex, readRange, u64, view, type ByteSource } from './byte-source.js';
import { crc32c } from './checksums.js';

const SECTOR = 4096;
/** Logs larger than this are damage (Hyper-V and qemu write 1 MiB logs). */
const MAX_LOG = 64 * 1024 * 1024;

interface Entry {
  at: number;
  length: number;
  tail: number;
  sequence: bigint;
  flushedFileOffset: number;
  lastFileOffset: number;
  writes: Array<{ offset: number; data?: Uint8Array; zero?: number }>;
}

/** Parses the entry at `at` of `log`, or says why it is not a valid entry of this log. */
function parseEntry(log: Uint8Array, at: number, logGuid: string): Entry | undefined {
  if (at + SECTOR > log.length || ascii(log, at, 4) !== 'loge') return undefined;
  const dv = view(log);
  const length = dv.getUint32(at + 8, true);
  if (length < SECTOR || length % SECTOR !== 0 || at + length > log.length) return undefined;
  const copy = log.slice(at, at + length);
  view(copy).setUint32(4, 0, true);
  if (crc32c(copy) !== dv.getUint32(at + 4, true)) return undefined;
  if (guid(log, at + 32) !== logGuid) return undefined;
  const sequence = dv.getBigUint64(at + 16, true);
  const count = dv.getUint32(at + 24, true);
  const descriptorSectors = Math.ceil((64 + count * 32) / SECTOR);
  if (descriptorSectors * SECTOR > length) return undefined;
  const flushedFileOffset = u64(dv, at + 48);
  const lastFileOffset = u64(dv, at + 56);
  if (flushedFileOffset === undefined || lastFileOffset === undefined) return undefined;
  const writes: Entry['writes'] = [];
  let dataAt = at + descriptorSectors * SECTOR;
  for (let i = 0; i < count; i++) {
    const d = at + 64 + i * 32;
    const kind = ascii(log, d, 4);
    const offset = u64(dv, d + 16);
    if (offset === undefined || offset % SECTOR !== 0 || dv.getBigUint64(d + 24, true) !== sequence) return undefined;
    if (kind === 'zero') {
      const zero = u64(dv, d + 8);
      if (zero === undefined || zero % SECTOR !== 0) return undefined;
      writes.push({ offset, zero });
    } else if (kind === 'desc') {
      if (dataAt + SECTOR > at + length || ascii(log, dataAt, 4) !== 'data') return undefined;
      const seq = (BigInt(dv.getUint32(dataAt + 4, true)) << 32n) | BigInt(dv.getUint32(dataAt + 4092, true));
      if (seq !== sequence) return undefined;
      // The 4 KiB written: the descriptor's 8 leading bytes, the sector's 4084 data bytes, its 4 trailing bytes (§2.3.1.3).
      const data = new Uint8Array(SECTOR);
      data.set(log.subarray(d + 8, d + 16), 0);
      data.set(log.subarray(dataAt + 8, dataAt + 4092), 8);
      data.set(log.subarray(d + 4, d + 8), 4092);
      writes.push({ offset, data });
      dataAt += SECTOR;
    } else return undefined;
  }
  return { at, length, tail: dv.getUint32(at + 12, true), sequence, flushedFileOffset, lastFileOffset, writes };
}

/**
 * The file as it is after replaying the log at `logOffset`: an overlay of the logged writes. Throws
 * a located error when no valid sequence is found or the file is shorter than the log says it was
 * flushed to.
 */
export async function replayVhdxLog(file: ByteSource, header: { at: number; logGuid: string; logOffset: number; logLength: number }): Promise<ByteSource> {
  const what = `VHDX log at ${hex(header.logOffset)} (LogGuid ${header.logGuid}, named by the header at ${hex(header.at)})`;
  if (header.logLength === 0 || header.logLength % (1024 * 1024) !== 0 || header.logLength > MAX_LOG || header.logOffset % (1024 * 1024) !== 0) {
    throw diskError(file, what, `length ${header.logLength} is not a multiple of 1 MiB up to ${MAX_LOG / 1024 / 1024} MiB, or the offset is not 1 MiB aligned`);
  }
  const log = await readRange(file, header.logOffset, header.logLength, what);
  const entries = new Map<number, Entry>();
  for (let at = 0; at < log.length; at += SECTOR) {
    const e = parseEntry(log, at, header.logGuid);
    if (e) entries.set(at, e);
  }
  let best: Entry[] | undefined;
  for (const start of entries.values()) {
    const run = [start];
    const seen = new Set([start.at]);
    for (let cur = start; ; ) {
      const next = entries.get((cur.at + cur.length) % log.length);
      if (!next || seen.has(next.at) || next.sequence !== cur.sequence + 1n) break;
      run.push(next);
      seen.add(next.at);
      cur = next;
    }
    const head = run[run.length - 1]!;
    const tail = run.findIndex((e) => e.at === head.tail);
    if (tail < 0) continue;
    if (!best || head.sequence > best[best.length - 1]!.sequence) best = run.slice(tail);
  }
  if (!best) throw diskError(file, what, 'the header says the log must be replayed, but it holds no valid sequence of entries (damaged log)');
  const head = best[best.length - 1]!;
  if (file.size < head.flushedFileOffset) throw diskError(file, what, `the file is ${file.size} bytes, shorter than the ${head.flushedFileOffset} bytes the log says were flushed (truncated image)`);
  // Later entries win over earlier ones: apply in order into one map of 4 KiB sectors.
  const sectors = new Map<number, Uint8Array | undefined>();
  let zeroed = 0;
  for (const e of best) {
    for (const w of e.writes) {
      if (w.data) sectors.set(w.offset, w.data);
      else {
        zeroed += w.zero!;
        if (zeroed > 2 ** 30) throw diskError(file, what, 'zero descriptors cover more than 1 GiB (damaged log)');
        for (let o = w.offset; o < w.offset + w.zero!; o += SECTOR) sectors.set(o, undefined);
      }
    }
  }
  const size = Math.max(file.size, head.lastFileOffset);
  /** The sectors the log rewrote, laid over `out` (which holds the file's bytes at `offset` from index `base`). */
  const overlay = (out: Uint8Array, offset: number, length: number, base = 0): Uint8Array => {
    for (let s = Math.floor(offset / SECTOR) * SECTOR; s < offset + length; s += SECTOR) {
      if (!sectors.has(s)) continue;
      const data = sectors.get(s) ?? new Uint8Array(SECTOR);
      const from = Math.max(s, offset);
      const to = Math.min(s + SECTOR, offset + length);
      out.set(data.subarray(from - s, to - s), base + from - offset);
    }
    return out;
  };
  const inFile = (offset: number, length: number): number => Math.max(0, Math.min(length, file.size - offset));
  const readSync = file.readSync?.bind(file);
  return {
    name: file.name,
    size,
    read: async (offset, length) => {
      const out = new Uint8Array(length);
      const n = inFile(offset, length);
      if (n > 0) out.set(await file.read(offset, n), 0);
      return overlay(out, offset, length);
    },
    ...(readSync
      ? {
          readSync: (offset: number, length: number, into?: Uint8Array, at = 0) => {
            const out = into ?? new Uint8Array(length);
            const base = into ? at : 0;
            const n = inFile(offset, length);
            if (n > 0) readSync(offset, n, out, base);
            // Past the end of the file (the log grew it) is zeros until the log says otherwise.
            if (into && n < length) out.fill(0, base + n, base + length);
            overlay(out, offset, length, base);
            return into ? into.subarray(at, at + length) : out;
          },
        }
      : {}),
  };
}
