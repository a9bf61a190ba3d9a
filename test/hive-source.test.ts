/**
 * The hive StateSource: mounting (HKLM\<NAME>, HKU\<user>, HKCU), CurrentControlSet through
 * Select\Current, unknown answers with reasons, --windows-dir discovery, transaction-log discovery,
 * and errors naming the file. Values are checked against `hivexget` (libhivex-bin) as the oracle.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findLogs, findMachineHives, openHiveSource, type HiveSpec } from '../src/state/hive/hive-source.js';
import { Hive } from '../src/state/hive/hive.js';
import { hiveKinds, MACHINE_HIVES, type HiveKind } from '../src/windows/hives.js';
import { DriftscanError } from '../src/core/diagnostics.js';
import { parseRegistryPath } from '../src/windows/registry-path.js';
import type { KeyState, Lookup } from '../src/state/source.js';
import { needShared, repoRoot, sharedData } from './support/paths.js';
import { writeHive, type WriterKey, type WriterValue } from './support/regf-writer.js';
import { sharedHiveBytes } from './support/shared-hives.js';
import { haveReglookup, runReglookup } from './support/reglookup.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'driftscan-hive-source-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function unpack(name: string, to: string): string {
  mkdirSync(join(to, '..'), { recursive: true });
  writeFileSync(to, sharedHiveBytes(`${name}.xz`));
  return to;
}

/** `hivexget HIVE KEY VALUE`: strings as text, DWORDs in decimal. */
function hivexget(file: string, key: string, value: string): string {
  const r = spawnSync('hivexget', [file, key, value], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`hivexget failed: ${r.stderr}`);
  return r.stdout.replace(/\n$/, '');
}
const haveHivexsh = (): string | false => (spawnSync('hivexsh', ['--help']).error ? 'hivexsh is not installed (apt-get install libhivex-bin)' : false);
const haveHivex = (): string | false => (spawnSync('hivexget', ['--help']).error ? 'hivexget is not installed (apt-get install libhivex-bin)' : false);

const key = (l: Lookup<KeyState>): KeyState => {
  assert.equal(l.status, 'present', JSON.stringify(l));
  return (l as { value: KeyState }).value;
};
const p = parseRegistryPath;

test('SYSTEM: CurrentControlSet resolves through Select\\Current; values match hivexget', { skip: needShared('hives/SYSTEM.xz') || haveHivex() }, () => {
  const file = unpack('SYSTEM', join(dir, 'sys', 'SYSTEM'));
  const source = openHiveSource([{ name: 'system', file }]);
  assert.equal(source.name, `hive SYSTEM=${file}`);
  assert.deepEqual(source.notices, []);
  const current = Number(hivexget(file, '\\Select', 'Current'));
  const term = key(source.key(p('HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService')));
  assert.equal(term.path, `HKLM\\SYSTEM\\ControlSet00${current}\\services\\TermService`);
  const oracleKey = `\\ControlSet00${current}\\services\\TermService`;
  assert.deepEqual(term.value('objectname'), { type: 'String', data: hivexget(file, oracleKey, 'ObjectName') });
  assert.deepEqual(term.value('Start'), { type: 'DWord', data: Number(hivexget(file, oracleKey, 'Start')) });
  assert.deepEqual(term.value('ImagePath'), { type: 'ExpandString', data: hivexget(file, oracleKey, 'ImagePath') });
  assert.equal(term.value('NoSuchValue'), undefined);
  assert.ok(term.valueNames().includes('DependOnService'));
  const sd = term.security();
  assert.equal(sd.status, 'present');
  // Same key through the explicit control set and through HKEY_LOCAL_MACHINE spelling.
  assert.equal(key(source.key(p(`HKEY_LOCAL_MACHINE\\system\\controlset00${current}\\SERVICES\\termservice`))).path, term.path);
  assert.deepEqual(source.key(p('HKLM\\SYSTEM\\CurrentControlSet\\Services\\NoSuchService')), { status: 'absent' });
  assert.deepEqual(source.key(p('HKLM\\SOFTWARE\\Microsoft')), { status: 'unknown', reason: 'no SOFTWARE hive given (use --hive SOFTWARE=FILE, --windows-dir or --image)' });
  assert.equal(source.key(p('HKLM\\HARDWARE\\DESCRIPTION')).status, 'unknown');
  assert.equal(source.key(p('HKCU\\Software')).status, 'unknown');
  assert.deepEqual(source.serviceState('TermService'), { status: 'unknown', reason: 'service run state is only known on a live machine' });
});

