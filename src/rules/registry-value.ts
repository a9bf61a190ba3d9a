/**
 * `registryValue`: a named value (or the default value) of a key has a given type and data,
 * lies in a range, matches a pattern, exists, or is absent.
 *
 * Types are compared exactly: a DWord rule against a REG_SZ value fails with a type message
 * instead of coercing "1" to 1 — Windows components read values with a fixed type and ignore
 * (or misread) the wrong one, so a type drift is a real drift.
 */
import type { RuleKind, Verdict } from './kind.js';
import { expectedFound } from './kind.js';
import type { RegistryPath } from '../windows/registry-path.js';
import { formatRegistryPath } from '../windows/registry-path.js';
import type { RegistryValue, RuleValueType } from '../windows/value.js';
import { RULE_VALUE_TYPES, describeType, formatValue } from '../windows/value.js';
import type { Rule } from './model.js';
import { DscUnsupported, registryResource, resourceId, type DscPlan, type DscProperty } from '../dsc/resources.js';
import { remoteAccessKeyReason } from '../dsc/remote-access.js';

/** Data of a rule value, typed by the rule's `type`. */
export type Scalar = string | number | bigint | string[] | Uint8Array;

export type ValueExpectation =
  /** `ignoreCase`: strings compare case-insensitively (as Windows compares most names and paths). */
  | { op: 'equals'; value: Scalar; ignoreCase: boolean }
  | { op: 'oneOf'; values: Scalar[]; ignoreCase: boolean }
  | { op: 'range'; atLeast?: number | bigint; atMost?: number | bigint }
  | { op: 'matches'; pattern: string; ignoreCase: boolean }
  | { op: 'present' }
  | { op: 'absent' };

export interface RegistryValueCheck {
  path: RegistryPath;
  pathText: string;
  /** `''` = the key's default value. */
  name: string;
  type: RuleValueType;
  expect: ValueExpectation;
}

const DWORD_MAX = 0xffffffff;
const QWORD_MAX = (1n << 64n) - 1n;

const scalarSchema = {
  anyOf: [
    { type: 'string' },
    { type: 'integer' },
    { type: 'array', items: { type: ['string', 'integer'] } },
    { $ref: '#/$defs/param' },
  ],
};

function valueName(name: string): string {
  return name === '' ? '(default)' : name;
}

/** Parses YAML data into the rule's type; `where` is the property path for errors. */
function toScalar(type: RuleValueType, raw: unknown, fail: (m: string) => never): Scalar {
  switch (type) {
    case 'String':
    case 'ExpandString':
      if (typeof raw === 'string') return raw;
      if (typeof raw === 'number' || typeof raw === 'boolean') fail(`${type} data must be a string; quote it: "${String(raw)}"`);
      return fail(`${type} data must be a string`);
    case 'MultiString':
      if (Array.isArray(raw) && raw.every((s) => typeof s === 'string')) return raw as string[];
      if (typeof raw === 'string') return [raw];
      return fail('MultiString data must be a list of strings');
    case 'DWord': {
      const n = toInteger(raw, fail);
      if (n < 0n || n > BigInt(DWORD_MAX)) fail(`DWord data must be between 0 and 4294967295 (0xffffffff); got ${String(raw)}`);
      return Number(n);
    }
    case 'QWord': {
      const n = toInteger(raw, fail);
      if (n < 0n || n > QWORD_MAX) fail(`QWord data must be between 0 and 18446744073709551615; got ${String(raw)}`);
      return n;
    }
    case 'Binary': {
      if (typeof raw !== 'string' || !/^(?:[0-9a-fA-F]{2}(?:[ ,:]?|$))*$/.test(raw.trim())) {
        return fail('Binary data must be hex bytes such as "01 00 ff" or "0100ff"');
      }
      const hex = raw.replace(/[ ,:]/g, '');
      return Uint8Array.from(Buffer.from(hex, 'hex'));
    }
  }
}

