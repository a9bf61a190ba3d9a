/** `registryKey`: a key exists (`ensure: present`, the default) or does not (`ensure: absent`). */
import type { RuleKind } from './kind.js';
import type { RegistryPath } from '../windows/registry-path.js';
import { formatRegistryPath } from '../windows/registry-path.js';
import type { Rule } from './model.js';
import { DscUnsupported, registryResource, type DscPlan, type DscProperty } from '../dsc/resources.js';
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

/**
 * Machine Configuration: PSDscResources `Registry` with ValueName "" and no type or data tests the
 * key itself (machine-configuration.md §7.1), exactly what this kind checks.
 */
function dscPlan(rule: Rule<RegistryKeyCheck>): DscPlan {
  const c = rule.check;
  if (c.ensure === 'absent' && c.path.segments.length < 2) {
    throw new DscUnsupported('refusing to compile ensure: absent for a hive or top-level key: AuditAndSet would delete it with all subkeys');
  }
  return {
    resources: [registryResource(c.path, rule.id, [['ValueName', ''], ['Ensure', c.ensure === 'present' ? 'Present' : 'Absent'],
      // Force: Set deletes a key that still has subkeys instead of failing on every run.
      ...(c.ensure === 'absent' ? [['Force', true] as DscProperty] : [])])],
    parameters: [],
  };
}