test('user hives: HKU\\<name> and HKCU for the first user hive; machine hives side by side', { skip: needShared('hives/NTUSER.DAT.xz', 'hives/SAM.xz') || haveHivex() }, () => {
  const ntuser = unpack('NTUSER.DAT', join(dir, 'user', 'NTUSER.DAT'));
  const sam = unpack('SAM', join(dir, 'user', 'SAM'));
  const source = openHiveSource([{ name: 'vibranium', file: ntuser }, { name: 'SAM', file: sam }]);
  const wallpaper = hivexget(ntuser, '\\Control Panel\\Desktop', 'Wallpaper');
  for (const path of ['HKCU\\Control Panel\\Desktop', 'HKU\\VIBRANIUM\\Control Panel\\Desktop']) {
    assert.deepEqual(key(source.key(p(path))).value('Wallpaper'), { type: 'String', data: wallpaper }, path);
  }
  assert.equal(key(source.key(p('HKCU'))).path, 'HKU\\vibranium');
  assert.deepEqual(source.key(p('HKU\\someoneelse\\Software')), { status: 'unknown', reason: 'no user hive named someoneelse given (use --hive user:someoneelse=NTUSER.DAT)' });
  assert.equal(key(source.key(p('HKLM\\SAM\\SAM\\Domains'))).path, 'HKLM\\SAM\\SAM\\Domains');
  assert.equal(source.key(p('HKCR\\.txt')).status, 'unknown');
});

test('--windows-dir: volume root or Windows folder, any case; logs found case-insensitively; dirty notice', { skip: needShared('hives/SYSTEM.xz', 'hives/SECURITY.xz') }, () => {
  const root = join(dir, 'volume');
  const config = join(root, 'WINDOWS', 'system32', 'Config');
  unpack('SYSTEM', join(config, 'system'));
  unpack('SECURITY', join(config, 'SECURITY'));
  writeFileSync(join(config, 'SYSTEM.LOG1'), '');
  writeFileSync(join(config, 'system.log2'), '');
  writeFileSync(join(config, 'SOFTWARE.txt'), 'not a hive');
  for (const d of [root, join(root, 'WINDOWS')]) {
    const specs = findMachineHives(d);
    assert.deepEqual(specs.map((s) => [s.name, s.file]), [['SYSTEM', join(config, 'system')], ['SECURITY', join(config, 'SECURITY')]]);
    const source = openHiveSource([], { windowsDir: d });
    assert.equal(key(source.key(p('HKLM\\SECURITY\\Policy'))).path, 'HKLM\\SECURITY\\Policy');
    // The SECURITY hive of the sample is dirty (107/106) and has no logs next to it.
    assert.match(source.notices.join('\n'), /^SECURITY is dirty \(sequence 107\/106\) and no \.LOG1\/\.LOG2 were given/);
  }
  assert.deepEqual(findLogs(join(config, 'system')), [join(config, 'SYSTEM.LOG1'), join(config, 'system.log2')]);
  assert.deepEqual(findLogs(join(config, 'SECURITY')), []);
  // An explicit --hive wins over the one found in the folder.
  const other = unpack('SYSTEM', join(dir, 'explicit', 'SYSTEM'));
  assert.match(openHiveSource([{ name: 'SYSTEM', file: other }], { windowsDir: root }).name, /SYSTEM=.*explicit/);
  assert.throws(() => findMachineHives(join(dir, 'nowhere')), /--windows-dir .*nowhere: no such folder/);
  mkdirSync(join(dir, 'empty'));
  assert.throws(() => findMachineHives(join(dir, 'empty')), /no System32\/config folder/);
});

