import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DriftscanError } from '../src/core/diagnostics.js';
import { parseRegFile } from '../src/state/reg/parse.js';
import { regFileSource } from '../src/state/reg/source.js';
import type { KeyState, Lookup, StateSource } from '../src/state/source.js';
import { parseRegistryPath } from '../src/windows/registry-path.js';
import { needShared, sharedData } from './support/paths.js';

/** The oracle needs hivexregedit (Debian libwin-hivex-perl), hivexget (libhivex-bin) and xz. */
const missingTools = (): string | false => {
  const missing = [['hivexregedit', '--help'], ['hivexget', '--help'], ['xz', '--version']].filter(([cmd, arg]) => spawnSync(cmd!, [arg!]).error).map(([cmd]) => cmd);
  return missing.length ? `${missing.join(', ')} not installed (Debian: libwin-hivex-perl, libhivex-bin, xz-utils)` : false;
};

const H = 'Windows Registry Editor Version 5.00\r\n\r\n';
const source = (body: string, name = 'examples/x.reg'): StateSource => regFileSource(parseRegFile(Buffer.from(H + body), name), name);
const lookup = (s: StateSource, p: string) => s.key(parseRegistryPath(p));
const present = (r: Lookup<KeyState>): KeyState => {
  assert.equal(r.status, 'present', JSON.stringify(r));
  return (r as { value: KeyState }).value;
};

