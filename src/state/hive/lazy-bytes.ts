/**
 * A hive file's bytes, read as the reader needs them. A gate reads a few dozen cells of a 12 MB
 * SYSTEM hive; reading the whole file first cost more than anything else in `driftscan check`
 * (most of it in bringing 12 MB of fresh memory into the process). The buffer has the file's size
 * and is zero-filled by the allocator without being touched; 4 KB blocks are read into it on first
 * use (`ensure`), so every offset means what it means in the whole file. The bin scan at open
 * (`scanU32`) reads through a small window that it reuses, leaving the buffer alone.
 */
import type { InputFile } from '../../io/input-file.js';

const BLOCK_SHIFT = 12;
const BLOCK = 1 << BLOCK_SHIFT;
/** The scan window: large reads, few system calls, and small enough to stay in the CPU cache. */
const WINDOW = 256 * 1024;

export class LazyBytes {
  readonly buf: Buffer;
  private readonly loaded: Uint8Array;
  private readonly source: InputFile;
  private window: Buffer | undefined;
  private windowStart = 0;
  private windowLength = 0;

  constructor(source: InputFile) {
    this.source = source;
    this.buf = Buffer.alloc(source.size);
    this.loaded = new Uint8Array((source.size >>> BLOCK_SHIFT) + 1);
  }

  /** Makes bytes [start, end) of the file present in `buf`, reading each missing run of blocks with one read. */
  ensure(start: number, end: number): void {
    const last = (Math.min(end, this.buf.length) - 1) >> BLOCK_SHIFT;
    for (let b = Math.max(start, 0) >>> BLOCK_SHIFT; b <= last; b++) {
      if (this.loaded[b]) continue;
      let run = b;
      while (run + 1 <= last && !this.loaded[run + 1]) run++;
      const from = b << BLOCK_SHIFT;
      const to = Math.min((run + 1) << BLOCK_SHIFT, this.buf.length);
      // A file cut short since it was opened leaves zeros, which read as damage, never as data.
      this.source.read(this.buf, from, to - from, from);
      this.loaded.fill(1, b, run + 1);
      b = run;
    }
  }

  /** The little-endian u32 at file offset `pos` (within the file), read through the scan window. */
  scanU32(pos: number): number {
    if (pos < this.windowStart || pos + 4 > this.windowStart + this.windowLength) {
      this.window ??= Buffer.allocUnsafe(WINDOW);
      this.windowStart = pos;
      this.windowLength = this.source.read(this.window, 0, Math.min(WINDOW, this.buf.length - pos), pos);
      if (pos + 4 > this.windowStart + this.windowLength) return 0;
    }
    return this.window!.readUInt32LE(pos - this.windowStart);
  }

  /** Drops the scan window (the bins are mapped) and keeps the file open for cells. */
  endScan(): void {
    this.window = undefined;
  }
}
