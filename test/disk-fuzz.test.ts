/**
 * Damaged and unsupported disks: bit flips and truncations of VHD footers and dynamic headers and
 * BATs, VHDX headers, region tables, metadata and BATs, MBRs, EBRs, GPT headers and entry arrays,
 * NTFS boot sectors, MFT records and run lists. Checksums are recomputed after a flip where the
 * format has one, so the flip reaches the parser behind it instead of stopping at "checksum
 * mismatch". Whatever the damage, driftscan either reads the disk or throws one `DriftscanError`
 * that names the image file — never another exception, never a hang, never a huge allocation.
 * Unsupported volumes (BitLocker, ReFS, LDM, Storage Spaces, no Windows) each say what was found.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { runCli } from './support/cli.js';
import { buildDisk, buildNtfsVolume, convertDisk, diskToolsMissing, scratchDir, type ImageKind } from './support/disk-images.js';
import { DriftscanError } from '../src/core/diagnostics.js';
import type { ByteSource } from '../src/disk/byte-source.js';
import { crc32, crc32c, vhdChecksum } from '../src/disk/checksums.js';
import { openImageHives } from '../src/state/image/image-hives.js';

const CONFIG = 'examples/image/Windows/System32/config';
const skip = diskToolsMissing();
if (skip) console.log(`# disk fuzz tests SKIPPED: ${skip}`);

interface Fixtures { dir: string; volume: string; gpt: string; logical: string; images: Record<ImageKind, string> }
let fixtures: Fixtures | undefined;

/** One small Windows volume (the sample hives, fragmented), as GPT raw/VHD/VHDX and as an MBR logical partition. */
function build(): Fixtures {
  if (fixtures) return fixtures;
  const dir = scratchDir('driftscan-fuzz-');
  const volume = join(dir, 'vol.img');
  buildNtfsVolume(volume, {
    sizeMiB: 12,
    files: ['SYSTEM', 'SOFTWARE'].map((n) => ({ path: `Windows/System32/config/${n}`, bytes: readFileSync(join(CONFIG, n)), fragment: [1, 2] })),
  });
  const gpt = join(dir, 'gpt.raw');
  buildDisk(gpt, volume, 'gpt');
  const logical = join(dir, 'logical.raw');
  buildDisk(logical, volume, 'mbr-logical');
  const images = {} as Record<ImageKind, string>;
  for (const kind of ['raw', 'vhd-fixed', 'vhd-dynamic', 'vhdx'] as ImageKind[]) images[kind] = convertDisk(gpt, kind, join(dir, `disk.${kind}`));
  return (fixtures = { dir, volume, gpt, logical, images });
}

/**
 * An in-memory image that records its largest single read (a bound on what damage can make it
 * allocate). With `readSync`, as a local image has it, so hives are read in place (cell by cell).
 */
function memorySource(name: string, bytes: Buffer): ByteSource & { largest: number } {
  const readSync = (offset: number, length: number, into?: Uint8Array, at = 0) => {
    assert.ok(offset >= 0 && offset + length <= bytes.length, `read ${offset}+${length} outside ${bytes.length}`);
    s.largest = Math.max(s.largest, length);
    if (!into) return new Uint8Array(bytes.subarray(offset, offset + length));
    into.set(bytes.subarray(offset, offset + length), at);
    return into.subarray(at, at + length);
  };
  const s = { name, size: bytes.length, largest: 0, read: async (offset: number, length: number) => readSync(offset, length), readSync };
  return s;
}

interface Region {
  name: string;
  start: number;
  length: number;
  /** Recomputes the checksum covering the region after a flip. */
  reseal?: (b: Buffer) => void;
}

const u32le = (b: Buffer, at: number) => b.readUInt32LE(at);

