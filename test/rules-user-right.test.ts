/**
 * `userRight` end to end. Oracles: reglookup's reading of the real SECURITY hive (decoded here, by
 * hand, from its %XX output) and Microsoft's documented default assignments, which that hive (a
 * Windows 10 workstation) carries; hivexregedit for an independently written `.reg` export; the
 * generated collector and the DriftscanDsc resource run under pwsh against a fake registry built
 * from reglookup's rows.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadBaselineText } from '../src/baseline/load.js';
import { evaluate } from '../src/evaluate/evaluator.js';
import { compileConfiguration } from '../src/compile/configuration.js';
import { readMof } from '../src/compile/mof-reader.js';
import { DriftscanError } from '../src/core/diagnostics.js';
import { parseRegFile } from '../src/state/reg/parse.js';
import { regFileSource } from '../src/state/reg/source.js';
import { snapshotSource } from '../src/state/snapshot/source.js';
import type { StateSource } from '../src/state/source.js';
import { decodePrivilegeSet, decodeSystemAccess } from '../src/rules/user-right/decode.js';
import { USER_RIGHTS } from '../src/rules/user-right/rights.js';
import type { RuleResult } from '../src/evaluate/result.js';
import { runCli } from './support/cli.js';
import { needShared, repoRoot } from './support/paths.js';
import { sharedHiveFile } from './support/shared-hives.js';
import { haveReglookup, runReglookup, unquoteBytes } from './support/reglookup.js';
import { fakeMachineFile, needPwsh, pwshParseErrors, runCollector, runPwshFile, writeEngineModule, type FakeRegistry, type FakeValue } from './support/pwsh.js';
import { baselineHeader, ruleYaml } from './support/baseline-yaml.js';

const dir = mkdtempSync(join(tmpdir(), 'driftscan-user-right-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TODAY = { today: '2026-11-24' };
const rule = (id: string, body: string) => ruleYaml(id, `userRight:\n${body.split('\n').map((l) => `  ${l}`).join('\n')}`);
const baseline = (rules: string, extra = '') => baselineHeader('user-rights', extra) + rules;
const load = (rules: string, extra = '') => loadBaselineText(baseline(rules, extra), 'ur.yaml', TODAY);
const results = (rules: string, source: StateSource): RuleResult[] => evaluate([load(rules)], source).results;

function loadError(rules: string): string {
  try {
    load(rules);
  } catch (err) {
    assert.ok(err instanceof DriftscanError, String(err));
    return err.message;
  }
  assert.fail('expected a validation error');
}

/** A `.reg` source from lines (Windows Registry Editor 5.00 header added). */
const reg = (lines: string[], name = 'hand.reg'): StateSource =>
  regFileSource(parseRegFile(Buffer.from(['Windows Registry Editor Version 5.00', '', ...lines, ''].join('\r\n')), name), name);
const A = 'HKEY_LOCAL_MACHINE\\SECURITY\\Policy\\Accounts';
/** One account as LSA stores it: Sid, optional ActSysAc flags and privilege LUIDs. */
function account(sid: string, flags?: number, privileges?: number[]): string[] {
  const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(',');
  const sidBytes = encodeSidForTest(sid);
  const out = [`[${A}\\${sid}]`, '@=hex(3):', '', `[${A}\\${sid}\\Sid]`, `@=hex(0):${hex(sidBytes)}`, ''];
  if (flags !== undefined) {
    const b = Buffer.alloc(4); b.writeUInt32LE(flags);
    out.push(`[${A}\\${sid}\\ActSysAc]`, `@=hex(0):${hex(b)}`, '');
  }
  if (privileges !== undefined) out.push(`[${A}\\${sid}\\Privilgs]`, `@=hex(0):${hex(privilegeSet(privileges))}`, '');
  return out;
}
function privilegeSet(luids: number[]): Buffer {
  const b = Buffer.alloc(8 + 12 * luids.length);
  b.writeUInt32LE(luids.length, 0);
  luids.forEach((l, i) => { b.writeUInt32LE(l, 8 + 12 * i); b.writeUInt32LE(3, 16 + 12 * i); });
  return b;
}
/** MS-DTYP 2.4.2.2, written out here rather than borrowed from src/. */
function encodeSidForTest(sid: string): Buffer {
  const [, , authority, ...subs] = sid.split('-');
  const b = Buffer.alloc(8 + 4 * subs.length);
  b[0] = 1; b[1] = subs.length; b.writeUIntBE(Number(authority), 2, 6);
  subs.forEach((s, i) => b.writeUInt32LE(Number(s), 8 + 4 * i));
  return b;
}

