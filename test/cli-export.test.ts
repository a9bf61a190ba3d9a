/**
 * `driftscan export` end to end: .reg output compared with `hivexregedit --export` (libwin-hivex-perl)
 * as the oracle, UTF-16LE + BOM files written atomically, SDDL comments, the JSON snapshot shape
 * (validated against schema/snapshot.schema.json), and one-line errors with exit code 2.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parseRegFile, type RegFile } from '../src/state/reg/parse.js';
import { parseSnapshot } from '../src/state/snapshot/source.js';
import { openHiveSource } from '../src/state/hive/hive-source.js';
import { Hive } from '../src/state/hive/hive.js';
import { writeHive } from './support/regf-writer.js';
import { formatSddl } from '../src/windows/sddl.js';
import { parseRegistryPath } from '../src/windows/registry-path.js';
import { runCli } from './support/cli.js';
import { needShared, repoRoot, sharedData } from './support/paths.js';
import { sharedHiveFile } from './support/shared-hives.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'driftscan-cli-export-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A shared hive decompressed to a file named `as` (the name decides the default export prefix). */
const unpack = (name: string, as: string = name): string => sharedHiveFile(`${name}.xz`, as);

const haveHivexregedit = (): string | false =>
  spawnSync('hivexregedit', ['--help']).error ? 'hivexregedit is not installed (apt-get install libwin-hivex-perl)' : false;

/** `{ KEY PATH (upper-cased) → { value name (upper-cased) → value } }`, for comparing two .reg files. */
function regMap(reg: RegFile): Map<string, Map<string, unknown>> {
  const out = new Map<string, Map<string, unknown>>();
  for (const k of reg.keys) {
    const values = new Map<string, unknown>();
    for (const v of k.values) values.set(v.name.toUpperCase(), v.value);
    out.set(`${k.path.root}\\${k.path.segments.join('\\')}`.toUpperCase(), values);
  }
  return out;
}

