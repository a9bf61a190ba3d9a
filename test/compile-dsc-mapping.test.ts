/**
 * Rule → DSC mappings are exact or stricter, never laxer. The oracle is a model of what the
 * resources' Test-TargetResource does on a machine, written here from the PSDscResources 2.12.0.0
 * source (MSFT_RegistryResource: type must match, data read with DoNotExpandEnvironmentNames,
 * `[Int32]/[Int64]::Parse`, strings `-ieq`, MultiString/Binary `Compare-Object`; MSFT_ServiceResource:
 * StartupType from Win32_Service.StartMode, which says Auto for Start = 2 with or without delayed
 * start). For random rules and machine values: DSC compliant ⇒ driftscan passes, and for mappings
 * not marked `stricter` also the converse.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadBaselineText } from '../src/baseline/load.js';
import { compileConfiguration } from '../src/compile/configuration.js';
import { DscUnsupported, type DscPlan, type DscResource } from '../src/dsc/resources.js';
import type { Baseline, Rule } from '../src/rules/model.js';
import { ruleKind } from '../src/rules/index.js';
import { DriftscanError } from '../src/core/diagnostics.js';
import type { RegistryValue } from '../src/windows/value.js';
import { memorySource, type MemoryKey } from './support/memory-source.js';
import { baselineHeader, ruleYaml } from './support/baseline-yaml.js';

function load(rules: string, extra = ''): Baseline {
  return loadBaselineText(baselineHeader('map-test', extra) + rules, 'map.yaml', { today: '2026-01-01' });
}

/** The rule's plan, or undefined when the compiler refuses it. */
function planOf(b: Baseline, rule: Rule = b.rules[0]!): DscPlan | undefined {
  try {
    return ruleKind(rule.kind)!.dsc!.plan(rule as never, b.parameters);
  } catch (err) {
    if (err instanceof DscUnsupported) return undefined;
    throw err;
  }
}

const prop = (r: DscResource, name: string) => r.properties.find(([k]) => k === name)?.[1];

/** .NET culture-aware ignore-case equality on the test alphabet (what `-ieq` and Compare-Object do). */
const collator = new Intl.Collator('en', { sensitivity: 'accent' });
const ieq = (a: string, b: string) => collator.compare(a, b) === 0;

/** Compare-Object: no element left over on either side (order ignored). */
function sameMultiset<T>(a: readonly T[], b: readonly T[], eq: (x: T, y: T) => boolean): boolean {
  const rest = [...b];
  for (const x of a) {
    const i = rest.findIndex((y) => eq(x, y));
    if (i < 0) return false;
    rest.splice(i, 1);
  }
  return rest.length === 0;
}

/** MSFT_RegistryResource Test-TargetResource for a value resource, on a key holding `actual` (or not). */
function registryTest(r: DscResource, actual: RegistryValue | undefined): boolean {
  if (prop(r, 'Ensure') === 'Absent') return actual === undefined;
  if (!actual || actual.type !== prop(r, 'ValueType')) return false;
  const data = prop(r, 'ValueData') as string[];
  const hex = prop(r, 'Hex') === true;
  const int = (bits: 32 | 64): bigint => {
    // ConvertTo-DWord/QWord: TryParse HexNumber (two's complement) or Parse decimal (throws above Max).
    const text = data[0]!;
    const n = hex ? BigInt(`0x${text.replace(/^0x/, '')}`) : BigInt(text);
    if (!hex && n > (1n << BigInt(bits - 1)) - 1n) throw new Error('Parse overflow: resource error');
    return BigInt.asIntN(bits, n);
  };
  switch (actual.type) {
    case 'DWord': return int(32) === BigInt.asIntN(32, BigInt(actual.data));
    case 'QWord': return int(64) === BigInt.asIntN(64, actual.data);
    case 'String':
    case 'ExpandString': return ieq(data[0]!, actual.data);
    case 'MultiString': return sameMultiset(data, actual.data, ieq);
    case 'Binary': return sameMultiset([...Buffer.from(data[0]!, 'hex')], [...actual.data], (x, y) => x === y);
    default: return false;
  }
}

