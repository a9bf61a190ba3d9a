/**
 * The user rights a `userRight` rule can name, with where LSA keeps each one for an account
 * (`HKLM\SECURITY\Policy\Accounts\<SID>\…`). Names are the constants secedit, ntrights and Group
 * Policy (`GptTmpl.inf`) use; Windows looks them up case-insensitively.
 *
 * - Logon rights are bits of the account's system access flags (`ActSysAc`), ntlsa.h
 *   `SECURITY_ACCESS_*_LOGON` (0x20, the obsolete proxy logon, has no right name).
 * - Privileges are LUIDs (`Privilgs`); well-known privileges have high part 0 and the low part
 *   winnt.h `SE_*_PRIVILEGE` (2 … 36).
 */
import { closest } from '../../core/suggest.js';

export type UserRight =
  | { name: string; store: 'ActSysAc'; bit: number }
  | { name: string; store: 'Privilgs'; luid: number };

const LOGON_RIGHTS: ReadonlyArray<readonly [string, number]> = [
  ['SeInteractiveLogonRight', 0x1],
  ['SeNetworkLogonRight', 0x2],
  ['SeBatchLogonRight', 0x4],
  ['SeServiceLogonRight', 0x10],
  ['SeDenyInteractiveLogonRight', 0x40],
  ['SeDenyNetworkLogonRight', 0x80],
  ['SeDenyBatchLogonRight', 0x100],
  ['SeDenyServiceLogonRight', 0x200],
  ['SeRemoteInteractiveLogonRight', 0x400],
  ['SeDenyRemoteInteractiveLogonRight', 0x800],
];

/** In LUID order; the index + 2 is the LUID (SE_CREATE_TOKEN_PRIVILEGE = 2). */
const PRIVILEGES: readonly string[] = [
  'SeCreateTokenPrivilege', 'SeAssignPrimaryTokenPrivilege', 'SeLockMemoryPrivilege', 'SeIncreaseQuotaPrivilege',
  'SeMachineAccountPrivilege', 'SeTcbPrivilege', 'SeSecurityPrivilege', 'SeTakeOwnershipPrivilege',
  'SeLoadDriverPrivilege', 'SeSystemProfilePrivilege', 'SeSystemtimePrivilege', 'SeProfileSingleProcessPrivilege',
  'SeIncreaseBasePriorityPrivilege', 'SeCreatePagefilePrivilege', 'SeCreatePermanentPrivilege', 'SeBackupPrivilege',
  'SeRestorePrivilege', 'SeShutdownPrivilege', 'SeDebugPrivilege', 'SeAuditPrivilege',
  'SeSystemEnvironmentPrivilege', 'SeChangeNotifyPrivilege', 'SeRemoteShutdownPrivilege', 'SeUndockPrivilege',
  'SeSyncAgentPrivilege', 'SeEnableDelegationPrivilege', 'SeManageVolumePrivilege', 'SeImpersonatePrivilege',
  'SeCreateGlobalPrivilege', 'SeTrustedCredManAccessPrivilege', 'SeRelabelPrivilege', 'SeIncreaseWorkingSetPrivilege',
  'SeTimeZonePrivilege', 'SeCreateSymbolicLinkPrivilege', 'SeDelegateSessionUserImpersonatePrivilege',
];

/** Every right a rule can name: logon rights, then privileges. */
export const USER_RIGHTS: readonly UserRight[] = [
  ...LOGON_RIGHTS.map(([name, bit]): UserRight => ({ name, store: 'ActSysAc', bit })),
  ...PRIVILEGES.map((name, i): UserRight => ({ name, store: 'Privilgs', luid: i + 2 })),
];

const BY_NAME = new Map(USER_RIGHTS.map((r) => [r.name.toLowerCase(), r]));

/** The right named `text` (any case), or undefined. */
export function findUserRight(text: string): UserRight | undefined {
  return BY_NAME.get(text.trim().toLowerCase());
}

/** The right a misspelt name most likely meant, for "did you mean". */
export function suggestUserRight(text: string): string | undefined {
  return closest(text.trim(), USER_RIGHTS.map((r) => r.name));
}