function toInteger(raw: unknown, fail: (m: string) => never): bigint {
  // YAML numbers are doubles: above 2^53 they have already lost digits, so insist on a string.
  if (typeof raw === 'number' && Number.isInteger(raw) && !Number.isSafeInteger(raw)) fail('numbers above 9007199254740991 lose digits as plain YAML numbers; write the value as a quoted string, e.g. "18446744073709551615" or "0xffffffffffffffff"');
  if (typeof raw === 'number' && Number.isInteger(raw)) return BigInt(raw);
  if (typeof raw === 'bigint') return raw;
  if (typeof raw === 'string' && /^(?:0x[0-9a-fA-F]+|\d+)$/.test(raw.trim())) return BigInt(raw.trim());
  return fail(`expected a whole number (decimal or 0x hex), got ${JSON.stringify(raw)}`);
}

/** Formats rule data the way `formatValue` formats machine data, so both sides of a message read alike. */
export function formatScalar(type: RuleValueType, s: Scalar): string {
  switch (type) {
    case 'String': return formatValue({ type, data: s as string });
    case 'ExpandString': return formatValue({ type, data: s as string });
    case 'MultiString': return formatValue({ type, data: s as string[] });
    case 'DWord': return `DWORD ${s as number}`;
    case 'QWord': return `QWORD ${(s as bigint).toString()}`;
    case 'Binary': return formatValue({ type, data: s as Uint8Array });
  }
}

function describeExpectation(c: RegistryValueCheck): string {
  const e = c.expect;
  const t = describeType(c.type);
  switch (e.op) {
    case 'equals': return `${formatScalar(c.type, e.value)}${e.ignoreCase ? ' (ignoring case)' : ''}`;
    case 'oneOf': return `${t} one of ${e.values.map((v) => formatScalar(c.type, v).replace(`${t} `, '')).join(', ')}${e.ignoreCase ? ' (ignoring case)' : ''}`;
    case 'range':
      if (e.atLeast !== undefined && e.atMost !== undefined) return `${t} between ${e.atLeast} and ${e.atMost}`;
      return e.atLeast !== undefined ? `${t} of at least ${e.atLeast}` : `${t} of at most ${e.atMost}`;
    case 'matches': return `${t} matching /${e.pattern}/${e.ignoreCase ? 'i' : ''}`;
    case 'present': return `a ${t} value`;
    case 'absent': return 'no value';
  }
}

function equalData(type: RuleValueType, expected: Scalar, actual: RegistryValue, ignoreCase: boolean): boolean {
  const same = (a: string, b: string) => (ignoreCase ? a.toUpperCase() === b.toUpperCase() : a === b);
  switch (type) {
    case 'DWord':
    case 'QWord':
      return actual.data === expected;
    case 'String':
    case 'ExpandString':
      return same(actual.data as string, expected as string);
    case 'MultiString': {
      const a = actual.data as string[]; const e = expected as string[];
      return a.length === e.length && a.every((s, i) => same(s, e[i]!));
    }
    case 'Binary':
      return Buffer.compare(Buffer.from(actual.data as Uint8Array), Buffer.from(expected as Uint8Array)) === 0;
  }
}

function meets(c: RegistryValueCheck, v: RegistryValue): boolean {
  const e = c.expect;
  switch (e.op) {
    case 'present': return true;
    case 'absent': return false;
    case 'equals': return equalData(c.type, e.value, v, e.ignoreCase);
    case 'oneOf': return e.values.some((x) => equalData(c.type, x, v, e.ignoreCase));
    case 'range': {
      const n = typeof v.data === 'bigint' ? v.data : BigInt(v.data as number);
      return (e.atLeast === undefined || n >= BigInt(e.atLeast)) && (e.atMost === undefined || n <= BigInt(e.atMost));
    }
    case 'matches': {
      const re = new RegExp(e.pattern, e.ignoreCase ? 'iu' : 'u');
      return Array.isArray(v.data) ? v.data.some((s) => re.test(s)) : re.test(v.data as string);
    }
  }
}