const letters = fc.constantFrom('a', 'A', 'b', '%');
const text = fc.array(letters, { maxLength: 3 }).map((a) => a.join(''));
/** Machine data of one type; strings mostly differ from rule data by case only, so case handling is exercised. */
const near = fc.oneof(text, fc.array(fc.constantFrom('a', 'A'), { minLength: 1, maxLength: 2 }).map((a) => a.join('')));
const valueOfType: Record<string, fc.Arbitrary<RegistryValue>> = {
  String: near.map((data) => ({ type: 'String' as const, data })),
  ExpandString: near.map((data) => ({ type: 'ExpandString' as const, data })),
  MultiString: fc.array(near, { maxLength: 3 }).map((data) => ({ type: 'MultiString' as const, data })),
  DWord: fc.constantFrom(0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff).map((data) => ({ type: 'DWord' as const, data })),
  QWord: fc.constantFrom(0n, 1n, (1n << 63n), (1n << 64n) - 1n).map((data) => ({ type: 'QWord' as const, data })),
  Binary: fc.array(fc.constantFrom(0, 1, 255), { maxLength: 3 }).map((b) => ({ type: 'Binary' as const, data: Uint8Array.from(b) })),
};
/** Each character of `t` in either case. */
const caseFlipped = (t: string) => fc.array(fc.boolean(), { minLength: t.length, maxLength: t.length })
  .map((up) => [...t].map((ch, i) => (up[i] ? ch.toUpperCase() : ch.toLowerCase())).join(''));

/** The rule's own data with case changed and lists/bytes reordered: what `-ieq` and Compare-Object cannot tell apart. */
function lookalike(type: string, data: string): fc.Arbitrary<RegistryValue> | undefined {
  if (type === 'String' || type === 'ExpandString') return caseFlipped(JSON.parse(data) as string).map((d) => ({ type, data: d }) as RegistryValue);
  if (type === 'MultiString') {
    const list = JSON.parse(data) as string[];
    return fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length })
      .chain((l) => fc.tuple(...l.map(caseFlipped))).map((d) => ({ type: 'MultiString' as const, data: d }));
  }
  if (type === 'Binary') {
    const bytes = [...Buffer.from((JSON.parse(data) as string).replace(/ /g, ''), 'hex')];
    return fc.shuffledSubarray(bytes, { minLength: bytes.length, maxLength: bytes.length }).map((d) => ({ type: 'Binary' as const, data: Uint8Array.from(d) }));
  }
  return undefined;
}

/** Missing, any type, the rule's own type, or a lookalike of the rule's data. */
const machineValue = (type: string, data: string): fc.Arbitrary<RegistryValue | undefined> => fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 1 },
  { arbitrary: fc.oneof(...Object.values(valueOfType)), weight: 2 },
  { arbitrary: valueOfType[type]!, weight: 6 },
  { arbitrary: lookalike(type, data) ?? valueOfType[type]!, weight: 4 },
);

/** A registryValue body: a type, data of that type and an expectation. */
const valueRule = fc.oneof(
  fc.record({ type: fc.constantFrom('String', 'ExpandString'), data: text.map((t) => JSON.stringify(t)) }),
  fc.record({ type: fc.constant('MultiString'), data: fc.array(text, { maxLength: 2 }).map((a) => JSON.stringify(a)) }),
  fc.record({ type: fc.constant('DWord'), data: fc.constantFrom('0', '1', '2147483647', '2147483648', '4294967295') }),
  fc.record({ type: fc.constant('QWord'), data: fc.constantFrom('0', '1', '"9223372036854775808"', '"0xffffffffffffffff"') }),
  fc.record({ type: fc.constant('Binary'), data: fc.array(fc.constantFrom('00', '01', 'ff'), { minLength: 1, maxLength: 3 }).map((b) => JSON.stringify(b.join(' '))) }),
).chain((r) => fc.record({
  type: fc.constant(r.type),
  data: fc.constant(r.data),
  expect: fc.oneof(fc.constant(`equals: ${r.data}`), fc.constant(`oneOf: [${r.data}]`), fc.constant('ensure: absent')),
  ignoreCase: ['String', 'ExpandString', 'MultiString'].includes(r.type) ? fc.boolean() : fc.constant(false),
}));

