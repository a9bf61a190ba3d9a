/**
 * Image gate benchmark (issue #13): `driftscan check policies/ --image` on a 64 GB sparse fixed VHD
 * and on a dynamic VHDX of the same disk (GPT, one 64 GB NTFS volume holding the seed's hives from
 * examples/image, written cluster by cluster in shuffled order so their run lists are fragmented),
 * next to, in the same interleaved loop:
 *   - bare Node.js start-up (`node -e ""`),
 *   - `check policies/ --windows-dir examples/image` (the same hives as extracted files), and
 *   - `check policies/ --hive SYSTEM=… --hive SOFTWARE=…`.
 * Targets: time ≤ 1.5× `--windows-dir` (median ratio), and bytes read from the image (counted by the
 * ByteSource, DRIFTSCAN_IO_STATS=1) ≤ 2× the hive bytes + 16 MB of metadata.
 *
 * Then the same two disks as blobs in Azurite (a page blob for the fixed VHD — what a managed disk
 * is — and a block blob for the VHDX), read by SAS URL (`check --image https://…?<SAS>`), against
 * `check --hive` and the local fixed VHD in one interleaved loop, with the HTTP requests and bytes
 * each run sends/receives (`--verbose`). Azurite is on loopback, so this measures driftscan's request
 * pattern and overhead, not a WAN: against Blob Storage each request adds a round trip.
 *
 * Needs mkntfs, ntfs-3g (FUSE), sgdisk, qemu-img and a file system with `fallocate --insert-range`
 * (ext4, xfs) for the temp folder; skips with a message otherwise (and the SAS part without Azurite).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNtfsVolume, diskToolsMissing } from '../test/support/disk-images.js';
import { startAzurite, type Azurite } from '../test/support/azurite.js';
import { createContainer, sasUrl, uploadBlockBlob, uploadPageBlob } from '../test/support/blob-disks.js';
import { bareNode, cliLaunchers, interleave, median, met, printSamples, repoRoot, rounds, run, times, unpackHive, type Variant } from './support.js';

const CONFIG = join(repoRoot, 'examples', 'image', 'Windows', 'System32', 'config');
const HIVES = ['SYSTEM', 'SOFTWARE'];
const NODE = 'node -e ""';
const WINDOWS_DIR = 'check --windows-dir';
const HIVE = 'check --hive';

/** A GPT disk of `gib` GiB whose one partition is an NTFS volume holding `hives`; returns the raw disk. */
function buildBigDisk(dir: string, gib: number, hives: Array<{ name: string; bytes: Uint8Array }>): string {
  const disk = join(dir, 'disk.raw');
  rmSync(disk, { force: true });
  buildNtfsVolume(disk, {
    sizeMiB: gib * 1024,
    files: hives.map((h, i) => ({ path: `Windows/System32/config/${h.name}`, bytes: h.bytes, shuffle: 7 + i })),
  });
  // Shift the volume 1 MiB in without copying 64 GB (ext4/xfs move extents), then partition around it.
  execFileSync('fallocate', ['--insert-range', '-o', '0', '-l', '1MiB', disk]);
  execFileSync('truncate', ['-s', '+1M', disk]);
  const sectors = statSync(disk).size / 512;
  execFileSync('sgdisk', ['-n', `1:2048:${sectors - 2049}`, '-t', '1:0700', disk], { stdio: 'ignore' });
  return disk;
}

function bytesRead(launcher: ReturnType<typeof cliLaunchers>[number], image: string): number {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'driftscan.js'), 'check', 'policies/', '--image', image], { cwd: repoRoot, env: { ...launcher.env, DRIFTSCAN_IO_STATS: '1' }, encoding: 'utf8' });
  const m = /read (\d+) bytes in (\d+) reads/.exec(r.stderr);
  if (!m) throw new Error(`no I/O figures from check --image ${image}: ${r.stderr.slice(0, 300)}`);
  return Number(m[1]);
}

