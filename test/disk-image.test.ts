/**
 * `check --image` / `export --image` on disks built by Debian's tools (test/support/disk-images.ts):
 * raw, VHD fixed, VHD dynamic and VHDX; unpartitioned, MBR (primary and logical) and GPT; hive
 * files fragmented, compressed, hard-linked, dirty with their logs. Two independent NTFS readers are
 * the oracles for every file driftscan extracts: Sleuth Kit (`ifind` + `icat`) and ntfs-3g
 * (`ntfscat`). Verdicts must match `check --windows-dir` over the same files, wording and all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { runCli } from './support/cli.js';
import { needShared } from './support/paths.js';
import { sharedHiveBytes } from './support/shared-hives.js';
import {
  buildDisk, buildNtfsVolume, convertDisk, diskToolsMissing, ntfscatRead, scratchDir, sleuthKitRead,
  type ImageKind, type Scheme, type VolumeFile,
} from './support/disk-images.js';
import { openFileByteSource } from '../src/io/file-byte-source.js';
import { openDiskImage } from '../src/disk/image.js';
import { findWindowsVolume } from '../src/state/image/windows-volume.js';

const CONFIG = 'examples/image/Windows/System32/config';
const SAMPLE = ['SYSTEM', 'SOFTWARE'].map((name) => ({ name, bytes: readFileSync(join(CONFIG, name)) }));
const skip = diskToolsMissing();
if (skip) console.log(`# disk-image tests SKIPPED: ${skip}`);
const KINDS: ImageKind[] = ['raw', 'vhd-fixed', 'vhd-dynamic', 'vhdx'];
const SCHEMES: Scheme[] = ['none', 'mbr', 'mbr-logical', 'gpt'];

interface Row { ruleId: string; status: string; expected: string; actual: string; message: string }
const pick = (r: Row) => ({ ruleId: r.ruleId, status: r.status, expected: r.expected, actual: r.actual, message: r.message });

function verdicts(args: string[]): Row[] {
  const r = runCli(['check', 'policies/', ...args, '--format', 'json']);
  assert.ok(r.status === 0 || r.status === 1, `${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { results: Row[] }).results.map(pick);
}

/** A file on the volume read through driftscan's exported disk API. */
async function readThroughDriftscan(image: string, path: string[], partition?: number): Promise<Uint8Array> {
  const file = await openFileByteSource(image);
  try {
    const { volume } = await findWindowsVolume(await openDiskImage(file), partition === undefined ? {} : { partition });
    const rec = await volume.lookup(path);
    assert.ok(rec, `${path.join('\\')} not found in ${image}`);
    return await volume.readFile(rec, path.join('\\'), 1 << 30);
  } finally {
    await file.close();
  }
}

const hiveFiles = (hives: Array<{ name: string; bytes: Uint8Array }>, fragment?: number[]): VolumeFile[] =>
  hives.map((h) => ({ path: `Windows/System32/config/${h.name}`, bytes: h.bytes, ...(fragment ? { fragment } : {}) }));

test('check --image gives the verdicts and wording of check --windows-dir for raw, VHD fixed/dynamic and VHDX, unpartitioned, MBR and GPT', { skip }, () => {
  const dir = scratchDir('driftscan-image-');
  const volume = join(dir, 'vol.img');
  buildNtfsVolume(volume, { sizeMiB: 16, files: hiveFiles(SAMPLE, [1, 2, 1, 3]) });
  const expected = verdicts(['--windows-dir', 'examples/image']);
  assert.ok(expected.some((r) => r.status === 'fail') && expected.some((r) => r.status === 'pass'));
  for (const scheme of SCHEMES) {
    const raw = join(dir, `disk-${scheme}.raw`);
    const { partition, sector } = buildDisk(raw, volume, scheme);
    for (const h of SAMPLE) {
      const path = `/Windows/System32/config/${h.name}`;
      assert.ok(sleuthKitRead(raw, sector, path).equals(h.bytes), `icat ${scheme} ${h.name}`);
    }
    for (const kind of KINDS) {
      const image = convertDisk(raw, kind, join(dir, `disk-${scheme}.${kind}`));
      assert.deepEqual(verdicts(['--image', image]), expected, `${scheme} ${kind}`);
      if (scheme !== 'none') assert.deepEqual(verdicts(['--image', image, '--partition', String(partition)]), expected, `${scheme} ${kind} --partition`);
    }
  }
  for (const h of SAMPLE) assert.ok(ntfscatRead(volume, `/Windows/System32/config/${h.name}`).equals(h.bytes), `ntfscat ${h.name}`);
});