test('parse: constant names in any case, "did you mean" for typos, accounts by SID, conflicts named at file:line:col', () => {
  const ok = load(rule('r', 'right: seremoteinteractivelogonright\nincludes: [Remote Desktop Users, { sid: S-1-5-21-1-2-3-1001, name: CONTOSO\\rdp }]'));
  const check = ok.rules[0]!.check as { right: { name: string }; includes: Array<{ sid: string }> };
  assert.equal(check.right.name, 'SeRemoteInteractiveLogonRight');
  assert.deepEqual(check.includes.map((i) => i.sid), ['S-1-5-32-555', 'S-1-5-21-1-2-3-1001']);

  assert.match(loadError(rule('r', 'right: SeRemoteInteractiveLogon\nincludes: [Administrators]')),
    /^ur\.yaml:\d+:\d+: unknown user right "SeRemoteInteractiveLogon"; did you mean SeRemoteInteractiveLogonRight\?$/);
  assert.match(loadError(rule('r', 'right: SeDebugPrivelege\nincludes: [Administrators]')), /did you mean SeDebugPrivilege\?$/);
  assert.match(loadError(rule('r', 'right: Allow log on locally\nincludes: [Administrators]')),
    /unknown user right "Allow log on locally" \(use the constant name, such as SeRemoteInteractiveLogonRight or SeBackupPrivilege\)$/);
  assert.match(loadError(rule('r', 'right: SeBackupPrivilege')), /^ur\.yaml:\d+:\d+: say who holds the right: includes, excludes or exactly$/);
  assert.match(loadError(rule('r', 'right: SeBackupPrivilege\nexactly: []\nincludes: [Administrators]')), /exactly cannot be combined with includes or excludes/);
  assert.match(loadError(rule('r', 'right: SeBackupPrivilege\nincludes: [Administrators]\nexcludes: [Users, S-1-5-32-544]')),
    /^ur\.yaml:\d+:\d+: BUILTIN\\Administrators \(S-1-5-32-544\) is in both includes and excludes$/);
  assert.match(loadError(rule('r', 'right: SeBackupPrivilege\nincludes: [Administrators, BUILTIN\\Administrators]')), /is listed twice in includes/);
  assert.match(loadError(rule('r', 'right: SeBackupPrivilege\nincludes: [Adminstrators]')), /unknown identity "Adminstrators".*did you mean/);
  assert.match(loadError(rule('r', 'right: SeBackupPrivilege\nincludes: []')), /"includes"/);
  assert.match(loadError(rule('r', 'right: SeBackupPrivilege\nexactly: [Administrators]\nholders: []')), /unknown key "holders"/);
  // The location is the offending property: line of `right:` in the rule.
  const text = baseline(rule('r', 'right: SeBackupPrivlege\nincludes: [Administrators]'));
  const line = text.split('\n').findIndex((l) => l.includes('SeBackupPrivlege')) + 1;
  assert.match(loadError(rule('r', 'right: SeBackupPrivlege\nincludes: [Administrators]')), new RegExp(`^ur\\.yaml:${line}:`));
});

test('parameters: account lists can come from spec.parameters and --param', () => {
  const text = baselineHeader('p').replace('  rules:\n', '  parameters:\n    rdp: { type: array, default: [BUILTIN\\Remote Desktop Users] }\n  rules:\n') +
    rule('r', 'right: SeRemoteInteractiveLogonRight\nincludes: { param: rdp }');
  const source = reg([`[${A}]`, '', ...account('S-1-5-32-544', 0x400)]);
  assert.equal(evaluate([loadBaselineText(text, 'p.yaml', TODAY)], source).results[0]!.status, 'fail');
  const b = loadBaselineText(text, 'p.yaml', { ...TODAY, parameters: { rdp: 'Administrators' } });
  assert.equal(evaluate([b], source).results[0]!.status, 'pass');
});

test('evaluation: includes, excludes, exactly and nobody, worded "expected …, found granted to …"', () => {
  const source = reg([
    `[${A}]`, '@=hex(0):', '',
    ...account('S-1-5-32-555', 0x400),
    ...account('S-1-5-32-544', 0x407, [17, 20, 29]),
    ...account('S-1-1-0', 0x2, [23]),
    ...account('S-1-5-32-546', 0x0),
  ]);
  const r = results([
    rule('inc', 'right: SeRemoteInteractiveLogonRight\nincludes: [BUILTIN\\Remote Desktop Users]'),
    rule('inc-miss', 'right: SeBackupPrivilege\nincludes: [Backup Operators]'),
    rule('exc', 'right: SeNetworkLogonRight\nexcludes: [Guests]'),
    rule('exc-hit', 'right: SeNetworkLogonRight\nincludes: [Administrators]\nexcludes: [Everyone]'),
    rule('exact', 'right: SeDebugPrivilege\nexactly: [Administrators]'),
    rule('exact-extra', 'right: SeRemoteInteractiveLogonRight\nexactly: [Administrators]'),
    rule('nobody', 'right: SeDenyRemoteInteractiveLogonRight\nexactly: []'),
    rule('nobody-fail', 'right: SeChangeNotifyPrivilege\nexactly: []'),
  ].join(''), source);
  const by = Object.fromEntries(r.map((x) => [x.ruleId, x]));
  assert.deepEqual(r.map((x) => [x.ruleId, x.status]), [
    ['inc', 'pass'], ['inc-miss', 'fail'], ['exc', 'pass'], ['exc-hit', 'fail'], ['exact', 'pass'], ['exact-extra', 'fail'], ['nobody', 'pass'], ['nobody-fail', 'fail'],
  ]);
  assert.equal(by['inc-miss']!.message, 'expected SeBackupPrivilege granted to BUILTIN\\Backup Operators (S-1-5-32-551), found granted to BUILTIN\\Administrators (S-1-5-32-544)');
  assert.equal(by['exc-hit']!.message,
    'expected SeNetworkLogonRight granted to BUILTIN\\Administrators (S-1-5-32-544) and not granted to Everyone (S-1-1-0), found granted to Everyone (S-1-1-0), BUILTIN\\Administrators (S-1-5-32-544)');
  assert.equal(by['exact-extra']!.message,
    'expected SeRemoteInteractiveLogonRight granted to exactly BUILTIN\\Administrators (S-1-5-32-544), found granted to BUILTIN\\Administrators (S-1-5-32-544), BUILTIN\\Remote Desktop Users (S-1-5-32-555)');
  assert.equal(by['nobody']!.message, 'expected SeDenyRemoteInteractiveLogonRight granted to nobody, found granted to nobody');
  assert.equal(by['inc']!.target, 'HKLM\\SECURITY\\Policy\\Accounts');

  // No Accounts key at all: nobody holds anything.
  const empty = results(rule('e', 'right: SeRemoteInteractiveLogonRight\nincludes: [Administrators]'), reg(['[HKEY_LOCAL_MACHINE\\SECURITY\\Policy]', '']));
  assert.equal(empty[0]!.message, 'expected SeRemoteInteractiveLogonRight granted to BUILTIN\\Administrators (S-1-5-32-544), found granted to nobody');
});

