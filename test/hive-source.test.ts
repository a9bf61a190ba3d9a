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
import { findLogs, findMachineHives, openHiveSource } from '../src/state/hive/hive-source.js';
import { DriftscanError } from '../src/core/diagnostics.js';
import { parseRegistryPath } from '../src/windows/registry-path.js';
import type { KeyState, Lookup } from '../src/state/source.js';
import { needShared, sharedData } from './support/paths.js';
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
  assert.deepEqual(source.key(p('HKLM\\SOFTWARE\\Microsoft')), { status: 'unknown', reason: 'no SOFTWARE hive given (use --hive SOFTWARE=FILE or --windows-dir)' });
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
  assert.deepEqual(source.key(p('HKU\\someoneelse\\Software')), { status: 'unknown', reason: 'no user hive named someoneelse given (use --hive someoneelse=NTUSER.DAT)' });
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
  // A broken key is an error for that lookup only (the evaluator reports that rule as `error`).
  const bytes = Buffer.from(readFileSync(join(sharedData, 'hives', 'hivex-minimal.hive')));
  bytes.writeUInt32LE(0x00ff0000, 4096 + 32 + 4 + 28); // root subkey list offset → outside the bins
  bytes.writeUInt32LE(1, 4096 + 32 + 4 + 20);
  const damaged = join(dir, 'damaged', 'SOFTWARE');
  mkdirSync(join(dir, 'damaged'));
  writeFileSync(damaged, bytes);
  const source = openHiveSource([{ name: 'SOFTWARE', file: damaged }]);
  assert.equal(key(source.key(p('HKLM\\SOFTWARE'))).valueNames().length, 0);
  assert.throws(() => source.key(p('HKLM\\SOFTWARE\\Microsoft')), /SOFTWARE @ byte 0x1020: subkey list of the root key at offset 0xff0000 points outside the hive bins/);
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