test('property: registryValue mappings are exact — DSC compliant exactly where driftscan passes', () => {
  let compiled = 0;
  fc.assert(fc.property(valueRule.chain((r) => fc.tuple(fc.constant(r), machineValue(r.type, r.data))), ([r, actual]) => {
    const b = load(ruleYaml('v', `registryValue:\n  path: HKLM\\SOFTWARE\\Contoso\n  name: V\n  type: ${r.type}\n  ${r.expect}${r.ignoreCase ? '\n  ignoreCase: true' : ''}`));
    const plan = planOf(b);
    if (!plan) return;
    compiled++;
    assert.equal(plan.stricter, undefined);
    const [res] = plan.resources;
    assert.equal(plan.resources.length, 1);
    assert.equal(prop(res!, 'Key'), 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso');
    assert.equal(prop(res!, 'ValueName'), 'V');
    const keys: Record<string, MemoryKey> = { 'HKLM\\SOFTWARE\\Contoso': { values: actual ? { V: actual } : {} } };
    const verdict = ruleKind('registryValue')!.evaluate(b.rules[0]!.check, memorySource(keys)).status;
    let dsc: boolean;
    try { dsc = registryTest(res!, actual); } catch { dsc = false; }
    assert.equal(dsc, verdict === 'pass', `${JSON.stringify(r)} vs ${JSON.stringify(actual, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}: DSC ${dsc}, driftscan ${verdict}`);
  }), { numRuns: 2000 });
  assert.ok(compiled > 100, `only ${compiled} rules compiled`);
});

test('strings need ignoreCase; MultiString and Binary compile only where order cannot matter; messages say what to do', () => {
  const refusal = (body: string) => {
    try {
      compileConfiguration(load(ruleYaml('r', `registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: V\n  ${body}`)));
    } catch (err) {
      assert.ok(err instanceof DriftscanError);
      assert.equal(err.message.split('\n').length, 1);
      return err.message;
    }
    return undefined;
  };
  assert.equal(refusal('type: String\n  equals: Enabled'),
    'map.yaml:11:7: rule r cannot be compiled to Machine Configuration: PSDscResources Registry compares String data case-insensitively (-ieq); add `ignoreCase: true` to the rule if case does not matter');
  assert.match(refusal('type: ExpandString\n  equals: "%SystemRoot%\\\\x"')!, /compares ExpandString data case-insensitively .*add `ignoreCase: true`/);
  assert.equal(refusal('type: ExpandString\n  equals: "%SystemRoot%\\\\x"\n  ignoreCase: true'), undefined, 'ExpandString is compared raw (DoNotExpandEnvironmentNames), like driftscan');
  assert.match(refusal('type: MultiString\n  equals: [a, b]\n  ignoreCase: true')!, /Compare-Object, ignoring element order and case; only a single non-empty string/);
  assert.match(refusal('type: MultiString\n  equals: [a]')!, /ignoreCase: true/);
  assert.match(refusal('type: Binary\n  equals: "01 00"')!, /ignores byte order; only non-empty data whose bytes are all equal/);
  assert.equal(refusal('type: Binary\n  equals: "00 00 00 00"'), undefined);
  assert.match(refusal('type: String\n  oneOf: [a, b]\n  ignoreCase: true')!, /oneOf cannot be expressed/);
  assert.equal(refusal('type: DWord\n  oneOf: [1]'), undefined, 'a one-item oneOf is an equals');
});

const SERVICES = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\Svc';

/** MSFT_ServiceResource Test for StartupType: Win32_Service.StartMode from Start (delayed start reads Auto). */
function serviceTest(r: DscResource, start: number | undefined): boolean {
  const mode = start === undefined ? undefined : ['Boot', 'System', 'Automatic', 'Manual', 'Disabled'][start];
  return prop(r, 'StartupType') === undefined || prop(r, 'StartupType') === mode;
}

test('property: service startup types are exact (AutomaticDelayedStart) or stricter (Automatic), never laxer', () => {
  const startupType = fc.constantFrom('Boot', 'System', 'Automatic', 'AutomaticDelayedStart', 'Manual', 'Disabled');
  const delayed = fc.constantFrom<RegistryValue | undefined>(undefined, { type: 'DWord', data: 0 }, { type: 'DWord', data: 1 }, { type: 'String', data: '1' });
  const seen = { exact: 0, stricter: 0, refused: 0 };
  fc.assert(fc.property(startupType, fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }), delayed, (want, start, delay) => {
    const b = load(ruleYaml('s', `service:\n  name: Svc\n  startupType: ${want}`));
    const plan = planOf(b);
    if (!plan) { seen.refused++; assert.ok(want === 'Boot' || want === 'System'); return; }
    const values: Record<string, RegistryValue> = {};
    if (start !== undefined) values.Start = { type: 'DWord', data: start };
    if (delay) values.DelayedAutostart = delay;
    const verdict = ruleKind('service')!.evaluate(b.rules[0]!.check, memorySource({ [SERVICES]: { values } })).status;
    const dsc = plan.resources.every((r) => {
      if (r.friendlyName === 'Service') return serviceTest(r, start);
      assert.equal(prop(r, 'Key'), 'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Svc');
      assert.equal(prop(r, 'ValueName'), 'DelayedAutostart');
      return registryTest(r, delay);
    });
    if (dsc) assert.equal(verdict, 'pass', `${want}: DSC compliant where driftscan says ${verdict} (Start ${start}, DelayedAutostart ${JSON.stringify(delay)})`);
    if (plan.stricter) seen.stricter++;
    else {
      seen.exact++;
      assert.equal(dsc, verdict === 'pass', `${want} is marked exact`);
    }
  }), { numRuns: 300 });
  assert.ok(seen.exact > 0 && seen.stricter > 0 && seen.refused > 0, JSON.stringify(seen));
});