test('damaged policy data is an error verdict naming the key, never a pass or a crash', () => {
  const FLAGS = 'SeRemoteInteractiveLogonRight';
  const PRIVS = 'SeBackupPrivilege';
  const sidHex = (sid: string) => [...encodeSidForTest(sid)].map((b) => b.toString(16).padStart(2, '0')).join(',');
  const cases: Array<[string, string, string[], RegExp]> = [
    ['short flags', FLAGS, [`[${A}\\S-1-5-32-544\\ActSysAc]`, '@=hex(0):00,04', ''], /Accounts\\S-1-5-32-544\\ActSysAc: default value: system access flags are 2 bytes; expected 4$/],
    ['privilege count too big', PRIVS, [`[${A}\\S-1-5-32-544\\Privilgs]`, '@=hex(0):02,00,00,00,00,00,00,00,11,00,00,00,00,00,00,00,00,00,00,00', ''],
      /Accounts\\S-1-5-32-544\\Privilgs: default value: privilege set at byte 0x0 says 2 privileges \(32 bytes\) but holds 20 bytes$/],
    ['privilege header cut', PRIVS, [`[${A}\\S-1-5-32-544\\Privilgs]`, '@=hex(0):01,00', ''], /shorter than its 8-byte header$/],
    ['wrong SID', PRIVS, [`[${A}\\S-1-5-32-544\\Sid]`, `@=hex(0):${sidHex('S-1-5-32-545')}`, ''],
      /Accounts\\S-1-5-32-544\\Sid: default value holds SID S-1-5-32-545, but the account key is named S-1-5-32-544$/],
    ['truncated SID', FLAGS, [`[${A}\\S-1-5-32-544\\Sid]`, '@=hex(0):01,02,00,00', ''], /Sid: default value: SID at offset 0 is truncated/],
    ['string data', FLAGS, [`[${A}\\S-1-5-32-544\\ActSysAc]`, '@="1024"', ''], /ActSysAc: default value is a string, not binary data$/],
    ['no default value', FLAGS, [`[${A}\\S-1-5-32-544\\ActSysAc]`, '"x"=dword:1', ''], /ActSysAc: the key has no default value/],
    ['not a SID', PRIVS, [`[${A}\\Administrators]`, ''], /Accounts\\Administrators: account key name is not a SID$/],
  ];
  for (const [what, right, lines, message] of cases) {
    const [r] = results(rule('r', `right: ${right}\nexcludes: [Everyone]`), reg([`[${A}]`, '', ...lines]));
    assert.equal(r!.status, 'error', what);
    assert.match(r!.message, /^could not evaluate: HKLM\\SECURITY\\Policy\\Accounts\\/, what);
    assert.match(r!.message, message, what);
  }
  // Through the CLI: an error verdict exits 2.
  const file = join(dir, 'damaged.reg');
  writeFileSync(file, ['Windows Registry Editor Version 5.00', '', `[${A}]`, '', `[${A}\\S-1-5-32-544\\Privilgs]`, '@=hex(0):01', ''].join('\r\n'));
  const yaml = join(dir, 'damaged.yaml');
  writeFileSync(yaml, baseline(rule('r', 'right: SeBackupPrivilege\nincludes: [Administrators]')));
  const cli = runCli(['check', yaml, '--reg', file, '--format', 'json']);
  assert.equal(cli.status, 2, cli.stderr);
  assert.equal((JSON.parse(cli.stdout) as { results: RuleResult[] }).results[0]!.status, 'error');
});

