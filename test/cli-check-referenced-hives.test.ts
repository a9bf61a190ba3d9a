/**
 * `check --windows-dir` and `check --image` open only the machine hives the baseline's rules read
 * (state/references.ts `referencedMachineHives`): a baseline of SYSTEM rules gives its verdicts from a
 * folder or disk whose SOFTWARE is not a hive at all, and names only SYSTEM among its sources; a
 * baseline that reads SOFTWARE opens it and is refused with the located error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './support/cli.js';
import { buildDisk, buildNtfsVolume, diskToolsMissing, scratchDir } from './support/disk-images.js';
import { referencedMachineHives } from '../src/state/references.js';

const CONFIG = 'examples/image/Windows/System32/config';
const GARBAGE = Buffer.alloc(8192, 'not a hive ');
const SYSTEM_ONLY = `apiVersion: driftscan/v1
kind: Baseline
metadata:
  name: system-only
  version: 1.0.0
  title: SYSTEM rules only
spec:
  rules:
    - id: ignore-user-config-errors
      title: Terminal Server ignores per-user registry configuration errors
      severity: medium
      registryValue:
        path: HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server
        name: IgnoreRegUserConfigErrors
        type: DWord
        equals: 1
`;

interface Report { sources: string[]; results: Array<{ ruleId: string; status: string }> }

function setUp(): { dir: string; win: string; baseline: string } {
  const dir = scratchDir('driftscan-refhives-');
  const win = join(dir, 'win');
  const config = join(win, 'Windows', 'System32', 'config');
  mkdirSync(config, { recursive: true });
  copyFileSync(join(CONFIG, 'SYSTEM'), join(config, 'SYSTEM'));
  writeFileSync(join(config, 'SOFTWARE'), GARBAGE);
  const baseline = join(dir, 'system-only.yaml');
  writeFileSync(baseline, SYSTEM_ONLY);
  return { dir, win, baseline };
}

function checkOnly(baseline: string, args: string[]): Report {
  const r = runCli(['check', baseline, ...args, '--format', 'json']);
  assert.ok(r.status === 0 || r.status === 1, `${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Report;
}

test('referencedMachineHives: the HKLM hives rules read, in any spelling; every hive for a path that does not parse', () => {
  const refs = (paths: string[]) => ({ keys: paths.map((path) => ({ path, values: [] as string[], acl: false })), services: [] });
  assert.deepEqual(referencedMachineHives(refs(['HKLM\\SYSTEM\\CurrentControlSet\\Services', 'HKEY_LOCAL_MACHINE\\software\\Microsoft', 'HKCU\\Software'])), ['SYSTEM', 'SOFTWARE']);
  assert.deepEqual(referencedMachineHives(refs(['HKU\\alice\\Software', 'HKLM\\HARDWARE\\DESCRIPTION'])), []);
  assert.deepEqual(referencedMachineHives(refs(['not a registry path'])), ['SYSTEM', 'SOFTWARE', 'SAM', 'SECURITY']);
});

test('check --windows-dir opens only the hives its rules read', () => {
  const { win, baseline } = setUp();
  const report = checkOnly(baseline, ['--windows-dir', win]);
  assert.equal(report.results.length, 1);
  assert.notEqual(report.results[0]!.status, 'error');
  assert.equal(report.sources.length, 1);
  assert.match(report.sources[0]!, /^hive SYSTEM=[^,]*$/);
  // A baseline that reads SOFTWARE opens it, and the garbage is refused with a located error.
  const all = runCli(['check', 'policies/rdp-access-denied.yaml', '--windows-dir', win]);
  assert.equal(all.status, 2, all.stderr);
  assert.match(all.stderr, /SOFTWARE/);
});

const skipImage = diskToolsMissing();
test('check --image opens only the hives its rules read, with the verdicts of --windows-dir', { skip: skipImage }, () => {
  const { dir, win, baseline } = setUp();
  const volume = join(dir, 'vol.img');
  buildNtfsVolume(volume, {
    sizeMiB: 16,
    files: [
      { path: 'Windows/System32/config/SYSTEM', bytes: readFileSync(join(CONFIG, 'SYSTEM')), shuffle: 5 },
      { path: 'Windows/System32/config/SOFTWARE', bytes: GARBAGE },
    ],
  });
  const image = join(dir, 'disk.raw');
  buildDisk(image, volume, 'gpt');
  const fromImage = checkOnly(baseline, ['--image', image]);
  assert.deepEqual(fromImage.results, checkOnly(baseline, ['--windows-dir', win]).results);
  assert.equal(fromImage.sources.length, 1);
  assert.match(fromImage.sources[0]!, /^hive SYSTEM=[^,]*SYSTEM$/);
  const all = runCli(['check', 'policies/rdp-access-denied.yaml', '--image', image]);
  assert.equal(all.status, 2, all.stderr);
  assert.match(all.stderr, /SOFTWARE/);
});
