/**
 * VHDX log replay ([MS-VHDX] §2.3): a VHDX left "not closed cleanly" is read as it is after its log
 * is replayed, in memory. The oracle is qemu-img: `qemu-img check -r all` replays the same log into
 * a copy, and driftscan's view of the whole virtual disk must equal qemu's (`qemu-img convert -O raw`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './support/cli.js';
import { addVhdxLogEntry, buildDisk, buildNtfsVolume, convertDisk, diskToolsMissing, scratchDir, vhdxHostOffset } from './support/disk-images.js';
import { crc32c } from '../src/disk/checksums.js';
import { openDiskImage } from '../src/disk/image.js';
import { openFileByteSource } from '../src/io/file-byte-source.js';

const CONFIG = 'examples/image/Windows/System32/config';
const skip = diskToolsMissing();
if (skip) console.log(`# VHDX log tests SKIPPED: ${skip}`);

function verdicts(args: string[]): unknown[] {
  const r = runCli(['check', 'policies/', ...args, '--format', 'json']);
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return (JSON.parse(r.stdout) as { results: Array<Record<string, unknown>> }).results.map((x) => [x.ruleId, x.status, x.expected, x.actual, x.message]);
}

test('a VHDX with a pending log is read with the log replayed, as qemu-img replays it', { skip }, async () => {
  const dir = scratchDir('driftscan-vhdx-log-');
  const volume = join(dir, 'vol.img');
  buildNtfsVolume(volume, { sizeMiB: 12, files: ['SYSTEM', 'SOFTWARE'].map((n) => ({ path: `Windows/System32/config/${n}`, bytes: readFileSync(join(CONFIG, n)) })) });
  const raw = join(dir, 'disk.raw');
  const { sector } = buildDisk(raw, volume, 'gpt');
  const dirty = convertDisk(raw, 'vhdx', join(dir, 'dirty.vhdx'));
  // The log brings back the sector holding the NTFS boot sector and the GPT header's sector; the
  // file gets zeros there, so without a replay there is no partition table and no volume.
  const targets = [0, sector * 512].map((guest) => vhdxHostOffset(dirty, guest)).map((at) => Math.floor(at / 4096) * 4096);
  const file = readFileSync(dirty);
  const writes = targets.map((offset) => ({ offset, data: Uint8Array.from(file.subarray(offset, offset + 4096)) }));
  addVhdxLogEntry(dirty, writes, crc32c);
  const damaged = readFileSync(dirty);
  for (const t of targets) damaged.fill(0, t, t + 4096);
  writeFileSync(dirty, damaged);

  // qemu-img replays the log into a copy; its raw view is the oracle.
  const copy = join(dir, 'replayed.vhdx');
  writeFileSync(copy, damaged);
  execFileSync('qemu-img', ['check', '-q', '-r', 'all', copy], { stdio: 'ignore' });
  const oracle = join(dir, 'replayed.raw');
  execFileSync('qemu-img', ['convert', '-q', '-f', 'vhdx', '-O', 'raw', copy, oracle]);
  const expected = readFileSync(oracle);
  assert.ok(expected.equals(readFileSync(raw)), 'qemu-img replayed the log back to the original disk');

  const src = await openFileByteSource(dirty);
  try {
    const { disk } = await openDiskImage(src);
    assert.equal(disk.size, expected.length);
    assert.ok(Buffer.from(await disk.read(0, disk.size)).equals(expected), "driftscan's replayed disk equals qemu-img's");
  } finally {
    await src.close();
  }
  assert.deepEqual(verdicts(['--image', dirty]), verdicts(['--windows-dir', 'examples/image']));

  // A damaged log entry leaves nothing valid to replay: a located error, never the stale file.
  const broken = join(dir, 'broken.vhdx');
  const b = Buffer.from(damaged);
  const logOffset = Number(b.readBigUInt64LE(64 * 1024 + 72));
  b[logOffset + 4096 + 100]! ^= 1;
  writeFileSync(broken, b);
  const r = runCli(['check', 'policies/', '--image', broken]);
  assert.equal(r.status, 2);
  assert.match(r.stderr.trim(), /^driftscan: .*broken\.vhdx: VHDX log at 0x[0-9a-f]+ \(LogGuid [0-9A-F-]+, named by the header at 0x[12]0000\): the header says the log must be replayed, but it holds no valid sequence of entries \(damaged log\)$/);
});
