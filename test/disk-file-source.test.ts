/**
 * A file inside an image read in place (NtfsVolume.fileSource, disk/ntfs/file-source.ts) gives the
 * bytes the whole-file read gives (NtfsVolume.readFile, itself checked against Sleuth Kit and
 * ntfscat in disk-image.test.ts), for any range, through `read` and `readSync`: on a disk built by
 * mkntfs/ntfs-3g with files fragmented by pattern, written in shuffled clusters, with a sparse hole,
 * and LZNT1-compressed; in a dynamic VHD and a VHDX. A second property checks the run-list mapping
 * alone against a model (cluster by cluster), over random run lists with sparse runs and an
 * initialized size short of the data size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { buildDisk, buildNtfsVolume, convertDisk, diskToolsMissing, scratchDir, sleuthKitRead, type ImageKind, type VolumeFile } from './support/disk-images.js';
import { openFileByteSource } from '../src/io/file-byte-source.js';
import { openDiskImage } from '../src/disk/image.js';
import { findWindowsVolume } from '../src/state/image/windows-volume.js';
import { streamSource } from '../src/disk/ntfs/file-source.js';
import { diskError, type ByteSource } from '../src/disk/byte-source.js';
import type { Run } from '../src/disk/ntfs/runlist.js';

const skip = diskToolsMissing();
if (skip) console.log(`# disk-file-source image tests SKIPPED: ${skip}`);

/** Text with random words: LZNT1 compresses it, but not to nothing. */
function compressible(size: number): Buffer {
  const words = ['Registry', 'ControlSet001', 'Services', 'Parameters', 'Start', 'Tcpip', '\0\0\0\0', 'hbin'];
  const parts: string[] = [];
  let n = 0;
  while (n < size) {
    const w = words[Math.floor(Math.random() * words.length)]! + String(Math.floor(Math.random() * 1000));
    parts.push(w);
    n += w.length;
  }
  const out = Buffer.from(parts.join('').slice(0, size), 'latin1');
  // A run of zeros a whole compression unit (16 clusters) long: NTFS stores it as a sparse unit.
  out.fill(0, 40 * 1024, 40 * 1024 + 48 * 1024);
  return out;
}

test('property: a file inside an image read in place equals the whole-file read, for any range, fragmented, shuffled, sparse or compressed', { skip }, async () => {
  const dir = scratchDir('driftscan-filesource-');
  const volume = join(dir, 'vol.img');
  const sparse = randomBytes(256 * 1024);
  sparse.fill(0, 65536, 65536 + 131072);
  const files: VolumeFile[] = [
    { path: 'Windows/System32/config/SYSTEM', bytes: randomBytes(300 * 1024), fragment: [1, 3, 2, 1] },
    { path: 'Data/shuffled.bin', bytes: randomBytes(700 * 1024 + 123), shuffle: 11 },
    { path: 'Data/sparse.bin', bytes: sparse, hole: { at: 65536, length: 131072 } },
    { path: 'Packed/text.bin', bytes: compressible(300 * 1024 + 77) },
    { path: 'Packed/random.bin', bytes: randomBytes(100 * 1024 + 5) },
    { path: 'Data/small.txt', bytes: Buffer.from('resident: fits in the MFT record\n') },
  ];
  buildNtfsVolume(volume, { sizeMiB: 16, clusterSize: 1024, files, compressed: ['Packed'] });
  const raw = join(dir, 'disk.raw');
  const { sector } = buildDisk(raw, volume, 'gpt');
  for (const kind of ['vhd-dynamic', 'vhdx'] as ImageKind[]) {
    const image = convertDisk(raw, kind, join(dir, `disk.${kind}`));
    const file = await openFileByteSource(image);
    try {
      const { volume: ntfs } = await findWindowsVolume(await openDiskImage(file));
      for (const f of files) {
        const rec = await ntfs.lookup(f.path.split('/'));
        assert.ok(rec, `${f.path} on ${kind}`);
        const whole = await ntfs.readFile(rec, f.path, 1 << 30);
        // The fixture has the bytes it was given (the whole-file read is checked against icat too).
        assert.ok(Buffer.from(whole).equals(Buffer.from(f.bytes)), `${kind}: ${f.path}: whole-file read`);
        assert.ok(sleuthKitRead(raw, sector, `/${f.path}`).equals(Buffer.from(whole)));
        const src = await ntfs.fileSource(rec, f.path, 1 << 30);
        assert.equal(src.size, whole.length);
        assert.ok(src.readSync, `${kind}: ${f.path}: a local image reads in place synchronously`);
        assert.ok(Buffer.from(src.readSync(0, src.size)).equals(Buffer.from(whole)), `${kind}: ${f.path}: readSync of the whole file`);
        await fc.assert(
          fc.asyncProperty(fc.nat({ max: whole.length - 1 }), fc.integer({ min: 1, max: 70_000 }), async (offset, want) => {
            const length = Math.min(want, whole.length - offset);
            const expected = Buffer.from(whole.subarray(offset, offset + length));
            assert.ok(Buffer.from(src.readSync!(offset, length)).equals(expected), `${kind}: ${f.path}: readSync(${offset}, ${length})`);
            assert.ok(intoGarbage(src, offset, length, expected), `${kind}: ${f.path}: readSync(${offset}, ${length}) into a used buffer`);
            assert.ok(Buffer.from(await src.read(offset, length)).equals(expected), `${kind}: ${f.path}: read(${offset}, ${length})`);
          }),
          { numRuns: 60 },
        );
      }
    } finally {
      await file.close();
    }
  }
});