export async function benchImage(): Promise<void> {
  const missing = diskToolsMissing();
  if (missing) {
    process.stdout.write(`\nimage: skipping the image benchmark: ${missing}\n`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-bench-image-'));
  try {
    const t0 = Date.now();
    let raw: string;
    try {
      raw = buildBigDisk(dir, 64, HIVES.map((name) => ({ name, bytes: readFileSync(join(CONFIG, name)) })));
    } catch (err) {
      process.stdout.write(`\nimage: skipping the image benchmark: cannot build the 64 GB disk here (${(err as Error).message.split('\n')[0]})\n`);
      return;
    }
    const fixed = join(dir, 'disk-fixed.vhd');
    const vhdx = join(dir, 'disk.vhdx');
    execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=fixed,force_size=on', raw, fixed]);
    execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vhdx', '-o', 'subformat=dynamic', raw, vhdx]);
    rmSync(raw);
    const onDisk = (f: string) => `${(statSync(f).size / 2 ** 30).toFixed(1)} GiB, ${(statSync(f).blocks * 512 / 2 ** 20).toFixed(1)} MiB allocated`;
    process.stdout.write(`\nimage: built the 64 GiB disk in ${((Date.now() - t0) / 1000).toFixed(1)} s: fixed VHD ${onDisk(fixed)}; VHDX ${onDisk(vhdx)}\n`);

    const launcher = cliLaunchers()[0]!;
    const hiveArgs = HIVES.flatMap((h) => ['--hive', `${h}=${join(CONFIG, h)}`]);
    const check = (args: string[]) => () => void launcher.run(['check', 'policies/', ...args], { okCodes: [0, 1] });
    const variants: Variant[] = [
      { label: NODE, fn: bareNode },
      { label: WINDOWS_DIR, fn: check(['--windows-dir', join(repoRoot, 'examples', 'image')]) },
      { label: HIVE, fn: check(hiveArgs) },
      { label: 'check --image fixed.vhd', fn: check(['--image', fixed]) },
      { label: 'check --image dynamic.vhdx', fn: check(['--image', vhdx]) },
    ];
    const n = rounds(21);
    const samples = interleave(variants, n);
    printSamples(
      `image: ${variants.map((v) => v.label).join(' / ')}, round-robin, ${n} rounds after 1 warm-up each (${launcher.label})\n` +
        '  check policies/ on a 64 GiB GPT disk holding the seed\'s SYSTEM and SOFTWARE, fragmented',
      samples,
      [NODE, WINDOWS_DIR],
    );
    const base = median(samples[1]!.ms);
    const hiveBytes = HIVES.reduce((sum, h) => sum + statSync(join(CONFIG, h)).size, 0);
    const budget = 2 * hiveBytes + 16 * 2 ** 20;
    for (const [i, image] of [[3, fixed], [4, vhdx]] as const) {
      const s = samples[i]!;
      const ratio = median(s.ms) / base;
      const read = bytesRead(launcher, image);
      process.stdout.write(
        `${s.label}: ${times(ratio)} --windows-dir (target <= 1.5×): met ${met(ratio <= 1.5)}; ` +
          `read ${(read / 1024).toFixed(0)} KiB for ${(hiveBytes / 1024).toFixed(0)} KiB of hives (target <= 2× hives + 16 MiB = ${(budget / 2 ** 20).toFixed(1)} MiB): met ${met(read <= budget)}\n`,
      );
    }
    const azurite = await startAzurite();
    if (typeof azurite === 'string') process.stdout.write(`image: skipping the SAS URL benchmarks: ${azurite}\n`);
    try {
      if (typeof azurite !== 'string') await benchBlob(azurite, fixed, vhdx, launcher, hiveArgs);
      await benchBigHive(dir, launcher, typeof azurite === 'string' ? undefined : azurite);
    } finally {
      if (typeof azurite !== 'string') await azurite.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same with the largest real hive of the test data (SYSTEM_B, 12.8 MB) as SYSTEM, so reading
 * thousands of runs and an attribute list is measured, not only start-up: a dynamic VHDX against
 * `check --hive SYSTEM=SYSTEM_B` on the extracted file.
 */
async function benchBigHive(dir: string, launcher: ReturnType<typeof cliLaunchers>[number], azurite: Azurite | undefined): Promise<void> {
  const hive = unpackHive('SYSTEM_B');
  if (!hive) {
    process.stdout.write('image: shared data hives/SYSTEM_B.xz not found: skipping the SYSTEM_B image benchmark\n');
    return;
  }
  try {
    const bytes = readFileSync(hive.file);
    const raw = buildBigDisk(dir, 64, [{ name: 'SYSTEM', bytes }]);
    const vhdx = join(dir, 'system-b.vhdx');
    execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vhdx', '-o', 'subformat=dynamic', raw, vhdx]);
    rmSync(raw);
    const baseline = join(repoRoot, 'policies', 'rdp-access-denied.yaml');
    let url: string | undefined;
    if (azurite) {
      const container = await createContainer(azurite, 'bench-system-b');
      await uploadBlockBlob(container, 'system-b.vhdx', vhdx);
      url = sasUrl(azurite.accountUrl, 'bench-system-b', 'system-b.vhdx');
    }
    // Every variant runs with the same environment (the extra CA is read at TLS set-up only).
    const env = azurite ? { ...launcher.env, NODE_EXTRA_CA_CERTS: azurite.cert.certPath } : launcher.env;
    const bin = join(repoRoot, 'bin', 'driftscan.js');
    const check = (args: string[]) => () => void run(process.execPath, [bin, 'check', baseline, ...args], { okCodes: [0, 1], env });
    const variants: Variant[] = [
      { label: NODE, fn: bareNode },
      { label: HIVE, fn: check(['--hive', `SYSTEM=${hive.file}`]) },
      { label: 'check --image system-b.vhdx', fn: check(['--image', vhdx]) },
      ...(url ? [{ label: 'check --image SAS URL, system-b.vhdx block blob', fn: check(['--image', url]) }] : []),
    ];
    const n = rounds(21);
    const samples = interleave(variants, n);
    printSamples(
      `image: ${variants.map((v) => v.label).join(' / ')}, round-robin, ${n} rounds after 1 warm-up each (${launcher.label})\n` +
        '  check policies/rdp-access-denied.yaml; SYSTEM_B (12.8 MB) as SYSTEM in a 64 GiB dynamic VHDX, written in shuffled clusters',
      samples,
      [NODE, HIVE],
    );
    const ratio = median(samples[2]!.ms) / median(samples[1]!.ms);
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'driftscan.js'), 'check', baseline, '--image', vhdx], { cwd: repoRoot, env: { ...launcher.env, DRIFTSCAN_IO_STATS: '1' }, encoding: 'utf8' });
    const read = Number(/read (\d+) bytes/.exec(r.stderr)?.[1] ?? NaN);
    const budget = 2 * bytes.length + 16 * 2 ** 20;
    process.stdout.write(
      `check --image system-b.vhdx: ${times(ratio)} check --hive (target <= 1.5×): met ${met(ratio <= 1.5)}; ` +
        `read ${(read / 2 ** 20).toFixed(1)} MiB for a ${(bytes.length / 2 ** 20).toFixed(1)} MiB hive (target <= ${(budget / 2 ** 20).toFixed(1)} MiB): met ${met(read <= budget)}\n`,
    );
    if (url) {
      const v = spawnSync(process.execPath, [bin, 'check', baseline, '--image', url, '--verbose'], { cwd: repoRoot, env, encoding: 'utf8' });
      const m = /read (\d+) bytes in (\d+) requests \((\d+) retries; (\d+) reads by the disk readers\)/.exec(v.stderr);
      if (!m) throw new Error(`no request figures from check --image URL: ${v.stderr.slice(0, 300)}`);
      process.stdout.write(
        `${samples[3]!.label}: ${times(median(samples[3]!.ms) / median(samples[1]!.ms))} check --hive; ${m[2]} HTTP requests (${m[3]} retries) for ${m[4]} reads by the disk readers, ` +
          `${(Number(m[1]) / 2 ** 20).toFixed(1)} MiB received\n`,
      );
    }
  } finally {
    hive.cleanup();
  }
}

/** The 64 GiB disks as blobs in Azurite, read by SAS URL, next to `check --hive` and the local file. */
async function benchBlob(azurite: Azurite, fixed: string, vhdx: string, launcher: ReturnType<typeof cliLaunchers>[number], hiveArgs: string[]): Promise<void> {
  const t0 = Date.now();
  const container = await createContainer(azurite, 'bench');
  await uploadPageBlob(container, 'disk-fixed.vhd', fixed);
  await uploadBlockBlob(container, 'disk.vhdx', vhdx);
  process.stdout.write(`image: uploaded the fixed VHD (page blob, data extents only) and the VHDX (block blob) to Azurite in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const pageUrl = sasUrl(azurite.accountUrl, 'bench', 'disk-fixed.vhd');
  const blockUrl = sasUrl(azurite.accountUrl, 'bench', 'disk.vhdx');
  // Every variant runs with the same environment (the extra CA is read at TLS set-up only).
  const env = { ...launcher.env, NODE_EXTRA_CA_CERTS: azurite.cert.certPath };
  const bin = join(repoRoot, 'bin', 'driftscan.js');
  const check = (args: string[]) => () => void run(process.execPath, [bin, 'check', 'policies/', ...args], { okCodes: [0, 1], env });
  const variants: Variant[] = [
    { label: NODE, fn: bareNode },
    { label: HIVE, fn: check(hiveArgs) },
    { label: 'check --image fixed.vhd (local file)', fn: check(['--image', fixed]) },
    { label: 'check --image SAS URL, page blob fixed VHD', fn: check(['--image', pageUrl]) },
    { label: 'check --image SAS URL, block blob VHDX', fn: check(['--image', blockUrl]) },
  ];
  const n = rounds(21);
  const samples = interleave(variants, n);
  printSamples(
    `image: ${variants.map((v) => v.label).join(' / ')}, round-robin, ${n} rounds after 1 warm-up each (${launcher.label})\n` +
      '  check policies/ on the same 64 GiB disk, local and from Azurite on loopback by SAS URL',
    samples,
    [NODE, HIVE],
  );
  const base = median(samples[1]!.ms);
  for (const [i, url] of [[3, pageUrl], [4, blockUrl]] as const) {
    const s = samples[i]!;
    const r = spawnSync(process.execPath, [bin, 'check', 'policies/', '--image', url, '--verbose'], { cwd: repoRoot, env, encoding: 'utf8' });
    const m = /read (\d+) bytes in (\d+) requests \((\d+) retries; (\d+) reads by the disk readers\)/.exec(r.stderr);
    if (!m) throw new Error(`no request figures from check --image URL: ${r.stderr.slice(0, 300)}`);
    process.stdout.write(
      `${s.label}: ${times(median(s.ms) / base)} check --hive; ${m[2]} HTTP requests (${m[3]} retries) for ${m[4]} reads by the disk readers, ` +
        `${(Number(m[1]) / 1024).toFixed(0)} KiB received of a ${(statSync(fixed).size / 2 ** 30).toFixed(0)} GiB disk\n`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchImage();
