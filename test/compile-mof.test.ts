/**
 * MOF output: escaping round-trips through an independent reader written here (not the one in
 * src/), hostile rule text cannot break out of strings, and rules compile to the resources the
 * reference describes (Hex for large DWORDs, ValueData arrays, explicit Service State,
 * key-existence dependency for ACLs) or are refused with file:line and rule id.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mofString, writeMofDocument } from '../src/compile/mof.js';
import { compileConfiguration } from '../src/compile/configuration.js';
import { loadBaselineText } from '../src/baseline/load.js';
import { DriftscanError } from '../src/core/diagnostics.js';
import { baselineHeader, ruleYaml } from './support/baseline-yaml.js';

type V = string | number | boolean | { ref: string } | V[];
interface Block { cls: string; alias?: string; props: Record<string, V> }

/**
 * A deliberately small MOF reader, independent of src/compile/mof-reader.ts: a character scanner
 * that understands comments only outside strings and the escapes DSP0221 defines.
 */
function parseMof(text: string): Block[] {
  let i = 0;
  const ws = () => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i]!)) i++;
      if (text.startsWith('/*', i)) { i = text.indexOf('*/', i) + 2; continue; }
      if (text.startsWith('//', i)) { while (i < text.length && text[i] !== '\n') i++; continue; }
      return;
    }
  };
  const word = () => { ws(); const m = /^[$A-Za-z_0-9.-]+/.exec(text.slice(i)); if (!m) throw new Error(`word expected at ${i}: ${text.slice(i, i + 20)}`); i += m[0].length; return m[0]; };
  const lit = (s: string) => { ws(); if (!text.startsWith(s, i)) throw new Error(`${s} expected at ${i}: ${text.slice(i, i + 20)}`); i += s.length; };
  const str = (): string => {
    lit('"');
    let out = '';
    while (text[i] !== '"') {
      if (i >= text.length) throw new Error('unterminated');
      if (text[i] === '\n' || text[i] === '\r') throw new Error('raw line break inside a string');
      if (text[i] === '\\') {
        const e = text[i + 1]!;
        if (e === 'x') { const h = /^[0-9A-Fa-f]{1,4}/.exec(text.slice(i + 2))![0]; out += String.fromCharCode(parseInt(h, 16)); i += 2 + h.length; continue; }
        out += ({ n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' } as Record<string, string>)[e] ?? (() => { throw new Error(`bad escape ${e}`); })();
        i += 2;
        continue;
      }
      out += text[i++];
    }
    i++;
    return out;
  };
  const value = (): V => {
    ws();
    if (text[i] === '"') return str();
    if (text[i] === '{') {
      i++;
      const items: V[] = [];
      ws();
      while (text[i] !== '}') { items.push(value()); ws(); if (text[i] === ',') i++; ws(); }
      i++;
      return items;
    }
    const w = word();
    if (w.startsWith('$')) return { ref: w.slice(1) };
    if (w === 'True' || w === 'False') return w === 'True';
    if (/^-?\d+$/.test(w)) return Number(w);
    throw new Error(`bad value ${w}`);
  };
  const blocks: Block[] = [];
  for (ws(); i < text.length; ws()) {
    lit('instance'); lit('of');
    const cls = word();
    ws();
    let alias: string | undefined;
    if (text.startsWith('as', i)) { lit('as'); alias = word().slice(1); }
    lit('{');
    const props: Record<string, V> = {};
    for (ws(); text[i] !== '}'; ws()) { const k = word(); lit('='); props[k] = value(); lit(';'); }
    lit('}'); lit(';');
    blocks.push({ cls, ...(alias ? { alias } : {}), props });
  }
  return blocks;
}

const HOSTILE = ['a"b', 'back\\slash\\', 'line\nbreak', 'cr\r\n', 'end */ comment', '/* open', '"; Ensure = "Absent"; x = "', 'tab\there', '\u0000nul', 'üñí€😀', '$ref', '};\ninstance of Evil {};'];

test('mofString round-trips every string through an independent reader, hostile ones included', () => {
  const check = (s: string) => {
    const doc = writeMofDocument([{ className: 'X', alias: 'X1ref', properties: [['P', s], ['A', [s, 'b']]] }], 'cfg');
    const blocks = parseMof(doc);
    assert.equal(blocks.length, 2, 'no block injected');
    assert.equal(blocks[0]!.props.P, s);
    assert.deepEqual(blocks[0]!.props.A, [s, 'b']);
    assert.deepEqual(Object.keys(blocks[0]!.props), ['P', 'A'], 'no property injected');
  };
  for (const s of HOSTILE) check(s);
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), check), { numRuns: 300 });
  fc.assert(fc.property(fc.string({ unit: 'binary-ascii', maxLength: 40 }), check), { numRuns: 300 });
  assert.equal(mofString('a"\\\n'), '"a\\"\\\\\\n"');
});

