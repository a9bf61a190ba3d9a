/**
 * Differential test of the in-guest engine (issue #9): generated (rule, machine state) pairs over
 * every rule kind and option. Each rule goes through the real loader and compiler (YAML → MOF), its
 * MOF instance's properties are set on the DriftscanDsc resource under real pwsh with the seam
 * backed by the state, and the resource's Test() and Reasons phrase must equal the TypeScript
 * evaluator's status and message for the same state (a snapshot of it) — byte for byte (a skipped
 * rule is worded per source, so there both must agree it is not compliant and the resource must
 * name what it could not read). Settable
 * rules then run Set() and must be compliant afterwards, for the resource and for the TypeScript
 * evaluator reading the state Set() left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadBaselineText } from '../src/baseline/load.js';
import { compileConfiguration } from '../src/compile/configuration.js';
import { readMof, type MofReadValue } from '../src/compile/mof-reader.js';
import { evaluateRule } from '../src/evaluate/evaluator.js';
import { expectedFound } from '../src/rules/kind.js';
import { ruleKind } from '../src/rules/index.js';
import { snapshotSource, type SnapshotDocument, type SnapshotKey, type SnapshotService, type SnapshotValue } from '../src/state/snapshot/source.js';
import { formatSddl } from '../src/windows/sddl.js';
import { resolveIdentity } from '../src/windows/identity.js';
import { encodeSid, parseSid } from '../src/windows/sid.js';
import { USER_RIGHTS } from '../src/rules/user-right/rights.js';
import type { Ace, SecurityDescriptor } from '../src/windows/security-descriptor.js';
import { needPwsh, runPwshFile, writeEngineModule } from './support/pwsh.js';
import { repoRoot } from './support/paths.js';

/** Strings that would run code if anything on the way treated them as PowerShell or MOF text. */
export const HOSTILE = ["it's", 'a"b', 'back`tick', '$(Get-Date)', '${env:PATH}', 'two\nlines', '#> <#', '\u2018curly\u2019 \u201cquotes\u201d', '@(1)', '; exit 3', 'tab\there', '\\\\server'];

const text = fc.oneof(
  fc.constantFrom('', 'a', 'A', 'x', 'X', 'abc', 'ABC', 'Abc', '0', '1', '%SystemRoot%\\x', 'stra\u00dfe', 'STRASSE', '\u0131', 'I', 'i', '\u0130', '\u017f', 's', 'S', '\u212a', 'k', '\u1fb3', '\u1fbc', '\ud83d\ude00', '\ud800', 'caf\u00e9', 'CAF\u00c9', ...HOSTILE),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
);
const keyName = fc.constantFrom('Driftscan', 'Test Key', "O'Brien", 'back`tick', '$(Get-Date)', '#>', '\u201cq\u201d', 'caf\u00e9');
const valueName = fc.constantFrom('', 'Value', 'value', 'Setting', "it's", '$(x)', 'a"b', '#> <#', 'caf\u00e9', 'CAF\u00c9');
const keyPath = fc.tuple(fc.constantFrom('HKLM\\SOFTWARE', 'HKEY_LOCAL_MACHINE\\SOFTWARE', 'HKLM:\\SYSTEM\\CurrentControlSet\\Control', 'HKU\\.DEFAULT'), keyName)
  .map(([root, name]) => `${root}\\${name}`);

