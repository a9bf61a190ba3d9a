/**
 * `registryAcl` rules → AccessControlDsc `RegistryAccessEntry` (machine-configuration.md §7.3),
 * plus a PSDscResources `Registry` key-existence resource it depends on, because
 * RegistryAccessEntry reports a missing key as compliant.
 *
 * RegistryAccessEntry's Test looks for an ACE whose rights, inheritance and propagation flags
 * *equal* the listed ones (`Compare-RegistryRules`). A `present` rule (at least these rights, any
 * ACE layout) therefore compiles to a stricter check, recorded in the plan. `absent` rules (no
 * ACE grants any of these rights), exact DACLs and owners have no faithful encoding and are refused.
 */
import type { Rule } from '../../baseline/model.js';
import type { AccessEntry, RegistryAclCheck } from '../../rules/registry-acl.js';
import {
  ACCESS_CONTROL_DSC, DscUnsupported, keyExistsResource, providerPath, resourceId,
  type DscEmbeddedInstance, type DscPlan,
} from '../dsc.js';

/** .NET `RegistryRights` names and masks, composite names first so a mask is written as few names as possible. */
const RIGHTS: ReadonlyArray<readonly [string, number]> = [
  ['FullControl', 0xf003f], ['ReadKey', 0x20019], ['WriteKey', 0x20006],
  ['QueryValues', 0x1], ['SetValue', 0x2], ['CreateSubKey', 0x4], ['EnumerateSubKeys', 0x8], ['Notify', 0x10],
  ['CreateLink', 0x20], ['Delete', 0x10000], ['ReadPermissions', 0x20000], ['ChangePermissions', 0x40000], ['TakeOwnership', 0x80000],
];

/** Names whose OR is exactly `mask` (RegistryAccessRule ORs the `Rights` array); throws for bits .NET cannot name. */
export function registryRightsNames(mask: number): string[] {
  const names: string[] = [];
  let left = mask >>> 0;
  for (const [name, bits] of RIGHTS) {
    if (bits !== 0 && ((left & bits) >>> 0) === bits && ((mask & bits) >>> 0) === bits) {
      names.push(name);
      left = (left & ~bits) >>> 0;
    }
  }
  if (left !== 0) throw new DscUnsupported(`access mask bits 0x${left.toString(16)} have no RegistryRights name in AccessControlDsc`);
  if (names.length === 0) throw new DscUnsupported('an entry with no rights cannot be expressed');
  return names;
}

const INHERITANCE = { thisKey: 'Key', thisKeyAndSubkeys: 'KeySubkeys', subkeysOnly: 'Subkeys' } as const;

function principal(e: AccessEntry): string {
  return e.identity.name ?? e.identity.sid;
}

/** Translates a `registryAcl` rule. */
export function registryAclPlan(rule: Rule<RegistryAclCheck>): DscPlan {
  const c = rule.check;
  if (c.owner) throw new DscUnsupported('owner cannot be expressed: AccessControlDsc RegistryAccessEntry does not test the owner');
  if (c.exact) throw new DscUnsupported('exact: true cannot be expressed: RegistryAccessEntry Force compares each ACE exactly (and inherited ACEs always), not the rule\'s per-identity rights');
  if (c.ensure === 'absent') {
    throw new DscUnsupported('ensure: absent cannot be expressed: RegistryAccessEntry Ensure = Absent only flags an ACE with exactly the listed rights, not any ACE granting one of them');
  }
  if (c.access.length === 0) throw new DscUnsupported('a registryAcl rule without access entries has nothing RegistryAccessEntry can test');
  const byPrincipal = new Map<string, AccessEntry[]>();
  for (const e of c.access) byPrincipal.set(principal(e), [...(byPrincipal.get(principal(e)) ?? []), e]);
  const lists: DscEmbeddedInstance[] = [...byPrincipal].map(([name, entries]) => ({
    embedded: 'AccessControlList',
    properties: [
      ['Principal', name],
      ['ForcePrincipal', false],
      ['AccessControlEntry', entries.map((e): DscEmbeddedInstance => ({
        embedded: 'AccessControlEntry',
        properties: [
          ['AccessControlType', e.type],
          ['Rights', registryRightsNames(e.rights)],
          // ValueMap form (Key|KeySubkeys|Subkeys), as the DSC compiler writes it. Without appliesTo the
          // rule accepts any layout; "this key and subkeys" is what regedit and Set-Acl with ContainerInherit write.
          ['Inheritance', INHERITANCE[e.appliesTo ?? 'thisKeyAndSubkeys']],
          ['Ensure', 'Present'],
        ],
      }))],
    ],
  }));
  const keyName = `${rule.id} (key exists)`;
  return {
    resources: [
      keyExistsResource(c.path, keyName),
      {
        friendlyName: 'RegistryAccessEntry', className: 'RegistryAccessEntry', module: ACCESS_CONTROL_DSC, instanceName: rule.id,
        properties: [['Path', providerPath(c.path)], ['AccessControlList', lists], ['Force', false]],
        dependsOn: [resourceId('Registry', keyName)],
      },
    ],
    parameters: rule.parameters.map((p) => {
      throw new DscUnsupported(`parameter ${p.param} on ${p.property} cannot be compiled: embedded ACL entries are not addressable by Machine Configuration parameters`);
    }),
    stricter: 'RegistryAccessEntry requires one ACE with exactly these rights and inheritance' +
      (c.access.some((e) => !e.appliesTo) ? ' (This key and subkeys where the rule leaves it open)' : '') +
      '; the rule accepts any ACEs that together grant at least them',
  };
}