test('decoders: any bytes give a result or an Error saying what is wrong, never an out-of-bounds read (property)', () => {
  const bytes = fc.uint8Array({ maxLength: 80 });
  fc.assert(fc.property(bytes, (b) => {
    for (const decode of [decodeSystemAccess, decodePrivilegeSet]) {
      try {
        decode(b);
      } catch (err) {
        assert.equal((err as Error).constructor, Error, String(err));
        assert.match((err as Error).message, /bytes/);
      }
    }
  }), { numRuns: 2000 });
  // Well-formed sets (with any attributes and LUID high parts) decode to exactly what was written.
  const entry = fc.record({ low: fc.nat({ max: 0xffffffff }), high: fc.integer({ min: -0x80000000, max: 0x7fffffff }), attributes: fc.nat({ max: 0xffffffff }) });
  fc.assert(fc.property(fc.array(entry, { maxLength: 40 }), fc.nat({ max: 0xffffffff }), (entries, control) => {
    const b = Buffer.alloc(8 + 12 * entries.length);
    b.writeUInt32LE(entries.length, 0); b.writeUInt32LE(control, 4);
    entries.forEach((e, i) => { b.writeUInt32LE(e.low, 8 + 12 * i); b.writeInt32LE(e.high, 12 + 12 * i); b.writeUInt32LE(e.attributes, 16 + 12 * i); });
    assert.deepEqual(decodePrivilegeSet(b), entries.map((e) => ({ ...e })));
    // Any other length for the same count is refused.
    assert.throws(() => decodePrivilegeSet(Buffer.concat([b, Buffer.alloc(1)])), /holds/);
  }));
  fc.assert(fc.property(fc.nat({ max: 0xffffffff }), (flags) => {
    const b = Buffer.alloc(4); b.writeUInt32LE(flags);
    assert.equal(decodeSystemAccess(b), flags);
  }));
});

// --- The real SECURITY hive -----------------------------------------------------------------------

const haveTools = (): string | false => needShared('hives/SECURITY.xz') || (haveReglookup() ? false : 'reglookup is not installed');

/** Flag bits and LUIDs as ntlsa.h and winnt.h define them, transcribed here independently of src/. */
const FLAG: Record<string, number> = {
  SeInteractiveLogonRight: 0x1, SeNetworkLogonRight: 0x2, SeBatchLogonRight: 0x4, SeServiceLogonRight: 0x10,
  SeDenyInteractiveLogonRight: 0x40, SeDenyNetworkLogonRight: 0x80, SeDenyBatchLogonRight: 0x100, SeDenyServiceLogonRight: 0x200,
  SeRemoteInteractiveLogonRight: 0x400, SeDenyRemoteInteractiveLogonRight: 0x800,
};
const LUID: Record<string, number> = {
  SeCreateTokenPrivilege: 2, SeAssignPrimaryTokenPrivilege: 3, SeLockMemoryPrivilege: 4, SeIncreaseQuotaPrivilege: 5, SeMachineAccountPrivilege: 6,
  SeTcbPrivilege: 7, SeSecurityPrivilege: 8, SeTakeOwnershipPrivilege: 9, SeLoadDriverPrivilege: 10, SeSystemProfilePrivilege: 11,
  SeSystemtimePrivilege: 12, SeProfileSingleProcessPrivilege: 13, SeIncreaseBasePriorityPrivilege: 14, SeCreatePagefilePrivilege: 15,
  SeCreatePermanentPrivilege: 16, SeBackupPrivilege: 17, SeRestorePrivilege: 18, SeShutdownPrivilege: 19, SeDebugPrivilege: 20,
  SeAuditPrivilege: 21, SeSystemEnvironmentPrivilege: 22, SeChangeNotifyPrivilege: 23, SeRemoteShutdownPrivilege: 24, SeUndockPrivilege: 25,
  SeSyncAgentPrivilege: 26, SeEnableDelegationPrivilege: 27, SeManageVolumePrivilege: 28, SeImpersonatePrivilege: 29,
  SeCreateGlobalPrivilege: 30, SeTrustedCredManAccessPrivilege: 31, SeRelabelPrivilege: 32, SeIncreaseWorkingSetPrivilege: 33,
  SeTimeZonePrivilege: 34, SeCreateSymbolicLinkPrivilege: 35, SeDelegateSessionUserImpersonatePrivilege: 36,
};

/** Who holds each right, per reglookup's dump of Policy\Accounts, decoded here. */
function oracleHolders(file: string): Map<string, string[]> {
  const rows = runReglookup(file, { path: 'Policy\\Accounts' });
  const data = (sid: string, sub: string): Buffer | undefined => {
    const row = rows.find((r) => r.valueName === '' && r.keyPath === `Policy\\Accounts\\${sid}\\${sub}`);
    return row ? (row.value === '(null)' ? Buffer.alloc(0) : unquoteBytes(row.value)) : undefined;
  };
  const sids = rows.filter((r) => r.type === 'KEY' && /^Policy\\Accounts\\[^\\]+$/.test(r.keyPath)).map((r) => r.keyPath.split('\\')[2]!);
  const out = new Map<string, string[]>();
  for (const name of USER_RIGHTS.map((r) => r.name)) out.set(name, []);
  for (const sid of sids) {
    const flags = data(sid, 'ActSysAc');
    const privs = data(sid, 'Privilgs');
    for (const [name, bit] of Object.entries(FLAG)) if (flags && (flags.readUInt32LE(0) & bit)) out.get(name)!.push(sid);
    if (privs) {
      const count = privs.readUInt32LE(0);
      assert.equal(privs.length, 8 + 12 * count, `${sid} Privilgs size`);
      for (let i = 0; i < count; i++) {
        const luid = privs.readUInt32LE(8 + 12 * i);
        const name = Object.entries(LUID).find(([, v]) => v === luid)?.[0];
        if (name) out.get(name)!.push(sid);
      }
    }
  }
  return out;
}

