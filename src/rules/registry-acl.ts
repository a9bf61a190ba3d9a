/**
 * `registryAcl`: who may do what on a registry key.
 *
 * - `ensure: present` — each listed identity is granted (Allow) or denied (Deny) at least the
 *   listed rights; other ACEs may exist.
 * - `ensure: absent` — no ACE grants the identity any of the listed rights.
 * - `exact: true` — the DACL is exactly the listed entries (explicit ACEs only, unless
 *   `includeInherited: true`).
 *
 * Rights are compared after the generic mapping for keys (GENERIC_READ → KEY_READ …) and by
 * SID, never by name. The stored descriptor already carries inherited ACEs (flag ID), so no
 * inheritance is computed; inherit-only ACEs count for subkeys, not for the key itself
 * (windows-formats §3.5). A NULL DACL grants everyone everything.
 */
import type { Identity, RuleKind, Verdict } from './kind.js';
import type { RegistryPath } from '../windows/registry-path.js';
import { formatRegistryPath } from '../windows/registry-path.js';
import type { Ace, SecurityDescriptor } from '../windows/security-descriptor.js';
import { ACE_FLAG, ACE_TYPE, aceAppliesToKey, aceInheritedBySubkeys, aceTypeName } from '../windows/security-descriptor.js';
import { formatRights, mapGenericKeyRights, parseRights } from '../windows/access-mask.js';
import { describeSid } from '../windows/identity.js';
import type { Rule } from './model.js';
import { enginePath, engineResource, type DscPlan, type DscProperty } from '../dsc/resources.js';
import { remoteAccessKeyReason } from '../dsc/remote-access.js';

export const APPLIES_TO = ['thisKey', 'thisKeyAndSubkeys', 'subkeysOnly'] as const;
export type AppliesTo = (typeof APPLIES_TO)[number];

export interface AccessEntry {
  identity: Identity;
  /** Access mask (generic bits already mapped to key rights). */
  rights: number;
  type: 'Allow' | 'Deny';
  /** Where the grant must take effect; omitted = on the key itself (any inheritance). */
  appliesTo?: AppliesTo;
}

export interface RegistryAclCheck {
  path: RegistryPath;
  pathText: string;
  owner?: Identity;
  ensure: 'present' | 'absent';
  access: AccessEntry[];
  exact: boolean;
  includeInherited: boolean;
}

/** Rights an ACE set grants (or denies) a SID, split by where they apply. */
interface Effective {
  thisKey: number;
  subkeys: number;
}

function effective(aces: readonly Ace[], sid: string, type: 'Allow' | 'Deny'): Effective {
  const code = type === 'Allow' ? ACE_TYPE.ACCESS_ALLOWED : ACE_TYPE.ACCESS_DENIED;
  const e: Effective = { thisKey: 0, subkeys: 0 };
  for (const ace of aces) {
    if (ace.type !== code || ace.sid !== sid) continue;
    const mask = mapGenericKeyRights(ace.mask);
    if (aceAppliesToKey(ace)) e.thisKey = (e.thisKey | mask) >>> 0;
    if (aceInheritedBySubkeys(ace)) e.subkeys = (e.subkeys | mask) >>> 0;
  }
  return e;
}

function has(granted: number, wanted: number): boolean {
  return ((granted & wanted) >>> 0) === wanted >>> 0;
}

function scopeWords(a: AppliesTo | undefined): string {
  switch (a) {
    case 'thisKeyAndSubkeys': return ' on this key and subkeys';
    case 'subkeysOnly': return ' on subkeys';
    default: return '';
  }
}

function describeEntry(e: AccessEntry): string {
  return `${describeSid(e.identity.sid)} ${e.type} ${formatRights(e.rights)}${scopeWords(e.appliesTo)}`;
}

/**
 * The ACEs that apply to the key itself, in words (`NT AUTHORITY\SYSTEM (S-1-5-18) Allow FullControl`);
 * inherit-only ACEs (for subkeys) are only counted, to keep messages readable.
 */