const header = (extra = '') => baselineHeader('test-pkg', extra);

function compileYaml(rules: string, extra = '') {
  const b = loadBaselineText(header(extra) + rules, 'base.yaml', { today: '2026-01-01' });
  return { b, c: compileConfiguration(b) };
}

const rule = ruleYaml;

test('registry values: ValueData arrays, Hex above 2^31-1, binary hex, default value, hostile ids and data', () => {
  const hostileId = 'hostile.id_1';
  const { c } = compileYaml([
    rule('small', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: V\n  type: DWord\n  equals: 1'),
    rule('big', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: Big\n  type: DWord\n  equals: 4294967295'),
    rule('qword', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: Q\n  type: QWord\n  equals: \"0xffffffffffffffff\"'),
    rule('bin', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: B\n  type: Binary\n  equals: "ff ff ff"'),
    rule('multi', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: M\n  type: MultiString\n  equals: [one]\n  ignoreCase: true'),
    rule(hostileId, 'registryValue:\n  path: HKLM\\SOFTWARE\\Evil "key" */\\x\n  name: "v\\"; Ensure = \\"Absent"\n  type: String\n  equals: "line1\\nline2 \\\\ \\" */"\n  ignoreCase: true'),
    rule('gone', 'registryValue:\n  path: HKU\\S-1-5-19\\SOFTWARE\\A\n  name: Old\n  ensure: absent'),
  ].join(''));
  const blocks = parseMof(c.mof);
  const byId = new Map(blocks.filter((b) => b.props.ResourceID).map((b) => [b.props.ResourceID as string, b.props]));
  assert.deepEqual(byId.get('[Registry]small')!.ValueData, ['1']);
  assert.equal(byId.get('[Registry]small')!.Hex, false);
  assert.deepEqual(byId.get('[Registry]big')!.ValueData, ['0xffffffff']);
  assert.equal(byId.get('[Registry]big')!.Hex, true);
  assert.deepEqual(byId.get('[Registry]qword')!.ValueData, ['0xffffffffffffffff']);
  assert.deepEqual(byId.get('[Registry]bin')!.ValueData, ['ffffff']);
  assert.deepEqual(byId.get('[Registry]multi')!.ValueData, ['one']);
  const evil = byId.get(`[Registry]${hostileId}`)!;
  assert.ok(evil, [...byId.keys()].join(' | '));
  assert.equal(evil.Key, 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Evil "key" */\\x');
  assert.equal(evil.ValueName, 'v"; Ensure = "Absent');
  assert.deepEqual(evil.ValueData, ['line1\nline2 \\ " */']);
  assert.equal(evil.Ensure, 'Present');
  assert.equal(byId.get('[Registry]gone')!.Ensure, 'Absent');
  for (const r of c.rules) assert.deepEqual(Object.keys(r).sort(), ['resources', 'ruleId'], `${r.ruleId} is exact`);
  assert.equal(byId.get('[Registry]gone')!.Key, 'HKEY_USERS\\S-1-5-19\\SOFTWARE\\A');
  for (const p of byId.values()) {
    assert.equal(p.ModuleName, 'PSDscResources');
    assert.equal(p.ModuleVersion, '2.12.0.0');
    assert.equal(p.ConfigurationName, 'test-pkg');
    assert.match(p.SourceInfo as string, /^base\.yaml::\d+::\d+::Registry$/);
  }
  const trailer = blocks.at(-1)!;
  assert.equal(trailer.cls, 'OMI_ConfigurationDocument');
  assert.equal(trailer.props.Name, 'test-pkg');
  assert.ok(!c.mof.startsWith('\uFEFF'));
});

test('expectations DSC cannot express fail the compile with file:line and rule id, one line each', () => {
  const rules = [
    rule('range', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: R\n  type: DWord\n  atLeast: 3'),
    rule('regex', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: S\n  type: String\n  matches: "^a"'),
    rule('oneof', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: O\n  type: DWord\n  oneOf: [1, 2]'),
    rule('acl-absent', 'registryAcl:\n  path: HKLM\\SOFTWARE\\A\n  ensure: absent\n  access:\n    - identity: BUILTIN\\Users\n      rights: SetValue'),
    rule('acl-exact', 'registryAcl:\n  path: HKLM\\SOFTWARE\\B\n  exact: true\n  access:\n    - identity: BUILTIN\\Users\n      rights: ReadKey'),
    rule('svc-custom', 'service:\n  name: Foo\n  account: S-1-5-21-1-2-3-1001'),
    rule('hkcu', 'registryKey:\n  path: HKCU\\Software\\Contoso'),
  ].join('');
  assert.throws(() => compileYaml(rules), (e: unknown) => {
    assert.ok(e instanceof DriftscanError);
    const lines = e.message.split('\n');
    assert.equal(lines.length, 7, e.message);
    for (const [i, id] of ['range', 'regex', 'oneof', 'acl-absent', 'acl-exact', 'svc-custom', 'hkcu'].entries()) {
      assert.match(lines[i]!, new RegExp(`^base\\.yaml:\\d+:\\d+: rule ${id} cannot be compiled to Machine Configuration: `));
    }
    assert.match(lines[0]!, /atLeast\/atMost/);
    assert.match(lines[3]!, /ensure: absent/);
    assert.match(lines[5]!, /Credential/);
    assert.match(lines[6]!, /LocalSystem/);
    return true;
  });
});

test('services always state State; ACLs depend on a key-existence resource; embedded instances precede their users', () => {
  const { c } = compileYaml([
    rule('spooler-off', 'service:\n  name: Spooler\n  startupType: Disabled'),
    rule('w32', 'service:\n  name: W32Time\n  startupType: Manual\n  state: Stopped\n  account: NT AUTHORITY\\LocalService'),
    rule('acl', 'registryAcl:\n  path: HKLM\\SOFTWARE\\Contoso\n  access:\n    - identity: BUILTIN\\Users\n      rights: [QueryValues, SetValue]\n      appliesTo: thisKey\n    - identity: BUILTIN\\Users\n      rights: ReadKey\n      type: Deny\n      appliesTo: subkeysOnly'),
  ].join(''));
  const blocks = parseMof(c.mof);
  const svc = blocks.find((b) => b.props.ResourceID === '[Service]spooler-off')!.props;
  assert.equal(svc.State, 'Ignore');
  assert.equal(svc.StartupType, 'Disabled');
  const w32 = blocks.find((b) => b.props.ResourceID === '[Service]w32')!.props;
  assert.equal(w32.State, 'Stopped');
  assert.equal(w32.BuiltInAccount, 'LocalService');
  const key = blocks.find((b) => b.props.ResourceID === '[Registry]acl (key exists)')!.props;
  assert.equal(key.Key, 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso');
  assert.equal(key.ValueName, '');
  const aclIdx = blocks.findIndex((b) => b.props.ResourceID === '[RegistryAccessEntry]acl');
  const acl = blocks[aclIdx]!.props;
  assert.deepEqual(acl.DependsOn, ['[Registry]acl (key exists)']);
  assert.equal(acl.Path, 'HKLM:\\SOFTWARE\\Contoso');
  assert.equal(acl.ModuleName, 'AccessControlDsc');
  assert.equal(acl.ModuleVersion, '1.4.3');
  const lists = acl.AccessControlList as Array<{ ref: string }>;
  assert.equal(lists.length, 1, 'entries grouped by principal');
  const listIdx = blocks.findIndex((b) => b.alias === lists[0]!.ref);
  assert.ok(listIdx >= 0 && listIdx < aclIdx);
  const list = blocks[listIdx]!.props;
  assert.equal(list.ForcePrincipal, false);
  const aces = (list.AccessControlEntry as Array<{ ref: string }>).map((r) => blocks.find((b) => b.alias === r.ref)!.props);
  assert.deepEqual(aces.map((a) => [a.AccessControlType, a.Rights, a.Inheritance]), [['Allow', ['QueryValues', 'SetValue'], 'Key'], ['Deny', ['ReadKey'], 'Subkeys']]);
  assert.ok(c.rules.find((r) => r.ruleId === 'acl')!.stricter);
  assert.deepEqual(c.modules.map((m) => m.name), ['PSDscResources', 'AccessControlDsc']);
});

test('parameters become configurationParameter references to a property present in the MOF', () => {
  const { c } = compileYaml(rule('tok', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: T\n  type: DWord\n  equals: { param: size }') +
    rule('svc', 'service:\n  name: Spooler\n  startupType: { param: start }\n  state: Stopped'),
  '\n  parameters:\n    size:\n      type: integer\n      default: 65535\n    start:\n      type: string\n      default: Disabled\n      allowedValues: [Disabled, Manual]');
  assert.deepEqual(c.parameters.map((p) => [p.name, p.reference, p.defaultValue]), [['size', '[Registry]tok;ValueData', '65535'], ['start', '[Service]svc;StartupType', 'Disabled']]);
  assert.throws(() => compileYaml(rule('huge', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: T\n  type: DWord\n  equals: { param: size }'),
    '\n  parameters:\n    size:\n      type: integer\n      default: 4294967295'), /rule huge cannot be compiled.*Hex = True/);
  const blocks = parseMof(c.mof);
  for (const p of c.parameters) {
    const [rid, prop] = p.reference.split(';');
    const b = blocks.filter((x) => String(x.props.ResourceID).toLowerCase() === rid!.toLowerCase());
    assert.equal(b.length, 1);
    assert.ok(prop! in b[0]!.props, `${prop} present in ${rid}`);
  }
});

test('lock-out guard: enforcing remote-access rules needs remoteAccessAcknowledgement, and says why', () => {
  const rdp = rule('nla', 'registryValue:\n  path: HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp\n  name: UserAuthentication\n  type: DWord\n  equals: 1');
  const b = loadBaselineText(header().replace('type: Audit', 'type: ApplyAndMonitor') + rdp, 'enforce.yaml', { today: '2026-01-01' });
  assert.throws(() => compileConfiguration(b), /^DriftscanError: enforce\.yaml:\d+:\d+: rule nla touches Remote Desktop listener settings .*ApplyAndMonitor.*remoteAccessAcknowledgement/);
  assert.doesNotThrow(() => compileConfiguration(b, { assignmentType: 'Audit' }));
  const ack = loadBaselineText(header().replace('type: Audit', 'type: ApplyAndAutoCorrect\n    remoteAccessAcknowledgement: "CHG-1: tested on canary ring"') + rdp, 'ack.yaml', { today: '2026-01-01' });
  assert.equal(compileConfiguration(ack).assignmentType, 'ApplyAndAutoCorrect');
  const audit = loadBaselineText(header() + rdp, 'audit.yaml', { today: '2026-01-01' });
  assert.throws(() => compileConfiguration(audit, { assignmentType: 'ApplyAndMonitor' }), /remoteAccessAcknowledgement/);
});
