/**
 * `userRight`: which accounts hold a user right or privilege in the local security policy
 * (secpol.msc "User Rights Assignment"), e.g. that Remote Desktop Users may log on through Remote
 * Desktop Services. See README.md in this folder.
 *
 * LSA keeps the assignment in the SECURITY hive, one key per account that holds anything:
 * `HKLM\SECURITY\Policy\Accounts\<SID>\` with subkeys `Sid` (the binary SID), `ActSysAc` (logon
 * rights as flags) and `Privilgs` (privileges as a PRIVILEGE_SET), each in its default value.
 * The kind asks for that subtree (two levels, default values) and reads it through the ordinary
 * source contract, so hives, `.reg` exports and snapshots answer it alike. Accounts compare by SID;
 * a right held through group membership is not expanded (the policy assigns rights to the SIDs
 * listed, and so does the rule).
 */
import type { Identity, RuleKind, Verdict } from '../kind.js';
import type { Rule } from '../model.js';
import type { StateSource } from '../../state/source.js';
import { DriftscanError } from '../../core/diagnostics.js';
import { formatRegistryPath, type RegistryPath } from '../../windows/registry-path.js';
import { describeSid } from '../../windows/identity.js';
import { isSid, parseSid, readSid } from '../../windows/sid.js';
import { describeType, encodeValue } from '../../windows/value.js';
import { DscUnsupported, engineResource, type DscPlan, type DscProperty } from '../../dsc/resources.js';
import { remoteAccessKeyReason } from '../../dsc/remote-access.js';
import { decodePrivilegeSet, decodeSystemAccess } from './decode.js';
import { findUserRight, suggestUserRight, type UserRight } from './rights.js';

export interface UserRightCheck {
  right: UserRight;
  /** These accounts must hold the right (others may too). */
  includes?: Identity[];
  /** None of these accounts may hold the right. */
  excludes?: Identity[];
  /** Exactly these accounts hold the right (`[]`: nobody). */
  exactly?: Identity[];
}

/** Where LSA keeps the accounts that hold rights (one subkey per SID). */
export const ACCOUNTS: RegistryPath = { root: 'HKLM', segments: ['SECURITY', 'Policy', 'Accounts'] };
const ACCOUNTS_TEXT = formatRegistryPath(ACCOUNTS);

const identitySchema = { anyOf: [{ type: 'string' }, { $ref: '#/$defs/identityObject' }] };
const accountList = (description: string, minItems: number) => ({
  anyOf: [{ type: 'array', minItems, items: identitySchema }, { $ref: '#/$defs/param' }],
  description,
});

