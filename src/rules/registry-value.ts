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
import { sameIgnoringCase } from '../windows/text.js';
import type { Rule } from './model.js';
import { DscUnsupported, enginePath, engineResource, resourceId, type DscPlan, type DscProperty } from '../dsc/resources.js';
import { dotnetRegex } from '../dsc/dotnet-regex.js';
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
  const same = (a: string, b: string) => (ignoreCase ? sameIgnoringCase(a, b) : a === b);
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

// --- Machine Configuration: DriftscanDsc `DriftscanRegistryValue` (dsc/DriftscanDsc/Resources/RegistryValue.ps1) --
//
// The resource evaluates the rule as above, so the MOF carries the rule as data: expected data in
// the rule's type (DWord/QWord decimal, Binary hex, MultiString one element per string), ranges,
// and the pattern translated to an equivalent .NET expression (src/dsc/dotnet-regex.ts).

/** A scalar as MOF text in the rule's type (the encoding RegistryValue.ps1 ConvertTo-DsRegistryScalar reads). */
function dscScalar(type: RuleValueType, s: Scalar): string[] {
  switch (type) {
    case 'MultiString': return [...(s as string[])];
    case 'Binary': return [Buffer.from(s as Uint8Array).toString('hex')];
    case 'DWord':
    case 'QWord': return [BigInt(s as number | bigint).toString()];
    default: return [s as string];
  }
}

/** Translates a `registryValue` rule. */
function dscPlan(rule: Rule<RegistryValueCheck>): DscPlan {
  const c = rule.check;
  const e = c.expect;
  const props: DscProperty[] = [['Path', enginePath(c.path)], ['PathText', c.pathText], ['ValueName', c.name], ['ValueType', c.type], ['Operation', e.op]];
  const id = resourceId(ENGINE_CLASS, rule.id);
  const target = (property: string, resourceProperty: string) => ({ property, resourceId: id, resourceProperty });
  const parameters = [];
  for (const p of rule.parameters) {
    if (p.property === 'equals') parameters.push(target(p.property, 'Data'));
    else if (p.property === 'atLeast') parameters.push(target(p.property, 'AtLeast'));
    else if (p.property === 'atMost') parameters.push(target(p.property, 'AtMost'));
    else if (p.property === 'oneOf') throw new DscUnsupported('a oneOf list chosen at assignment time cannot be compiled: Machine Configuration parameters are single strings');
    else throw new DscUnsupported(`a ${p.property} pattern chosen at assignment time cannot be compiled: the pattern is translated to .NET when compiling`);
  }
  let notSettable: string | undefined;
  switch (e.op) {
    case 'equals':
      props.push(['Data', dscScalar(c.type, e.value)], ['IgnoreCase', e.ignoreCase]);
      break;
    case 'oneOf':
      props.push(['Data', e.values.flatMap((v) => dscScalar(c.type, v))], ['IgnoreCase', e.ignoreCase]);
      if (c.type === 'MultiString') props.push(['DataLengths', e.values.map((v) => String((v as string[]).length))]);
      if (e.values.length > 1) notSettable = 'oneOf with several values has no single compliant value to write';
      break;
    case 'range':
      if (e.atLeast !== undefined) props.push(['AtLeast', String(e.atLeast)]);
      if (e.atMost !== undefined) props.push(['AtMost', String(e.atMost)]);
      notSettable = 'atLeast/atMost has no single compliant value to write';
      break;
    case 'matches':
      props.push(['PatternText', e.pattern], ['Pattern', dotnetRegex(e.pattern, e.ignoreCase)], ['IgnoreCase', e.ignoreCase]);
      notSettable = 'matches has no single compliant value to write';
      break;
    case 'present':
      notSettable = 'ensure: present (any data) has no single compliant value to write';
      break;
    case 'absent':
      break;
  }
  return { resources: [engineResource(ENGINE_CLASS, rule.id, props)], parameters, ...(notSettable ? { notSettable: `${notSettable}; state it with equals to apply it` } : {}) };
}

const ENGINE_CLASS = 'DriftscanRegistryValue';
