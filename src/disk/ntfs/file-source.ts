/**
 * A file inside an NTFS volume as a `ByteSource` of its own: a read at a file offset is mapped
 * through the file's run list to volume offsets and read there, so a reader above it (the hive
 * reader, reading cells as a lookup needs them) reads only the clusters it asks for, straight
 * through the partition and the VHD/VHDX block map to the image file. Sparse runs and the part
 * past the initialized size read as zeros; an NTFS-compressed file is read one compression unit
 * at a time (LZNT1, decompressed whole, the last unit kept for the next read). It has `readSync`
 * when the volume's source has it.
 */
import { assembleSync, hex, readRange, readRangeSync, type ByteSource, type DiskError } from '../byte-source.js';
import { ATTR_COMPRESSED } from './record.js';
import { decompressLznt1 } from './lznt1.js';
import type { Run } from './runlist.js';

/** A non-resident stream: its runs from every attribute piece (in VCN order), and its sizes. */
export interface Stream {
  runs: Run[];
  dataSize: number;
  initializedSize: number;
  compressionUnit: number;
  flags: number;
}

/** Where the stream's bytes come from: the volume, its label and cluster size, and how it words errors. */
export interface StreamVolume {
  source: ByteSource;
  label: string;
  clusterSize: number;
  error(what: string, problem: string): DiskError;
}

/** A piece of a read: `n` bytes at volume offset `at` go to `into` in the output. */
interface Piece {
  at: number;
  n: number;
  into: number;
}

/** The bytes `[0, length)` of a resident file (its value is in the MFT record) as a source. */
export function bytesSource(name: string, bytes: Uint8Array): ByteSource {
  const readSync = (offset: number, length: number, into?: Uint8Array, at = 0) => {
    if (!into) return bytes.slice(offset, offset + length);
    into.set(bytes.subarray(offset, offset + length), at);
    return into.subarray(at, at + length);
  };
  return { name, size: bytes.length, read: async (offset, length) => readSync(offset, length), readSync };
}

/** The parts of `runs` covering `count` clusters from `vcn`; clusters no run covers count as sparse. */
export function segments(runs: Run[], vcn: number, count: number): { lcn: number | undefined; length: number }[] {
  const out: { lcn: number | undefined; length: number }[] = [];
  let v = vcn;
  let i = firstRun(runs, v);
  while (v < vcn + count) {
    while (i < runs.length && runs[i]!.vcn + runs[i]!.length <= v) i++;
    const run = runs[i];
    if (!run || v < run.vcn) {
      const stop = run ? Math.min(run.vcn, vcn + count) : vcn + count;
      out.push({ lcn: undefined, length: stop - v });
      v = stop;
      continue;
    }
    const n = Math.min(run.vcn + run.length, vcn + count) - v;
    out.push({ lcn: run.lcn === undefined ? undefined : run.lcn + (v - run.vcn), length: n });
    v += n;
  }
  return out;
}