/** Where the structures sit in each fixture (read from the fixture, the way the format says). */
function regions(kind: ImageKind | 'logical', b: Buffer): Region[] {
  const out: Region[] = [];
  const inner = (base: number) => {
    out.push({ name: 'MBR', start: base, length: 512 });
    if (kind === 'logical') {
      out.push({ name: 'EBR', start: base + 3072 * 512, length: 512 });
    } else {
      const gptHeader = (h: Buffer) => {
        h.writeUInt32LE(0, base + 512 + 16);
        h.writeUInt32LE(crc32(h.subarray(base + 512, base + 512 + 92)), base + 512 + 16);
      };
      out.push({ name: 'GPT header', start: base + 512, length: 92, reseal: gptHeader });
      out.push({
        name: 'GPT entries', start: base + 1024, length: 128 * 3, reseal: (h) => {
          h.writeUInt32LE(crc32(h.subarray(base + 1024, base + 1024 + 128 * 128)), base + 512 + 88);
          gptHeader(h);
        },
      });
    }
    const vol = base + 4096 * 512;
    out.push({ name: 'NTFS boot sector', start: vol, length: 512 });
    const mft = vol + Number(b.readBigUInt64LE(vol + 0x30)) * 4096;
    out.push({ name: 'MFT system records', start: mft, length: 12 * 1024 });
    out.push({ name: 'MFT file records', start: mft + 64 * 1024, length: 16 * 1024 });
  };
  if (kind === 'raw' || kind === 'logical' || kind === 'vhd-fixed') inner(0);
  if (kind === 'vhd-fixed' || kind === 'vhd-dynamic') {
    const f = b.length - 512;
    out.push({ name: 'VHD footer', start: f, length: 512, reseal: (h) => h.writeUInt32BE(vhdChecksum(h.subarray(f), 64), f + 64) });
  }
  if (kind === 'vhd-dynamic') {
    const hd = Number(b.readBigUInt64BE(b.length - 512 + 16));
    out.push({ name: 'VHD dynamic header', start: hd, length: 1024, reseal: (h) => h.writeUInt32BE(vhdChecksum(h.subarray(hd, hd + 1024), 36), hd + 36) });
    const bat = Number(b.readBigUInt64BE(hd + 16));
    out.push({ name: 'VHD BAT', start: bat, length: b.readUInt32BE(hd + 28) * 4 });
  }
  if (kind === 'vhdx') {
    for (const at of [64 * 1024, 128 * 1024]) {
      out.push({ name: `VHDX header at ${at}`, start: at, length: 80, reseal: (h) => { h.writeUInt32LE(0, at + 4); h.writeUInt32LE(crc32c(h.subarray(at, at + 4096)), at + 4); } });
    }
    const rt = 192 * 1024;
    const reseal = (h: Buffer) => { h.writeUInt32LE(0, rt + 4); h.writeUInt32LE(crc32c(h.subarray(rt, rt + 65536)), rt + 4); };
    out.push({ name: 'VHDX region table', start: rt, length: 16 + 32 * u32le(b, rt + 8), reseal });
    for (let i = 0; i < u32le(b, rt + 8); i++) {
      const off = Number(b.readBigUInt64LE(rt + 16 + i * 32 + 16));
      out.push({ name: `VHDX region ${i}`, start: off, length: Math.min(u32le(b, rt + 16 + i * 32 + 24), 4096) });
    }
  }
  return out;
}

/** The fixture's file name, with the extension users give such images. */
const NAMES: Record<ImageKind | 'logical', string> = { raw: 'disk.raw', 'vhd-fixed': 'disk-fixed.vhd', 'vhd-dynamic': 'disk-dynamic.vhd', vhdx: 'disk.vhdx', logical: 'logical.img' };

async function attempt(name: string, bytes: Buffer): Promise<{ ok: boolean; message?: string; largest: number; ms: number }> {
  const src = memorySource(name, bytes);
  const t0 = performance.now();
  try {
    // Hives are read in place: what a check reads of them comes after open, so read it here too.
    for (const h of (await openImageHives(src)).hives) {
      h.hive!.root().readable();
      h.hive!.lookup(['Select'])?.values();
      h.hive!.lookup(['Microsoft', 'Windows NT', 'CurrentVersion'])?.values();
    }
    return { ok: true, largest: src.largest, ms: performance.now() - t0 };
  } catch (err) {
    assert.ok(err instanceof DriftscanError, `${name}: not a DriftscanError: ${(err as Error).stack}`);
    return { ok: false, message: err.message, largest: src.largest, ms: performance.now() - t0 };
  }
}