function describeAces(aces: readonly Ace[]): string {
  const own = aces.filter(aceAppliesToKey);
  const parts = own.map((a) => `${describeSid(a.sid)} ${aceTypeName(a.type)} ${formatRights(mapGenericKeyRights(a.mask))}`);
  const inheritOnly = aces.length - own.length;
  const tail = inheritOnly ? ` (+${inheritOnly} inherit-only ACE${inheritOnly === 1 ? '' : 's'} for subkeys)` : '';
  if (aces.length === 0) return 'none (empty DACL: nobody has access)';
  return `${parts.length ? parts.join('; ') : 'none on the key itself'}${tail}`;
}

function entryHolds(e: AccessEntry, aces: readonly Ace[]): boolean {
  const eff = effective(aces, e.identity.sid, e.type);
  switch (e.appliesTo) {
    case 'thisKeyAndSubkeys': return has(eff.thisKey, e.rights) && has(eff.subkeys, e.rights);
    case 'subkeysOnly': return has(eff.subkeys, e.rights);
    default: return has(eff.thisKey, e.rights);
  }
}

function entryGrantsAny(e: AccessEntry, aces: readonly Ace[]): boolean {
  const eff = effective(aces, e.identity.sid, e.type);
  const mask = e.appliesTo === 'subkeysOnly' ? eff.subkeys : e.appliesTo === 'thisKeyAndSubkeys' ? (eff.thisKey | eff.subkeys) : eff.thisKey;
  return (mask & e.rights) !== 0;
}

/** Compares the DACL with the listed entries as sets of (SID, type) → rights per scope. */
function exactDifferences(check: RegistryAclCheck, aces: readonly Ace[]): string[] {
  const considered = check.includeInherited ? aces : aces.filter((a) => !(a.flags & ACE_FLAG.INHERITED));
  const diffs: string[] = [];
  const seen = new Set<string>();
  for (const e of check.access) {
    const k = `${e.identity.sid}|${e.type}`;
    if (seen.has(k)) continue;
    seen.add(k);
    const listed = check.access.filter((x) => x.identity.sid === e.identity.sid && x.type === e.type);
    const want: Effective = { thisKey: 0, subkeys: 0 };
    let subkeysMatter = false;
    for (const x of listed) {
      if (x.appliesTo !== 'subkeysOnly') want.thisKey |= x.rights;
      if (x.appliesTo === 'subkeysOnly' || x.appliesTo === 'thisKeyAndSubkeys') { want.subkeys |= x.rights; subkeysMatter = true; }
    }
    const got = effective(considered, e.identity.sid, e.type);
    if (got.thisKey >>> 0 !== want.thisKey >>> 0 || (subkeysMatter && got.subkeys >>> 0 !== want.subkeys >>> 0)) {
      diffs.push(`${describeSid(e.identity.sid)} ${e.type} ${got.thisKey ? formatRights(got.thisKey) : 'nothing'}`);
    }
  }
  for (const a of considered) {
    const type = a.type === ACE_TYPE.ACCESS_ALLOWED ? 'Allow' : a.type === ACE_TYPE.ACCESS_DENIED ? 'Deny' : undefined;
    if (!type || seen.has(`${a.sid}|${type}`)) continue;
    seen.add(`${a.sid}|${type}`);
    diffs.push(`unexpected ${describeSid(a.sid)} ${type} ${formatRights(mapGenericKeyRights(a.mask))}`);
  }
  return diffs;
}

function describeCheck(c: RegistryAclCheck): string {
  const parts: string[] = [];
  if (c.owner) parts.push(`owner ${describeSid(c.owner.sid)}`);
  if (c.access.length) {
    const entries = c.access.map(describeEntry).join('; ');
    if (c.exact) parts.push(`exactly ${entries}${c.includeInherited ? '' : ' (explicit ACEs)'}`);
    else if (c.ensure === 'absent') parts.push(`no ACE granting ${entries}`);
    else parts.push(entries);
  }
  return parts.join('; ');
}

