/**
 * `registryValue` and `registryKey` rules → PSDscResources `Registry` (machine-configuration.md §7.1).
 *
 * DSC traps handled here: `ValueData` is always an array; DWORD data goes through
 * `[Int32]::Parse` unless `Hex = True`, so values above 2147483647 are written as hex; Binary is
 * hex text; `ValueName = ""` without type/data means the key itself. Expectations `Registry`
 * cannot test (ranges, patterns, one-of, "any data") are refused rather than approximated.
 */
import type { Rule } from '../../baseline/model.js';
import type { RegistryKeyCheck } from '../../rules/registry-key.js';
import type { RegistryValueCheck, Scalar } from '../../rules/registry-value.js';
import { DscUnsupported, PSDSC_RESOURCES, dscRegistryKey, resourceId, type DscPlan, type DscProperty } from '../dsc.js';

const INT32_MAX = 0x7fffffff;
const INT64_MAX = (1n << 63n) - 1n;

/**
 * Where PSDscResources' Test-RegistryKeyValuesMatch accepts more than driftscan: strings with
 * `-ieq`, MultiString and Binary with `Compare-Object` (element order ignored). Compiled with a
 * warning rather than refused: refusing would exclude nearly every string rule.
 */
const LAXER: Partial<Record<RegistryValueCheck['type'], string>> = {
  String: 'PSDscResources compares String data case-insensitively (-ieq)',
  ExpandString: 'PSDscResources compares ExpandString data case-insensitively (-ieq)',
  MultiString: 'PSDscResources compares MultiString data case-insensitively and ignores element order (Compare-Object)',
  Binary: 'PSDscResources compares Binary data with Compare-Object, which ignores byte order',
};

/** `ValueData` and `Hex` for one expected value; `parameterised` forbids hex (a policy value is written verbatim). */
function valueData(c: RegistryValueCheck, value: Scalar, parameterised: boolean): { data: string[]; hex: boolean } {
  switch (c.type) {
    case 'String':
    case 'ExpandString':
      return { data: [value as string], hex: false };
    case 'MultiString':
      return { data: [...(value as string[])], hex: false };
    case 'Binary':
      return { data: [Buffer.from(value as Uint8Array).toString('hex')], hex: false };
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

/** Translates a `registryValue` rule. */
export function registryValuePlan(rule: Rule<RegistryValueCheck>): DscPlan {
  const c = rule.check;
  const id = resourceId('Registry', rule.id);
  const base: DscProperty[] = [['Key', dscRegistryKey(c.path)], ['ValueName', c.name]];
  const e = c.expect;
  const parameterised = rule.parameters.length > 0;
  switch (e.op) {
    case 'equals': {
      const { data, hex } = valueData(c, e.value, parameterised);
      return {
        resources: [{
          friendlyName: 'Registry', className: 'MSFT_RegistryResource', module: PSDSC_RESOURCES, instanceName: rule.id,
          properties: [...base, ['ValueType', c.type], ['ValueData', data], ['Hex', hex], ['Ensure', 'Present'], ['Force', true]],
        }],
        parameters: rule.parameters.map((p) => ({ property: p.property, resourceId: id, resourceProperty: 'ValueData' })),
        ...(LAXER[c.type] ? { laxer: LAXER[c.type] } : {}),
      };
    }
    case 'absent':
      if (c.name === '') throw new DscUnsupported('absent default value: PSDscResources Registry with ValueName "" and Ensure Absent deletes or tests the whole key, not its default value');
      return {
        resources: [{
          friendlyName: 'Registry', className: 'MSFT_RegistryResource', module: PSDSC_RESOURCES, instanceName: rule.id,
          properties: [...base, ['Ensure', 'Absent']],
        }],
        parameters: [],
      };
    case 'present':
      throw new DscUnsupported('"present" (any data) cannot be expressed: PSDscResources Registry always compares ValueData; state the expected data with equals');
    case 'oneOf':
      throw new DscUnsupported('oneOf cannot be expressed: PSDscResources Registry tests a single ValueData; use equals or keep this rule out of the package');
    case 'range':
      throw new DscUnsupported('atLeast/atMost cannot be expressed: PSDscResources Registry only tests equality; use equals or keep this rule out of the package');
    case 'matches':
      throw new DscUnsupported('matches (regular expression) cannot be expressed: PSDscResources Registry only tests equality; use equals or keep this rule out of the package');
  }
}

/** Translates a `registryKey` rule (ValueName "" = the key itself). */
export function registryKeyPlan(rule: Rule<RegistryKeyCheck>): DscPlan {
  const c = rule.check;
  if (c.ensure === 'absent' && c.path.segments.length < 2) {
    throw new DscUnsupported('refusing to compile ensure: absent for a hive or top-level key: AuditAndSet would delete it with all subkeys');
  }
  return {
    resources: [{
      friendlyName: 'Registry', className: 'MSFT_RegistryResource', module: PSDSC_RESOURCES, instanceName: rule.id,
      properties: [['Key', dscRegistryKey(c.path)], ['ValueName', ''], ['Ensure', c.ensure === 'present' ? 'Present' : 'Absent'],
        // Force: Set deletes a key that still has subkeys instead of failing on every run.
        ...(c.ensure === 'absent' ? [['Force', true] as DscProperty] : [])],
    }],
    parameters: [],
  };
}
