/**
 * Differential test of the in-guest engine (issue #9): generated (rule, machine state) pairs over
 * every rule kind and option. Each rule goes through the real loader and compiler (YAML → MOF), its
 * MOF instance's properties are set on the DriftscanDsc resource under real pwsh with the seam
 * backed by the state, and the resource's Test() and Reasons phrase must equal the TypeScript
 * evaluator's status and message for the same state (a snapshot of it) — byte for byte. Settable
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
    if (ps.test !== (ts.status === 'pass') || phrase !== ts.message) {
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
  assert.deepEqual(mismatches.slice(0, 15), [], `${mismatches.length} of ${cases.length} differ`);
  assert.ok(cases.length >= 2000, `only ${cases.length} cases`);
  for (const kind of ['registryValue', 'registryKey', 'service', 'registryAcl']) {
    assert.ok((statuses.get(`${kind}:pass`) ?? 0) > 10 && (statuses.get(`${kind}:fail`) ?? 0) > 10, `${kind} needs passes and failures: ${JSON.stringify([...statuses])}`);
  }
  assert.ok(settled > 300, `only ${settled} Set() runs`);
});