test('real SECURITY hive: every right names exactly the accounts reglookup shows, and Microsoft\'s documented defaults', { skip: haveTools() }, () => {
  const file = sharedHiveFile('SECURITY.xz');
  assert.deepEqual(Object.keys(FLAG).concat(Object.keys(LUID)).sort(), USER_RIGHTS.map((r) => r.name).sort(), 'the test knows every right');
  const holders = oracleHolders(file);
  const rules = USER_RIGHTS.map((r, i) => rule(`r${i}`, `right: ${r.name}\nexactly: [${holders.get(r.name)!.join(', ')}]`)).join('');
  const yaml = join(dir, 'all-rights.yaml');
  writeFileSync(yaml, baseline(rules));
  const cli = runCli(['check', yaml, '--hive', `SECURITY=${file}`, '--format', 'json']);
  assert.equal(cli.status, 0, cli.stdout + cli.stderr);
  const out = (JSON.parse(cli.stdout) as { results: RuleResult[] }).results;
  assert.equal(out.length, USER_RIGHTS.length);
  for (const r of out) assert.equal(r.status, 'pass', r.message);
  assert.ok([...holders.values()].filter((h) => h.length > 0).length >= 15, 'the hive assigns many rights');

  // Windows 10 defaults (learn.microsoft.com, "User Rights Assignment" policy pages), by SID.
  const sorted = (sids: string[]) => [...sids].sort();
  const guest = holders.get('SeDenyNetworkLogonRight')![0]!;
  assert.match(guest, /^S-1-5-21-\d+-\d+-\d+-501$/, 'Guest (RID 501) is denied network logon');
  const defaults: Record<string, string[]> = {
    SeRemoteInteractiveLogonRight: ['S-1-5-32-544', 'S-1-5-32-555'],
    SeNetworkLogonRight: ['S-1-1-0', 'S-1-5-32-544', 'S-1-5-32-545', 'S-1-5-32-551'],
    SeInteractiveLogonRight: [guest, 'S-1-5-32-544', 'S-1-5-32-545', 'S-1-5-32-551'],
    SeBatchLogonRight: ['S-1-5-32-544', 'S-1-5-32-551', 'S-1-5-32-559'],
    SeServiceLogonRight: ['S-1-5-80-0'],
    SeDenyInteractiveLogonRight: [guest],
    SeBackupPrivilege: ['S-1-5-32-544', 'S-1-5-32-551'],
    SeDebugPrivilege: ['S-1-5-32-544'],
    SeImpersonatePrivilege: ['S-1-5-19', 'S-1-5-20', 'S-1-5-32-544', 'S-1-5-6'],
    SeShutdownPrivilege: ['S-1-5-32-544', 'S-1-5-32-545', 'S-1-5-32-551'],
  };
  for (const [right, sids] of Object.entries(defaults)) assert.deepEqual(sorted(holders.get(right)!), sorted(sids), right);
});

/** FakeRegistry (for the collector under pwsh) holding what reglookup shows below Policy\Accounts. */
function fakeRegistryFromHive(file: string): FakeRegistry {
  const registry: FakeRegistry = {};
  for (const row of runReglookup(file, { path: 'Policy\\Accounts' })) {
    const path = `HKLM\\SECURITY\\${row.keyPath}`;
    registry[path] ??= { values: [] };
    if (row.type === 'KEY') continue;
    const kinds: Record<string, FakeValue['kind']> = { NONE: 'None', BINARY: 'Binary' };
    assert.ok(kinds[row.type], `value type ${row.type} at ${path}`);
    const bytes = row.value === '(null)' ? Buffer.alloc(0) : unquoteBytes(row.value);
    registry[path]!.values!.push({ name: row.valueName!, kind: kinds[row.type]!, data: bytes.toString('hex') } as FakeValue);
  }
  return registry;
}

