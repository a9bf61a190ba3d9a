/** `registryKey`: a key exists (`ensure: present`, the default) or does not (`ensure: absent`). */
import type { RuleKind } from './kind.js';
import type { RegistryPath } from '../windows/registry-path.js';
import { formatRegistryPath } from '../windows/registry-path.js';
import type { Rule } from './model.js';
import { enginePath, engineResource, type DscPlan } from '../dsc/resources.js';
import { remoteAccessKeyReason } from '../dsc/remote-access.js';

export interface RegistryKeyCheck {
  path: RegistryPath;
  pathText: string;
  ensure: 'present' | 'absent';
}

export const registryKey: RuleKind<RegistryKeyCheck> = {
  dsc: { plan: dscPlan, remoteAccess: (c) => remoteAccessKeyReason(c.path) },
  name: 'registryKey',
  summary: 'A registry key exists or does not exist.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: { type: 'string', description: 'Key path, e.g. HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services' },
      ensure: { enum: ['present', 'absent'], default: 'present' },
    },
  },
  parameterizable: {},

  parse(body, ctx) {
    const { path, pathText } = ctx.registryPath(body.path, 'path');
    return { path, pathText, ensure: (body.ensure as 'present' | 'absent' | undefined) ?? 'present' };
  },

  references(c) {
    return { keys: [{ path: formatRegistryPath(c.path), values: [], acl: false }], services: [] };
  },

  describe(c) {
    return `${c.pathText} ${c.ensure === 'present' ? 'exists' : 'does not exist'}`;
  },

  evaluate(c, source) {
    const expected = c.ensure === 'present' ? 'key present' : 'key absent';
    const key = source.key(c.path);
    if (key.status === 'unknown') return { status: 'skipped', expected, actual: 'unknown', message: key.reason };
    const actual = key.status === 'present' ? 'key present' : 'key absent';
    const target = key.status === 'present' ? key.value.path : c.pathText;
    return { status: actual === expected ? 'pass' : 'fail', expected, actual, target };
  },
};

/** Machine Configuration: DriftscanDsc `DriftscanRegistryKey` (dsc/DriftscanDsc/Resources/RegistryKey.ps1). */
function dscPlan(rule: Rule<RegistryKeyCheck>): DscPlan {
  const c = rule.check;
  const plan: DscPlan = {
    resources: [engineResource('DriftscanRegistryKey', rule.id, [['Path', enginePath(c.path)], ['PathText', c.pathText], ['Ensure', c.ensure === 'present' ? 'Present' : 'Absent']])],
    parameters: [],
  };
  // Set would delete a whole hive or root key with everything below it.
  if (c.ensure === 'absent' && c.path.segments.length < 2) plan.notSettable = 'ensure: absent on a hive or top-level key would delete it with all subkeys';
  return plan;
}