test('a dirty hive is read with its .LOG1/.LOG2 siblings (names in any case), and the notices say so', { skip: needShared('hives/SYSTEM_B.xz', 'hives/SYSTEM_B.LOG1.xz', 'hives/SYSTEM_B.LOG2.xz') }, () => {
  const folder = join(dir, 'dirty');
  const file = unpack('SYSTEM_B', join(folder, 'SYSTEM_B'));
  unpack('SYSTEM_B.LOG1', join(folder, 'system_b.log1'));
  unpack('SYSTEM_B.LOG2', join(folder, 'SYSTEM_B.Log2'));
  const source = openHiveSource([{ name: 'SYSTEM', file }]);
  assert.equal(source.notices[0], 'SYSTEM_B: dirty hive (sequence 1622/1621); applied 24 log entries from system_b.log1, SYSTEM_B.Log2');
  assert.equal(key(source.key(p('HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService'))).path, 'HKLM\\SYSTEM\\ControlSet001\\Services\\TermService');
  // Without the logs, the primary alone is read with a warning.
  rmSync(join(folder, 'system_b.log1'));
  rmSync(join(folder, 'SYSTEM_B.Log2'));
  assert.match(openHiveSource([{ name: 'SYSTEM', file }]).notices[0]!, /^SYSTEM_B is dirty \(sequence 1622\/1621\) and no \.LOG1\/\.LOG2 were given: reading the primary file only/);
});

test('unreadable or broken files are one DriftscanError naming the file', { skip: needShared('hives/hivex-minimal.hive') }, () => {
  const missing = join(dir, 'missing', 'SYSTEM');
  assert.throws(() => openHiveSource([{ name: 'SYSTEM', file: missing }]), (err: unknown) => {
    assert.ok(err instanceof DriftscanError);
    assert.equal(err.message, `${missing}: cannot read hive ${missing}: no such file`);
    return true;
  });
  const text = join(dir, 'SOFTWARE');
  writeFileSync(text, 'Windows Registry Editor Version 5.00\r\n'.repeat(200));
  assert.throws(() => openHiveSource([{ name: 'SOFTWARE', file: text }]), /SOFTWARE @ byte 0x0: not a registry hive: signature is "Wind", expected "regf"/);
  assert.throws(() => openHiveSource([{ name: 'SYSTEM', file: text }, { name: 'system', file: text }]), /--hive system is given twice/);
  // The root's subkey list tells what a hive is, so damage there stops the whole source.
  const bytes = Buffer.from(readFileSync(join(sharedData, 'hives', 'hivex-minimal.hive')));
  bytes.writeUInt32LE(0x00ff0000, 4096 + 32 + 4 + 28); // root subkey list offset → outside the bins
  bytes.writeUInt32LE(1, 4096 + 32 + 4 + 20);
  const damaged = join(dir, 'damaged', 'SOFTWARE');
  mkdirSync(join(dir, 'damaged'));
  writeFileSync(damaged, bytes);
  assert.throws(() => openHiveSource([{ name: 'SOFTWARE', file: damaged }]), /SOFTWARE @ byte 0x1020: subkey list of the root key at offset 0xff0000 points outside the hive bins/);
});

test('a broken key deeper down is an error for that lookup only (the evaluator reports that rule as `error`)', () => {
  const bytes = Buffer.from(writeHive({ name: 'ROOT', subkeys: [{ name: 'Microsoft', subkeys: [{ name: 'Windows' }] }, { name: 'Policies', subkeys: [{ name: 'Kept' }] }] }));
  const file = join(dir, 'deep-damage', 'SOFTWARE');
  mkdirSync(join(dir, 'deep-damage'));
  writeFileSync(file, bytes);
  const microsoft = key(openHiveSource([{ name: 'SOFTWARE', file }]).key(p('HKLM\\SOFTWARE\\Microsoft')));
  assert.equal(microsoft.path, 'HKLM\\SOFTWARE\\Microsoft');
  const nk = Hive.open(bytes, { file }).lookup(['Microsoft'])!.offset;
  bytes.writeUInt32LE(0x00ff0000, 4096 + nk + 4 + 28); // Microsoft's subkey list → outside the bins
  writeFileSync(file, bytes);
  const source = openHiveSource([{ name: 'SOFTWARE', file }]);
  assert.throws(() => source.key(p('HKLM\\SOFTWARE\\Microsoft\\Windows')), /SOFTWARE @ byte 0x[0-9a-f]+: subkey list of key "Microsoft" at offset 0xff0000 points outside the hive bins/);
  assert.equal(key(source.key(p('HKLM\\SOFTWARE\\Policies\\Kept'))).path, 'HKLM\\SOFTWARE\\Policies\\Kept');
});