test('the same verdicts and wording from the hive, .reg exports (hivexregedit, driftscan), export JSON and the collector', { skip: haveTools() }, () => {
  const file = sharedHiveFile('SECURITY.xz');
  const rules = [
    rule('rdp-users', 'right: SeRemoteInteractiveLogonRight\nincludes: [BUILTIN\\Remote Desktop Users]'),
    rule('rdp-admins-only', 'right: SeRemoteInteractiveLogonRight\nexactly: [BUILTIN\\Administrators]'),
    rule('rdp-not-denied', 'right: SeDenyRemoteInteractiveLogonRight\nexcludes: [BUILTIN\\Remote Desktop Users, Everyone]'),
    rule('debug', 'right: SeDebugPrivilege\nexactly: [Administrators]'),
    rule('network-nobody', 'right: SeNetworkLogonRight\nexactly: []'),
    rule('impersonate', 'right: SeImpersonatePrivilege\nincludes: [NT AUTHORITY\\SERVICE, Users]'),
  ].join('');
  const yaml = join(dir, 'same.yaml');
  writeFileSync(yaml, baseline(rules));
  const check = (...args: string[]) => {
    const r = runCli(['check', yaml, ...args, '--format', 'json']);
    assert.equal(r.status, 1, r.stderr);
    return (JSON.parse(r.stdout) as { results: RuleResult[] }).results.map((x) => ({ id: x.ruleId, status: x.status, message: x.message }));
  };
  const fromHive = check('--hive', `SECURITY=${file}`);
  assert.deepEqual(fromHive.map((r) => r.status), ['pass', 'fail', 'pass', 'pass', 'fail', 'fail']);
  assert.equal(fromHive[1]!.message,
    'expected SeRemoteInteractiveLogonRight granted to exactly BUILTIN\\Administrators (S-1-5-32-544), found granted to BUILTIN\\Administrators (S-1-5-32-544), BUILTIN\\Remote Desktop Users (S-1-5-32-555)');

  // An export written by another tool, as `reg export` as SYSTEM would (hex(0): default values).
  const hivex = spawnSync('hivexregedit', ['--export', '--prefix', 'HKEY_LOCAL_MACHINE\\SECURITY', file, '\\Policy\\Accounts'], { encoding: 'utf8' });
  if (!hivex.error) {
    assert.equal(hivex.status, 0, hivex.stderr);
    assert.match(hivex.stdout, /@=hex\(0\):07,04,00,00/);
    const hivexReg = join(dir, 'hivex-accounts.reg');
    writeFileSync(hivexReg, hivex.stdout);
    assert.deepEqual(check('--reg', hivexReg), fromHive, 'hivexregedit .reg');
  }
  const ownReg = join(dir, 'accounts.reg');
  assert.equal(runCli(['export', '--hive', file, '--path', 'Policy\\Accounts', '--output', ownReg]).status, 0);
  assert.deepEqual(check('--reg', ownReg), fromHive, 'driftscan export .reg');
  const json = join(dir, 'accounts.json');
  assert.equal(runCli(['export', '--hive', file, '--path', 'Policy\\Accounts', '--format', 'json', '--output', json]).status, 0);
  assert.deepEqual(check('--snapshot', json), fromHive, 'driftscan export JSON');

  if (needPwsh()) return;
  // The collector, generated by the CLI, run as SYSTEM would see the registry.
  const script = runCli(['collector', yaml]);
  assert.equal(script.status, 0, script.stderr);
  assert.match(script.stdout, /#   key HKLM\\SECURITY\\Policy\\Accounts: existence; subkeys 2 levels down, each with values \(default\) and its subkey names/);
  assert.match(script.stdout, /only SYSTEM can read: run it as SYSTEM/);
  assert.deepEqual(pwshParseErrors(script.stdout), []);
  const run = runCollector(script.stdout, fakeRegistryFromHive(file));
  assert.equal(run.status, 0, run.stderr);
  const collected = join(dir, 'collected.json');
  writeFileSync(collected, run.stdout);
  assert.deepEqual(check('--snapshot', collected), fromHive, 'collector snapshot');
});

test('collector run as administrator: SECURITY is access denied, the rules are skipped saying to run as SYSTEM', { skip: needPwsh() }, () => {
  const yaml = join(dir, 'admin.yaml');
  writeFileSync(yaml, baseline(rule('rdp-users', 'right: SeRemoteInteractiveLogonRight\nincludes: [BUILTIN\\Remote Desktop Users]')));
  const script = runCli(['collector', yaml]);
  assert.equal(script.status, 0, script.stderr);
  const run = runCollector(script.stdout, { 'HKLM\\SECURITY': { denied: 'Requested registry access is not allowed.' } });
  assert.equal(run.status, 0, run.stderr);
  const snap = join(dir, 'admin.json');
  writeFileSync(snap, run.stdout);
  // Every rule skipped: the gate fails closed (exit 2) and says why, unless the user accepts it.
  const r = runCli(['check', yaml, '--snapshot', snap, '--format', 'json']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /every rule was skipped .*run the collector as SYSTEM.*--allow-all-skipped/);
  assert.equal(runCli(['check', yaml, '--snapshot', snap, '--allow-all-skipped']).status, 0);
  const [result] = (JSON.parse(r.stdout) as { results: RuleResult[] }).results;
  assert.equal(result!.status, 'skipped');
  assert.match(result!.message, /could not read HKLM\\SECURITY\\Policy\\Accounts: .*not allowed.*only SYSTEM can read HKLM\\SECURITY: run the collector as SYSTEM/);
  // A snapshot from an older collector (no subkey list) is skipped too, never judged.
  const old = snapshotSource({ schema: 'driftscan-snapshot/v1', keys: [{ path: 'HKLM\\SECURITY\\Policy\\Accounts', exists: true, values: [] }] }, 'old.json');
  const [skipped] = results(rule('r', 'right: SeDebugPrivilege\nexactly: []'), old);
  assert.equal(skipped!.status, 'skipped');
  assert.match(skipped!.message, /snapshot has no subkey list for HKLM\\SECURITY\\Policy\\Accounts; regenerate the collector/);
  // Hives without SECURITY say which hive to give.
  const noHive = runCli(['check', yaml, '--windows-dir', 'examples/image', '--format', 'json']);
  assert.match((JSON.parse(noHive.stdout) as { results: RuleResult[] }).results[0]!.message, /no SECURITY hive given \(use --hive SECURITY=FILE, --windows-dir or --image\)/);
});

test('compile: Audit packages a DriftscanUserRight resource with the rule as data; enforcing assignments are refused at file:line:col', () => {
  const rules = ruleYaml('key', 'registryKey:\n  path: HKLM\\SOFTWARE\\Contoso') +
    rule('rdp-users', 'right: SeRemoteInteractiveLogonRight\nincludes: [BUILTIN\\Remote Desktop Users, { sid: S-1-5-21-1-2-3-1001, name: CONTOSO\\rdp }]\nexcludes: [Everyone]') +
    rule('debug-nobody', 'right: sedebugprivilege\nexactly: []');
  const text = baseline(rules);
  const audit = compileConfiguration(loadBaselineText(text, 'ur.yaml', TODAY));
  const instances = readMof(audit.mof).filter((x) => x.className === 'DriftscanUserRight');
  assert.deepEqual(instances.map((x) => Object.fromEntries([...x.properties].filter(([k]) => !['ResourceID', 'SourceInfo', 'ModuleName', 'ModuleVersion', 'ConfigurationName'].includes(k)))), [
    {
      RuleId: 'rdp-users', Baseline: 'user-rights', Right: 'SeRemoteInteractiveLogonRight', Store: 'ActSysAc', Flag: 0x400,
      Includes: ['S-1-5-32-555', 'S-1-5-21-1-2-3-1001'], Excludes: ['S-1-1-0'], Exactly: false,
      Expected: 'SeRemoteInteractiveLogonRight granted to BUILTIN\\Remote Desktop Users (S-1-5-32-555), CONTOSO\\rdp (S-1-5-21-1-2-3-1001) and not granted to Everyone (S-1-1-0)',
    },
    { RuleId: 'debug-nobody', Baseline: 'user-rights', Right: 'SeDebugPrivilege', Store: 'Privilgs', Luid: 20, Exactly: true, Expected: 'SeDebugPrivilege granted to nobody' },
  ]);

  // ApplyAndMonitor / ApplyAndAutoCorrect: Set() would have to grant rights, which is LSA's job: refused at the rule, one line.
  for (const type of ['ApplyAndMonitor', 'ApplyAndAutoCorrect']) {
    const enforcing = text.replace('type: Audit', `type: ${type}\n    remoteAccessAcknowledgement: the team accepts the serial console`);
    const line = enforcing.split('\n').findIndex((l) => l.includes('id: "rdp-users"')) + 1;
    assert.throws(() => compileConfiguration(loadBaselineText(enforcing, 'ur.yaml', TODAY)), (err: unknown) => {
      assert.ok(err instanceof DriftscanError);
      const lines = err.message.split('\n');
      assert.equal(lines.length, 2, err.message);
      assert.match(lines[0]!, new RegExp(`^ur\\.yaml:${line}:\\d+: rule rdp-users cannot be applied \\(${type}\\): user rights are granted through LSA \\(LsaAddAccountRights\\), which owns HKLM\\\\SECURITY, not by writing the registry, and Group Policy re-applies its own User Rights Assignment over local changes; assign it as Audit`));
      assert.match(lines[1]!, /rule debug-nobody cannot be applied/);
      return true;
    });
    const omitted = compileConfiguration(loadBaselineText(enforcing.replace('remoteAccessAcknowledgement', 'unsupportedRules: omit\n    remoteAccessAcknowledgement'), 'ur.yaml', TODAY));
    assert.deepEqual(omitted.rules.map((r) => [r.ruleId, r.omitted !== undefined]), [['key', false], ['rdp-users', true], ['debug-nobody', true]]);
    assert.doesNotMatch(omitted.mof, /DriftscanUserRight/);
  }

  // An account list chosen at assignment time cannot travel as one policy string.
  const param = baselineHeader('p').replace('  rules:\n', '  parameters:\n    rdp: { type: array, default: [BUILTIN\\Remote Desktop Users] }\n  rules:\n') +
    rule('r', 'right: SeRemoteInteractiveLogonRight\nincludes: { param: rdp }');
  assert.throws(() => compileConfiguration(loadBaselineText(param, 'p.yaml', TODAY)), /^DriftscanError: p\.yaml:\d+:\d+: rule r cannot be compiled to Machine Configuration: an account list \(includes\) chosen at assignment time cannot be compiled/);

  // The CLI: Audit compiles; an enforcing assignment type exits 2 with the rule's location and writes nothing.
  const yaml = join(dir, 'compile.yaml');
  writeFileSync(yaml, text);
  const ok = runCli(['compile', yaml, '--out', join(dir, 'build'), '--lock', join(dir, 'lock.json')]);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /compiled user-rights 1\.0\.0 \(Audit, 3 rules\)/);
  const line = text.split('\n').findIndex((l) => l.includes('id: "rdp-users"')) + 1;
  const out = join(dir, 'build-enforcing');
  const r = runCli(['compile', yaml, '--assignment-type', 'ApplyAndMonitor', '--out', out, '--lock', join(dir, 'lock-enforcing.json')]);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  // (Without spec.assignment.remoteAccessAcknowledgement the lock-out guard speaks up too.)
  assert.match(r.stderr, new RegExp(`^driftscan: ${yaml.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}:${line}:\\d+: rule rdp-users cannot be applied \\(ApplyAndMonitor\\): user rights are granted through LSA`, 'm'));
  assert.equal(existsSync(out), false);
});