export const userRight: RuleKind<UserRightCheck> = {
  dsc: { plan: dscPlan, remoteAccess: () => remoteAccessKeyReason(ACCOUNTS) },
  name: 'userRight',
  summary: 'A user right or privilege (User Rights Assignment) is held by, or withheld from, the listed accounts.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['right'],
    properties: {
      right: { type: 'string', description: 'Constant name: SeRemoteInteractiveLogonRight, SeDenyNetworkLogonRight, SeBackupPrivilege, SeDebugPrivilege…' },
      includes: accountList('Accounts that must hold the right (others may too)', 1),
      excludes: accountList('Accounts that must not hold the right', 1),
      exactly: accountList('The only accounts that hold the right ([] = nobody)', 0),
    },
  },
  parameterizable: { includes: 'array', excludes: 'array', exactly: 'array' },

  parse(body, ctx) {
    const text = String(body.right);
    const right = findUserRight(text);
    if (!right) {
      const hint = suggestUserRight(text);
      ctx.fail(`unknown user right "${text}"${hint ? `; did you mean ${hint}?` : ' (use the constant name, such as SeRemoteInteractiveLogonRight or SeBackupPrivilege)'}`, 'right');
    }
    const accounts = (prop: 'includes' | 'excludes' | 'exactly'): Identity[] | undefined => {
      const raw = body[prop];
      if (raw === undefined) return undefined;
      if (!Array.isArray(raw)) return ctx.fail(`${prop} must be a list of accounts`, prop);
      const seen = new Set<string>();
      const out: Identity[] = [];
      raw.forEach((v, i) => {
        const id = ctx.identity(v, prop, i);
        if (seen.has(id.sid)) ctx.fail(`${describeSid(id.sid)} is listed twice in ${prop}`, prop, i);
        seen.add(id.sid);
        out.push(id);
      });
      return out;
    };
    const check: UserRightCheck = { right: right! };
    const includes = accounts('includes');
    const excludes = accounts('excludes');
    const exactly = accounts('exactly');
    if (exactly && (includes || excludes)) ctx.fail('exactly cannot be combined with includes or excludes (it already says who holds the right)', 'exactly');
    if (!includes && !excludes && !exactly) ctx.fail('say who holds the right: includes, excludes or exactly');
    if (includes && excludes) {
      const both = excludes.findIndex((e) => includes.some((i) => i.sid === e.sid));
      if (both >= 0) ctx.fail(`${describeSid(excludes[both]!.sid)} is in both includes and excludes`, 'excludes', both);
    }
    if (includes) check.includes = includes;
    if (excludes) check.excludes = excludes;
    if (exactly) check.exactly = exactly;
    return check;
  },

  references() {
    // The Accounts key, each account's key and their Sid/ActSysAc/Privilgs subkeys with default values.
    return { keys: [{ path: ACCOUNTS_TEXT, values: [], acl: false, subtree: { depth: 2, values: [''], acl: false } }], services: [] };
  },

  describe(c) {
    return describeExpected(c);
  },

  evaluate(c, source): Verdict {
    const expected = describeExpected(c);
    const holders = readHolders(c.right, source);
    if ('unknown' in holders) return { status: 'skipped', expected, actual: 'unknown', message: holders.unknown };
    const { sids, target } = holders;
    const actual = sids.length === 0 ? 'granted to nobody' : `granted to ${sids.map(describeSid).join(', ')}`;
    const held = new Set(sids);
    const wanted = c.exactly ?? c.includes ?? [];
    let ok = wanted.every((id) => held.has(id.sid)) && !(c.excludes ?? []).some((id) => held.has(id.sid));
    if (c.exactly) ok &&= sids.every((sid) => c.exactly!.some((id) => id.sid === sid));
    const verdict: Verdict = { status: ok ? 'pass' : 'fail', expected, actual };
    if (target !== undefined) verdict.target = target;
    return verdict;
  },
};

/** `SeRemoteInteractiveLogonRight granted to BUILTIN\Remote Desktop Users (S-1-5-32-555)`. */
function describeExpected(c: UserRightCheck): string {
  const list = (ids: readonly Identity[]) => ids.map(identityText).join(', ');
  if (c.exactly) return `${c.right.name} granted to ${c.exactly.length ? `exactly ${list(c.exactly)}` : 'nobody'}`;
  const parts: string[] = [];
  if (c.includes) parts.push(`granted to ${list(c.includes)}`);
  if (c.excludes) parts.push(`not granted to ${list(c.excludes)}`);
  return `${c.right.name} ${parts.join(' and ')}`;
}

/** A well-known account by its Windows name; others as the rule named them, with the SID. */
function identityText(id: Identity): string {
  const known = describeSid(id.sid);
  return known === id.sid && id.name ? `${id.name} (${id.sid})` : known;
}

/**
 * The SIDs holding `right`, sorted as the hive sorts account keys (so every source words the
 * result alike), or why the source cannot tell. Damaged data throws DriftscanError naming the key.
 */
function readHolders(right: UserRight, source: StateSource): { sids: string[]; target: string | undefined } | { unknown: string } {
  const accounts = source.key(ACCOUNTS);
  if (accounts.status === 'unknown') return { unknown: accounts.reason };
  // No Accounts key: no account holds any right (LSA creates it with the policy database).
  if (accounts.status === 'absent') return { sids: [], target: undefined };
  const names = accounts.value.subkeyNames();
  if (names.status === 'unknown') return { unknown: names.reason };
  const sids: string[] = [];
  for (const name of names.value) {
    const where = `${accounts.value.path}\\${name}`;
    if (!isSid(name)) throw new DriftscanError(`${where}: account key name is not a SID`);
    const sid = parseSid(name);
    const stored = defaultBytes(source, [...ACCOUNTS.segments, name, 'Sid'], `${where}\\Sid`);
    if ('unknown' in stored) return stored;
    if (stored.bytes) checkStoredSid(stored.bytes, sid, `${where}\\Sid`);
    const data = defaultBytes(source, [...ACCOUNTS.segments, name, right.store], `${where}\\${right.store}`);
    if ('unknown' in data) return data;
    if (!data.bytes) continue;
    let holds: boolean;
    try {
      holds = right.store === 'ActSysAc'
        ? (decodeSystemAccess(data.bytes) & right.bit) !== 0
        : decodePrivilegeSet(data.bytes).some((p) => p.high === 0 && p.low === right.luid);
    } catch (err) {
      throw new DriftscanError(`${where}\\${right.store}: default value: ${(err as Error).message}`);
    }
    if (holds) sids.push(sid);
  }
  sids.sort((a, b) => (a.toUpperCase() < b.toUpperCase() ? -1 : a.toUpperCase() > b.toUpperCase() ? 1 : 0));
  return { sids, target: accounts.value.path };
}