/** Index of the first run that ends after `vcn` (runs are in VCN order, as `stream` assembles them). */
function firstRun(runs: Run[], vcn: number): number {
  let lo = 0;
  let hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (runs[mid]!.vcn + runs[mid]!.length <= vcn) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function streamSource(volume: StreamVolume, s: Stream, what: string): ByteSource {
  const compressed = (s.flags & ATTR_COMPRESSED) !== 0 && s.compressionUnit > 0;
  return compressed ? compressedSource(volume, s, what) : plainSource(volume, s, what);
}

function plainSource(volume: StreamVolume, s: Stream, what: string): ByteSource {
  const cs = volume.clusterSize;
  const { source } = volume;
  const label = (at: number, n: number) => `${volume.label}, ${what}, clusters ${Math.floor(at / cs)}..${Math.floor((at + n - 1) / cs)}`;
  /** Pieces of `[offset, offset+length)` that lie in allocated clusters; neighbours on disk are merged. */
  const pieces = (offset: number, length: number): Piece[] => {
    const out: Piece[] = [];
    const stop = Math.min(offset + length, s.initializedSize);
    let i = firstRun(s.runs, Math.floor(offset / cs));
    for (let pos = offset; pos < stop; i++) {
      const run = s.runs[i];
      if (!run || run.vcn * cs > pos) throw volume.error(what, `byte ${hex(pos)} of the file is beyond its run list`);
      const n = Math.min((run.vcn + run.length) * cs, stop) - pos;
      if (run.lcn !== undefined) {
        const at = run.lcn * cs + (pos - run.vcn * cs);
        const last = out[out.length - 1];
        if (last && last.at + last.n === at && last.into + last.n === pos - offset) last.n += n;
        else out.push({ at, n, into: pos - offset });
      }
      pos += n;
    }
    return out;
  };
  const readSync = source.readSync?.bind(source);
  const synced = readSync && { name: source.name, size: source.size, readSync };
  return {
    name: source.name,
    size: s.dataSize,
    read: async (offset, length) => {
      const out = new Uint8Array(length);
      for (const p of pieces(offset, length)) out.set(await readRange(source, p.at, p.n, label(p.at, p.n)), p.into);
      return out;
    },
    ...(synced
      ? {
          readSync: (offset: number, length: number, into?: Uint8Array, at?: number) => {
            const ps = pieces(offset, length);
            return assembleSync(length, ps, (i, out, to) => void readRangeSync(synced, ps[i]!.at, ps[i]!.n, label(ps[i]!.at, ps[i]!.n), out, to), into, at);
          },
        }
      : {}),
  };
}

/**
 * NTFS compression works in units of 2^compressionUnit clusters: a unit whose clusters are all
 * allocated is stored as is, one that is all sparse is zeros, and one with allocated clusters
 * followed by sparse ones holds LZNT1 data for the whole unit in the allocated ones.
 */
function compressedSource(volume: StreamVolume, s: Stream, what: string): ByteSource {
  const cs = volume.clusterSize;
  const { source } = volume;
  if (s.compressionUnit > 8 || cs << s.compressionUnit > 1 << 24) throw volume.error(what, `compression unit 2^${s.compressionUnit} clusters of ${cs} bytes is not one NTFS writes`);
  const unitClusters = 1 << s.compressionUnit;
  const unitBytes = unitClusters * cs;
  const zeros = new Uint8Array(unitBytes);
  let cached: { unit: number; bytes: Uint8Array } | undefined;
  /** The allocated parts of a unit as pieces of its stored bytes. */
  const stored = (unit: number): Piece[] => {
    if (unit * unitBytes >= s.initializedSize) return [];
    const pieces: Piece[] = [];
    let into = 0;
    for (const p of segments(s.runs, unit * unitClusters, unitClusters)) {
      if (p.lcn === undefined) continue;
      pieces.push({ at: p.lcn * cs, n: p.length * cs, into });
      into += p.length * cs;
    }
    return pieces;
  };
  /** A unit's bytes from its stored bytes. */
  const expand = (unit: number, pieces: Piece[], bytes: Uint8Array): Uint8Array => {
    if (pieces.length === 0) return zeros;
    if (bytes.length === unitBytes) return bytes;
    const out = new Uint8Array(unitBytes);
    const problem = decompressLznt1(bytes, out);
    if (problem) throw volume.error(what, `compression unit ${unit} (byte ${hex(unit * unitBytes)}): LZNT1 ${problem}`);
    return out;
  };
  const storedLength = (pieces: Piece[]) => pieces.reduce((sum, p) => sum + p.n, 0);
  const label = (unit: number) => `${volume.label}, ${what}, compression unit ${unit}`;
  const assemble = (offset: number, length: number, unitBytesOf: (unit: number) => Uint8Array, into?: Uint8Array, at = 0): Uint8Array => {
    const out = into ?? new Uint8Array(length);
    const base = into ? at : 0;
    for (let pos = offset; pos < offset + length; ) {
      const unit = Math.floor(pos / unitBytes);
      const within = pos - unit * unitBytes;
      const n = Math.min(unitBytes - within, offset + length - pos);
      out.set(unitBytesOf(unit).subarray(within, within + n), base + pos - offset);
      pos += n;
    }
    return into ? into.subarray(at, at + length) : out;
  };
  const readSync = source.readSync?.bind(source);
  const synced = readSync && { name: source.name, size: source.size, readSync };
  return {
    name: source.name,
    size: s.dataSize,
    read: async (offset, length) => {
      // Units are fetched first (async), then assembled as readSync does.
      const units = new Map<number, Uint8Array>();
      for (let unit = Math.floor(offset / unitBytes); unit * unitBytes < offset + length; unit++) {
        if (cached?.unit === unit) { units.set(unit, cached.bytes); continue; }
        const pieces = stored(unit);
        const bytes = new Uint8Array(storedLength(pieces));
        for (const p of pieces) bytes.set(await readRange(source, p.at, p.n, label(unit)), p.into);
        units.set(unit, expand(unit, pieces, bytes));
      }
      const last = Math.floor((offset + length - 1) / unitBytes);
      cached = { unit: last, bytes: units.get(last)! };
      return assemble(offset, length, (unit) => units.get(unit)!);
    },
    ...(synced
      ? {
          readSync: (offset: number, length: number, into?: Uint8Array, at?: number) =>
            assemble(offset, length, (unit) => {
              if (cached?.unit === unit) return cached.bytes;
              const pieces = stored(unit);
              const bytes = new Uint8Array(storedLength(pieces));
              for (const p of pieces) bytes.set(readRangeSync(synced, p.at, p.n, label(unit)), p.into);
              cached = { unit, bytes: expand(unit, pieces, bytes) };
              return cached.bytes;
            }, into, at),
        }
      : {}),
  };
}