/**
 * `readSync` into a caller's buffer full of old bytes (as the hive reader's scan window is): the
 * range gets exactly the expected bytes, zeros included, and the bytes around it are left alone.
 */
function intoGarbage(src: ByteSource, offset: number, length: number, expected: Buffer): boolean {
  const buf = Buffer.alloc(length + 64, 0xa5);
  const view = src.readSync!(offset, length, buf, 32);
  return Buffer.from(view).equals(expected) && buf.subarray(32, 32 + length).equals(expected) && buf.subarray(0, 32).every((b) => b === 0xa5) && buf.subarray(32 + length).every((b) => b === 0xa5);
}

/** A volume of random bytes in memory, read synchronously and asynchronously. */
function memoryVolume(bytes: Uint8Array): ByteSource {
  const readSync = (offset: number, length: number, into?: Uint8Array, at = 0) => {
    if (!into) return bytes.slice(offset, offset + length);
    into.set(bytes.subarray(offset, offset + length), at);
    return into.subarray(at, at + length);
  };
  return { name: 'mem.img', size: bytes.length, read: async (o, l) => readSync(o, l), readSync };
}

test('property: the run-list mapping of a file read in place matches a cluster-by-cluster model (sparse runs, short initialized size)', async () => {
  const cs = 512;
  const clusters = 256;
  const disk = randomBytes(cs * clusters);
  const volume = { source: memoryVolume(disk), label: 'mem', clusterSize: cs, error: (what: string, problem: string) => diskError({ name: 'mem.img' }, what, problem) };
  const runArb = fc.record({ length: fc.integer({ min: 1, max: 9 }), lcn: fc.option(fc.nat({ max: clusters - 10 }), { nil: undefined }) });
  await fc.assert(
    fc.asyncProperty(fc.array(runArb, { minLength: 1, maxLength: 30 }), fc.nat(), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 6000 }), async (pieces, dataCut, initCut, offsetSeed, want) => {
      const runs: Run[] = [];
      let vcn = 0;
      for (const p of pieces) {
        runs.push({ vcn, length: p.length, lcn: p.lcn });
        vcn += p.length;
      }
      const allocated = vcn * cs;
      const dataSize = allocated - (dataCut % cs);
      const initializedSize = dataSize - (initCut % (dataSize + 1));
      // The model: each byte from its cluster, zero in a sparse run or past the initialized size.
      const model = new Uint8Array(dataSize);
      for (let pos = 0; pos < initializedSize; pos++) {
        const run = runs.find((r) => pos >= r.vcn * cs && pos < (r.vcn + r.length) * cs)!;
        if (run.lcn !== undefined) model[pos] = disk[run.lcn * cs + (pos - run.vcn * cs)]!;
      }
      const src = streamSource(volume, { runs, dataSize, initializedSize, compressionUnit: 0, flags: 0 }, 'file');
      const offset = offsetSeed % dataSize;
      const length = Math.min(want, dataSize - offset);
      const expected = Buffer.from(model.subarray(offset, offset + length));
      assert.ok(Buffer.from(src.readSync!(offset, length)).equals(expected), `readSync(${offset}, ${length})`);
      assert.ok(intoGarbage(src, offset, length, expected), `readSync(${offset}, ${length}) into a used buffer`);
      assert.ok(Buffer.from(await src.read(offset, length)).equals(expected), `read(${offset}, ${length})`);
    }),
    { numRuns: 300 },
  );
});