test('every hive driftscan extracts has the bytes Sleuth Kit and ntfs-3g read: fragmented, compressed, hard-linked, sparse, with an attribute list', { skip: skip || needShared('hives/SYSTEM_B.xz', 'hives/SAM.xz', 'hives/SECURITY.xz') }, async () => {
  const dir = scratchDir('driftscan-oracle-');
  const volume = join(dir, 'vol.img');
  const system = sharedHiveBytes('SYSTEM_B.xz');
  const sparse = Buffer.alloc(300_000, 0x41);
  sparse.fill(0, 65536, 65536 + 131072);
  const files: VolumeFile[] = [
    // One cluster at a time between fillers: thousands of runs, more than one record holds, so the
    // $DATA attribute continues in extension records named by an $ATTRIBUTE_LIST.
    { path: 'Windows/System32/config/SYSTEM', bytes: system, scatter: [4, 1] },
    { path: 'Windows/System32/config/SYSTEM.LOG1', bytes: sharedHiveBytes('SYSTEM_B.LOG1.xz'), scatter: [3, 1, 2] },
    { path: 'Windows/System32/config/SYSTEM.LOG2', bytes: sharedHiveBytes('SYSTEM_B.LOG2.xz') },
    { path: 'Windows/System32/config/SAM', bytes: sharedHiveBytes('SAM.xz') },
    { path: 'Packed/SECURITY', bytes: sharedHiveBytes('SECURITY.xz') },
    { path: 'Other/software.dat', bytes: SAMPLE[1]!.bytes, scatter: [2, 1] },
    { path: 'Other/sparse.bin', bytes: sparse, hole: { at: 65536, length: 131072 } },
  ];
  buildNtfsVolume(volume, { sizeMiB: 48, files, compressed: ['Packed'], links: [['Packed/SECURITY', 'Windows/System32/config/SECURITY'], ['Other/software.dat', 'Windows/System32/config/SOFTWARE']] });
  const raw = join(dir, 'disk.raw');
  const { sector } = buildDisk(raw, volume, 'gpt');
  const istat = (path: string) => {
    const inode = execFileSync('ifind', ['-o', String(sector), '-n', path, raw], { encoding: 'utf8' }).trim();
    return execFileSync('istat', ['-o', String(sector), raw, inode], { encoding: 'utf8' });
  };
  // The fixture has what it claims: otherwise the oracle comparison below proves less than it says.
  assert.match(istat('/Windows/System32/config/SYSTEM'), /\$ATTRIBUTE_LIST/);
  assert.ok(istat('/Other/software.dat').split('\n').filter((l) => /^\d/.test(l)).length >= 1);
  assert.match(istat('/Windows/System32/config/SECURITY'), /Compressed/);
  assert.match(istat('/Other/sparse.bin'), /Sparse/);
  const vhdx = convertDisk(raw, 'vhdx', join(dir, 'disk.vhdx'));
  const paths = [...files.map((f) => f.path), 'Windows/System32/config/SECURITY', 'Windows/System32/config/SOFTWARE'];
  for (const path of paths) {
    const oracle = sleuthKitRead(raw, sector, `/${path}`);
    assert.ok(ntfscatRead(volume, `/${path}`).equals(oracle), `ntfscat and icat agree on ${path}`);
    for (const image of [raw, vhdx]) {
      // Case-insensitive lookup, as Windows resolves names through $UpCase.
      const got = await readThroughDriftscan(image, path.toLowerCase().split('/'));
      assert.ok(Buffer.from(got).equals(oracle), `${image}: ${path}: ${got.length} bytes vs icat's ${oracle.length}`);
    }
  }
  // The CLI reads the dirty SYSTEM with its logs, exactly as from a folder holding the same files.
  const winDir = join(dir, 'win', 'Windows', 'System32', 'config');
  mkdirSync(winDir, { recursive: true });
  for (const f of files.filter((x) => x.path.startsWith('Windows/'))) writeFileSync(join(winDir, f.path.split('/').pop()!), f.bytes);
  writeFileSync(join(winDir, 'SECURITY'), sharedHiveBytes('SECURITY.xz'));
  copyFileSync(join(CONFIG, 'SOFTWARE'), join(winDir, 'SOFTWARE'));
  assert.deepEqual(verdicts(['--image', vhdx]), verdicts(['--windows-dir', join(dir, 'win')]));
  const fromImage = runCli(['export', '--image', vhdx, '--hive', 'SYSTEM', '--path', 'Select', '--format', 'json']);
  const fromFile = runCli(['export', '--hive', join(winDir, 'SYSTEM'), '--path', 'Select', '--format', 'json']);
  assert.equal(fromImage.status, 0, fromImage.stderr);
  assert.equal(fromImage.stdout, fromFile.stdout);
});

test('property: however the hives are fragmented, driftscan reads the bytes Sleuth Kit reads', { skip }, () => {
  const dir = scratchDir('driftscan-frag-');
  const volume = join(dir, 'vol.img');
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 5 }), fc.option(fc.integer({ min: 1 }), { nil: undefined }), fc.constantFrom<Scheme>('mbr', 'gpt'), fc.constantFrom<ImageKind>('vhd-dynamic', 'vhdx'), (pattern, shuffle, scheme, kind) => {
      const files = shuffle === undefined ? hiveFiles(SAMPLE, pattern) : hiveFiles(SAMPLE).map((f) => ({ ...f, shuffle }));
      buildNtfsVolume(volume, { sizeMiB: 12, clusterSize: 1024, files });
      const raw = join(dir, 'disk.raw');
      const { sector } = buildDisk(raw, volume, scheme);
      const image = convertDisk(raw, kind, join(dir, `disk.${kind}`));
      for (const h of SAMPLE) {
        assert.ok(sleuthKitRead(raw, sector, `/Windows/System32/config/${h.name}`).equals(h.bytes));
        const r = runCli(['export', '--image', image, '--hive', h.name, '--format', 'json']);
        const e = runCli(['export', '--hive', join(CONFIG, h.name), '--format', 'json']);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, e.stdout);
      }
    }),
    { numRuns: 6 },
  );
});
