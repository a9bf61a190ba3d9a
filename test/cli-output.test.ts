/**
 * Issue #8, "outputs destroy things": every path a command writes goes through io/output-file.ts.
 * Run as root (as CI agents and containers are), because that is where renaming over a device
 * succeeds. Devices and /dev/stdout are private stand-ins (mknod in a temp folder, a link to
 * /proc/self/fd/1), so a regression replaces a scratch file, never the machine's /dev/null.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync, closeSync, copyFileSync, cpSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync,
  readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from './support/cli.js';
import { writeHive } from './support/regf-writer.js';
import { needShared, repoRoot } from './support/paths.js';
import { sharedHiveFile } from './support/shared-hives.js';

const BASELINE = join(repoRoot, 'policies', 'rdp-access-denied.yaml');
const REG = join(repoRoot, 'examples', 'drifted.reg');
const isRoot = process.getuid?.() === 0;
const needRoot = isRoot ? false : 'needs root: the defects of issue #8 show when driftscan runs as root (CI agents, containers)';
const haveTool = (cmd: string, ...args: string[]): string | false => (spawnSync(cmd, args).error ? `${cmd} is not installed` : false);

let dir: string;
let n = 0;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'driftscan-cli-output-'));
  // Other users must reach the scratch folders for the permission test (mkdtemp makes it 0700).
  chmodSync(dir, 0o755);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh scratch folder per case, so "nothing else was created" can be asserted with readdirSync. */
function scratch(): string {
  const d = join(dir, `case${++n}`);
  mkdirSync(d, { mode: 0o755 });
  return d;
}

/** A private character device like /dev/null (1,3) or /dev/full (1,7), or a skip reason. */
function device(at: string, minor: number): string | undefined {
  const r = spawnSync('mknod', [at, 'c', '1', String(minor)]);
  return r.status === 0 ? undefined : `mknod failed: ${String(r.stderr).trim()}`;
}

/** The one-line user error shape: exit 2, one stderr line, no internal error, no stack. */
function assertOneLineError(r: CliResult, re: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, re);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
}

const schemaText = (): string => {
  const r = runCli(['schema']);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
};

test('check -o on a character device (a private /dev/null) writes through: the node stays a device', { skip: needRoot }, (t) => {
  const d = scratch();
  const nul = join(d, 'null');
  const why = device(nul, 3);
  if (why) return t.skip(why);
  const made = lstatSync(nul);
  const r = runCli(['check', BASELINE, '--reg', REG, '-o', nul]);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, '');
  const st = lstatSync(nul);
  assert.ok(st.isCharacterDevice(), 'still a character device, not a regular file holding the report');
  assert.equal(st.rdev, made.rdev);
  assert.equal(st.ino, made.ino, 'the same node, not a new one');
  assert.deepEqual(readdirSync(d), ['null'], 'no temp file left beside it');
});

test('-o through a symbolic link replaces the target and keeps the link (also a dangling link and a link to a link)', () => {
  const d = scratch();
  mkdirSync(join(d, 'real'));
  writeFileSync(join(d, 'real', 'report.json'), 'old');
  chmodSync(join(d, 'real', 'report.json'), 0o640);
  symlinkSync('real/report.json', join(d, 'link.json'));
  symlinkSync('link.json', join(d, 'link2.json'));
  const r = runCli(['check', BASELINE, '--reg', REG, '--format', 'json', '-o', join(d, 'link2.json')]);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(readlinkSync(join(d, 'link.json')), 'real/report.json');
  assert.equal(readlinkSync(join(d, 'link2.json')), 'link.json');
  assert.equal(JSON.parse(readFileSync(join(d, 'real', 'report.json'), 'utf8')).summary.fail, 1);
  assert.equal(statSync(join(d, 'real', 'report.json')).mode & 0o777, 0o640, 'the replaced file keeps its permissions');
  assert.deepEqual(readdirSync(d).sort(), ['link.json', 'link2.json', 'real']);
  assert.deepEqual(readdirSync(join(d, 'real')), ['report.json'], 'no temp file left');

  symlinkSync('made/by/driftscan.json', join(d, 'dangling.json'));
  const s = runCli(['schema', '-o', join(d, 'dangling.json')]);
  assert.equal(s.status, 0, s.stderr);
  assert.equal(readlinkSync(join(d, 'dangling.json')), 'made/by/driftscan.json');
  assert.equal(readFileSync(join(d, 'made', 'by', 'driftscan.json'), 'utf8'), schemaText());
});