export const registryAcl: RuleKind<RegistryAclCheck> = {
  dsc: { plan: dscPlan, remoteAccess: (c) => remoteAccessKeyReason(c.path) },
  name: 'registryAcl',
  summary: 'A registry key\'s owner and DACL grant (or do not grant) the listed rights.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: { type: 'string' },
      owner: { anyOf: [{ type: 'string' }, { $ref: '#/$defs/identityObject' }] },
      ensure: { enum: ['present', 'absent'], default: 'present' },
      exact: { type: 'boolean', default: false, description: 'The DACL is exactly these entries' },
      includeInherited: { type: 'boolean', default: false, description: 'With exact: compare inherited ACEs too' },
      access: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['identity', 'rights'],
          properties: {
            identity: { anyOf: [{ type: 'string' }, { $ref: '#/$defs/identityObject' }], description: 'Account name (BUILTIN\\Remote Desktop Users) or SID' },
            rights: {
              anyOf: [{ type: 'string' }, { type: 'integer' }, { type: 'array', items: { type: ['string', 'integer'] } }],
              description: 'RegistryRights names (ReadKey, FullControl, QueryValues…), a list of them, or a mask',
            },
            type: { enum: ['Allow', 'Deny'], default: 'Allow' },
            appliesTo: { enum: [...APPLIES_TO] },
          },
        },
      },
    },
  },
  parameterizable: {},

  parse(body, ctx) {
    const { path, pathText } = ctx.registryPath(body.path, 'path');
    const ensure = (body.ensure as 'present' | 'absent' | undefined) ?? 'present';
    const exact = body.exact === true;
    const includeInherited = body.includeInherited === true;
    if (exact && ensure === 'absent') ctx.fail('exact: true cannot be combined with ensure: absent', 'exact');
    if (includeInherited && !exact) ctx.fail('includeInherited only applies with exact: true', 'includeInherited');
    const raw = Array.isArray(body.access) ? (body.access as Array<Record<string, unknown>>) : [];
    if (raw.length === 0 && body.owner === undefined) ctx.fail('list at least one access entry or an owner');
    if (ensure === 'absent' && body.owner !== undefined) ctx.fail('ensure: absent applies to access entries; check the owner in a separate rule', 'owner');
    const access = raw.map((e, i): AccessEntry => {
      let rights: number;
      try {
        rights = mapGenericKeyRights(parseRights(e.rights as string | number | string[]));
      } catch (err) {
        return ctx.fail((err as Error).message, 'access', i, 'rights');
      }
      if (rights === 0) ctx.fail('rights must name at least one right', 'access', i, 'rights');
      const entry: AccessEntry = { identity: ctx.identity(e.identity, 'access', i, 'identity'), rights, type: (e.type as 'Allow' | 'Deny' | undefined) ?? 'Allow' };
      if (e.appliesTo !== undefined) entry.appliesTo = e.appliesTo as AppliesTo;
      return entry;
    });
    const check: RegistryAclCheck = { path, pathText, ensure, access, exact, includeInherited };
    if (body.owner !== undefined) check.owner = ctx.identity(body.owner, 'owner');
    return check;
  },

  references(c) {
    return { keys: [{ path: formatRegistryPath(c.path), values: [], acl: true }], services: [] };
  },

  describe(c) {
    return `${c.pathText}: ${describeCheck(c)}`;
  },

  evaluate(c, source): Verdict {
    const expected = describeCheck(c);
    const key = source.key(c.path);
    if (key.status === 'unknown') return { status: 'skipped', expected, actual: 'unknown', message: key.reason };
    if (key.status === 'absent') {
      return { status: 'fail', expected, actual: 'no key', message: `expected ${expected}, found no key ${c.pathText}` };
    }
    const target = key.value.path;
    const sec = key.value.security();
    if (sec.status === 'unknown') return { status: 'skipped', expected, actual: 'unknown', message: sec.reason, target };
    if (sec.status === 'absent') return { status: 'error', expected, actual: 'no security descriptor', message: `key ${target} has no security descriptor`, target };
    return judge(c, sec.value, expected, target);
  },
};

