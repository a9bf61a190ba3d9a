/**
 * Well-known Windows accounts, so baselines can name `BUILTIN\Remote Desktop Users` while every
 * comparison happens by SID (names are localised on non-English Windows; SIDs are not).
 * Names are the English forms LookupAccountSid returns; aliases are the SDDL two-letter forms of
 * `sddl.h` (see windows-formats.md §3.6). Only identities resolvable without a live machine are
 * here: domain and local accounts need their SID spelled out.
 */
import { createRequire } from 'node:module';
import { nearestNames } from '../core/edit-distance.js';
import { isSid, parseSid } from './sid.js';
import { foldCase } from './text.js';

/** node:crypto, loaded on first use: loading it (~5-10 ms on the build machine) would cost every start-up, and most runs never need it. */
const nodeCrypto = (): typeof import('node:crypto') => createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');

/** A fixed-SID account. `name` is the display name (`DOMAIN\account`, or bare when Windows shows it bare). */
export interface WellKnownIdentity {
  readonly sid: string;
  readonly name: string;
  readonly sddlAlias?: string;
  /** Other spellings Windows emits for the same account (service ObjectName forms and the like). */
  readonly spellings?: readonly string[];
}

const B = (rid: number, alias: string | undefined, name: string): WellKnownIdentity =>
  alias ? { sid: `S-1-5-32-${rid}`, name: `BUILTIN\\${name}`, sddlAlias: alias } : { sid: `S-1-5-32-${rid}`, name: `BUILTIN\\${name}` };
const NT = (tail: string, alias: string | undefined, name: string, spellings?: string[]): WellKnownIdentity => ({
  sid: `S-1-5-${tail}`,
  name: `NT AUTHORITY\\${name}`,
  ...(alias ? { sddlAlias: alias } : {}),
  ...(spellings ? { spellings } : {}),
});

/** NT SERVICE\TrustedInstaller: the owner of much of HKLM\SOFTWARE (its service SID, see `serviceSid`). */
export const TRUSTED_INSTALLER_SID = 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464';

