/**
 * Test disks built at test time with Debian's own tools, so driftscan's disk readers are checked
 * against images they did not write: `mkntfs` formats a volume, the ntfs-3g FUSE driver fills it
 * (folders, fragmented files, compressed folders, sparse files, hard links — nothing else writes
 * NTFS on Linux), `sfdisk`/`sgdisk` partition the disk and `qemu-img` wraps it as VHD or VHDX.
 * Images land in a temp folder; nothing large is committed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, linkSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const TOOLS = ['mkntfs', 'ntfs-3g', 'sfdisk', 'sgdisk', 'qemu-img', 'fls', 'ifind', 'icat', 'ntfscat', 'setfattr'];

let missing: string | undefined | null = null;

/**
 * Why disk-image tests cannot run here, or undefined when they can: a tool is missing (`.ci/run`
 * installs them), or FUSE mounting is not allowed in this container.
 */
export function diskToolsMissing(): string | undefined {
  if (missing !== null) return missing;
  const absent = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (absent.length > 0) return (missing = `missing ${absent.join(', ')} (apt-get install ntfs-3g sleuthkit qemu-utils fdisk gdisk attr)`);
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-fuse-'));
  try {
    const img = join(dir, 'v.img');
    execFileSync('truncate', ['-s', '8M', img]);
    execFileSync('mkntfs', ['-F', '-q', '-Q', img], { stdio: 'ignore' });
    mkdirSync(join(dir, 'm'));
    const r = spawnSync('ntfs-3g', [img, join(dir, 'm')], { encoding: 'utf8' });
    if (r.status !== 0) return (missing = `cannot FUSE-mount an NTFS image here (ntfs-3g: ${(r.stderr || '').trim().split('\n')[0]})`);
    unmount(join(dir, 'm'));
    return (missing = undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function unmount(mnt: string): void {
  for (let i = 0; i < 20; i++) {
    if (spawnSync('umount', [mnt]).status === 0) return;
    spawnSync('sleep', ['0.1']);
  }
  execFileSync('fusermount', ['-u', mnt]);
}

export interface VolumeFile {
  /** Path on the volume with forward slashes: `Windows/System32/config/SYSTEM`. */
  path: string;
  bytes: Uint8Array;
  /**
   * Write the file in pieces interleaved with a filler file that is deleted afterwards: piece i is
   * `pattern[i % n]` clusters, each followed by `pattern[(i + 1) % n]` clusters of filler. ntfs-3g
   * extends a file in place when it can and starts each new file in the next 4096-cluster page of
   * its bitmap, so this fragments only on volumes of one page (16 MiB at 4 KiB clusters).
   */
  fragment?: number[];
  /** For big files on bigger volumes: write into the holes of a filled volume (writeScattered). */
  scatter?: number[];
  /**
   * Write the clusters in an order shuffled by this seed, into a file first extended sparse: ntfs-3g
   * places each cluster next to one already written, so VCN order and LCN order part and the run
   * list gets many runs with negative deltas, on a volume of any size.
   */
  shuffle?: number;
  /** Leave a hole (a sparse run) of this many bytes before byte `at`. */
  hole?: { at: number; length: number };
}

export interface VolumeSpec {
  sizeMiB: number;
  clusterSize?: number;
  files: VolumeFile[];
  /** Folders whose new files ntfs-3g compresses (LZNT1), created before the files. */
  compressed?: string[];
  /** `[existing, newName]` hard links, made after the files. */
  links?: Array<[string, string]>;
}

/** A temp folder removed when the test process exits. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Formats `file` as NTFS and fills it through a FUSE mount. */
export function buildNtfsVolume(file: string, spec: VolumeSpec): void {
  const cluster = spec.clusterSize ?? 4096;
  rmSync(file, { force: true });
  execFileSync('truncate', ['-s', `${spec.sizeMiB}M`, file]);
  execFileSync('mkntfs', ['-F', '-q', '-Q', '-c', String(cluster), '-L', 'Windows', file], { stdio: 'ignore' });
  const mnt = `${file}.mnt`;
  mkdirSync(mnt, { recursive: true });
  execFileSync('ntfs-3g', ['-o', 'compression', file, mnt]);
  try {
    for (const dir of spec.compressed ?? []) {
      mkdirSync(join(mnt, dir), { recursive: true });
      // FILE_ATTRIBUTE_COMPRESSED (0x800) through ntfs-3g's attribute xattr, big-endian.
      execFileSync('setfattr', ['-n', 'system.ntfs_attrib_be', '-v', '0x00000810', join(mnt, dir)]);
    }
    for (const f of spec.files) mkdirSync(dirname(join(mnt, f.path)), { recursive: true });
    const scattered = spec.files.filter((f) => f.scatter);
    if (scattered.length > 0) writeScattered(mnt, scattered, cluster);
    for (const f of spec.files) {
      const target = join(mnt, f.path);
      if (f.scatter) continue;
      if (f.fragment) writeFragmented(target, f.bytes, f.fragment, cluster);
      else if (f.shuffle !== undefined) writeShuffled(target, f.bytes, f.shuffle, cluster);
      else if (f.hole) {
        const fd = openSync(target, 'w');
        try {
          writeSync(fd, f.bytes, 0, f.hole.at, 0);
          if (f.hole.at + f.hole.length < f.bytes.length) writeSync(fd, f.bytes, f.hole.at + f.hole.length, f.bytes.length - f.hole.at - f.hole.length, f.hole.at + f.hole.length);
        } finally {
          closeSync(fd);
        }
      } else {
        const fd = openSync(target, 'w');
        try {
          writeSync(fd, f.bytes);
        } finally {
          closeSync(fd);
        }
      }
    }
    for (const [from, to] of spec.links ?? []) {
      mkdirSync(dirname(join(mnt, to)), { recursive: true });
      linkSync(join(mnt, from), join(mnt, to));
    }
  } finally {
    unmount(mnt);
    rmSync(mnt, { recursive: true, force: true });
  }
}

function writeShuffled(target: string, bytes: Uint8Array, seed: number, cluster: number): void {
  const order = [...Array(Math.ceil(bytes.length / cluster)).keys()];
  let x = seed >>> 0 || 1;
  for (let i = order.length - 1; i > 0; i--) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; // xorshift32
    const j = x % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const fd = openSync(target, 'w');
  try {
    ftruncateSync(fd, bytes.length);
    for (const c of order) writeSync(fd, bytes, c * cluster, Math.min(cluster, bytes.length - c * cluster), c * cluster);
  } finally {
    closeSync(fd);
  }
}

function writeFragmented(target: string, bytes: Uint8Array, pattern: number[], cluster: number): void {
  const filler = `${target}.filler`;
  const fd = openSync(target, 'w');
  const fill = openSync(filler, 'w');
  const junk = Buffer.alloc(cluster * Math.max(...pattern), 0x5a);
  try {
    let at = 0;
    for (let i = 0; at < bytes.length; i++) {
      const n = Math.min(bytes.length - at, pattern[i % pattern.length]! * cluster);
      writeSync(fd, bytes, at, n);
      at += n;
      writeSync(fill, junk, 0, pattern[(i + 1) % pattern.length]! * cluster);
    }
  } finally {
    closeSync(fd);
    closeSync(fill);
  }
  unlinkSync(filler);
}

/**
 * Fragments big files the way a long-used volume does: the volume is first filled with alternating
 * "hole" and "keep" filler files (`pattern` gives their sizes in clusters, hole first), then
 * completely, then the holes are deleted and the files written, so ntfs-3g's allocator has only
 * the holes to give (it places consecutive new files in different bitmap pages, so the holes come
 * out in runs of a few dozen clusters: enough for thousands of runs and an attribute list).
 */
function writeScattered(mnt: string, files: VolumeFile[], cluster: number): void {
  const fill = join(mnt, '.fill');
  mkdirSync(fill);
  const holes: string[] = [];
  const need = files.reduce((sum, f) => sum + Math.ceil(f.bytes.length / cluster) + 2, 0);
  const junk = Buffer.alloc(cluster * 64, 0x5a);
  const writeFile = (path: string, clusters: number, chunk = 64): boolean => {
    const fd = openSync(path, 'w');
    try {
      for (let left = clusters; left > 0; ) {
        const n = Math.min(left, chunk);
        writeSync(fd, junk, 0, n * cluster);
        left -= n;
      }
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return false;
      throw err;
    } finally {
      closeSync(fd);
    }
  };
  // Fillers follow the first file's pattern (each file's own pattern only differs in hole sizes).
  const pattern = files[0]!.scatter!;
  let got = 0;
  for (let i = 0; got < need; i++) {
    const hole = join(fill, `h${i}`);
    if (!writeFile(hole, pattern[(2 * i) % pattern.length]!)) break;
    holes.push(hole);
    got += pattern[(2 * i) % pattern.length]!;
    if (!writeFile(join(fill, `k${i}`), pattern[(2 * i + 1) % pattern.length]!)) break;
  }
  // Fill the rest in big writes, then cluster by cluster: a failed big write leaves its tail free.
  for (let i = 0; writeFile(join(fill, `rest${i}`), 1 << 20); i++);
  for (let i = 0; writeFile(join(fill, `tail${i}`), 1 << 20, 1); i++);
  for (const h of holes) unlinkSync(h);
  for (const f of files) {
    const fd = openSync(join(mnt, f.path), 'w');
    try {
      writeSync(fd, f.bytes);
    } finally {
      closeSync(fd);
    }
  }
  rmSync(fill, { recursive: true, force: true });
}

export type Scheme = 'none' | 'mbr' | 'mbr-logical' | 'gpt';

/**
 * A raw disk holding `volume`: unpartitioned, MBR (a small unformatted partition 1, then the volume
 * as partition 2), MBR with the volume as logical partition 5, or GPT (an EFI system partition, then
 * the volume as a Basic data partition 2). Returns the disk and the volume's partition number and
 * sector offset.
 */
export function buildDisk(file: string, volume: string, scheme: Scheme): { partition: number; sector: number } {
  rmSync(file, { force: true });
  const volSectors = statSync(volume).size / 512;
  if (scheme === 'none') {
    execFileSync('cp', ['--sparse=always', volume, file]);
    return { partition: 0, sector: 0 };
  }
  const start = 4096;
  execFileSync('truncate', ['-s', String((start + volSectors + 2048) * 512), file]);
  let partition: number;
  if (scheme === 'gpt') {
    execFileSync('sgdisk', ['-n', '1:2048:+1M', '-t', '1:EF00', '-n', `2:${start}:+${volSectors}`, '-t', '2:0700', file], { stdio: 'ignore' });
    partition = 2;
  } else if (scheme === 'mbr') {
    execFileSync('sfdisk', ['-q', file], { input: `label: dos\nstart=2048, size=2048, type=c\nstart=${start}, size=${volSectors}, type=7\n` });
    partition = 2;
  } else {
    // The extended partition starts one track early: its EBR sits in the sector before the logical one.
    execFileSync('sfdisk', ['-q', file], { input: `label: dos\nstart=2048, size=1024, type=c\nstart=3072, type=5\nstart=${start}, size=${volSectors}, type=7\n` });
    partition = 5;
  }
  const data = readFileSync(volume);
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, data, 0, data.length, start * 512);
  } finally {
    closeSync(fd);
  }
  return { partition, sector: start };
}

export type ImageKind = 'raw' | 'vhd-fixed' | 'vhd-dynamic' | 'vhdx';

/** Wraps a raw disk as `kind` with qemu-img (force_size keeps VHDs at the exact byte size). */
export function convertDisk(raw: string, kind: ImageKind, out: string): string {
  if (out === raw) return out;
  rmSync(out, { force: true });
  if (kind === 'raw') execFileSync('cp', ['--sparse=always', raw, out]);
  else if (kind === 'vhdx') execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vhdx', '-o', 'subformat=dynamic', raw, out]);
  else execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vpc', '-o', `subformat=${kind === 'vhd-fixed' ? 'fixed' : 'dynamic'},force_size=on`, raw, out]);
  return out;
}

/** Sleuth Kit's bytes for `path` on the volume at `sector` of `disk` (ifind then icat). */
export function sleuthKitRead(disk: string, sector: number, path: string): Buffer {
  const inode = execFileSync('ifind', ['-o', String(sector), '-n', path, disk], { encoding: 'utf8' }).trim();
  return execFileSync('icat', ['-o', String(sector), disk, inode], { maxBuffer: 512 * 1024 * 1024 });
}

/** ntfs-3g's bytes for `path` on a volume image (ntfscat). */
export function ntfscatRead(volume: string, path: string): Buffer {
  return execFileSync('ntfscat', ['-f', volume, path], { maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
}

/**
 * Leaves a VHDX "not closed cleanly": writes one log entry ([MS-VHDX] §2.3.1) that puts `writes`
 * (4 KiB each, at 4 KiB-aligned file offsets) into the file, and sets a LogGuid in both headers.
 * The caller then changes those sectors in the file, so only a replay brings them back. qemu-img
 * (`check -r all`) replaying the same entry is the oracle that this writer follows the spec.
 */
export function addVhdxLogEntry(file: string, writes: Array<{ offset: number; data: Uint8Array }>, crc32c: (b: Uint8Array) => number): void {
  const b = readFileSync(file);
  const h = 64 * 1024;
  const logLength = b.readUInt32LE(h + 68);
  const logOffset = Number(b.readBigUInt64LE(h + 72));
  const logGuid = Buffer.from('8f3ba2c41d7e4e5fa0b1c2d3e4f50617', 'hex');
  const sequence = 5n;
  const descSectors = Math.ceil((64 + writes.length * 32) / 4096);
  const entry = Buffer.alloc((descSectors + writes.length) * 4096);
  entry.write('loge', 0, 'latin1');
  entry.writeUInt32LE(entry.length, 8);
  entry.writeUInt32LE(0, 12); // tail: this entry, at the start of the log
  entry.writeBigUInt64LE(sequence, 16);
  entry.writeUInt32LE(writes.length, 24);
  logGuid.copy(entry, 32);
  entry.writeBigUInt64LE(BigInt(b.length), 48);
  entry.writeBigUInt64LE(BigInt(b.length), 56);
  writes.forEach((w, i) => {
    const d = 64 + i * 32;
    entry.write('desc', d, 'latin1');
    Buffer.from(w.data.subarray(4092, 4096)).copy(entry, d + 4);
    Buffer.from(w.data.subarray(0, 8)).copy(entry, d + 8);
    entry.writeBigUInt64LE(BigInt(w.offset), d + 16);
    entry.writeBigUInt64LE(sequence, d + 24);
    const s = (descSectors + i) * 4096;
    entry.write('data', s, 'latin1');
    entry.writeUInt32LE(Number(sequence >> 32n), s + 4);
    Buffer.from(w.data.subarray(8, 4092)).copy(entry, s + 8);
    entry.writeUInt32LE(Number(sequence & 0xffffffffn), s + 4092);
  });
  entry.writeUInt32LE(crc32c(entry), 4);
  if (entry.length > logLength) throw new Error('log entry larger than the log');
  entry.copy(b, logOffset);
  for (const at of [64 * 1024, 128 * 1024]) {
    logGuid.copy(b, at + 48);
    b.writeUInt32LE(0, at + 4);
    b.writeUInt32LE(crc32c(b.subarray(at, at + 4096)), at + 4);
  }
  writeFileSync(file, b);
}

/**
 * Where guest byte `offset` of a VHDX lives in its file, from its region table, file parameters and
 * BAT ([MS-VHDX] §2.2.3, §2.6.2.1, §2.5; `qemu-img map` does not report VHDX file offsets).
 * Assumes 512-byte logical sectors, as qemu-img writes them.
 */
export function vhdxHostOffset(image: string, offset: number): number {
  const b = readFileSync(image);
  const rt = 192 * 1024;
  const region = (guidHex: string) => {
    for (let i = 0; i < b.readUInt32LE(rt + 8); i++) {
      const e = rt + 16 + i * 32;
      if (b.subarray(e, e + 16).toString('hex') === guidHex) return Number(b.readBigUInt64LE(e + 16));
    }
    throw new Error(`${image}: no region ${guidHex}`);
  };
  const bat = region('6677c22d23f600429d64115e9bfd4a08');
  const meta = region('06a27c8b90479a4bb8fe575f050f886e');
  let blockSize = 0;
  for (let i = 0; i < b.readUInt16LE(meta + 10); i++) {
    const e = meta + 32 + i * 32;
    if (b.subarray(e, e + 16).toString('hex') === '3767a1ca36fa434db3b633f0aa44e76b') blockSize = b.readUInt32LE(meta + b.readUInt32LE(e + 16));
  }
  const block = Math.floor(offset / blockSize);
  const chunkRatio = (2 ** 23 * 512) / blockSize;
  const entry = b.readBigUInt64LE(bat + (block + Math.floor(block / chunkRatio)) * 8);
  if ((entry & 7n) !== 6n) throw new Error(`${image}: block ${block} is not present`);
  return Number(entry >> 20n) * 1024 * 1024 + (offset % blockSize);
}