// ---- fail closed (issue #8): names, hive kinds, Select\Current ------------------------------------

const dwordBytes = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
const utf16z = (s: string) => Buffer.from(`${s}\0`, 'utf16le');
const TERM = { name: 'Services', subkeys: [{ name: 'TermService', values: [{ name: 'Start', typeCode: 4, data: dwordBytes(3) }] }] };
/** A SYSTEM-shaped hive with `Select` holding `select` (none: no Select key). */
function systemHive(name: string, select: WriterValue[] | undefined, sets = ['ControlSet001']): string {
  const file = join(dir, 'kinds', name);
  mkdirSync(join(dir, 'kinds'), { recursive: true });
  const root: WriterKey = { name: 'ROOT', subkeys: [...sets.map((s) => ({ name: s, subkeys: [TERM] })), ...(select ? [{ name: 'Select', values: select }] : []), { name: 'Setup' }] };
  writeFileSync(file, writeHive(root));
  return file;
}
function hiveFile(name: string, rootKeys: string[]): string {
  const file = join(dir, 'kinds', name);
  mkdirSync(join(dir, 'kinds'), { recursive: true });
  writeFileSync(file, writeHive({ name: 'ROOT', subkeys: rootKeys.map((k) => ({ name: k })) }));
  return file;
}
const current = (typeCode: number, data: Uint8Array): WriterValue[] => [{ name: 'Current', typeCode, data }, { name: 'Default', typeCode: 4, data: dwordBytes(1) }];
const CCS = p('HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService');

test('SYSTEM: a damaged or missing Select\\Current makes CurrentControlSet lookups errors with file and offset; ControlSet00n still reads', () => {
  const good = openHiveSource([{ name: 'SYSTEM', file: systemHive('good', current(4, dwordBytes(1))) }]);
  assert.equal(key(good.key(CCS)).path, 'HKLM\\SYSTEM\\ControlSet001\\Services\\TermService');
  const cases: Array<[string, WriterValue[] | undefined, string[], RegExp]> = [
    ['type-sz', current(1, utf16z('1')), ['ControlSet001'], /Select value Current is REG_SZ, not a REG_DWORD/],
    ['type-be', current(5, dwordBytes(1)), ['ControlSet001'], /Select value Current is REG_DWORD_BIG_ENDIAN, not a REG_DWORD/],
    ['short', current(4, Buffer.from([1, 0])), ['ControlSet001'], /Select value Current is a REG_DWORD with 2 bytes of data, not 4/],
    ['zero', current(4, dwordBytes(0)), ['ControlSet001'], /Select value Current is 0, which names no ControlSet00n key/],
    ['no-set', current(4, dwordBytes(2)), ['ControlSet001'], /Select value Current is 2, but the hive has no ControlSet002 key/],
    ['no-value', [{ name: 'Default', typeCode: 4, data: dwordBytes(1) }], ['ControlSet001'], /there is no HKLM\\SYSTEM\\Select value Current/],
    ['no-select', undefined, ['ControlSet001'], /the SYSTEM hive has no Select key/],
  ];
  for (const [name, select, sets, problem] of cases) {
    const file = systemHive(name, select, sets);
    const source = openHiveSource([{ name: 'SYSTEM', file }]);
    assert.throws(() => source.key(CCS), (err: unknown) => {
      assert.ok(err instanceof DriftscanError, String(err));
      assert.match(err.message, problem, name);
      assert.ok(err.message.startsWith(`${file} @ byte 0x`), err.message);
      assert.match(err.message, /, so CurrentControlSet cannot be mapped to a ControlSet00n key \(damaged SYSTEM hive\)$/);
      return true;
    }, name);
    assert.equal(key(source.key(p('HKLM\\SYSTEM\\ControlSet001\\Services\\TermService'))).path, 'HKLM\\SYSTEM\\ControlSet001\\Services\\TermService', name);
  }
});