/** Every fixed-SID account driftscan knows, with SDDL alias where `sddl.h` defines one. */
export const WELL_KNOWN_IDENTITIES: readonly WellKnownIdentity[] = [
  // BUILTIN aliases, S-1-5-32-<rid>
  B(544, 'BA', 'Administrators'),
  B(545, 'BU', 'Users'),
  B(546, 'BG', 'Guests'),
  B(547, 'PU', 'Power Users'),
  B(548, 'AO', 'Account Operators'),
  B(549, 'SO', 'Server Operators'),
  B(550, 'PO', 'Print Operators'),
  B(551, 'BO', 'Backup Operators'),
  B(552, 'RE', 'Replicator'),
  B(554, 'RU', 'Pre-Windows 2000 Compatible Access'),
  B(555, 'RD', 'Remote Desktop Users'),
  B(556, 'NO', 'Network Configuration Operators'),
  B(557, undefined, 'Incoming Forest Trust Builders'),
  B(558, 'MU', 'Performance Monitor Users'),
  B(559, 'LU', 'Performance Log Users'),
  B(560, undefined, 'Windows Authorization Access Group'),
  B(561, undefined, 'Terminal Server License Servers'),
  B(562, undefined, 'Distributed COM Users'),
  B(568, 'IS', 'IIS_IUSRS'),
  B(569, 'CY', 'Cryptographic Operators'),
  B(573, 'ER', 'Event Log Readers'),
  B(574, 'CD', 'Certificate Service DCOM Access'),
  B(575, 'RA', 'RDS Remote Access Servers'),
  B(576, 'ES', 'RDS Endpoint Servers'),
  B(577, 'MS', 'RDS Management Servers'),
  B(578, 'HA', 'Hyper-V Administrators'),
  B(579, 'AA', 'Access Control Assistance Operators'),
  B(580, 'RM', 'Remote Management Users'),
  B(581, undefined, 'System Managed Accounts Group'),
  B(582, undefined, 'Storage Replica Administrators'),
  B(583, undefined, 'Device Owners'),
  B(584, 'HO', 'User Mode Hardware Operators'),
  B(585, 'SH', 'OpenSSH Users'),
  // NT AUTHORITY, S-1-5-<n>
  NT('1', undefined, 'DIALUP'),
  NT('2', 'NU', 'NETWORK'),
  NT('3', undefined, 'BATCH'),
  NT('4', 'IU', 'INTERACTIVE'),
  NT('6', 'SU', 'SERVICE'),
  NT('7', 'AN', 'ANONYMOUS LOGON'),
  NT('8', undefined, 'PROXY'),
  NT('9', 'ED', 'ENTERPRISE DOMAIN CONTROLLERS'),
  NT('10', 'PS', 'SELF'),
  NT('11', 'AU', 'Authenticated Users'),
  NT('12', 'RC', 'RESTRICTED'),
  NT('13', undefined, 'TERMINAL SERVER USER'),
  NT('14', undefined, 'REMOTE INTERACTIVE LOGON'),
  NT('15', undefined, 'This Organization'),
  NT('17', undefined, 'IUSR'),
  // Service Control Manager ObjectName spellings: LocalSystem, NT AUTHORITY\LocalService, …
  NT('18', 'SY', 'SYSTEM', ['LocalSystem', '.\\LocalSystem', 'Local System', 'NT AUTHORITY\\LocalSystem']),
  NT('19', 'LS', 'LOCAL SERVICE', ['LocalService', 'NT AUTHORITY\\LocalService', '.\\LocalService']),
  NT('20', 'NS', 'NETWORK SERVICE', ['NetworkService', 'NT AUTHORITY\\NetworkService', '.\\NetworkService']),
  NT('33', 'WR', 'WRITE RESTRICTED'),
  NT('64-10', undefined, 'NTLM Authentication'),
  NT('64-14', undefined, 'SChannel Authentication'),
  NT('64-21', undefined, 'Digest Authentication'),
  NT('84-0-0-0-0-0', 'UD', 'USER MODE DRIVERS'),
  NT('113', undefined, 'Local account'),
  NT('114', undefined, 'Local account and member of Administrators group'),
  NT('1000', undefined, 'Other Organization'),
  // NT SERVICE
  { sid: 'S-1-5-80-0', name: 'NT SERVICE\\ALL SERVICES' },
  { sid: TRUSTED_INSTALLER_SID, name: 'NT SERVICE\\TrustedInstaller' },
  // Other fixed SIDs
  { sid: 'S-1-0-0', name: 'NULL SID' },
  { sid: 'S-1-1-0', name: 'Everyone', sddlAlias: 'WD' },
  { sid: 'S-1-2-0', name: 'LOCAL' },
  { sid: 'S-1-2-1', name: 'CONSOLE LOGON' },
  { sid: 'S-1-3-0', name: 'CREATOR OWNER', sddlAlias: 'CO' },
  { sid: 'S-1-3-1', name: 'CREATOR GROUP', sddlAlias: 'CG' },
  { sid: 'S-1-3-2', name: 'CREATOR OWNER SERVER' },
  { sid: 'S-1-3-3', name: 'CREATOR GROUP SERVER' },
  { sid: 'S-1-3-4', name: 'OWNER RIGHTS', sddlAlias: 'OW' },
  { sid: 'S-1-15-2-1', name: 'APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES', sddlAlias: 'AC' },
  { sid: 'S-1-15-2-2', name: 'APPLICATION PACKAGE AUTHORITY\\ALL RESTRICTED APPLICATION PACKAGES' },
  { sid: 'S-1-16-0', name: 'Mandatory Label\\Untrusted Mandatory Level' },
  { sid: 'S-1-16-4096', name: 'Mandatory Label\\Low Mandatory Level', sddlAlias: 'LW' },
  { sid: 'S-1-16-8192', name: 'Mandatory Label\\Medium Mandatory Level', sddlAlias: 'ME' },
  { sid: 'S-1-16-8448', name: 'Mandatory Label\\Medium Plus Mandatory Level', sddlAlias: 'MP' },
  { sid: 'S-1-16-12288', name: 'Mandatory Label\\High Mandatory Level', sddlAlias: 'HI' },
  { sid: 'S-1-16-16384', name: 'Mandatory Label\\System Mandatory Level', sddlAlias: 'SI' },
  { sid: 'S-1-16-20480', name: 'Mandatory Label\\Protected Process Mandatory Level' },
  { sid: 'S-1-18-1', name: 'Authentication authority asserted identity', sddlAlias: 'AS' },
  { sid: 'S-1-18-2', name: 'Service asserted identity', sddlAlias: 'SS' },
];

/**
 * SDDL aliases relative to a domain (or the machine's account domain) SID, `<prefix>-<rid>`.
 * `forestRoot` ones are relative to the forest root domain; offline we only know one prefix.
 */