export const registryValue: RuleKind<RegistryValueCheck> = {
  dsc: { plan: dscPlan, remoteAccess: (c) => remoteAccessKeyReason(c.path) },
  name: 'registryValue',
  summary: 'A registry value has the expected type and data (equals, oneOf, atLeast/atMost, matches) or is absent.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: { type: 'string', description: 'Key path, e.g. HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa' },
      name: { type: 'string', description: 'Value name; omit or use "" (or "(default)") for the default value' },
      type: { enum: [...RULE_VALUE_TYPES], description: 'Registry value type (required unless ensure: absent)' },
      equals: { ...scalarSchema, description: 'Exact data (the default expectation)' },
      oneOf: { anyOf: [{ type: 'array', minItems: 1 }, { $ref: '#/$defs/param' }], description: 'Any of these data' },
      atLeast: { anyOf: [{ type: ['integer', 'string'] }, { $ref: '#/$defs/param' }], description: 'Minimum (DWord/QWord)' },
      atMost: { anyOf: [{ type: ['integer', 'string'] }, { $ref: '#/$defs/param' }], description: 'Maximum (DWord/QWord)' },
      matches: { anyOf: [{ type: 'string' }, { $ref: '#/$defs/param' }], description: 'Regular expression (String/ExpandString/MultiString)' },
      ignoreCase: { type: 'boolean', description: 'Compare strings case-insensitively (equals, oneOf, matches)' },
      ensure: { enum: ['present', 'absent'], description: '`absent`: the value must not exist; `present` with no data: any data of the type' },
    },
  },
  parameterizable: { equals: 'string', oneOf: 'array', atLeast: 'integer', atMost: 'integer', matches: 'string' },

  parse(body, ctx) {
    const { path, pathText } = ctx.registryPath(body.path, 'path');
    let name = typeof body.name === 'string' ? body.name : '';
    if (name === '(default)' || name === '@') name = '';
    const ensure = body.ensure as 'present' | 'absent' | undefined;
    const ops = ['equals', 'oneOf', 'atLeast', 'atMost', 'matches'].filter((k) => body[k] !== undefined);
    if (ensure === 'absent') {
      if (ops.length > 0) ctx.fail(`ensure: absent cannot be combined with ${ops.join(', ')}`, 'ensure');
      return { path, pathText, name, type: (body.type as RuleValueType | undefined) ?? 'String', expect: { op: 'absent' } };
    }
    if (body.type === undefined) ctx.fail('type is required (String, ExpandString, MultiString, DWord, QWord or Binary)');
    const type = body.type as RuleValueType;
    const data = (raw: unknown, ...where: Array<string | number>) => toScalar(type, raw, (m) => ctx.fail(m, ...where));
    if (ops.length === 0) {
      if (ensure === 'present') return { path, pathText, name, type, expect: { op: 'present' } };
      return ctx.fail('say what the value must be: equals, oneOf, atLeast/atMost, matches, or ensure: present/absent');
    }
    const numeric = type === 'DWord' || type === 'QWord';
    if ((body.atLeast !== undefined || body.atMost !== undefined)) {
      if (!numeric) ctx.fail(`atLeast/atMost apply to DWord and QWord values, not ${type}`, body.atLeast !== undefined ? 'atLeast' : 'atMost');
      if (ops.some((o) => o !== 'atLeast' && o !== 'atMost')) ctx.fail('atLeast/atMost cannot be combined with equals, oneOf or matches');
      const lo = body.atLeast === undefined ? undefined : (data(body.atLeast, 'atLeast') as number | bigint);
      const hi = body.atMost === undefined ? undefined : (data(body.atMost, 'atMost') as number | bigint);
      if (lo !== undefined && hi !== undefined && BigInt(lo) > BigInt(hi)) ctx.fail(`atLeast (${lo}) is greater than atMost (${hi})`, 'atLeast');
      return { path, pathText, name, type, expect: { op: 'range', ...(lo !== undefined ? { atLeast: lo } : {}), ...(hi !== undefined ? { atMost: hi } : {}) } };
    }
    if (ops.length > 1) ctx.fail(`use only one of ${ops.join(', ')}`, ops[1]!);
    const ignoreCase = body.ignoreCase === true;
    if (ignoreCase && (numeric || type === 'Binary')) ctx.fail(`ignoreCase applies to string types, not ${type}`, 'ignoreCase');
    if (body.matches !== undefined) {
      if (numeric || type === 'Binary') ctx.fail(`matches applies to string types, not ${type}`, 'matches');
      try {
        new RegExp(String(body.matches), ignoreCase ? 'iu' : 'u');
      } catch (err) {
        ctx.fail(`invalid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`, 'matches');
      }
      return { path, pathText, name, type, expect: { op: 'matches', pattern: String(body.matches), ignoreCase } };
    }
    if (body.oneOf !== undefined) {
      if (!Array.isArray(body.oneOf) || body.oneOf.length === 0) ctx.fail('oneOf must be a non-empty list', 'oneOf');
      const list = body.oneOf as unknown[];
      return { path, pathText, name, type, expect: { op: 'oneOf', values: list.map((v, i) => data(v, 'oneOf', i)), ignoreCase } };
    }
    return { path, pathText, name, type, expect: { op: 'equals', value: data(body.equals, 'equals'), ignoreCase } };
  },

  references(c) {
    return { keys: [{ path: formatRegistryPath(c.path), values: [c.name], acl: false }], services: [] };
  },

  describe(c) {
    return `${c.pathText} → ${valueName(c.name)}: ${describeExpectation(c)}`;
  },

  evaluate(c, source): Verdict {
    const expected = describeExpectation(c);
    const key = source.key(c.path);
    if (key.status === 'unknown') return { status: 'skipped', expected, actual: 'unknown', message: key.reason };
    if (key.status === 'absent') {
      if (c.expect.op === 'absent') return { status: 'pass', expected, actual: 'no value (the key does not exist)' };
      return { status: 'fail', expected, actual: 'no value', message: `${expectedFound(expected, 'no value')} (key ${c.pathText} does not exist)` };
    }
    const target = `${key.value.path}\\${valueName(c.name)}`;
    const v = key.value.value(c.name);
    if (!v) {
      return c.expect.op === 'absent'
        ? { status: 'pass', expected, actual: 'no value', target }
        : { status: 'fail', expected, actual: 'no value', target };
    }
    const actual = formatValue(v);
    if (c.expect.op === 'absent') return { status: 'fail', expected, actual, target };
    if (v.type !== c.type) {
      return {
        status: 'fail', expected, actual, target,
        message: `${expectedFound(expected, actual)} (wrong type: the rule requires ${describeType(c.type)}, the machine has ${describeType(v)})`,
      };
    }
    return { status: meets(c, v) ? 'pass' : 'fail', expected, actual, target };
  },
};

