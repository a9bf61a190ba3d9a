/**
 * MOF output: escaping round-trips through an independent reader written here (not the one in
 * src/), hostile rule text cannot break out of strings, and rules compile to DriftscanDsc resources
 * that carry the rule as data, or are refused with file:line and rule id.
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

test('registry values travel as data: expected data in the rule\'s type, hostile ids and text inert, one DriftscanDsc resource per rule', () => {
  const hostileId = 'hostile.id_1';
  const { c } = compileYaml([
    rule('small', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: V\n  type: DWord\n  equals: 1'),
    rule('big', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: Big\n  type: DWord\n  equals: 4294967295'),
    rule('qword', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: Q\n  type: QWord\n  equals: \"0xffffffffffffffff\"'),
    rule('bin', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: B\n  type: Binary\n  equals: "ff 00 ff"'),
    rule('multi', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: M\n  type: MultiString\n  oneOf: [[one, two], [three]]'),
    rule('range', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: R\n  type: DWord\n  atLeast: 3'),
    rule(hostileId, 'registryValue:\n  path: HKLM\\SOFTWARE\\Evil "key" */\\x\n  name: "v\\"; Ensure = \\"Absent"\n  type: String\n  equals: "line1\\nline2 \\\\ \\" */ $(Get-Date) `n"'),
    rule('gone', 'registryValue:\n  path: HKU\\S-1-5-19\\SOFTWARE\\A\n  name: Old\n  ensure: absent'),
  ].join(''));
  const blocks = parseMof(c.mof);
  const byId = new Map(blocks.filter((b) => b.props.ResourceID).map((b) => [b.props.ResourceID as string, b.props]));
  const id = (x: string) => byId.get(`[DriftscanRegistryValue]${x}`)!;
  assert.deepEqual(id('small').Data, ['1']);
  assert.deepEqual(id('big').Data, ['4294967295']);
  assert.deepEqual(id('qword').Data, ['18446744073709551615']);
  assert.deepEqual(id('bin').Data, ['ff00ff']);
  assert.deepEqual([id('multi').Operation, id('multi').Data, id('multi').DataLengths], ['oneOf', ['one', 'two', 'three'], ['2', '1']]);
  assert.deepEqual([id('range').Operation, id('range').AtLeast, id('range').AtMost], ['range', '3', undefined]);
  const evil = id(hostileId);
  assert.equal(evil.Path, 'HKLM\\SOFTWARE\\Evil "key" */\\x');
  assert.equal(evil.ValueName, 'v"; Ensure = "Absent');
  assert.deepEqual(evil.Data, ['line1\nline2 \\ " */ $(Get-Date) `n']);
  assert.equal(evil.RuleId, hostileId);
  assert.equal(id('gone').Operation, 'absent');
  assert.equal(id('gone').Path, 'HKU\\S-1-5-19\\SOFTWARE\\A');
  for (const p of byId.values()) {
    assert.equal(p.ModuleName, 'DriftscanDsc');
    assert.equal(p.ModuleVersion, c.modules[0]!.version);
    assert.equal(p.ConfigurationName, 'test-pkg');
    assert.equal(p.Baseline, 'test-pkg');
    assert.match(p.SourceInfo as string, /^base\.yaml::\d+::\d+::DriftscanRegistryValue$/);
  }
  assert.deepEqual(c.modules.map((m) => m.name), ['DriftscanDsc']);
  const trailer = blocks.at(-1)!;
  assert.equal(trailer.cls, 'OMI_ConfigurationDocument');
  assert.equal(trailer.props.Name, 'test-pkg');
  assert.ok(!c.mof.startsWith('\uFEFF'));
});

