/**
 * The seam every disk reader works on: an async random-access byte source. A local file
 * (`io/file-byte-source.ts`) and, later, an HTTP range source over a Blob SAS URL implement it the
 * same way; the readers above it (VHD, VHDX, partitions, NTFS) never know which one they have.
 * Readers ask only for the bytes they need, so an image of 64 GB is read in kilobytes and megabytes.
 */
import { DriftscanError } from '../core/diagnostics.js';

export interface ByteSource {
  /** What errors name as the file: the image path (never a URL with its SAS token). */
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  /**
   * Exactly `length` bytes at `offset`; the caller has checked the range lies inside `size`.
   * An implementation may return a view into a shared buffer only if it never reuses it.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional: the same bytes without a promise, under the same contract as `read`. A source over a
   * local file has it, and so does every source composed over one (a partition, a VHD or VHDX
   * block map, a file inside NTFS), so a synchronous reader — the hive reader reading cells as a
   * lookup needs them — can read a hive inside an image in place. A source that can only answer
   * asynchronously (HTTP range requests) leaves it out; callers then read what they need up front.
   * With `into`, the bytes are written to `into` at `at` (all of them: sparse parts as zeros) and
   * that view is returned: a reader with a buffer of its own (the hive reader's) gets them without
   * a fresh array and a copy at every layer, which for a 12 MB hive cost more than the reading.
   */
  readSync?(offset: number, length: number, into?: Uint8Array, at?: number): Uint8Array;
}

/** A synchronous read's signature (`ByteSource.readSync`). */
export type ReadSync = (offset: number, length: number, into?: Uint8Array, at?: number) => Uint8Array;

/**
 * Assembles a synchronous read from pieces (in output order, not overlapping): each piece's bytes
 * come from `fetch` (which writes into the given array at the given index), and the gaps between
 * them are zeros. Writes into `into` at `at`, or into a new array.
 */
export function assembleSync(length: number, pieces: ReadonlyArray<{ into: number; n: number }>, fetch: (piece: number, out: Uint8Array, at: number) => void, into?: Uint8Array, at = 0): Uint8Array {
  const out = into ?? new Uint8Array(length);
  const base = into ? at : 0;
  let pos = 0;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    // A new array is zeroed already; a caller's buffer may hold anything.
    if (into && p.into > pos) out.fill(0, base + pos, base + p.into);
    fetch(i, out, base + p.into);
    pos = p.into + p.n;
  }
  if (into && pos < length) out.fill(0, base + pos, base + length);
  return into ? into.subarray(at, at + length) : out;
}

/** One disk reader's failure: `disk.vhdx: VHDX region table at 0x30000: checksum mismatch`. */
export class DiskError extends DriftscanError {}

/** `0x1f000` — the way every disk message writes offsets. */
export function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

/** A located error about `what` (a structure and where it sits) in `source`. */
export function diskError(source: { name: string }, what: string, problem: string): DiskError {
  return new DiskError(`${what}: ${problem}`, { location: { file: source.name } });
}

/**
 * Reads `[offset, offset+length)` after checking it lies inside the source, so a damaged size or
 * offset becomes a located error instead of a short read or a huge allocation.
 */
export async function readRange(source: ByteSource, offset: number, length: number, what: string): Promise<Uint8Array> {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > source.size) {
    throw diskError(source, what, `lies outside the ${source.size}-byte disk (${hex(offset)}+${hex(length)})`);
  }
  if (length === 0) return new Uint8Array(0);
  return source.read(offset, length);
}

/** `readRange` for a source with `readSync` (the same checks, the same located error). */
export function readRangeSync(source: { name: string; size: number; readSync: ReadSync }, offset: number, length: number, what: string, into?: Uint8Array, at = 0): Uint8Array {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > source.size) {
    throw diskError(source, what, `lies outside the ${source.size}-byte disk (${hex(offset)}+${hex(length)})`);
  }
  if (length === 0) return into ? into.subarray(at, at) : new Uint8Array(0);
  return source.readSync(offset, length, into, at);
}

/** The bytes `[start, start+size)` of `parent` as a source of their own (a partition, a volume). */
export function sliceSource(parent: ByteSource, start: number, size: number): ByteSource {
  const readSync = parent.readSync?.bind(parent);
  return {
    name: parent.name,
    size,
    read: (offset, length) => parent.read(start + offset, length),
    ...(readSync ? { readSync: (offset: number, length: number, into?: Uint8Array, at?: number) => readSync(start + offset, length, into, at) } : {}),
  };
}

/**
 * A source made of fixed-size blocks of `parent` (a VHD or VHDX block map): `locate(block)` gives
 * where block `block` starts in `parent`, or undefined for a block that reads as zeros. `read` and
 * `readSync` (when `parent` has it) walk the same pieces.
 */
export function blockMappedSource(parent: ByteSource, size: number, blockSize: number, locate: (block: number) => number | undefined): ByteSource {
  const pieces = (offset: number, length: number): Array<{ at: number; n: number; into: number }> => {
    const out: Array<{ at: number; n: number; into: number }> = [];
    for (let done = 0; done < length; ) {
      const pos = offset + done;
      const block = Math.floor(pos / blockSize);
      const within = pos - block * blockSize;
      const n = Math.min(length - done, blockSize - within);
      const at = locate(block);
      if (at !== undefined) out.push({ at: at + within, n, into: done });
      done += n;
    }
    return out;
  };
  const readSync = parent.readSync?.bind(parent);
  return {
    name: parent.name,
    size,
    read: async (offset, length) => {
      const out = new Uint8Array(length);
      for (const p of pieces(offset, length)) out.set(await parent.read(p.at, p.n), p.into);
      return out;
    },
    ...(readSync
      ? {
          readSync: (offset: number, length: number, into?: Uint8Array, at?: number) => {
            const ps = pieces(offset, length);
            return assembleSync(length, ps, (i, out, to) => void readSync(ps[i]!.at, ps[i]!.n, out, to), into, at);
          },
        }
      : {}),
  };
}

/** Little-endian field readers over a byte array (DataView without the boilerplate at each call). */
export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A 64-bit little-endian field as a number, or undefined when it exceeds 2^53 (no disk we read is that big). */
export function u64(dv: DataView, at: number, bigEndian = false): number | undefined {
  const v = dv.getBigUint64(at, !bigEndian);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
}

export function ascii(bytes: Uint8Array, at: number, length: number): string {
  let s = '';
  for (let i = at; i < at + length && i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** A GUID in its registry/text form from its mixed-endian on-disk layout (UEFI spec, Appendix A). */
export function guid(bytes: Uint8Array, at: number): string {
  const h = (i: number) => bytes[at + i]!.toString(16).padStart(2, '0');
  return (
    `${h(3)}${h(2)}${h(1)}${h(0)}-${h(5)}${h(4)}-${h(7)}${h(6)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`
  ).toUpperCase();
}