// --- Machine Configuration: PSDscResources `Registry` (machine-configuration.md §7.1) ---------------
//
// What MSFT_RegistryResource 2.12.0.0 Test-TargetResource does, and so what can be compiled exactly:
// - the value type must equal ValueType; a missing value (or key) is "Absent";
// - the machine's data is read with GetValue(…, DoNotExpandEnvironmentNames), so ExpandString data
//   is compared raw (`%SystemRoot%\x`), as driftscan compares it;
// - DWord/QWord: `[Int32]`/`[Int64]::Parse` of ValueData (hex with `Hex = True`), compared as numbers;
// - String/ExpandString: `-ieq`, i.e. case-insensitively (Test-RegistryKeyValuesMatch);
// - MultiString/Binary: `Compare-Object`, which ignores element order (and case for strings).
// Anything that would let DSC accept data the rule rejects is refused. Residual difference, documented
// in the README: `-ieq` is .NET's culture-aware comparison, which also ignores characters such as NUL
// or a soft hyphen that driftscan's case-insensitive comparison does not.

const INT32_MAX = 0x7fffffff;
const INT64_MAX = (1n << 63n) - 1n;

/** `ValueData` and `Hex` for one expected value, or a refusal when `Registry` cannot compare it exactly. */
function dscValueData(c: RegistryValueCheck, value: Scalar, ignoreCase: boolean, parameterised: boolean): { data: string[]; hex: boolean } {
  switch (c.type) {
    case 'String':
    case 'ExpandString':
      if (!ignoreCase) {
        throw new DscUnsupported(`PSDscResources Registry compares ${c.type} data case-insensitively (-ieq); add \`ignoreCase: true\` to the rule if case does not matter`);
      }
      return { data: [value as string], hex: false };
    case 'MultiString': {
      const list = value as string[];
      // Compare-Object matches a one-element list against exactly one equal (ignoring case) element.
      if (parameterised || !ignoreCase || list.length !== 1 || list[0] === '') {
        throw new DscUnsupported('PSDscResources Registry compares MultiString data with Compare-Object, ignoring element order and case; ' +
          'only a single non-empty string with `ignoreCase: true` and no parameter compiles exactly');
      }
      return { data: [...list], hex: false };
    }
    case 'Binary': {
      const bytes = value as Uint8Array;
      // Compare-Object ignores byte order: only data whose bytes are all the same has one ordering.
      if (parameterised || bytes.length === 0 || bytes.some((b) => b !== bytes[0])) {
        throw new DscUnsupported('PSDscResources Registry compares Binary data with Compare-Object, which ignores byte order; ' +
          'only non-empty data whose bytes are all equal (e.g. "00 00 00 00") and no parameter compiles exactly');
      }
      return { data: [Buffer.from(bytes).toString('hex')], hex: false };
    }
    case 'DWord':
    case 'QWord': {
      const n = BigInt(value as number | bigint);
      const max = c.type === 'DWord' ? BigInt(INT32_MAX) : INT64_MAX;
      if (n <= max) return { data: [n.toString()], hex: false };
      if (parameterised) {
        throw new DscUnsupported(
          `${c.type} ${n} is above ${max}: PSDscResources parses decimal data as a signed integer and needs Hex = True for it, ` +
            'but a policy parameter value would then be read as hex; use a value up to ' + `${max} or do not parameterise this rule`,
        );
      }
      return { data: [`0x${n.toString(16)}`], hex: true };
    }
  }
}