test('coverage: present with a block, absent inside an exported subtree, unknown outside with a reason', () => {
  const s = source('[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft]\r\n"A"=dword:1\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows]\r\n\r\n');
  const k = present(lookup(s, 'hklm\\software\\policies\\MICROSOFT'));
  assert.equal(k.path, 'HKLM\\SOFTWARE\\Policies\\Microsoft');
  assert.deepEqual(k.value('a'), { type: 'DWord', data: 1 });
  assert.equal(k.value('missing'), undefined);
  assert.deepEqual(k.valueNames(), ['A']);
  present(lookup(s, 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows'));
  assert.deepEqual(lookup(s, 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\Kerberos'), { status: 'absent' });
  assert.deepEqual(lookup(s, 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Edge'), { status: 'absent' });
  assert.deepEqual(lookup(s, 'HKLM\\SYSTEM\\Kerberos'), {
    status: 'unknown',
    reason: 'examples/x.reg does not contain HKLM\\SYSTEM\\Kerberos or any of its parent keys',
  });
  // The parent of the exported subtree is outside it.
  assert.equal(lookup(s, 'HKLM\\SOFTWARE\\Policies').status, 'unknown');
  assert.equal(lookup(s, 'HKCU\\SOFTWARE\\Policies\\Microsoft').status, 'unknown');
});

test('subkeyNames: a present key lists the keys the file holds directly below it (deletions and re-creations applied)', () => {
  const s = source([
    '[HKEY_LOCAL_MACHINE\\SECURITY\\Policy\\Accounts]', '@=hex(0):', '',
    '[HKEY_LOCAL_MACHINE\\SECURITY\\Policy\\Accounts\\S-1-5-32-544\\ActSysAc]', '@=hex(0):07,04,00,00', '',
    '[HKEY_LOCAL_MACHINE\\SECURITY\\Policy\\Accounts\\S-1-5-32-555]', '',
    '[HKEY_LOCAL_MACHINE\\SECURITY\\Policy\\Accounts\\S-1-5-32-555\\ActSysAc]', '@=hex(0):00,04,00,00', '',
    '[HKEY_LOCAL_MACHINE\\SECURITY\\Policy\\Accounts\\S-1-1-0]', '',
    '[-HKEY_LOCAL_MACHINE\\SECURITY\\Policy\\Accounts\\S-1-1-0]', '',
  ].join('\r\n'));
  const accounts = present(lookup(s, 'HKLM\\SECURITY\\Policy\\Accounts'));
  // S-1-5-32-544 exists because importing its ActSysAc block creates it; S-1-1-0 was deleted.
  assert.deepEqual(accounts.subkeyNames(), { status: 'present', value: ['S-1-5-32-544', 'S-1-5-32-555'] });
  assert.deepEqual(present(lookup(s, 'HKLM\\SECURITY\\Policy\\Accounts\\s-1-5-32-544')).subkeyNames(), { status: 'present', value: ['ActSysAc'] });
  assert.deepEqual(present(lookup(s, 'HKLM\\SECURITY\\Policy\\Accounts\\S-1-5-32-555\\ActSysAc')).subkeyNames(), { status: 'present', value: [] });
  // Unusual type codes survive: REG_NONE default values as SECURITY stores them.
  assert.deepEqual(present(lookup(s, 'HKLM\\SECURITY\\Policy\\Accounts\\S-1-5-32-555\\ActSysAc')).value(''), { type: 'Other', typeCode: 0, data: new Uint8Array([0, 4, 0, 0]) });
  assert.deepEqual(lookup(s, 'HKLM\\SECURITY\\Policy\\Accounts\\S-1-1-0'), { status: 'absent' });
});

test('import semantics: later blocks merge, "v"=- deletes a value, [-key] deletes a subtree, a later block re-creates it', () => {
  const s = source([
    '[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]', '"x"="1"', '"y"="2"', '',
    '[HKEY_LOCAL_MACHINE\\SOFTWARE\\A\\B\\C]', '"z"=dword:5', '',
    '[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]', '"X"="one"', '"y"=-', '"w"=hex:01', '',
    '[-HKEY_LOCAL_MACHINE\\SOFTWARE\\A\\B]', '',
    '[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Gone]', '',
    '[HKEY_LOCAL_MACHINE\\SOFTWARE\\A\\B\\D\\E]', '',
  ].join('\r\n'));
  const a = present(lookup(s, 'HKLM\\SOFTWARE\\A'));
  assert.deepEqual(a.value('x'), { type: 'String', data: 'one' });
  assert.equal(a.value('y'), undefined);
  assert.deepEqual(a.valueNames(), ['x', 'w']);
  assert.deepEqual(lookup(s, 'HKLM\\SOFTWARE\\A\\B\\C'), { status: 'absent' });
  // regedit creates missing parents on import, so B and D exist again.
  present(lookup(s, 'HKLM\\SOFTWARE\\A\\B'));
  present(lookup(s, 'HKLM\\SOFTWARE\\A\\B\\D'));
  present(lookup(s, 'HKLM\\SOFTWARE\\A\\B\\D\\E'));
  // A deletion speaks for its subtree.
  assert.deepEqual(lookup(s, 'HKLM\\SOFTWARE\\Gone\\Sub'), { status: 'absent' });
});

test('security and service state are unknown for a .reg export', () => {
  const s = source('[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n');
  assert.deepEqual(present(lookup(s, 'HKLM\\SOFTWARE\\A')).security(), {
    status: 'unknown',
    reason: 'a .reg export carries no ACLs; use a snapshot or hives',
  });
  const st = s.serviceState('TermService');
  assert.equal(st.status, 'unknown');
  assert.match((st as { reason: string }).reason, /examples\/x\.reg.*no service run state/);
});

test('CurrentControlSet: literal blocks win; otherwise Select\\Current maps it; otherwise unknown with a reason', () => {
  const literal = source('[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\W32Time]\r\n"Start"=dword:3\r\n');
  assert.deepEqual(present(lookup(literal, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\W32Time')).value('start'), { type: 'DWord', data: 3 });
  assert.deepEqual(lookup(literal, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\W32Time\\Config'), { status: 'absent' });

  const mapped = source([
    '[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]', '"Current"=dword:00000002', '',
    '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\W32Time]', '"Start"=dword:00000004', '',
  ].join('\r\n'));
  const w = present(lookup(mapped, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\W32Time'));
  assert.equal(w.path, 'HKLM\\SYSTEM\\ControlSet002\\Services\\W32Time');
  assert.deepEqual(w.value('Start'), { type: 'DWord', data: 4 });
  assert.deepEqual(lookup(mapped, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\W32Time\\Parameters'), { status: 'absent' });
  const other = lookup(mapped, 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa');
  assert.equal(other.status, 'unknown');
  assert.match((other as { reason: string }).reason, /ControlSet002\\Control\\Lsa \(HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\)/);

  const none = source('[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\W32Time]\r\n');
  const r = lookup(none, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\W32Time');
  assert.equal(r.status, 'unknown');
  assert.match((r as { reason: string }).reason, /no CurrentControlSet keys, and there is no HKLM\\SYSTEM\\Select value Current/);
});

test('CurrentControlSet: a Select\\Current that is there but unusable is damage (error at its line), a missing one is unknown', () => {
  const withSelect = (current: string) => source([
    '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\W32Time]', '"Start"=dword:00000004', '',
    '[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]', '"Default"=dword:00000001', current, '',
  ].join('\r\n'));
  const ccs = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\W32Time';
  for (const [line, problem] of [
    ['"Current"="1"', 'is REG_SZ, not a REG_DWORD'],
    ['"Current"=hex(5):00,00,00,01', 'is REG_DWORD_BIG_ENDIAN, not a REG_DWORD'],
    ['"Current"=hex(4):01,00,00', 'is a REG_DWORD with 3 bytes of data, not 4'],
    ['"Current"=dword:00000000', 'is 0, which names no ControlSet00n key'],
    ['"Current"=dword:000003e8', 'is 1000, which names no ControlSet00n key'],
  ] as const) {
    // Line 8: the header, a blank line, then the value is the 6th line of the body.
    assert.throws(() => lookup(withSelect(line), ccs), (err: unknown) => {
      assert.ok(err instanceof DriftscanError, String(err));
      assert.equal(err.message, `examples/x.reg:8:1: HKLM\\SYSTEM\\Select value Current ${problem}, so CurrentControlSet cannot be mapped to a ControlSet00n key`);
      return true;
    }, line);
  }
  // Paths that do not go through CurrentControlSet are unaffected.
  assert.deepEqual(present(lookup(withSelect('"Current"="1"'), 'HKLM\\SYSTEM\\ControlSet001\\Services\\W32Time')).value('Start'), { type: 'DWord', data: 4 });
  // Deleted or never exported: the export simply does not say which control set is current.
  for (const line of ['"Current"=-', '']) assert.equal(lookup(withSelect(line), ccs).status, 'unknown', line);
  assert.equal(present(lookup(withSelect('"Current"=dword:00000001'), ccs)).path, 'HKLM\\SYSTEM\\ControlSet001\\Services\\W32Time');
});

test('real data: hivexregedit export of a whole ControlSet001\\Services subtree plus Select, read through CurrentControlSet', { skip: needShared('hives/SYSTEM.xz') || missingTools() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-regsrc-'));
  try {
    const hive = join(dir, 'SYSTEM');
    writeFileSync(hive, execFileSync('xz', ['-dc', join(sharedData, 'hives', 'SYSTEM.xz')], { maxBuffer: 64 * 1024 * 1024 }));
    const exp = (key: string) => execFileSync('hivexregedit', ['--export', '--prefix', 'HKEY_LOCAL_MACHINE\\SYSTEM', hive, key], { maxBuffer: 256 * 1024 * 1024 }).toString('utf8');
    // Two exports concatenated, the second without its header line, as a user might merge them.
    const text = exp('\\ControlSet001\\Services') + exp('\\Select').replace(/^Windows Registry Editor Version 5\.00\r?\n/, '');
    const started = performance.now();
    const s = regFileSource(parseRegFile(Buffer.from(text), 'system.reg'), 'system.reg');
    const ms = performance.now() - started;
    const ts = present(lookup(s, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService'));
    assert.match(ts.path, /ControlSet001\\services\\TermService$/i);
    const objectName = execFileSync('hivexget', [hive, '\\ControlSet001\\Services\\TermService', 'ObjectName'], { encoding: 'utf8' }).trim();
    assert.deepEqual(ts.value('ObjectName'), { type: 'String', data: objectName });
    assert.deepEqual(ts.value('Start'), { type: 'DWord', data: Number(execFileSync('hivexget', [hive, '\\ControlSet001\\Services\\TermService', 'Start'], { encoding: 'utf8' }).trim()) });
    assert.deepEqual(lookup(s, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\NoSuchService'), { status: 'absent' });
    assert.equal(lookup(s, 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa').status, 'unknown');
    assert.ok(ms < 5000, `parse + index took ${ms.toFixed(0)} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