test('fuzz: bit flips in every disk structure give a located DriftscanError or a correct read, quickly and within bounded reads', { skip }, async () => {
  const f = build();
  const kinds: Array<ImageKind | 'logical'> = ['raw', 'vhd-fixed', 'vhd-dynamic', 'vhdx', 'logical'];
  const originals = new Map(kinds.map((k) => [k, readFileSync(k === 'logical' ? f.logical : f.images[k])]));
  for (const k of kinds) {
    const r = await attempt(NAMES[k], originals.get(k)!);
    assert.ok(r.ok, `${k} reads before damage: ${r.message}`);
  }
  let errors = 0;
  const seen = new Set<string>();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...kinds), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 6 }), fc.boolean(), async (kind, pick, flips, reseal) => {
      const original = originals.get(kind)!;
      const rs = regions(kind, original);
      const region = rs[pick % rs.length]!;
      const b = Buffer.from(original);
      for (const [at, bit] of flips) b[region.start + (at % region.length)]! ^= 1 << bit;
      if (reseal) region.reseal?.(b);
      const r = await attempt(NAMES[kind], b);
      assert.ok(r.ms < 5000, `${kind} ${region.name}: took ${r.ms} ms`);
      assert.ok(r.largest <= 32 * 1024 * 1024, `${kind} ${region.name}: one read of ${r.largest} bytes`);
      if (!r.ok) {
        errors++;
        seen.add(region.name);
        assert.ok(r.message!.startsWith(NAMES[kind]), `${region.name}: error does not name the file: ${r.message}`);
        assert.ok(!r.message!.includes('\n'), `one line: ${r.message}`);
      }
    }),
    { numRuns: 600 },
  );
  assert.ok(errors > 100, `only ${errors} of 600 damaged disks were refused: the fuzzing is not reaching the parsers`);
  assert.ok(seen.size >= 8, `errors came from only ${[...seen].join(', ')}`);
});

test('fuzz: truncated images give a located DriftscanError', { skip }, async () => {
  const f = build();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom<ImageKind>('raw', 'vhd-fixed', 'vhd-dynamic', 'vhdx'), fc.double({ min: 0, max: 1, noNaN: true }), async (kind, fraction) => {
      const original = readFileSync(f.images[kind]);
      const r = await attempt(NAMES[kind], original.subarray(0, Math.floor(original.length * fraction * 0.999)));
      // A truncated raw disk may still hold the whole volume; every other cut must be refused (a VHD
      // loses its footer; every BAT entry of a dynamic VHD or VHDX is checked against the file size).
      if (kind !== 'raw') assert.ok(!r.ok, `${kind} cut to ${fraction} was read`);
      if (!r.ok) assert.ok(r.message!.startsWith(NAMES[kind]), r.message);
    }),
    { numRuns: 60 },
  );
});

function patch(file: string, at: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, at);
  } finally {
    closeSync(fd);
  }
}