export const DOMAIN_RELATIVE_ALIASES: readonly { alias: string; rid: number; name: string; forestRoot?: boolean }[] = [
  { alias: 'RO', rid: 498, name: 'Enterprise Read-only Domain Controllers', forestRoot: true },
  { alias: 'LA', rid: 500, name: 'Administrator' },
  { alias: 'LG', rid: 501, name: 'Guest' },
  { alias: 'DA', rid: 512, name: 'Domain Admins' },
  { alias: 'DU', rid: 513, name: 'Domain Users' },
  { alias: 'DG', rid: 514, name: 'Domain Guests' },
  { alias: 'DC', rid: 515, name: 'Domain Computers' },
  { alias: 'DD', rid: 516, name: 'Domain Controllers' },
  { alias: 'CA', rid: 517, name: 'Cert Publishers' },
  { alias: 'SA', rid: 518, name: 'Schema Admins', forestRoot: true },
  { alias: 'EA', rid: 519, name: 'Enterprise Admins', forestRoot: true },
  { alias: 'PA', rid: 520, name: 'Group Policy Creator Owners' },
  { alias: 'CN', rid: 522, name: 'Cloneable Domain Controllers' },
  { alias: 'AP', rid: 525, name: 'Protected Users' },
  { alias: 'KA', rid: 526, name: 'Key Admins' },
  { alias: 'EK', rid: 527, name: 'Enterprise Key Admins', forestRoot: true },
  { alias: 'RS', rid: 553, name: 'RAS and IAS Servers' },
];

const bySid = new Map<string, WellKnownIdentity>();
const byAlias = new Map<string, WellKnownIdentity>();
/** Lower-cased full names and spellings → identity. */
const byName = new Map<string, WellKnownIdentity>();
/** Lower-cased account part (after `DOMAIN\`) → identity. */
const byBareName = new Map<string, WellKnownIdentity>();

// Keys fold case as Windows compares account names (and as the DSC module's port does).
const squeeze = (s: string): string => foldCase(s).replace(/\s+/g, '');
const bare = (name: string): string => name.slice(name.lastIndexOf('\\') + 1);

for (const id of WELL_KNOWN_IDENTITIES) {
  bySid.set(id.sid, id);
  if (id.sddlAlias) byAlias.set(id.sddlAlias, id);
  for (const n of [id.name, ...(id.spellings ?? [])]) {
    byName.set(foldCase(n), id);
    byName.set(squeeze(n), id);
    if (!n.startsWith('.\\')) {
      byBareName.set(foldCase(bare(n)), id);
      byBareName.set(squeeze(bare(n)), id);
    }
  }
}

/** Domain prefixes under which the account part alone identifies the account. */
const NAMED_DOMAINS = new Set(['BUILTIN', 'NT AUTHORITY', 'NT SERVICE', 'APPLICATION PACKAGE AUTHORITY', 'MANDATORY LABEL', '.']);

/** SHA-1 based SID of a per-service account `NT SERVICE\<name>` (S-1-5-80-<5 RIDs>). */
export function serviceSid(serviceName: string): string {
  if (serviceName.length === 0) throw new Error('service name is empty');
  // SCM hashes the name after RtlUpcaseUnicodeString, which maps one UTF-16 unit to one unit
  // (no 'ß' → 'SS' expansion, unlike String.prototype.toUpperCase).
  const upper = foldCase(serviceName);
  const digest = nodeCrypto().createHash('sha1').update(Buffer.from(upper, 'utf16le')).digest();
  const rids = [0, 1, 2, 3, 4].map((i) => digest.readUInt32LE(4 * i));
  return `S-1-5-80-${rids.join('-')}`;
}

/**
 * Resolves an account name or SID string to a SID, case-insensitively, with or without the
 * `DOMAIN\` prefix, including the spellings service configurations use (`LocalSystem`,
 * `NT Authority\NetworkService`) and any `NT SERVICE\<service>`. Returns undefined for accounts
 * that cannot be resolved offline. SDDL aliases (`BA`) are deliberately not accepted here.
 */