function judge(c: RegistryAclCheck, sd: SecurityDescriptor, expected: string, target: string): Verdict {
  const problems: string[] = [];
  if (c.owner && sd.owner !== c.owner.sid) {
    problems.push(`owner is ${sd.owner ? describeSid(sd.owner) : 'not set'}`);
  }
  if (sd.dacl === null) {
    // NULL DACL: everyone has full access (windows-formats §2.1).
    if (c.ensure === 'absent') problems.push('the key has a NULL DACL: everyone has full access');
    else if (c.exact) problems.push('the key has a NULL DACL (no access control at all)');
    else if (c.access.some((e) => e.type === 'Deny')) problems.push('the key has a NULL DACL: nothing is denied');
    const actual = problems.length ? problems.join('; ') : 'NULL DACL (everyone has full access)';
    return problems.length ? { status: 'fail', expected, actual, target } : { status: 'pass', expected, actual, target };
  }
  const aces = sd.dacl.aces;
  if (c.exact) {
    problems.push(...exactDifferences(c, aces));
  } else {
    for (const e of c.access) {
      if (c.ensure === 'present' && !entryHolds(e, aces)) {
        problems.push(`${describeSid(e.identity.sid)} has no ${e.type} ACE with ${formatRights(e.rights)}${scopeWords(e.appliesTo)}`);
      }
      if (c.ensure === 'absent' && entryGrantsAny(e, aces)) {
        problems.push(`${describeSid(e.identity.sid)} has an ${e.type} ACE with ${formatRights(e.rights)}${scopeWords(e.appliesTo)}`);
      }
    }
    if (c.ensure === 'present') {
      // An Allow that a Deny on the same rights cancels is not a grant.
      for (const e of c.access.filter((x) => x.type === 'Allow')) {
        const denied = effective(aces, e.identity.sid, 'Deny');
        if ((denied.thisKey & e.rights) !== 0) problems.push(`${describeSid(e.identity.sid)} is denied ${formatRights((denied.thisKey & e.rights) >>> 0)}`);
      }
    }
  }
  if (problems.length === 0) return { status: 'pass', expected, actual: `ACEs present: ${describeAces(aces)}`, target };
  const actual = `${problems.join('; ')}; ACEs present: ${describeAces(aces)}`;
  return { status: 'fail', expected, actual, target, message: `expected ${expected}; found ${actual}` };
}

// --- Machine Configuration: DriftscanDsc `DriftscanRegistryAcl` (dsc/DriftscanDsc/Resources/RegistryAcl.ps1) -----
//
// The resource reads the key's SDDL through the module's seam and judges it as above. Entries travel
// as data, `<SID>;<Allow|Deny>;<mask in decimal>;<appliesTo or empty>`; the expected text is the
// rule's own description (it depends on the rule only), so only the machine side is worded on the machine.

/** Translates a `registryAcl` rule. */
function dscPlan(rule: Rule<RegistryAclCheck>): DscPlan {
  const c = rule.check;
  const props: DscProperty[] = [
    ['Path', enginePath(c.path)], ['PathText', c.pathText], ['Ensure', c.ensure === 'present' ? 'Present' : 'Absent'],
    ['Exact', c.exact], ['IncludeInherited', c.includeInherited],
    ['Entries', c.access.map((e) => `${e.identity.sid};${e.type};${e.rights >>> 0};${e.appliesTo ?? ''}`)],
    ['Expected', describeCheck(c)],
  ];
  if (c.owner) props.push(['Owner', c.owner.sid]);
  const plan: DscPlan = { resources: [engineResource('DriftscanRegistryAcl', rule.id, props)], parameters: [] };
  // Allow and Deny of the same rights to one identity on the key: no ACL satisfies the rule, so there is nothing to write.
  if (c.ensure === 'present' && !c.exact && c.access.some((a) => a.type === 'Allow' && c.access.some((d) => d.type === 'Deny' && d.identity.sid === a.identity.sid && d.appliesTo !== 'subkeysOnly' && (d.rights & a.rights) !== 0))) {
    plan.notSettable = 'the rule grants and denies the same rights to one identity, which no ACL satisfies';
  }
  return plan;
}