test('DriftscanUserRight on the machine: its shared reader over the real SECURITY hive\'s accounts gives check\'s verdict and message for every rule', { skip: haveTools() || needPwsh() }, () => {
  const file = sharedHiveFile('SECURITY.xz');
  const holders = oracleHolders(file);
  // Every right as the hive has it (pass), every right with one account too many or too few (fail), and the mixed rules.
  const rules = [
    ...USER_RIGHTS.map((r, i) => rule(`exact${i}`, `right: ${r.name}\nexactly: [${holders.get(r.name)!.join(', ')}]`)),
    ...USER_RIGHTS.map((r, i) => rule(`more${i}`, `right: ${r.name}\nexactly: [${[...holders.get(r.name)!.slice(1), ...(holders.get(r.name)!.includes('S-1-5-32-545') ? [] : ['S-1-5-32-545'])].join(', ')}]`)),
    rule('rdp-users', 'right: SeRemoteInteractiveLogonRight\nincludes: [BUILTIN\\Remote Desktop Users]'),
    rule('rdp-not-denied', 'right: SeDenyRemoteInteractiveLogonRight\nexcludes: [BUILTIN\\Remote Desktop Users, Everyone]'),
    rule('impersonate', 'right: SeImpersonatePrivilege\nincludes: [NT AUTHORITY\\SERVICE, Users]\nexcludes: [Everyone]'),
    rule('network-nobody', 'right: SeNetworkLogonRight\nexactly: []'),
  ].join('');
  const yaml = join(dir, 'dsc-hive.yaml');
  writeFileSync(yaml, baseline(rules));
  const cli = runCli(['check', yaml, '--hive', `SECURITY=${file}`, '--format', 'json']);
  assert.equal(cli.status, 1, cli.stderr);
  const check = (JSON.parse(cli.stdout) as { results: RuleResult[] }).results;
  assert.ok(check.filter((r) => r.status === 'pass').length >= USER_RIGHTS.length && check.filter((r) => r.status === 'fail').length >= USER_RIGHTS.length / 2);

  // The package's MOF instances, run under pwsh by the module built from the shipped sources, whose
  // Reader.ps1 opens the fake registry holding what reglookup shows below Policy\Accounts.
  const conf = compileConfiguration(loadBaselineText(baseline(rules), 'dsc-hive.yaml', TODAY));
  const instances = readMof(conf.mof).filter((x) => x.className === 'DriftscanUserRight');
  assert.equal(instances.length, check.length);
  const work = mkdtempSync(join(tmpdir(), 'driftscan-ur-dsc-'));
  const cases = instances.map((inst) => ({
    className: inst.className,
    properties: Object.fromEntries([...inst.properties].filter(([k]) => !['ResourceID', 'SourceInfo', 'ModuleName', 'ModuleVersion', 'ConfigurationName'].includes(k))),
    state: { keys: [], services: [] },
    set: false,
  }));
  writeFileSync(join(work, 'cases.json'), JSON.stringify(cases));
  runPwshFile(join(repoRoot, 'test', 'support', 'dsc-harness.ps1'),
    ['-ModuleManifest', writeEngineModule({ fakeRegistry: true }), '-CasesFile', join(work, 'cases.json'), '-OutFile', join(work, 'out.json'), '-RealReader'],
    { DRIFTSCAN_FAKE_REGISTRY: fakeMachineFile(work, fakeRegistryFromHive(file)) });
  const out = JSON.parse(readFileSync(join(work, 'out.json'), 'utf8')) as Array<{ test?: boolean; reasons?: Array<{ code: string; phrase: string }>; error?: string }>;
  instances.forEach((inst, i) => {
    const c = check.find((r) => r.ruleId === inst.properties.get('RuleId'))!;
    assert.equal(out[i]!.error, undefined, c.ruleId);
    assert.deepEqual([out[i]!.test, out[i]!.reasons], [c.status === 'pass', [{ code: `user-rights:userRight:${c.ruleId}`, phrase: c.message }]], c.ruleId);
  });
  rmSync(work, { recursive: true, force: true });
});

test('the folder README documents every right the kind accepts', () => {
  const doc = readFileSync(join(repoRoot, 'src', 'rules', 'user-right', 'README.md'), 'utf8');
  for (const r of USER_RIGHTS) assert.ok(doc.includes(`\`${r.name}\``), r.name);
});