const TYPES = ['String', 'ExpandString', 'MultiString', 'DWord', 'QWord', 'Binary'] as const;
type VType = (typeof TYPES)[number];
const dword = fc.oneof(fc.constantFrom(0, 1, 2, 255, 65535, 2147483647, 2147483648, 4294967295), fc.integer({ min: 0, max: 4294967295 }));
const qword = fc.oneof(fc.constantFrom(0n, 1n, 9007199254740993n, (1n << 63n), (1n << 64n) - 1n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
const bytes = fc.uint8Array({ maxLength: 40 });

/** Rule data for a type, as YAML would hold it. */
function ruleData(t: VType): fc.Arbitrary<unknown> {
  switch (t) {
    case 'String': case 'ExpandString': return text;
    case 'MultiString': return fc.array(text, { maxLength: 3 });
    case 'DWord': return dword;
    case 'QWord': return qword.map((n) => n.toString());
    case 'Binary': return bytes.map((b) => Buffer.from(b).toString('hex'));
  }
}

/** A snapshot value of type t. */
function snapValue(name: string, t: VType | 'None', data: unknown): SnapshotValue {
  switch (t) {
    case 'DWord': return { name, kind: 'DWord', data: data as number };
    case 'QWord': return { name, kind: 'QWord', data: String(data) };
    case 'Binary': return { name, kind: 'Binary', data: data as string };
    case 'None': return { name, kind: 'None', data: data as string };
    default: return { name, kind: t, data: data as string | string[] };
  }
}

/** Machine data of type t; with `like` the rule's own data (in another case) half of the time. */
function machineValue(name: string, t: VType, like: unknown): fc.Arbitrary<SnapshotValue> {
  const same = like === undefined ? fc.constant(undefined) : fc.constant(like);
  const recase = (v: unknown) => (typeof v === 'string' ? fc.constantFrom(v, v.toUpperCase(), v.toLowerCase()) : Array.isArray(v) ? fc.constant(v.map((s: string) => s.toUpperCase())) : fc.constant(v));
  return fc.oneof(ruleData(t), same.chain((v) => (v === undefined ? ruleData(t) : recase(v)))).map((d) => snapValue(name, t, d));
}

interface Case {
  kind: string;
  body: Record<string, unknown>;
  state: { keys: SnapshotKey[]; services: SnapshotService[] };
}

function normPath(p: string): string {
  return p.replace(/^HKEY_LOCAL_MACHINE\\/, 'HKLM\\').replace(/^HKLM:\\/, 'HKLM\\');
}

const registryValueCase: fc.Arbitrary<Case> = fc.record({ path: keyPath, name: valueName, type: fc.constantFrom(...TYPES), op: fc.constantFrom('equals', 'oneOf', 'range', 'matches', 'present', 'absent'), ignoreCase: fc.boolean() })
  .chain(({ path, name, type, op, ignoreCase }) => {
    const numeric = type === 'DWord' || type === 'QWord';
    const stringy = type === 'String' || type === 'ExpandString' || type === 'MultiString';
    const body: fc.Arbitrary<Record<string, unknown>> = (() => {
      const base = { path, name, type };
      switch (op) {
        case 'equals': return ruleData(type).map((equals) => ({ ...base, equals, ...(stringy && ignoreCase ? { ignoreCase } : {}) }));
        case 'oneOf': return fc.array(ruleData(type), { minLength: 1, maxLength: 3 }).map((oneOf) => ({ ...base, oneOf, ...(stringy && ignoreCase ? { ignoreCase } : {}) }));
        case 'range': return numeric
          ? fc.tuple(ruleData(type), ruleData(type), fc.constantFrom('both', 'lo', 'hi')).map(([a, b, which]) => {
            const [lo, hi] = BigInt(a as string | number) <= BigInt(b as string | number) ? [a, b] : [b, a];
            return { ...base, ...(which !== 'hi' ? { atLeast: lo } : {}), ...(which !== 'lo' ? { atMost: hi } : {}) };
          })
          : fc.constant({ ...base, ensure: 'present' });
        case 'matches': return stringy
          ? fc.constantFrom('^a', 'b$', '^$', 'x|y', '^.$', '^..$', '[a-c]+', '[^a]', '\\d{2,}', '^\\w+$', '\\s', '\\S', 'stra\u00dfe', 'k', '\\u017f', '(?:ab)*c', 'a.c', '^[\\s\\S]*$', '\\$\\(', "'", '\\.', '[\u00e9]', '^\u0130', '\\x41').map((matches) => ({ ...base, matches, ...(ignoreCase ? { ignoreCase } : {}) }))
          : fc.constant({ ...base, ensure: 'absent' });
        case 'present': return fc.constant({ ...base, ensure: 'present' });
        default: return fc.constant({ path, name, ensure: 'absent' });
      }
    })();
    return body.chain((b) => {
      const like = b.equals ?? (Array.isArray(b.oneOf) ? b.oneOf[0] : undefined) ?? b.atLeast;
      const valueArb = fc.oneof(
        fc.constant<SnapshotValue[]>([]),
        machineValue(name, type, like).map((v) => [v]),
        fc.constantFrom(...TYPES).chain((t) => machineValue(name.toUpperCase(), t, undefined)).map((v) => [v]),
        fc.constant([snapValue(name, 'None', '0102')]),
      );
      return fc.record({ exists: fc.boolean(), values: valueArb, other: fc.boolean() }).map(({ exists, values, other }) => ({
        kind: 'registryValue',
        body: b,
        state: { keys: [{ path: normPath(path), exists: exists || values.length > 0, values: [...values, ...(other ? [snapValue('Other', 'DWord', 7)] : [])] }], services: [] },
      }));
    });
  });

const registryKeyCase: fc.Arbitrary<Case> = fc.record({ path: keyPath, ensure: fc.constantFrom('present', 'absent', undefined), exists: fc.boolean() })
  .map(({ path, ensure, exists }) => ({ kind: 'registryKey', body: { path, ...(ensure ? { ensure } : {}) }, state: { keys: [{ path: normPath(path), exists, values: [] }], services: [] } }));

const ACCOUNTS: unknown[] = ['LocalSystem', 'NT Authority\\NetworkService', 'NT AUTHORITY\\LOCAL SERVICE', 'NetworkService', 'S-1-5-18', 'NT SERVICE\\TrustedInstaller', 'NT SERVICE\\MyService',
  { sid: 'S-1-5-21-1004336348-1177238915-682003330-1001', name: 'CONTOSO\\svc-app' }];
const OBJECT_NAMES = ['LocalSystem', 'localsystem', '.\\LocalSystem', 'NT AUTHORITY\\NetworkService', 'NT Authority\\Network Service', 'NT AUTHORITY\\LocalService', 'NT SERVICE\\MyService', 'nt service\\myservice',
  'CONTOSO\\svc-app', 'contoso\\SVC-APP', 'S-1-5-20', 's-1-5-0x000000000012', 'Local System', 'NT AUTHORITY\\SYSTEM', '\u0130', ' LocalSystem ', 'LocalSystem\u00a0', 'NT SERVICE\\stra\u00dfe', 'NT SERVICE\\STRASSE', "it's", '$(whoami)'];
const SERVICE_NAMES = ['TermService', 'Spooler', "O'Svc", '$(x)', 'MyService'];

const serviceCase: fc.Arbitrary<Case> = fc.record({
  name: fc.constantFrom(...SERVICE_NAMES),
  ensure: fc.constantFrom('present', 'present', 'absent'),
  startupType: fc.option(fc.constantFrom('Boot', 'System', 'Automatic', 'AutomaticDelayedStart', 'Manual', 'Disabled'), { nil: undefined }),
  account: fc.option(fc.constantFrom(...ACCOUNTS), { nil: undefined }),
  state: fc.option(fc.constantFrom('Running', 'Stopped'), { nil: undefined }),
  exists: fc.boolean(),
  start: fc.option(fc.oneof(fc.integer({ min: 0, max: 6 }).map((n) => snapValue('Start', 'DWord', n)), fc.constant(snapValue('Start', 'String', '2'))), { nil: undefined }),
  delayed: fc.option(fc.constantFrom(0, 1, 2).map((n) => snapValue('DelayedAutostart', 'DWord', n)), { nil: undefined }),
  objectName: fc.option(fc.oneof(fc.constantFrom(...OBJECT_NAMES).map((s) => snapValue('ObjectName', 'String', s)), fc.constant(snapValue('ObjectName', 'DWord', 5))), { nil: undefined }),
  run: fc.constantFrom('Running', 'Stopped', 'Paused', 'absent'),
}).map((c) => {
  const body: Record<string, unknown> = c.ensure === 'absent' ? { name: c.name, ensure: 'absent' } : {
    name: c.name, ...(c.startupType ? { startupType: c.startupType } : {}), ...(c.account ? { account: c.account } : {}), ...(c.state ? { state: c.state } : {}),
  };
  const values = [c.start, c.delayed, c.objectName].filter((v): v is SnapshotValue => v !== undefined);
  return {
    kind: 'service',
    body,
    state: {
      keys: [{ path: `HKLM\\SYSTEM\\CurrentControlSet\\Services\\${c.name}`, exists: c.exists, values: c.exists ? values : [] }],
      services: [c.run === 'absent' ? { name: c.name, exists: false } : { name: c.name, exists: true, state: c.run as 'Running' }],
    },
  };
});

const ACL_IDS = ['BUILTIN\\Users', 'BUILTIN\\Administrators', 'NT AUTHORITY\\SYSTEM', 'Everyone', 'NT AUTHORITY\\Authenticated Users', 'BUILTIN\\Remote Desktop Users', 'NT SERVICE\\TrustedInstaller'];
const ACL_SIDS = ['S-1-5-32-545', 'S-1-5-32-544', 'S-1-5-18', 'S-1-1-0', 'S-1-5-11', 'S-1-5-32-555', 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464', 'S-1-5-21-1004336348-1177238915-682003330-1001', 'S-1-3-0'];
const RIGHTS = ['ReadKey', 'FullControl', 'QueryValues', 'SetValue', ['SetValue', 'CreateSubKey'], 'WriteKey', 'GenericRead', 'Delete', 'ChangePermissions', 0x20019, 0x10000000];
const MASKS = [0x20019, 0xf003f, 0x1, 0x2, 0x6, 0x20006, 0x80000000, 0x10000000, 0x40000000, 0x20000000, 0x10000, 0x40000, 0x30000, 0x200, 0xffffffff, 0];

const aclCase: fc.Arbitrary<Case> = fc.record({
  path: keyPath,
  mode: fc.constantFrom('present', 'absent', 'exact', 'exactInherited', 'owner'),
  owner: fc.option(fc.constantFrom(...ACL_IDS), { nil: undefined }),
  access: fc.array(fc.record({
    identity: fc.constantFrom(...ACL_IDS),
    rights: fc.constantFrom(...RIGHTS),
    type: fc.constantFrom('Allow', 'Allow', 'Deny'),
    appliesTo: fc.option(fc.constantFrom('thisKey', 'thisKeyAndSubkeys', 'subkeysOnly'), { nil: undefined }),
  }), { minLength: 1, maxLength: 3 }),
  exists: fc.constantFrom(true, true, true, false),
  daclKind: fc.constantFrom('aces', 'aces', 'aces', 'null', 'empty'),
  sdOwner: fc.option(fc.constantFrom(...ACL_SIDS), { nil: undefined }),
  aces: fc.array(fc.record({
    type: fc.constantFrom(0, 0, 1, 2, 9),
    flags: fc.constantFrom(0, 0x2, 0x3, 0xa, 0x12, 0x1a, 0x10, 0x8),
    mask: fc.constantFrom(...MASKS),
    sid: fc.constantFrom(...ACL_SIDS),
  }), { maxLength: 6 }),
}).map((c) => {
  const access = c.access.map((e) => ({ identity: e.identity, rights: e.rights, type: e.type, ...(e.appliesTo ? { appliesTo: e.appliesTo } : {}) }));
  let body: Record<string, unknown>;
  switch (c.mode) {
    case 'absent': body = { path: c.path, ensure: 'absent', access }; break;
    case 'exact': body = { path: c.path, exact: true, access, ...(c.owner ? { owner: c.owner } : {}) }; break;
    case 'exactInherited': body = { path: c.path, exact: true, includeInherited: true, access }; break;
    case 'owner': body = { path: c.path, owner: c.owner ?? 'BUILTIN\\Administrators' }; break;
    default: body = { path: c.path, access, ...(c.owner ? { owner: c.owner } : {}) };
  }
  const sd: SecurityDescriptor = { control: 0x8004, dacl: c.daclKind === 'null' ? null : { revision: 2, aces: c.daclKind === 'empty' ? [] : c.aces.map((a): Ace => ({ ...a })) }, sacl: null, ...(c.sdOwner ? { owner: c.sdOwner } : {}) };
  return { kind: 'registryAcl', body, state: { keys: [{ path: normPath(c.path), exists: c.exists, values: [], ...(c.exists ? { sddl: formatSddl(sd) } : {}) }], services: [] } };
});

// --- userRight: the SECURITY hive's Policy\Accounts subtree as the collector records it ------------------

const UR_ACCOUNTS = 'HKLM\\SECURITY\\Policy\\Accounts';
const UR_RIGHTS = ['SeRemoteInteractiveLogonRight', 'SeDenyRemoteInteractiveLogonRight', 'SeDenyNetworkLogonRight', 'SeServiceLogonRight', 'SeInteractiveLogonRight',
  'SeDebugPrivilege', 'SeBackupPrivilege', 'SeChangeNotifyPrivilege', 'SeCreateTokenPrivilege', 'SeDelegateSessionUserImpersonatePrivilege'];
/** Accounts as rules name them (distinct SIDs): well-known names, SIDs, a service, `{ sid, name }` with and without a name. */
const UR_RULE_ACCOUNTS: unknown[] = ['BUILTIN\\Administrators', 'BUILTIN\\Remote Desktop Users', 'Everyone', 'NT AUTHORITY\\LOCAL SERVICE', 'S-1-5-32-545', 'NT SERVICE\\MyService',
  { sid: 'S-1-5-21-1004336348-1177238915-682003330-1001', name: 'CONTOSO\\rdp-admins' }, 'S-1-5-21-1004336348-1177238915-682003330-1002', { sid: 's-1-5-21-1004336348-1177238915-682003330-500' }];
const urSid = (a: unknown): string => (typeof a === 'string' ? resolveIdentity(a)!.sid : parseSid((a as { sid: string }).sid));
/** SIDs machines hold rights with: the rules' accounts and others, one with an authority of 2^32 or more (hex in SID strings). */
const UR_MACHINE_SIDS = [...new Set([...UR_RULE_ACCOUNTS.map(urSid), 'S-1-5-19', 'S-1-5-20', 'S-1-5-6', 'S-1-5-90-0', 'S-1-0x000100000000-7', 'S-1-5-21-1004336348-1177238915-682003330-1003'])];

const urVariant = fc.record({
  name: fc.constantFrom(...Array<string>(40).fill('canonical'), 'lower', 'lower', 'zero', 'zero', 'notSid'),
  sid: fc.constantFrom(...Array<string>(80).fill('ok'), 'absent', 'absent', 'absent', 'mismatch', 'truncated', 'extra', 'revision', 'string', 'nodefault', 'dword'),
  store: fc.constantFrom('None', 'None', 'None', 'Binary', 'Numeric'),
  damage: fc.constantFrom(...Array<string>(80).fill('none'), 'short', 'wide', 'count', 'string', 'nodefault'),
  otherStore: fc.boolean(),
  bits: fc.integer({ min: 0, max: 0xfff }),
  luids: fc.uniqueArray(fc.integer({ min: 2, max: 36 }), { maxLength: 5 }),
  highLuid: fc.boolean(),
  subCase: fc.constantFrom('as', 'as', 'upper', 'lower'),
  error: fc.constantFrom(...Array<string | null>(80).fill(null), 'account', 'store'),
});

/** The value LSA keeps data in (the default value), with `bytes` as data of `kind`. */
function urDefault(bytes: Uint8Array, kind: 'None' | 'Binary' | 'Numeric' | 'String'): SnapshotValue {
  const hex = Buffer.from(bytes).toString('hex');
  if (kind === 'String') return { name: '', kind: 'String', data: 'S-1-5-32-544' };
  if (kind === 'Numeric') {
    // 4 bytes read back as a DWORD, 8 as a QWORD; other lengths cannot be numbers.
    if (bytes.length === 4) return { name: '', kind: 'DWord', data: Buffer.from(bytes).readUInt32LE(0) };
    if (bytes.length === 8) return { name: '', kind: 'QWord', data: Buffer.from(bytes).readBigUInt64LE(0).toString() };
  }
  return { name: '', kind: kind === 'Binary' ? 'Binary' : 'None', data: hex };
}

function privilegeSet(entries: Array<{ low: number; high: number }>, count = entries.length): Uint8Array {
  const b = Buffer.alloc(8 + 12 * entries.length);
  b.writeUInt32LE(count, 0);
  entries.forEach((e, i) => { b.writeUInt32LE(e.low, 8 + 12 * i); b.writeUInt32LE(e.high, 12 + 12 * i); b.writeUInt32LE(3, 16 + 12 * i); });
  return b;
}

const userRightCase: fc.Arbitrary<Case> = fc.record({
  right: fc.constantFrom(...UR_RIGHTS),
  spelling: fc.constantFrom('as', 'as', 'lower'),
  mode: fc.constantFrom('includes', 'includes', 'excludes', 'both', 'exactly', 'exactly', 'nobody'),
  picks: fc.shuffledSubarray([...UR_RULE_ACCOUNTS.keys()], { minLength: 2, maxLength: 5 }),
  take: fc.integer({ min: 1, max: 4 }),
  plan: fc.constantFrom('asRule', 'asRule', 'asRule', 'plusOne', 'minusOne', 'random', 'none'),
  random: fc.shuffledSubarray(UR_MACHINE_SIDS, { maxLength: 4 }),
  bystanders: fc.shuffledSubarray(UR_MACHINE_SIDS, { maxLength: 3 }),
  accounts: fc.constantFrom(...Array<string>(16).fill('present'), 'absent', 'error'),
  variants: fc.array(urVariant, { minLength: 12, maxLength: 12 }),
  order: fc.integer({ min: 0, max: 1000 }),
}).map((c) => {
  const right = USER_RIGHTS.find((r) => r.name === c.right)!;
  const listed = c.picks.slice(0, Math.min(c.take, c.picks.length)).map((i) => UR_RULE_ACCOUNTS[i]);
  const others = c.picks.slice(Math.min(c.take, c.picks.length)).map((i) => UR_RULE_ACCOUNTS[i]);
  const body: Record<string, unknown> = { right: c.spelling === 'lower' ? c.right.toLowerCase() : c.right };
  if (c.mode === 'includes') body.includes = listed;
  else if (c.mode === 'excludes') body.excludes = listed;
  else if (c.mode === 'both') { body.includes = listed; body.excludes = others.length ? others : [UR_RULE_ACCOUNTS.find((a) => !listed.includes(a))]; }
  else body.exactly = c.mode === 'nobody' ? [] : listed;
  // Who holds the right on the machine: often exactly the rule's accounts, sometimes one more or one fewer.
  const ruleSids = listed.map(urSid);
  let holders: string[];
  switch (c.plan) {
    case 'asRule': holders = ruleSids; break;
    case 'plusOne': holders = [...ruleSids, ...c.random.filter((s) => !ruleSids.includes(s)).slice(0, 1)]; break;
    case 'minusOne': holders = ruleSids.slice(1); break;
    case 'random': holders = c.random; break;
    default: holders = [];
  }
  const present = [...new Set([...holders, ...c.bystanders])];
  // A stable shuffle: registry order is not SID order.
  present.sort((a, b) => ((a.length * 7 + c.order) % 5) - ((b.length * 7 + c.order) % 5) || (a < b ? -1 : 1));
  const keys: SnapshotKey[] = [];
  if (c.accounts === 'absent') keys.push({ path: UR_ACCOUNTS, exists: false });
  else if (c.accounts === 'error') keys.push({ path: UR_ACCOUNTS, exists: true, error: 'Requested registry access is not allowed.' });
  else {
    const names: string[] = [];
    keys.push({ path: UR_ACCOUNTS, exists: true, valuesRead: [], values: [], subkeys: names });
    present.forEach((sid, i) => {
      const v = c.variants[i % c.variants.length]!;
      const name = v.name === 'lower' ? `s${sid.slice(1)}` : v.name === 'zero' ? sid.replace(/-(\d+)$/, '-0$1') : v.name === 'notSid' ? `${sid}-x` : sid;
      names.push(name);
      const at = `${UR_ACCOUNTS}\\${name}`;
      if (v.error === 'account') { keys.push({ path: at, exists: true, error: 'Access is denied.' }); return; }
      const subs: SnapshotKey[] = [];
      const sub = (leaf: string, values: SnapshotValue[], error?: string) => {
        const n = v.subCase === 'upper' ? leaf.toUpperCase() : v.subCase === 'lower' ? leaf.toLowerCase() : leaf;
        subs.push(error ? { path: `${at}\\${n}`, exists: true, error } : { path: `${at}\\${n}`, exists: true, valuesRead: [''], values, subkeys: [] });
      };
      if (v.sid !== 'absent') {
        let bytes: Uint8Array = encodeSid(sid);
        if (v.sid === 'mismatch') bytes = encodeSid(sid === 'S-1-5-19' ? 'S-1-5-20' : 'S-1-5-19');
        if (v.sid === 'truncated') bytes = bytes.subarray(0, bytes.length - 2);
        if (v.sid === 'extra') bytes = new Uint8Array([...bytes, 0]);
        if (v.sid === 'revision') bytes = new Uint8Array([2, ...bytes.subarray(1)]);
        sub('Sid', v.sid === 'nodefault' ? [] : v.sid === 'string' ? [urDefault(bytes, 'String')] : v.sid === 'dword' ? [{ name: '', kind: 'DWord', data: 7 }] : [urDefault(bytes, 'None')]);
      }
      const holds = holders.includes(sid);
      const flags = ((v.bits & ~0x20) | (right.store === 'ActSysAc' && holds ? right.bit : 0)) & (right.store === 'ActSysAc' && !holds ? ~right.bit : 0xffffffff);
      const luids = v.luids.filter((l) => right.store !== 'Privilgs' || l !== right.luid).map((low) => ({ low, high: 0 }));
      if (right.store === 'Privilgs' && holds) luids.splice(luids.length >> 1, 0, { low: right.luid, high: 0 });
      if (v.highLuid && right.store === 'Privilgs') luids.push({ low: right.luid, high: 1 });
      const storeData = (store: 'ActSysAc' | 'Privilgs', damaged: boolean): SnapshotValue[] => {
        let bytes: Uint8Array = store === 'ActSysAc' ? Buffer.from(Uint32Array.of(flags >>> 0).buffer) : privilegeSet(luids);
        if (damaged && v.damage === 'nodefault') return [];
        if (damaged && v.damage === 'string') return [urDefault(bytes, 'String')];
        if (damaged && v.damage === 'short') bytes = bytes.subarray(0, store === 'ActSysAc' ? 3 : 6);
        if (damaged && v.damage === 'wide') bytes = new Uint8Array([...bytes, 0, 0, 0, 0]);
        if (damaged && v.damage === 'count') bytes = store === 'ActSysAc' ? new Uint8Array(0) : privilegeSet(luids, luids.length + 1);
        return [urDefault(bytes, v.store as 'None' | 'Binary' | 'Numeric')];
      };
      // The store the rule reads: present for holders, and for non-holders with other rights.
      if (holds || flags !== 0 || luids.length > 0 || v.damage !== 'none') {
        if (v.error === 'store') sub(right.store, [], 'Access is denied.');
        else sub(right.store, storeData(right.store, true));
      }
      if (v.otherStore) sub(right.store === 'ActSysAc' ? 'Privilgs' : 'ActSysAc', storeData(right.store === 'ActSysAc' ? 'Privilgs' : 'ActSysAc', false));
      keys.push({ path: at, exists: true, valuesRead: [''], values: [], subkeys: subs.map((k) => k.path.slice(at.length + 1)) }, ...subs);
    });
  }
  return { kind: 'userRight', body, state: { keys, services: [] } };
});

/** Loads and compiles one batch of cases as one baseline; returns per case the rule, its MOF instance and its plan. */
function compileBatch(cases: Case[], batch: number) {
  const doc = {
    apiVersion: 'driftscan/v1', kind: 'Baseline',
    metadata: { name: `diff-${batch}`, version: '1.0.0', title: 'differential' },
    spec: { assignment: { type: 'Audit' }, rules: cases.map((c, i) => ({ id: `r${i}-${c.kind}`, title: 't', severity: 'low', [c.kind]: c.body })) },
  };
  const b = loadBaselineText(stringify(doc), `diff-${batch}.yaml`, { today: '2026-01-01' });
  const conf = compileConfiguration(b);
  const instances = readMof(conf.mof).filter((x) => x.className !== 'OMI_ConfigurationDocument');
  return b.rules.map((rule) => {
    const inst = instances.find((x) => x.properties.get('RuleId') === rule.id);
    assert.ok(inst, `no MOF instance for ${rule.id}`);
    const plan = ruleKind(rule.kind)!.dsc!.plan(rule as never, b.parameters);
    return { rule, baseline: b.metadata.name, inst, settable: plan.notSettable === undefined };
  });
}

const CLASS_PROPS = new Set(['ResourceID', 'SourceInfo', 'ModuleName', 'ModuleVersion', 'ConfigurationName', 'DependsOn']);

function mofProps(props: Map<string, MofReadValue>): Record<string, unknown> {
  return Object.fromEntries([...props].filter(([k]) => !CLASS_PROPS.has(k)));
}

function tsVerdict(state: Case['state'], rule: Parameters<typeof evaluateRule>[0]) {
  const doc: SnapshotDocument = { schema: 'driftscan-snapshot/v1', keys: state.keys, services: state.services };
  const v = evaluateRule(rule, snapshotSource(doc, 'state.json'));
  return { status: v.status, message: v.message ?? expectedFound(v.expected, v.actual) };
}

interface HarnessResult {
  test?: boolean;
  reasons?: Array<{ code: string; phrase: string }>;
  afterSet?: boolean;
  afterSetPhrase?: string;
  stateAfterSet?: Case['state'];
  setError?: string;
  error?: string;
}

test('differential: DriftscanDsc Test() and Reasons equal driftscan check for generated (rule, state) pairs of every kind', { skip: needPwsh(), timeout: 600_000 }, () => {
  const per = Number(process.env.DRIFTSCAN_DIFF_CASES ?? 600);
  const seed = Number(process.env.DRIFTSCAN_DIFF_SEED ?? 20260109);
  const cases: Case[] = [
    ...fc.sample(registryValueCase, { numRuns: per, seed }),
    ...fc.sample(registryKeyCase, { numRuns: Math.ceil(per / 2), seed: seed + 1 }),
    ...fc.sample(serviceCase, { numRuns: per, seed: seed + 2 }),
    ...fc.sample(aclCase, { numRuns: per, seed: seed + 3 }),
    ...fc.sample(userRightCase, { numRuns: per, seed: seed + 4 }),
  ];
  const t0 = Date.now();
  const compiled = [];
  for (let i = 0; i < cases.length; i += 100) compiled.push(...compileBatch(cases.slice(i, i + 100), i / 100));
  const input = compiled.map((c, i) => ({
    className: c.inst.className,
    properties: mofProps(c.inst.properties),
    state: cases[i]!.state,
    set: c.settable,
  }));
  const t1 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-diff-'));
  writeFileSync(join(dir, 'cases.json'), JSON.stringify(input, (_k, v: unknown) => (typeof v === 'string' && /\p{Cs}/u.test(v)
    ? { utf16: [...Array(v.length).keys()].map((i) => v.charCodeAt(i).toString(16).padStart(4, '0')).join('') } : v)));
  runPwshFile(join(repoRoot, 'test', 'support', 'dsc-harness.ps1'), ['-ModuleManifest', writeEngineModule(), '-CasesFile', join(dir, 'cases.json'), '-OutFile', join(dir, 'out.json')]);
  if (process.env.DRIFTSCAN_DIFF_TIMING) console.log(`compile ${t1 - t0} ms, pwsh ${Date.now() - t1} ms`);
  const out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as HarnessResult[];
  assert.equal(out.length, cases.length);

  const mismatches: string[] = [];
  let settled = 0;
  const statuses = new Map<string, number>();
  compiled.forEach((c, i) => {
    const ts = tsVerdict(cases[i]!.state, c.rule);
    const ps = out[i]!;
    const label = `${c.rule.kind} ${JSON.stringify(cases[i]!.body)} on ${JSON.stringify(cases[i]!.state)}`;
    statuses.set(`${c.rule.kind}:${ts.status}`, (statuses.get(`${c.rule.kind}:${ts.status}`) ?? 0) + 1);
    if (ps.error) { mismatches.push(`${label}\n  pwsh error: ${ps.error}`); return; }
    const phrase = ps.reasons?.[0]?.phrase;
    if (ts.status === 'skipped') {
      // What could not be read is worded per source: check names the snapshot file and says how to
      // collect again; the resource reads the machine itself and names the key it could not read.
      if (ps.test !== false || !phrase?.startsWith('could not read ')) mismatches.push(`${label}\n  ts   skipped: ${ts.message}\n  pwsh ${ps.test ? 'pass' : 'not pass'}: ${phrase}`);
    } else if (ps.test !== (ts.status === 'pass') || phrase !== ts.message) {
      mismatches.push(`${label}\n  ts   ${ts.status}: ${ts.message}\n  pwsh ${ps.test ? 'pass' : 'not pass'}: ${phrase}`);
    }
    if (ps.reasons?.length !== 1 || ps.reasons[0]!.code !== `${c.baseline}:${c.rule.kind}:${c.rule.id}`) mismatches.push(`${label}\n  reasons ${JSON.stringify(ps.reasons)}`);
    if (c.settable) {
      const serviceMissing = c.rule.kind === 'service' && (c.rule.check as { ensure: string }).ensure === 'present' && !cases[i]!.state.keys[0]!.exists;
      if (serviceMissing) { assert.match(ps.setError ?? '', /cannot install a service/); return; }
      if (ps.setError || ps.afterSet !== true) { mismatches.push(`${label}\n  Set() then Test(): ${ps.setError ?? `${ps.afterSet}: ${ps.afterSetPhrase}`}`); return; }
      const after = tsVerdict(ps.stateAfterSet!, c.rule);
      if (after.status !== 'pass') mismatches.push(`${label}\n  after Set() driftscan check says ${after.status}: ${after.message}`);
      settled++;
    }
  });
  if (process.env.DRIFTSCAN_DIFF_TIMING) console.log(JSON.stringify(Object.fromEntries([...statuses].sort())));
  assert.deepEqual(mismatches.slice(0, 15), [], `${mismatches.length} of ${cases.length} differ`);
  assert.ok(cases.length >= 2000, `only ${cases.length} cases`);
  for (const kind of ['registryValue', 'registryKey', 'service', 'registryAcl', 'userRight']) {
    assert.ok((statuses.get(`${kind}:pass`) ?? 0) > 10 && (statuses.get(`${kind}:fail`) ?? 0) > 10, `${kind} needs passes and failures: ${JSON.stringify([...statuses])}`);
  }
  // userRight reads damaged policy data (error, byte for byte) and unreadable keys (skipped) too.
  assert.ok((statuses.get('userRight:error') ?? 0) > 10 && (statuses.get('userRight:skipped') ?? 0) > 5, JSON.stringify([...statuses]));
  assert.ok(settled > 300, `only ${settled} Set() runs`);
});
