/**
 * A block cache between the disk readers and a source where every read costs a round trip (an
 * HTTP range request to Blob Storage: tens of milliseconds each). The VHD, VHDX, partition and NTFS
 * readers ask for what they need — a 512-byte sector, a 1 KiB MFT record, a 4 KiB index block, a
 * BAT entry — and the same region again and again; here those become a few large requests:
 *
 * - fixed-size aligned blocks (256 KiB by default), so nearby small reads share one request;
 * - the blocks a read misses are fetched together, adjacent ones as one range request;
 * - a read that continues where the previous one ended (a file's data, a run of MFT records) and
 *   misses also fetches the next blocks (read-ahead), so a sequential scan costs one request per
 *   few blocks;
 * - memory is bounded: least recently used blocks are dropped past `maxBytes` (64 MiB by default);
 *   a read larger than a quarter of that goes straight to the source, uncached, so one big hive
 *   does not flush everything else;
 * - concurrent reads of one block share its request.
 *
 * Pure: it wraps any `ByteSource` and does no I/O of its own. Every read returns a fresh copy,
 * because readers patch what they get (NTFS update-sequence fix-ups) and blocks are shared.
 */
import type { ByteSource } from './byte-source.js';

export interface ReadCacheOptions {
  /** Block size in bytes, a power of two; default 256 KiB. */
  blockSize?: number;
  /** Most bytes kept; default 64 MiB. */
  maxBytes?: number;
  /** Blocks fetched past a sequential read's end; default 4 (1 MiB). */
  readAheadBlocks?: number;
  /** Largest single request to the source; default 8 MiB. */
  maxRequestBytes?: number;
}

export interface CachedSource extends ByteSource {
  /** Reads asked of the cache, reads sent to the source, bytes those fetched. */
  readonly cacheStats: { reads: number; sourceReads: number; sourceBytes: number };
}

export function cachedSource(source: ByteSource, options: ReadCacheOptions = {}): CachedSource {
  const blockSize = options.blockSize ?? 256 * 1024;
  if (!Number.isSafeInteger(blockSize) || blockSize <= 0 || (blockSize & (blockSize - 1)) !== 0) throw new RangeError(`block size must be a power of two, not ${blockSize}`);
  const maxBytes = Math.max(options.maxBytes ?? 64 * 1024 * 1024, blockSize);
  const maxBlocks = Math.max(1, Math.floor(maxBytes / blockSize));
  const readAhead = options.readAheadBlocks ?? 4;
  const maxRequestBlocks = Math.max(1, Math.floor((options.maxRequestBytes ?? 8 * 1024 * 1024) / blockSize));
  const blockCount = Math.ceil(source.size / blockSize);
  /** Block index → its bytes (or the request fetching them); Map order is recency order. */
  const blocks = new Map<number, Promise<Uint8Array>>();
  const cacheStats = { reads: 0, sourceReads: 0, sourceBytes: 0 };
  /** Where the last read ended: a read starting there continues a sequential scan. */
  let lastEnd = -1;

  const fetchRun = (first: number, count: number): void => {
    const offset = first * blockSize;
    const length = Math.min(source.size, (first + count) * blockSize) - offset;
    cacheStats.sourceReads++;
    cacheStats.sourceBytes += length;
    const whole = source.read(offset, length);
    for (let i = 0; i < count; i++) {
      const index = first + i;
      const block = whole.then((bytes) => bytes.subarray(i * blockSize, Math.min(bytes.length, (i + 1) * blockSize)));
      // A failed request leaves no entry behind: a later read asks again (and fails on its own).
      block.catch(() => {
        if (blocks.get(index) === block) blocks.delete(index);
      });
      blocks.set(index, block);
    }
  };

  const evict = (): void => {
    for (const index of blocks.keys()) {
      if (blocks.size <= maxBlocks) break;
      blocks.delete(index);
    }
  };

  return {
    name: source.name,
    size: source.size,
    cacheStats,
    read: async (offset, length) => {
      cacheStats.reads++;
      if (length === 0) return new Uint8Array(0);
      const first = Math.floor(offset / blockSize);
      const last = Math.floor((offset + length - 1) / blockSize);
      const sequential = offset === lastEnd;
      lastEnd = offset + length;
      if (length > maxBytes / 4) {
        cacheStats.sourceReads++;
        cacheStats.sourceBytes += length;
        return source.read(offset, length);
      }
      // Misses in [first, last], fetched as runs of adjacent blocks; a sequential read that misses
      // also fetches the blocks after it (read-ahead), so a scan misses once every few blocks.
      let missed = false;
      for (let index = first; index <= last && !missed; index++) missed = !blocks.has(index);
      const end = missed && sequential ? Math.min(blockCount - 1, last + readAhead) : last;
      let runStart = -1;
      for (let index = first; index <= end + 1; index++) {
        const missing = index <= end && !blocks.has(index);
        if (missing && runStart < 0) runStart = index;
        const runLength = index - runStart;
        if (runStart >= 0 && (!missing || runLength === maxRequestBlocks)) {
          fetchRun(runStart, runLength);
          runStart = missing ? index : -1;
        }
      }
      // Taken (and touched: moved to the recent end of the Map) before any await, so another
      // read's eviction cannot drop a block between here and its use.
      const pending: Array<Promise<Uint8Array>> = [];
      for (let index = first; index <= last; index++) {
        const block = blocks.get(index)!;
        blocks.delete(index);
        blocks.set(index, block);
        pending.push(block);
      }
      evict();
      const parts = await Promise.all(pending);
      const out = new Uint8Array(length);
      let at = 0;
      for (let i = 0; i < parts.length; i++) {
        const base = (first + i) * blockSize;
        const from = Math.max(offset, base) - base;
        const to = Math.min(offset + length, base + parts[i]!.length) - base;
        out.set(parts[i]!.subarray(from, to), at);
        at += to - from;
      }
      return out;
    },
  };
}