export function resolveIdentity(text: string): { sid: string; name?: string } | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (/^s-1-/i.test(t)) {
    if (!isSid(t)) return undefined;
    const sid = parseSid(t);
    const name = bySid.get(sid)?.name;
    return name ? { sid, name } : { sid };
  }
  const known = byName.get(foldCase(t)) ?? byName.get(squeeze(t));
  if (known) return { sid: known.sid, name: known.name };
  const slash = t.lastIndexOf('\\');
  if (slash < 0) {
    const b = byBareName.get(foldCase(t)) ?? byBareName.get(squeeze(t));
    return b ? { sid: b.sid, name: b.name } : undefined;
  }
  const domain = foldCase(t.slice(0, slash).trim());
  const account = t.slice(slash + 1).trim();
  if (account === '') return undefined;
  if (domain === 'NT SERVICE') {
    const sid = serviceSid(account);
    return { sid, name: bySid.get(sid)?.name ?? `NT SERVICE\\${account}` };
  }
  if (!NAMED_DOMAINS.has(domain)) return undefined;
  // `NT AUTHORITY\Network Service` and friends: same account part, right domain.
  const b = byBareName.get(foldCase(account)) ?? byBareName.get(squeeze(account));
  if (!b) return undefined;
  const expected = b.name.includes('\\') ? foldCase(b.name.slice(0, b.name.lastIndexOf('\\'))) : undefined;
  return expected === domain || (domain === '.' && b.spellings?.some((s) => s.startsWith('.\\'))) ? { sid: b.sid, name: b.name } : undefined;
}

/** The English display name of a well-known SID (`BUILTIN\Users`), or undefined. */
export function sidDisplayName(sid: string): string | undefined {
  const direct = bySid.get(sid); // canonical input is the common case; skip re-parsing
  if (direct) return direct.name;
  if (!isSid(sid)) return undefined;
  return bySid.get(parseSid(sid))?.name;
}

/** `BUILTIN\Remote Desktop Users (S-1-5-32-555)` for known SIDs, else the SID itself. */
export function describeSid(sid: string): string {
  const name = sidDisplayName(sid);
  return name ? `${name} (${isSid(sid) ? parseSid(sid) : sid})` : sid;
}

/** Known account names closest to `text` (for "did you mean …?" hints), display form. */
export function suggestIdentities(text: string, max = 3): string[] {
  const t = text.trim();
  const candidates: string[] = [];
  const owner = new Map<string, string>();
  for (const id of WELL_KNOWN_IDENTITIES) {
    for (const n of [id.name, ...(id.spellings ?? [])]) {
      const c = t.includes('\\') ? n : bare(n);
      if (!owner.has(c.toLowerCase())) {
        owner.set(c.toLowerCase(), id.name);
        candidates.push(c);
      }
    }
  }
  const out: string[] = [];
  for (const c of nearestNames(t, candidates, candidates.length)) {
    const name = owner.get(c.toLowerCase())!;
    if (!out.includes(name)) out.push(name);
    if (out.length >= max) break;
  }
  return out;
}

/**
 * The SID an SDDL alias stands for (case-insensitive, as Windows parses). Domain-relative aliases
 * (LA, DA, DU…) need `domainSid` (S-1-5-21-a-b-c); without it they give undefined.
 */
export function sddlAliasToSid(alias: string, domainSid?: string): string | undefined {
  const a = alias.toUpperCase();
  const fixed = byAlias.get(a);
  if (fixed) return fixed.sid;
  const rel = DOMAIN_RELATIVE_ALIASES.find((d) => d.alias === a);
  if (!rel || domainSid === undefined || !isSid(domainSid)) return undefined;
  return `${parseSid(domainSid)}-${rel.rid}`;
}

/** True when `alias` is a domain-relative SDDL alias (needs a domain SID to resolve). */
export function isDomainRelativeAlias(alias: string): boolean {
  const a = alias.toUpperCase();
  return DOMAIN_RELATIVE_ALIASES.some((d) => d.alias === a);
}

/** The SDDL alias Windows prints for `sid`, or undefined (then SDDL carries `S-1-…`). */
export function sidToSddlAlias(sid: string, domainSid?: string): string | undefined {
  const direct = bySid.get(sid)?.sddlAlias;
  if (direct) return direct;
  if (!isSid(sid)) return undefined;
  const canonical = parseSid(sid);
  const fixed = bySid.get(canonical)?.sddlAlias;
  if (fixed) return fixed;
  if (domainSid === undefined || !isSid(domainSid)) return undefined;
  const prefix = `${parseSid(domainSid)}-`;
  if (!canonical.startsWith(prefix)) return undefined;
  const tail = canonical.slice(prefix.length);
  return DOMAIN_RELATIVE_ALIASES.find((d) => String(d.rid) === tail)?.alias;
}