test('Automatic is recorded as stricter; AutomaticDelayedStart compiles to Service Automatic plus DelayedAutostart = 1', () => {
  const c = compileConfiguration(load(ruleYaml('auto', 'service:\n  name: Svc\n  startupType: Automatic') + ruleYaml('late', 'service:\n  name: Late\n  startupType: AutomaticDelayedStart\n  state: Running')));
  const auto = c.rules.find((r) => r.ruleId === 'auto')!;
  assert.deepEqual(auto.resources, ['[Service]auto', '[Registry]auto (not delayed)']);
  assert.match(auto.stricter!, /DelayedAutostart value to be absent/);
  const late = c.rules.find((r) => r.ruleId === 'late')!;
  assert.deepEqual(late, { ruleId: 'late', resources: ['[Service]late', '[Registry]late (delayed start)'] });
  assert.match(c.mof, /ResourceID = "\[Service\]late";\s+Name = "Late";\s+StartupType = "Automatic";/);
  assert.throws(() => compileConfiguration(load(ruleYaml('x', 'service:\n  name: Svc\n  startupType: AutomaticDelayedStart\n  state: Stopped'))), /with state Stopped is refused/);
});

test('a parameterised startupType compiles only when allowedValues keep it to Manual and Disabled', () => {
  const withParam = (allowed: string) => load(ruleYaml('s', 'service:\n  name: Svc\n  startupType: { param: start }\n  state: Stopped'),
    `\n  parameters:\n    start:\n      type: string\n      default: Disabled${allowed}`);
  assert.deepEqual(compileConfiguration(withParam('\n      allowedValues: [Disabled, Manual]')).parameters.map((p) => p.reference), ['[Service]s;StartupType']);
  assert.throws(() => compileConfiguration(withParam('')), /^DriftscanError: map\.yaml:\d+:\d+: rule s cannot be compiled.*needs allowedValues limited to Manual and Disabled/);
  assert.throws(() => compileConfiguration(withParam('\n      allowedValues: [Disabled, Automatic]')), /needs allowedValues limited to Manual and Disabled/);
});

test('spec.assignment.unsupportedRules: omit leaves that baseline\'s unsupported rules out; the default fails', () => {
  const rules = ruleYaml('ok', 'registryKey:\n  path: HKLM\\SOFTWARE\\A') +
    ruleYaml('range', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: R\n  type: DWord\n  atLeast: 3') +
    ruleYaml('case', 'registryValue:\n  path: HKLM\\SOFTWARE\\A\n  name: S\n  type: String\n  equals: On');
  const omit = compileConfiguration(load(rules, '\n    unsupportedRules: omit'));
  assert.deepEqual(omit.rules.map((r) => [r.ruleId, r.resources.length, Boolean(r.omitted)]), [['ok', 1, false], ['range', 0, true], ['case', 0, true]]);
  assert.match(omit.rules[2]!.omitted!, /add `ignoreCase: true`/);
  assert.doesNotMatch(omit.mof, /range|"S"/);
  assert.throws(() => compileConfiguration(load(rules, '\n    unsupportedRules: fail')), (e: unknown) => e instanceof DriftscanError && e.message.split('\n').length === 2);
  assert.throws(() => compileConfiguration(load(rules)), /rule range cannot be compiled/);
  assert.deepEqual(compileConfiguration(load(rules), { skipUnsupported: true }).rules, omit.rules, 'same as --skip-unsupported');
});