test('what the in-guest engine cannot reproduce fails the compile with file:line and rule id, one line each', () => {
  const rules = [
    rule('lookahead', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: S\n  type: String\n  matches: "^a(?=b)"'),
    rule('oneof-param', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: O\n  type: DWord\n  oneOf: { param: levels }'),
    rule('hkcu', 'registryKey:\n  path: HKCU\\Software\\Contoso'),
  ].join('');
  assert.throws(() => compileYaml(rules, '\n  parameters:\n    levels:\n      type: array\n      default: [1, 2]'), (e: unknown) => {
    assert.ok(e instanceof DriftscanError);
    const lines = e.message.split('\n');
    assert.equal(lines.length, 3, e.message);
    for (const [i, id] of ['lookahead', 'oneof-param', 'hkcu'].entries()) {
      assert.match(lines[i]!, new RegExp(`^base\\.yaml:\\d+:\\d+: rule ${id} cannot be compiled to Machine Configuration: `));
    }
    assert.match(lines[0]!, /look-around/);
    assert.match(lines[2]!, /LocalSystem/);
    return true;
  });
});

test('rules the old Gallery resources could not check now compile: ranges, patterns, oneOf, ACL absent/exact/owner, any account', () => {
  const { c } = compileYaml([
    rule('range', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: R\n  type: DWord\n  atLeast: 3\n  atMost: 9'),
    rule('regex', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: S\n  type: String\n  matches: "^a.c$"\n  ignoreCase: true'),
    rule('case', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: C\n  type: String\n  equals: CaseMatters'),
    rule('acl-absent', 'registryAcl:\n  path: HKLM\\SOFTWARE\\A\n  ensure: absent\n  access:\n    - identity: BUILTIN\\Users\n      rights: SetValue'),
    rule('acl-exact', 'registryAcl:\n  path: HKLM\\SOFTWARE\\B\n  exact: true\n  owner: BUILTIN\\Administrators\n  access:\n    - identity: BUILTIN\\Users\n      rights: ReadKey'),
    rule('svc-custom', 'service:\n  name: Foo\n  account: { sid: S-1-5-21-1-2-3-1001, name: CONTOSO\\svc }\n  startupType: System'),
  ].join(''));
  assert.deepEqual(c.rules.map((r) => r.resources), [
    ['[DriftscanRegistryValue]range'], ['[DriftscanRegistryValue]regex'], ['[DriftscanRegistryValue]case'],
    ['[DriftscanRegistryAcl]acl-absent'], ['[DriftscanRegistryAcl]acl-exact'], ['[DriftscanService]svc-custom'],
  ]);
  const blocks = parseMof(c.mof);
  const exact = blocks.find((b) => b.props.ResourceID === '[DriftscanRegistryAcl]acl-exact')!.props;
  assert.deepEqual([exact.Entries, exact.Owner, exact.Exact], [['S-1-5-32-545;Allow;131097;'], 'S-1-5-32-544', true]);
  assert.equal(exact.Expected, 'owner BUILTIN\\Administrators (S-1-5-32-544); exactly BUILTIN\\Users (S-1-5-32-545) Allow ReadKey (explicit ACEs)');
  const svc = blocks.find((b) => b.props.ResourceID === '[DriftscanService]svc-custom')!.props;
  assert.deepEqual([svc.Account, svc.AccountSid, svc.StartupType], ['CONTOSO\\svc', 'S-1-5-21-1-2-3-1001', 'System']);
});

test('ApplyAndMonitor refuses rules with no single compliant state, at file:line:col; omit leaves them out', () => {
  const rules = rule('range', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: R\n  type: DWord\n  atLeast: 3') +
    rule('fixed', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: F\n  type: DWord\n  equals: 3') +
    rule('svc-pw', 'service:\n  name: Foo\n  account: { sid: S-1-5-21-1-2-3-1001, name: CONTOSO\\svc }');
  const enforce = (extra = '') => loadBaselineText(header(extra).replace('type: Audit', 'type: ApplyAndMonitor') + rules, 'set.yaml', { today: '2026-01-01' });
  assert.throws(() => compileConfiguration(enforce()), (e: unknown) => {
    const lines = (e as Error).message.split('\n');
    assert.equal(lines.length, 2, (e as Error).message);
    assert.match(lines[0]!, /^set\.yaml:\d+:7: rule range cannot be applied \(ApplyAndMonitor\): atLeast\/atMost has no single compliant value to write/);
    assert.match(lines[1]!, /^set\.yaml:\d+:7: rule svc-pw cannot be applied \(ApplyAndMonitor\): account CONTOSO\\svc would need a password/);
    return true;
  });
  const c = compileConfiguration(enforce('\n    unsupportedRules: omit'));
  assert.deepEqual(c.rules.map((r) => [r.ruleId, r.omitted ? 'omitted' : r.resources.join()]), [['range', 'omitted'], ['fixed', '[DriftscanRegistryValue]fixed'], ['svc-pw', 'omitted']]);
  assert.equal(compileConfiguration(enforce(), { assignmentType: 'Audit' }).rules.length, 3);
});

test('parameters become configurationParameter references to a property present in the MOF', () => {
  const { c } = compileYaml(rule('tok', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: T\n  type: DWord\n  equals: { param: size }') +
    rule('svc', 'service:\n  name: Spooler\n  startupType: { param: start }\n  account: { param: who }'),
  '\n  parameters:\n    size:\n      type: integer\n      default: 4294967295\n    start:\n      type: string\n      default: Automatic\n    who:\n      type: string\n      default: NT AUTHORITY\\LocalService');
  assert.deepEqual(c.parameters.map((p) => [p.name, p.reference, p.defaultValue]), [
    ['size', '[DriftscanRegistryValue]tok;Data', '4294967295'], ['start', '[DriftscanService]svc;StartupType', 'Automatic'], ['who', '[DriftscanService]svc;Account', 'NT AUTHORITY\\LocalService'],
  ]);
  const blocks = parseMof(c.mof);
  for (const p of c.parameters) {
    const [rid, prop] = p.reference.split(';');
    const b = blocks.filter((x) => String(x.props.ResourceID).toLowerCase() === rid!.toLowerCase());
    assert.equal(b.length, 1);
    assert.ok(prop! in b[0]!.props, `${prop} present in ${rid}`);
  }
  // An account chosen at assignment time is resolved on the machine: no SID is baked in.
  assert.equal(blocks.find((b) => b.props.ResourceID === '[DriftscanService]svc')!.props.AccountSid, undefined);
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