/** Translates a `registryValue` rule (ValueName + ValueType + ValueData, or Ensure = Absent). */
function dscPlan(rule: Rule<RegistryValueCheck>): DscPlan {
  const c = rule.check;
  const e = c.expect;
  const base: DscProperty[] = [['ValueName', c.name]];
  const parameterised = rule.parameters.length > 0;
  // A one-item oneOf is an equals; with a parameter the list is chosen at assignment time.
  const single = e.op === 'equals' ? e : e.op === 'oneOf' && e.values.length === 1 && !parameterised ? { value: e.values[0]!, ignoreCase: e.ignoreCase } : undefined;
  if (single) {
    const { data, hex } = dscValueData(c, single.value, single.ignoreCase, parameterised);
    return {
      resources: [registryResource(c.path, rule.id, [...base, ['ValueType', c.type], ['ValueData', data], ['Hex', hex], ['Ensure', 'Present'], ['Force', true]])],
      parameters: rule.parameters.map((p) => ({ property: p.property, resourceId: resourceId('Registry', rule.id), resourceProperty: 'ValueData' })),
    };
  }
  switch (e.op) {
    case 'absent':
      if (c.name === '') throw new DscUnsupported('absent default value: PSDscResources Registry with ValueName "" and Ensure Absent deletes or tests the whole key, not its default value');
      return { resources: [registryResource(c.path, rule.id, [...base, ['Ensure', 'Absent']])], parameters: [] };
    case 'present':
      throw new DscUnsupported('"present" (any data) cannot be expressed: PSDscResources Registry always compares ValueData; state the expected data with equals');
    case 'oneOf':
      throw new DscUnsupported('oneOf cannot be expressed: PSDscResources Registry tests a single ValueData; use equals or keep this rule out of the package');
    case 'range':
      throw new DscUnsupported('atLeast/atMost cannot be expressed: PSDscResources Registry only tests equality; use equals or keep this rule out of the package');
    case 'matches':
      throw new DscUnsupported('matches (regular expression) cannot be expressed: PSDscResources Registry only tests equality; use equals or keep this rule out of the package');
    case 'equals':
      throw new Error('unreachable: equals is handled above');
  }
}