function refused(image: string, pattern: RegExp, extra: string[] = []): void {
  const r = runCli(['check', 'policies/', '--image', image, ...extra]);
  assert.equal(r.status, 2, `${image}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(lines[0]!.includes(image), `names the file: ${lines[0]}`);
  assert.match(lines[0]!, pattern);
}

test('unsupported and non-Windows disks: one line naming the file and what was found, exit 2', { skip }, () => {
  const f = build();
  const copy = (name: string, from = f.gpt) => {
    const to = join(f.dir, name);
    execFileSync('cp', ['--sparse=always', from, to]);
    return to;
  };
  const vol = 4096 * 512;
  const bitlocker = copy('bitlocker.raw');
  patch(bitlocker, vol + 3, Buffer.from('-FVE-FS-'));
  refused(bitlocker, /partition 2 \(GPT Basic data.*BitLocker-encrypted volume \(-FVE-FS- signature\)/);
  const refs = copy('refs.raw');
  patch(refs, vol + 3, Buffer.from('ReFS\0\0\0\0'));
  refused(refs, /partition 2 .*ReFS/);
  const ldm = copy('ldm.raw');
  execFileSync('sgdisk', ['-t', '2:4201', ldm], { stdio: 'ignore' });
  refused(ldm, /partition 2 \(GPT LDM metadata.*dynamic-disk \(LDM\) member/);
  const spaces = copy('spaces.raw');
  execFileSync('sgdisk', ['-t', '2:4202', spaces], { stdio: 'ignore' });
  refused(spaces, /Storage Spaces member/);
  const mbrLdm = copy('mbr-ldm.raw', f.logical);
  execFileSync('sfdisk', ['-q', '--part-type', mbrLdm, '5', '42'], { stdio: 'ignore' });
  refused(mbrLdm, /partition 5 \(MBR type 0x42 \(logical\).*LDM/);
  const empty = join(f.dir, 'empty-vol.img');
  buildNtfsVolume(empty, { sizeMiB: 8, files: [{ path: 'Users/readme.txt', bytes: Buffer.from('no Windows here') }] });
  refused(empty, /no NTFS volume holds \\Windows\\System32\\config\\SYSTEM: the whole disk \(whole disk.*NTFS without/);
  refused(f.images.vhdx, /--partition 1: .*partition 1 \(GPT EFI system.*no file system driftscan recognises/, ['--partition', '1']);
  refused(f.images.vhdx, /--partition 9: no such partition \(partitions: 1, 2\)/, ['--partition', '9']);
  // A differencing VHD (disk type 4) needs its parent: refused, never read as if the parent were zeros.
  const diff = copy('diff.vhd', f.images['vhd-dynamic']);
  const b = readFileSync(diff);
  const foot = b.length - 512;
  b.writeUInt32BE(4, foot + 60);
  b.writeUInt32BE(vhdChecksum(b.subarray(foot), 64), foot + 64);
  writeFileSync(diff, b);
  refused(diff, /VHD footer at 0x[0-9a-f]+: a differencing VHD/);
  // A VHDX whose header names a log (LogGuid not zero) that holds no valid entries cannot be replayed.
  const dirty = copy('dirty.vhdx', f.images.vhdx);
  const v = readFileSync(dirty);
  for (const at of [64 * 1024, 128 * 1024]) {
    v.fill(0x11, at + 48, at + 64);
    v.writeUInt32LE(0, at + 4);
    v.writeUInt32LE(crc32c(v.subarray(at, at + 4096)), at + 4);
  }
  writeFileSync(dirty, v);
  refused(dirty, /VHDX log at 0x[0-9a-f]+ \(LogGuid 11111111-.*named by the header at 0x[12]0000\): .*no valid sequence of entries/);
  refused(join(f.dir, 'nonexistent.vhdx'), /cannot read disk image .*: no such file/);
  // A damaged NTFS volume before the Windows one (its boot sector copied into the 1 MiB EFI
  // partition, so its MFT lies outside it) does not hide the Windows volume after it…
  const twoVolumes = copy('two-volumes.raw');
  patch(twoVolumes, 2048 * 512, readFileSync(f.gpt).subarray(vol, vol + 512));
  const r = runCli(['check', 'policies/', '--image', twoVolumes]);
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  // …and when it is the only NTFS volume left, its damage is in the one-line error.
  const onlyDamaged = copy('only-damaged.raw', twoVolumes);
  patch(onlyDamaged, vol + 3, Buffer.from('-FVE-FS-'));
  refused(onlyDamaged, /partition 1 \(GPT EFI system, 1 MiB at 0x100000\), MFT record 0: no "FILE" signature .*; partition 2 .*BitLocker/);
});