test('hive names: near misses of machine hives are usage errors; user:NAME is explicit; files must hold the hive they are given as', () => {
  const system = systemHive('system', current(4, dwordBytes(1)));
  const user = hiveFile('NTUSER.DAT', ['AppEvents', 'Control Panel', 'Environment', 'Software']);
  const classes = hiveFile('UsrClass.dat', ['Local Settings', 'CLSID']);
  const sam = hiveFile('sam', ['SAM']);
  const usage = (specs: HiveSpec[], re: RegExp) => assert.throws(() => openHiveSource(specs), (err: unknown) => {
    assert.ok(err instanceof DriftscanError && err.kind === 'usage', String(err));
    assert.match(err.message, re);
    return true;
  });
  const input = (specs: HiveSpec[], re: RegExp) => assert.throws(() => openHiveSource(specs), (err: unknown) => {
    assert.ok(err instanceof DriftscanError && err.kind === 'input', String(err));
    assert.match(err.message, re);
    return true;
  });
  for (const [typo, meant] of [['SYTEM', 'SYSTEM'], ['sytsem', 'SYSTEM'], ['SYSTEM32', 'SYSTEM'], ['SOFTWRE', 'SOFTWARE'], ['SECURTY', 'SECURITY'], ['SAMS', 'SAM'], ['sa', 'SAM']]) {
    usage([{ name: typo!, file: user }], new RegExp(`^--hive ${typo}=.*: "${typo}" is not a hive name driftscan knows \\(SYSTEM, SOFTWARE, SAM, SECURITY, or user:NAME for a user's NTUSER\\.DAT\\); did you mean ${meant}\\? \\(for a user named ${typo}, write --hive user:${typo}=`));
  }
  // Short user names two edits from SAM are not taken for typos.
  for (const name of ['tom', 'adam', 'kim']) assert.equal(key(openHiveSource([{ name, file: user }]).key(p(`HKU\\${name}\\Software`))).path, `HKU\\${name}\\Software`);
  // The explicit spelling mounts a user whose name looks like a hive, and any user-shaped file.
  const sams = openHiveSource([{ name: 'sams', file: user, user: true }]);
  assert.equal(key(sams.key(p('HKU\\sams\\Software'))).path, 'HKU\\sams\\Software');
  assert.equal(key(sams.key(p('HKCU\\Control Panel'))).path, 'HKU\\sams\\Control Panel');
  assert.equal(key(openHiveSource([{ name: 'alice_Classes', file: classes, user: true }]).key(p('HKU\\alice_Classes\\CLSID'))).path, 'HKU\\alice_Classes\\CLSID');
  // A bare user name (the old spelling) still works for an NTUSER.DAT-shaped file…
  assert.equal(key(openHiveSource([{ name: 'alice', file: user }]).key(p('HKCU\\Environment'))).path, 'HKU\\alice\\Environment');
  // …but not for anything else, and no spelling mounts a machine hive as a user.
  input([{ name: 'alice', file: classes }], /UsrClass\.dat @ byte 0x1020: given as --hive alice, but this is not a user hive \(NTUSER\.DAT\): that has Software and Control Panel, .* at its root, this one has root keys "CLSID", "Local Settings"; to mount it at HKU\\alice anyway, write --hive user:alice=/);
  input([{ name: 'alice', file: system }], /given as --hive alice, but this is a SYSTEM hive, not a user hive \(NTUSER\.DAT\) \(root keys "ControlSet001", "Select", "Setup"\); did you mean --hive SYSTEM=/);
  input([{ name: 'alice', file: sam, user: true }], /given as --hive user:alice, but this is a SAM hive, not a user hive/);
  // Machine hives must be what they are called.
  input([{ name: 'SYSTEM', file: sam }], /sam @ byte 0x1020: given as --hive SYSTEM, but this is a SAM hive, not a SYSTEM hive \(root keys "SAM"\); did you mean --hive SAM=/);
  input([{ name: 'software', file: user }], /given as --hive SOFTWARE, but this is a user hive \(NTUSER\.DAT\), not a SOFTWARE hive .*; did you mean --hive user:NAME=/);
  input([{ name: 'SECURITY', file: classes }], /given as --hive SECURITY, but this is not a SECURITY hive: that has a Policy key at its root, this one has root keys "CLSID", "Local Settings"$/);
  input([{ name: 'SAM', file: hiveFile('empty', []) }], /this is not a SAM hive: that has a SAM key at its root, this one has no subkeys$/);
  input([{ name: 'SYSTEM', file: hiveFile('both', ['Select', 'Microsoft']) }], /this is not a SYSTEM hive: .* this one has its root keys "Microsoft", "Select" fit a SYSTEM hive and a SOFTWARE hive$/);
  // One mount point, one file: `alice` and `user:ALICE` are the same user.
  usage([{ name: 'alice', file: user }, { name: 'ALICE', file: user, user: true }], /--hive user:ALICE is given twice/);
  usage([{ name: '', file: user, user: true }], /a user name must be non-empty and without "\\"/);
  usage([{ name: 'a\\b', file: user, user: true }], /a user name must be non-empty/);
  // --windows-dir checks what it finds the same way.
  const config = join(dir, 'kinds-volume', 'Windows', 'System32', 'config');
  mkdirSync(config, { recursive: true });
  writeFileSync(join(config, 'SYSTEM'), readFileSync(sam));
  assert.throws(() => openHiveSource([], { windowsDir: join(dir, 'kinds-volume') }), /config\/SYSTEM @ byte 0x1020: given as --windows-dir \(as SYSTEM\), but this is a SAM hive, not a SYSTEM hive \(root keys "SAM"\)$/);
});