test('-o to a link to /proc/self/fd/1 (what /dev/stdout is) prints to stdout and leaves the link alone', () => {
  const d = scratch();
  const out = join(d, 'stdout');
  symlinkSync('/proc/self/fd/1', out);
  const r = runCli(['schema', '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, schemaText());
  assert.equal(readlinkSync(out), '/proc/self/fd/1');
  assert.deepEqual(readdirSync(d), ['stdout']);
  // A .reg export to the console is text, like stdout without -o (the file form is UTF-16LE).
  const e = runCli(['export', '--hive', fixtureHive(d), '--prefix', 'HKLM\\TEST', '-o', out]);
  assert.equal(e.status, 0, e.stderr);
  assert.ok(e.stdout.startsWith('Windows Registry Editor Version 5.00\r\n'), JSON.stringify(e.stdout.slice(0, 40)));
});

test('-o on a FIFO writes through to its reader; the FIFO stays a FIFO', { skip: haveTool('mkfifo', '--version') }, async () => {
  const d = scratch();
  const fifo = join(d, 'fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  // The reader must be open before the writer, or opening the FIFO blocks (normal Unix semantics);
  // `timeout` ends the reader if the writer never comes, so a regression fails instead of hanging.
  const captured = join(d, 'captured');
  const sink = openSync(captured, 'w');
  const reader = spawn('timeout', ['60', 'cat', fifo], { stdio: ['ignore', sink, 'inherit'] });
  const done = new Promise<number | null>((resolve) => reader.on('exit', (code) => resolve(code)));
  const r = runCli(['schema', '-o', fifo]);
  const code = await done;
  closeSync(sink);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(code, 0, 'the reader saw end of file');
  assert.ok(lstatSync(fifo).isFIFO());
  assert.equal(readFileSync(captured, 'utf8'), schemaText());
});

/** A small valid hive (the regf writer), so a run that does not refuse would really read it and write. */
function fixtureHive(d: string, name = 'TEST.hive'): string {
  const file = join(d, name);
  writeFileSync(file, writeHive({ name: 'ROOT', subkeys: [{ name: 'Key', values: [{ name: 'v', typeCode: 4, data: Buffer.from([1, 0, 0, 0]) }] }] }));
  return file;
}

/** A folder holding one of each kind of input, fresh for every case so one case cannot spoil the next. */
function inputsFolder() {
  const d = scratch();
  cpSync(join(repoRoot, 'examples', 'image'), join(d, 'image'), { recursive: true });
  copyFileSync(REG, join(d, 'd.reg'));
  copyFileSync(join(repoRoot, 'examples', 'snapshot.json'), join(d, 'snap.json'));
  mkdirSync(join(d, 'pol'));
  copyFileSync(BASELINE, join(d, 'pol', 'b.yaml'));
  const hive = fixtureHive(d);
  writeFileSync(`${hive}.LOG1`, 'a transaction log, read when the hive is dirty');
  symlinkSync('d.reg', join(d, 'sym.reg'));
  linkSync(join(d, 'd.reg'), join(d, 'hard.reg'));
  return { d, reg: join(d, 'd.reg'), b: join(d, 'pol', 'b.yaml'), snap: join(d, 'snap.json'), hive, system: join(d, 'image', 'Windows', 'System32', 'config', 'SYSTEM') };
}

test('an output that is an input is refused before anything is read, via the same name, ./, a symbolic or a hard link', async (t) => {
  type In = ReturnType<typeof inputsFolder>;
  const cases: Array<[string, (x: In) => string[], (x: In) => string, RegExp]> = [
    ['--reg, same name', (x) => ['check', x.b, '--reg', x.reg, '-o', x.reg], (x) => x.reg, /is the --reg input \S+d\.reg: refusing/],
    ['--reg, through ./', (x) => ['check', x.b, '--reg', 'd.reg', '-o', './d.reg'], (x) => x.reg, /is the --reg input d\.reg \(the same file\)/],
    ['--reg, symbolic link', (x) => ['check', x.b, '--reg', x.reg, '-o', join(x.d, 'sym.reg')], (x) => x.reg, /sym\.reg is the --reg input \S+d\.reg \(the same file\)/],
    ['--reg, hard link', (x) => ['check', x.b, '--reg', x.reg, '-o', join(x.d, 'hard.reg')], (x) => x.reg, /hard\.reg is the --reg input \S+d\.reg \(the same file\)/],
    ['--snapshot', (x) => ['check', x.b, '--snapshot', x.snap, '-o', x.snap], (x) => x.snap, /is the --snapshot input/],
    ['--hive', (x) => ['check', x.b, '--hive', `SYSTEM=${x.system}`, '-o', x.system], (x) => x.system, /is the --hive input/],
    ['--windows-dir', (x) => ['check', x.b, '--windows-dir', join(x.d, 'image'), '-o', x.system], (x) => x.system, /is the --windows-dir hive SYSTEM/],
    ['baseline file', (x) => ['check', x.b, '--reg', x.reg, '-o', x.b], (x) => x.b, /is the baseline \S+b\.yaml/],
    ['baseline in a folder', (x) => ['check', join(x.d, 'pol'), '--reg', x.reg, '-o', x.b], (x) => x.b, /is the baseline \S+b\.yaml/],
    ['collector', (x) => ['collector', x.b, '-o', x.b], (x) => x.b, /is the baseline/],
    ['export --hive', (x) => ['export', '--hive', x.hive, '--prefix', 'HKLM\\TEST', '-o', x.hive], (x) => x.hive, /is the --hive input/],
    ['export, its .LOG1', (x) => ['export', '--hive', x.hive, '--prefix', 'HKLM\\TEST', '-o', `${x.hive}.LOG1`], (x) => `${x.hive}.LOG1`, /is the transaction log of /],
  ];
  for (const [name, args, input, re] of cases) {
    await t.test(name, () => {
      const x = inputsFolder();
      const before = readFileSync(input(x));
      const listing = readdirSync(x.d).sort();
      const r = runCli(args(x), { cwd: x.d });
      assertOneLineError(r, re);
      assert.match(r.stderr, /^driftscan: \S+: --output \S+ is the /);
      assert.ok(readFileSync(input(x)).equals(before), 'the input is byte-identical');
      assert.deepEqual(readdirSync(x.d).sort(), listing, 'nothing created');
    });
  }
});

test('export: an incomplete export (names a .reg file cannot carry) writes no file and keeps an existing one', () => {
  const d = scratch();
  const hive = join(d, 'odd.hive');
  writeFileSync(hive, writeHive({ name: 'ROOT', subkeys: [{ name: 'Bad\r\nKey', values: [] }, { name: 'Good', values: [] }] }));
  const out = join(d, 'odd.reg');
  const r = runCli(['export', '--hive', hive, '--prefix', 'HKLM\\TEST', '-o', out]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /key left out of the \.reg output/);
  assert.match(r.stderr, /odd\.reg not written: the export is incomplete/);
  assert.deepEqual(readdirSync(d), ['odd.hive'], 'no file and no temp file');
  writeFileSync(out, 'previous export');
  assert.equal(runCli(['export', '--hive', hive, '--prefix', 'HKLM\\TEST', '-o', out]).status, 2);
  assert.equal(readFileSync(out, 'utf8'), 'previous export');
  assert.deepEqual(readdirSync(d).sort(), ['odd.hive', 'odd.reg']);
});

test('export: a damaged real hive with -o exits 2 and leaves no partial file', { skip: needShared('hives/corrupted_system_hive.xz') }, () => {
  const d = scratch();
  const file = sharedHiveFile('corrupted_system_hive.xz');
  const out = join(d, 'dump.reg');
  const r = runCli(['export', '--hive', file, '--prefix', 'HKLM\\SYSTEM', '-o', out]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /corrupted_system_hive @ byte 0x/);
  assert.deepEqual(readdirSync(d), []);
});

/**
 * Runs the CLI in a private mount namespace with a tmpfs (mount `options`) on `at`, after `setup`
 * and followed by `report` (shell, `$d` is the folder); the mount goes away with the process.
 */
const inTmpfs = (at: string, options: string, setup = ':', report = ':'): string[] => [
  'unshare', '--mount', '--propagation', 'private', 'sh', '-c',
  `d="$1"; o="$2"; shift 2; mount -t tmpfs -o "$o" tmpfs "$d" || exit 99; ${setup}; "$@"; s=$?; ${report}; exit $s`, 'sh', at, options,
];

const canMount = (): string | false => {
  if (!isRoot) return needRoot as string;
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs /mnt']);
  return r.status === 0 ? false : `cannot mount a tmpfs in a private namespace: ${String(r.stderr).trim()}`;
};

test('export: a disk that fills up mid-dump (ENOSPC, thrown inside the dumper) leaves the old file and no temp file', { skip: canMount() || needShared('hives/SYSTEM.xz') }, () => {
  const d = scratch();
  const file = sharedHiveFile('SYSTEM.xz');
  const r = runCli(['export', '--hive', file, '-o', join(d, 'system.reg')], {
    under: inTmpfs(d, 'size=256k', 'echo old > "$d/system.reg"', 'ls -A "$d"; cat "$d/system.reg"'),
  });
  assertOneLineError(r, /^driftscan: \S+system\.reg: cannot write export \S+system\.reg: no space left on the device$/);
  assert.equal(r.stdout, 'system.reg\nold\n', 'only the old file, unchanged: no temp file, no partial file');
});

test('write errors are one line naming the path and the reason (exit 2), before anything is half-written', async (t) => {
  const d = scratch();
  mkdirSync(join(d, 'folder'));
  writeFileSync(join(d, 'file'), 'a file');
  const check = (out: string, ...extra: string[]) => runCli(['check', BASELINE, '--reg', REG, ...extra, '-o', out]);

  await t.test('the output is a folder', () => {
    assertOneLineError(check(join(d, 'folder')), /^driftscan: \S+\/folder: cannot write report \S+\/folder: is a folder$/);
    assertOneLineError(check(`${join(d, 'folder')}/`), /^driftscan: \S+\/folder\/: cannot write report \S+\/folder\/: names a folder, not a file$/);
  });
  await t.test('a parent is a file', () => {
    assertOneLineError(check(join(d, 'file', 'r.json')), /^driftscan: \S+\/file\/r\.json: cannot write report \S+\/file\/r\.json: \S+\/file is not a folder$/);
    assertOneLineError(runCli(['schema', '-o', join(d, 'file', 'a', 'b.json')]), /: cannot write schema \S+\/file\/a\/b\.json: \S+\/file is not a folder$/);
    assert.equal(readFileSync(join(d, 'file'), 'utf8'), 'a file');
  });
  await t.test('compile --out on a file', () => {
    mkdirSync(join(d, 'policies'));
    copyFileSync(BASELINE, join(d, 'policies', 'b.yaml'));
    const r = runCli(['compile', 'policies', '--out', 'file'], { cwd: d });
    assertOneLineError(r, /^driftscan: file: cannot write output folder file: is not a folder$/);
    assert.equal(readFileSync(join(d, 'file'), 'utf8'), 'a file');
    assert.equal(existsSync(join(d, 'policies', 'modules.lock.json')), false, 'refused before the lock file was written');
  });
  await t.test('no space left on the device (a private /dev/full)', { skip: needRoot }, (tt) => {
    const full = join(d, 'full');
    const why = device(full, 7);
    if (why) return tt.skip(why);
    assertOneLineError(check(full), /^driftscan: \S+\/full: cannot write report \S+\/full: no space left on the device$/);
    assert.ok(lstatSync(full).isCharacterDevice());
  });
  await t.test('permission denied: an unprivileged user, a read-only folder', { skip: needRoot || haveTool('setpriv', '--version') }, () => {
    const ro = join(d, 'ro');
    mkdirSync(ro, { mode: 0o555 });
    chmodSync(ro, 0o555);
    const r = runCli(['schema', '-o', join(ro, 'schema.json')], { under: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] });
    assertOneLineError(r, /^driftscan: \S+\/ro\/schema\.json: cannot write schema \S+\/ro\/schema\.json: permission denied$/);
    assert.deepEqual(readdirSync(ro), []);
  });
  await t.test('permission denied as root: an immutable folder (chattr +i)', { skip: needRoot || haveTool('chattr', '-V') }, (tt) => {
    const imm = join(d, 'immutable');
    mkdirSync(imm);
    writeFileSync(join(imm, 'report.txt'), 'old');
    if (spawnSync('chattr', ['+i', imm]).status !== 0) return tt.skip('chattr +i is not supported here');
    try {
      assertOneLineError(check(join(imm, 'report.txt')), /^driftscan: \S+\/immutable\/report\.txt: cannot write report \S+: permission denied$/);
    } finally {
      spawnSync('chattr', ['-i', imm]);
    }
    assert.equal(readFileSync(join(imm, 'report.txt'), 'utf8'), 'old');
  });
  await t.test('a read-only file system', { skip: canMount() }, () => {
    const rofs = join(d, 'rofs');
    mkdirSync(rofs);
    const r = runCli(['schema', '-o', join(rofs, 'schema.json')], { under: inTmpfs(rofs, 'ro', ':', 'ls -A "$d"') });
    assertOneLineError(r, /^driftscan: \S+\/rofs\/schema\.json: cannot write schema \S+: read-only file system$/);
    assert.equal(r.stdout, '');
  });
});

test('compile refuses a build output that is the lock file, before writing anything', () => {
  const d = scratch();
  mkdirSync(join(d, 'policies'));
  copyFileSync(BASELINE, join(d, 'policies', 'b.yaml'));
  const r = runCli(['compile', 'policies', '--out', 'out', '--lock', 'out/manifest.json'], { cwd: d });
  assertOneLineError(r, /^driftscan: out\/manifest\.json: build output out\/manifest\.json is the lock file out\/manifest\.json: refusing to overwrite an input/);
  assert.equal(existsSync(join(d, 'out')), false, 'nothing written');
});

test('compile writes all or nothing: a lock file it cannot write leaves no package or manifest behind', { skip: needRoot || haveTool('chattr', '-V') }, (t) => {
  const d = scratch();
  mkdirSync(join(d, 'policies'));
  copyFileSync(BASELINE, join(d, 'policies', 'b.yaml'));
  mkdirSync(join(d, 'locked'));
  if (spawnSync('chattr', ['+i', join(d, 'locked')]).status !== 0) return t.skip('chattr +i is not supported here');
  let r: CliResult;
  try {
    r = runCli(['compile', 'policies', '--out', 'out', '--lock', 'locked/modules.lock.json'], { cwd: d });
  } finally {
    spawnSync('chattr', ['-i', join(d, 'locked')]);
  }
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr.trimEnd().split('\n').at(-1)!, /^driftscan: locked\/modules\.lock\.json: cannot write lock file locked\/modules\.lock\.json: permission denied$/);
  assert.doesNotMatch(r.stderr, /internal error/);
  assert.equal(existsSync(join(d, 'out')), false, 'no package, policy or manifest written, and no folder for them');
  assert.deepEqual(readdirSync(join(d, 'locked')), []);
});

test('--help of every writing command says how -o treats links, devices and inputs', () => {
  for (const cmd of ['check', 'collector', 'schema', 'export']) {
    const r = runCli([cmd, '--help']);
    assert.equal(r.status, 0);
    const text = r.stdout.replace(/\s+/g, ' ');
    assert.match(text, /replaced atomically/, cmd);
    assert.match(text, /FIFO or \/dev\/stdout is written through/, cmd);
  }
});