/**
 * The default value of an account's subkey as raw bytes (undefined when the subkey is absent).
 * LSA writes these as REG_NONE; binary and DWORD data are taken as their bytes too, strings are not.
 */
function defaultBytes(source: StateSource, segments: string[], where: string): { bytes: Uint8Array | undefined } | { unknown: string } {
  const key = source.key({ root: 'HKLM', segments });
  if (key.status === 'unknown') return { unknown: key.reason };
  if (key.status === 'absent') return { bytes: undefined };
  const value = key.value.value('');
  if (!value) throw new DriftscanError(`${where}: the key has no default value, where LSA keeps its data`);
  if (value.type !== 'Binary' && value.type !== 'Other' && value.type !== 'DWord' && value.type !== 'QWord') {
    throw new DriftscanError(`${where}: default value is a ${describeType(value)}, not binary data`);
  }
  return { bytes: encodeValue(value) };
}

/** The binary SID must name the account its key is named after; anything else is a damaged policy database. */
function checkStoredSid(bytes: Uint8Array, sid: string, where: string): void {
  let stored: { sid: string; length: number };
  try {
    stored = readSid(bytes, 0);
  } catch (err) {
    throw new DriftscanError(`${where}: default value: ${(err as Error).message}`);
  }
  if (stored.length !== bytes.length) throw new DriftscanError(`${where}: default value is ${bytes.length} bytes; the SID in it takes ${stored.length}`);
  if (stored.sid !== sid) throw new DriftscanError(`${where}: default value holds SID ${stored.sid}, but the account key is named ${sid}`);
}

// --- Machine Configuration: DriftscanDsc `DriftscanUserRight` (dsc/DriftscanDsc/Resources/UserRight.ps1) -------
//
// The resource reads the Accounts subtree through the module's shared reader (LocalSystem, which
// Machine Configuration runs as, may read HKLM\SECURITY) and judges it as above. The right travels
// as where LSA keeps it (store and flag or LUID), the accounts as SIDs, and the expected text is the
// rule's own description, so only the machine side is worded on the machine.
//
// Audit only: LSA owns this data (rights are granted with LsaAddAccountRights, not by writing
// HKLM\SECURITY) and Group Policy re-applies its own User Rights Assignment, so Set() has nothing
// it should write; enforcing assignment types are refused at file:line:col (plan.notSettable).
function dscPlan(rule: Rule<UserRightCheck>): DscPlan {
  const c = rule.check;
  const listed = rule.parameters.find((p) => p.property === 'includes' || p.property === 'excludes' || p.property === 'exactly');
  if (listed) throw new DscUnsupported(`an account list (${listed.property}) chosen at assignment time cannot be compiled: Machine Configuration parameters are single strings`);
  const sids = (ids: readonly Identity[] | undefined) => (ids ?? []).map((id) => id.sid);
  const includes = sids(c.exactly ?? c.includes);
  const excludes = sids(c.excludes);
  const props: DscProperty[] = [['Right', c.right.name], ['Store', c.right.store], c.right.store === 'ActSysAc' ? ['Flag', c.right.bit] : ['Luid', c.right.luid]];
  // An empty list is left out: `exactly: []` is Exactly with no Includes.
  if (includes.length) props.push(['Includes', includes]);
  if (excludes.length) props.push(['Excludes', excludes]);
  props.push(['Exactly', c.exactly !== undefined], ['Expected', describeExpected(c)]);
  return {
    resources: [engineResource('DriftscanUserRight', rule.id, props)],
    parameters: [],
    notSettable: 'user rights are granted through LSA (LsaAddAccountRights), which owns HKLM\\SECURITY, not by writing the registry, and Group Policy re-applies its own User Rights Assignment over local changes',
  };
}