test('every real hive is told apart by its root keys (listed by hivexsh) and opens under its own name only', { skip: needShared('hives/SYSTEM.xz', 'hives/SYSTEM_B.xz', 'hives/SAM.xz', 'hives/SECURITY.xz', 'hives/NTUSER.DAT.xz') || haveHivexsh() }, () => {
  const real: Array<[string, HiveKind]> = [['SYSTEM', 'SYSTEM'], ['SYSTEM_B', 'SYSTEM'], ['SAM', 'SAM'], ['SECURITY', 'SECURITY'], ['NTUSER.DAT', 'user']];
  const sample: Array<[string, HiveKind]> = ['SYSTEM', 'SOFTWARE'].map((h) => [join(repoRoot, 'examples', 'image', 'Windows', 'System32', 'config', h), h as HiveKind]);
  for (const [name, kind] of [...real.map(([n, k]): [string, HiveKind] => [unpack(n, join(dir, 'real', n)), k]), ...sample]) {
    const r = spawnSync('hivexsh', [name], { input: 'ls\n', encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(hiveKinds(r.stdout.split('\n').filter((l) => l !== '')), [kind], name);
    const as = kind === 'user' ? 'someone' : kind;
    assert.doesNotThrow(() => openHiveSource([{ name: as, file: name }]), name);
    for (const other of MACHINE_HIVES.filter((m) => m !== kind)) {
      assert.throws(() => openHiveSource([{ name: other, file: name }]), new RegExp(`given as --hive ${other}, but this is ${kind === 'user' ? 'a user hive' : `a ${kind} hive`}`), `${name} as ${other}`);
    }
  }
});

test('SECURITY: subkeyNames lists every subkey reglookup sees, at every level of Policy\\Accounts', { skip: needShared('hives/SECURITY.xz') || (haveReglookup() ? false : 'reglookup is not installed') }, () => {
  const file = unpack('SECURITY', join(dir, 'sec', 'SECURITY'));
  const source = openHiveSource([{ name: 'SECURITY', file }]);
  // reglookup prints one KEY row per key; group the rows under Policy\Accounts by parent.
  const expected = new Map<string, string[]>();
  for (const row of runReglookup(file, { path: 'Policy\\Accounts' })) {
    if (row.type !== 'KEY') continue;
    expected.set(row.keyPath.toUpperCase(), expected.get(row.keyPath.toUpperCase()) ?? []);
    const parent = row.keyPath.split('\\').slice(0, -1).join('\\').toUpperCase();
    if (row.keyPath.toUpperCase() !== 'POLICY\\ACCOUNTS') expected.get(parent)!.push(row.keyPath.split('\\').at(-1)!);
  }
  assert.ok(expected.size > 30, `only ${expected.size} keys`);
  for (const [path, children] of expected) {
    const listed = key(source.key(p(`HKLM\\SECURITY\\${path}`))).subkeyNames();
    assert.equal(listed.status, 'present');
    assert.deepEqual([...(listed as { value: string[] }).value].sort(), [...children].sort(), path);
  }
  assert.deepEqual(source.key(p('HKLM\\SECURITY\\Policy\\Accounts\\S-1-5-32-999')), { status: 'absent' });
});