function hivexExport(file: string, key: string, prefix: string): RegFile {
  const r = spawnSync('hivexregedit', ['--export', '--prefix', prefix, file, key], { maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, String(r.stderr));
  return parseRegFile(r.stdout, 'hivexregedit output');
}

test('export of a subtree (CurrentControlSet\\Services) matches hivexregedit --export key for key, value for value', { skip: needShared('hives/SYSTEM.xz') || haveHivexregedit() }, () => {
  const file = unpack('SYSTEM');
  const r = runCli(['export', '--hive', file, '--path', 'HKLM\\SYSTEM\\CurrentControlSet\\Services']);
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.ok(r.stdout.startsWith('Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\services]\r\n'));
  const mine = regMap(parseRegFile(Buffer.from(r.stdout, 'utf8'), 'export'));
  const oracle = regMap(hivexExport(file, '\\ControlSet001\\services', 'HKEY_LOCAL_MACHINE\\SYSTEM'));
  assert.ok(oracle.size > 1500, `${oracle.size} keys`);
  assert.deepEqual([...mine.keys()].sort(), [...oracle.keys()].sort());
  for (const [path, values] of oracle) assert.deepEqual(mine.get(path), values, path);
});

test('export of a whole hive (SAM, NTUSER.DAT → HKEY_CURRENT_USER) matches hivexregedit', { skip: needShared('hives/SAM.xz', 'hives/NTUSER.DAT.xz') || haveHivexregedit() }, () => {
  for (const [name, prefix] of [['SAM', 'HKEY_LOCAL_MACHINE\\SAM'], ['NTUSER.DAT', 'HKEY_CURRENT_USER']] as const) {
    const file = unpack(name);
    const out = join(dir, `${name}.reg`);
    const r = runCli(['export', '--hive', file, '--output', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, `driftscan: wrote ${out}\n`);
    const mine = regMap(parseRegFile(readFileSync(out), out));
    const oracle = regMap(hivexExport(file, '\\', prefix));
    assert.deepEqual([...mine.keys()].sort(), [...oracle.keys()].sort());
    for (const [path, values] of oracle) assert.deepEqual(mine.get(path), values, path);
  }
});

test('--output writes UTF-16LE with BOM atomically; --security puts "; sddl:" before every key', { skip: needShared('hives/SYSTEM.xz') }, () => {
  const file = unpack('SYSTEM');
  const outDir = join(dir, 'out');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'term.reg');
  const r = runCli(['export', '--hive', file, '--path', 'ControlSet001\\services\\TermService', '--security', '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(outDir), ['term.reg'], 'no temp file left behind');
  const bytes = readFileSync(out);
  assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xfe]);
  const text = bytes.subarray(2).toString('utf16le');
  const lines = text.split('\r\n');
  const keyLines = lines.flatMap((l, i) => (l.startsWith('[') ? [i] : []));
  assert.ok(keyLines.length >= 3);
  const hive = Hive.open(readFileSync(file), { file });
  for (const i of keyLines) {
    assert.match(lines[i - 1]!, /^; sddl: O:/, `line before ${lines[i]}`);
    const path = lines[i]!.slice(1, -1).split('\\').slice(2);
    assert.equal(lines[i - 1], `; sddl: ${formatSddl(hive.lookup(path)!.securityDescriptor()!)}`);
  }
  // The comments do not disturb .reg readers.
  assert.equal(parseRegFile(bytes, out).keys.length, keyLines.length);
});

test('--format json is a valid snapshot that answers like the hive', { skip: needShared('hives/SYSTEM.xz') }, () => {
  const file = unpack('SYSTEM');
  const r = runCli(['export', '--hive', file, '--path', 'ControlSet001\\services\\TermService', '--format', 'json', '--security']);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  const ajv = new Ajv.default({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(join(repoRoot, 'schema', 'snapshot.schema.json'), 'utf8')));
  assert.ok(validate(doc), JSON.stringify(validate.errors?.slice(0, 3)));
  const snap = parseSnapshot(Buffer.from(r.stdout), 'export.json');
  assert.ok(snap.keys.length >= 3 && snap.keys.every((k) => k.sddl?.startsWith('O:')));
  const hiveSource = openHiveSource([{ name: 'SYSTEM', file }]);
  for (const k of snap.keys) {
    const state = hiveSource.key(parseRegistryPath(k.path));
    assert.equal(state.status, 'present');
    if (state.status !== 'present') continue;
    assert.deepEqual(k.values!.map((v) => v.name), state.value.valueNames());
    assert.deepEqual(k.subkeys, (state.value.subkeyNames() as { value: string[] }).value);
  }
  const term = snap.keys[0]!;
  assert.equal(term.path, 'HKLM\\SYSTEM\\ControlSet001\\services\\TermService');
  assert.deepEqual(term.values!.find((v) => v.name === 'Start'), { name: 'Start', kind: 'DWord', data: 3 });
});

test('errors are one line with exit code 2: missing file, not a hive, unknown mount point, missing key', { skip: needShared('hives/hivex-minimal.hive') }, () => {
  const missing = join(dir, 'nope', 'SYSTEM');
  let r = runCli(['export', '--hive', missing]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, `driftscan: ${missing}: cannot read hive ${missing}: no such file\n`);
  const notHive = join(dir, 'SOFTWARE');
  writeFileSync(notHive, Buffer.alloc(8192, 0x41));
  r = runCli(['export', '--hive', notHive]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, `driftscan: ${notHive} @ byte 0x0: not a registry hive: signature is "AAAA", expected "regf"\n`);
  const minimal = join(sharedData, 'hives', 'hivex-minimal.hive');
  r = runCli(['export', '--hive', minimal]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^driftscan: cannot tell where .*hivex-minimal\.hive is mounted from its name: pass --prefix/);
  r = runCli(['export', '--hive', minimal, '--prefix', 'HKLM\\TEST', '--path', 'Software\\Nothing']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, `driftscan: ${minimal}: key Software not found\n`);
  r = runCli(['export', '--hive', minimal, '--prefix', 'HKLM\\TEST', '--format', 'json']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { schema: 'driftscan-snapshot/v1', keys: [{ path: 'HKLM\\TEST', exists: true, values: [], subkeys: [] }] });
});

test('a damaged hive exports what is readable, reports each problem with file and byte offset, exits 2', { skip: needShared('hives/corrupted_system_hive.xz') }, () => {
  const file = unpack('corrupted_system_hive');
  const r = runCli(['export', '--hive', file, '--prefix', 'HKLM\\SYSTEM']);
  assert.equal(r.status, 2);
  const problems = r.stderr.trimEnd().split('\n');
  assert.match(problems[0]!, /^driftscan: warning: corrupted_system_hive is damaged: hive bins stop at byte 0x/);
  assert.ok(problems.length > 1);
  for (const line of problems.slice(1)) assert.match(line, /^driftscan: .*corrupted_system_hive @ byte 0x[0-9a-f]+: /);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  const reg = parseRegFile(Buffer.from(r.stdout, 'utf8'), 'export');
  assert.ok(reg.keys.length > 400);
  assert.match(r.stdout, /^; driftscan: unreadable: /m);
});

test('names a .reg file cannot carry are left out and reported; everything else is exported', () => {
  const dword = (n: number) => Buffer.from(Uint32Array.of(n).buffer);
  const file = join(dir, 'odd.hive');
  writeFileSync(file, writeHive({
    name: 'ROOT',
    subkeys: [
      { name: 'Good', values: [{ name: 'line\nbreak', typeCode: 4, data: dword(1) }, { name: 'ok', typeCode: 4, data: dword(7) }, { name: 'text', typeCode: 1, data: Buffer.from('two\r\nlines\0', 'utf16le') }] },
      { name: 'Bad\r\nKey', values: [{ name: 'x', typeCode: 4, data: dword(2) }] },
    ],
  }));
  const r = runCli(['export', '--hive', file, '--prefix', 'HKLM\\TEST']);
  assert.equal(r.status, 2);
  const problems = r.stderr.trimEnd().split('\n').sort();
  assert.equal(problems.length, 2, r.stderr);
  assert.match(problems[0]!, /^driftscan: HKLM\\TEST\\Good: value left out of the \.reg output: value name "line\\nbreak" contains characters/);
  assert.match(problems[1]!, /^driftscan: key left out of the \.reg output: key "HKEY_LOCAL_MACHINE\\\\TEST\\\\Bad\\r\\nKey" contains a line break/);
  const reg = parseRegFile(Buffer.from(r.stdout, 'utf8'), 'export');
  assert.deepEqual(reg.keys.map((k) => [k.path.segments.join('\\'), k.values.map((v) => [v.name, v.value])]), [
    ['TEST', []],
    ['TEST\\Good', [['ok', { type: 'DWord', data: 7 }], ['text', { type: 'String', data: 'two\r\nlines' }]]],
  ]);
});

test('export --help explains the options', () => {
  const r = runCli(['export', '--help']);
  assert.equal(r.status, 0);
  for (const s of ['--hive <file>', '--path <key>', '--prefix <root>', '--format <format>', '--security', '--output <file>', 'Examples:']) assert.ok(r.stdout.includes(s), s);
});
