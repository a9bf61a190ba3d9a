/**
 * Registry key access masks (winnt.h; windows-formats.md §2.7, §3.5, §3.8). Users write rights the
 * way PowerShell's Get-Acl shows them (.NET RegistryRights names) or as numbers; driftscan keeps
 * masks as unsigned 32-bit numbers (`>>> 0`), because GENERIC_READ is bit 31 and .NET prints it
 * as a negative Int32.
 */
import { nearestNames } from '../core/edit-distance.js';

export const KEY_QUERY_VALUE = 0x0001;
export const KEY_SET_VALUE = 0x0002;
export const KEY_CREATE_SUB_KEY = 0x0004;
export const KEY_ENUMERATE_SUB_KEYS = 0x0008;
export const KEY_NOTIFY = 0x0010;
export const KEY_CREATE_LINK = 0x0020;
export const DELETE = 0x00010000;
export const READ_CONTROL = 0x00020000;
export const WRITE_DAC = 0x00040000;
export const WRITE_OWNER = 0x00080000;
export const SYNCHRONIZE = 0x00100000;
export const STANDARD_RIGHTS_REQUIRED = 0x000f0000;
export const ACCESS_SYSTEM_SECURITY = 0x01000000;
export const MAXIMUM_ALLOWED = 0x02000000;
export const GENERIC_ALL = 0x10000000;
export const GENERIC_EXECUTE = 0x20000000;
export const GENERIC_WRITE = 0x40000000;
export const GENERIC_READ = 0x80000000;
/** READ_CONTROL | KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS | KEY_NOTIFY (SYNCHRONIZE is masked off for keys). */
export const KEY_READ = 0x00020019;
/** Same value as KEY_READ. */
export const KEY_EXECUTE = 0x00020019;
export const KEY_WRITE = 0x00020006;
export const KEY_ALL_ACCESS = 0x000f003f;

/** The generic bits (GA, GX, GW, GR). */
export const GENERIC_RIGHTS_MASK = (GENERIC_ALL | GENERIC_EXECUTE | GENERIC_WRITE | GENERIC_READ) >>> 0;

/** Single-bit .NET RegistryRights members, in bit order. */
const SINGLE_RIGHTS: readonly (readonly [string, number])[] = [
  ['QueryValues', KEY_QUERY_VALUE],
  ['SetValue', KEY_SET_VALUE],
  ['CreateSubKey', KEY_CREATE_SUB_KEY],
  ['EnumerateSubKeys', KEY_ENUMERATE_SUB_KEYS],
  ['Notify', KEY_NOTIFY],
  ['CreateLink', KEY_CREATE_LINK],
  ['Delete', DELETE],
  ['ReadPermissions', READ_CONTROL],
  ['ChangePermissions', WRITE_DAC],
  ['TakeOwnership', WRITE_OWNER],
];

/** Composite members, largest first (the order .NET's flag formatting tries them). */
const COMPOSITE_RIGHTS: readonly (readonly [string, number])[] = [
  ['FullControl', KEY_ALL_ACCESS],
  ['ReadKey', KEY_READ],
  ['WriteKey', KEY_WRITE],
];

/** Generic bits, not RegistryRights members; named like the FileSystemRights-era convention. */
const GENERIC_NAMES: readonly (readonly [string, number])[] = [
  ['GenericAll', GENERIC_ALL],
  ['GenericExecute', GENERIC_EXECUTE],
  ['GenericWrite', GENERIC_WRITE],
  ['GenericRead', GENERIC_READ >>> 0],
];

/** Names accepted by `parseRights` (besides the winnt.h constant names and numbers). */
export const REGISTRY_RIGHT_NAMES: readonly string[] = [
  ...SINGLE_RIGHTS.map(([n]) => n),
  'ReadKey',
  'ExecuteKey',
  'WriteKey',
  'FullControl',
  ...GENERIC_NAMES.map(([n]) => n),
];

const NAME_VALUES = new Map<string, number>([
  ...SINGLE_RIGHTS,
  ...COMPOSITE_RIGHTS,
  ['ExecuteKey', KEY_EXECUTE],
  ...GENERIC_NAMES,
  ['None', 0],
].map(([n, v]) => [(n as string).toLowerCase(), (v as number) >>> 0]));

/** winnt.h spellings people copy from documentation. */
const CONSTANT_VALUES = new Map<string, number>(
  Object.entries({
    KEY_QUERY_VALUE, KEY_SET_VALUE, KEY_CREATE_SUB_KEY, KEY_ENUMERATE_SUB_KEYS, KEY_NOTIFY, KEY_CREATE_LINK,
    DELETE, READ_CONTROL, WRITE_DAC, WRITE_OWNER, KEY_READ, KEY_EXECUTE, KEY_WRITE, KEY_ALL_ACCESS,
    GENERIC_ALL, GENERIC_EXECUTE, GENERIC_WRITE, GENERIC_READ,
  }).map(([n, v]) => [n.toLowerCase(), v >>> 0]),
);

function parseRightToken(token: string | number): number {
  if (typeof token === 'number') {
    // .NET prints generic bits as signed Int32 (-2147483648 for GENERIC_READ); accept both views.
    if (!Number.isInteger(token) || token < -(2 ** 31) || token > 2 ** 32 - 1) throw new Error(`right ${token} is not a 32-bit access mask`);
    return token >>> 0;
  }
  const t = token.trim();
  if (t === '') throw new Error('empty right in list');
  if (/^0x[0-9a-f]+$/i.test(t)) {
    if (t.length > 10 && !/^0x0*[0-9a-f]{1,8}$/i.test(t)) throw new Error(`right '${t}' is larger than 32 bits`);
    return parseInt(t.slice(2), 16) >>> 0;
  }
  if (/^-?[0-9]+$/.test(t)) return parseRightToken(Number(t));
  const v = NAME_VALUES.get(t.toLowerCase()) ?? CONSTANT_VALUES.get(t.toLowerCase());
  if (v !== undefined) return v;
  const hint = nearestNames(t, [...REGISTRY_RIGHT_NAMES], 1)[0];
  throw new Error(`unknown right '${t}'${hint ? `; did you mean ${hint}?` : `; expected one of ${REGISTRY_RIGHT_NAMES.join(', ')} or a number`}`);
}

/**
 * Parses rights: RegistryRights names (case-insensitive), winnt.h constant names, comma- or
 * `|`-separated lists, `0x…` hex, decimal (signed Int32 values as PowerShell prints them are
 * accepted), numbers, or an array of any of these. Returns the OR of all, unsigned. Throws `Error`
 * with a suggestion for unknown names.
 */
export function parseRights(input: string | number | readonly (string | number)[]): number {
  const tokens: (string | number)[] = [];
  const add = (x: string | number): void => {
    if (typeof x === 'number') tokens.push(x);
    else if (typeof x === 'string') tokens.push(...x.split(/[,|]/));
    else throw new Error(`right ${JSON.stringify(x)} is neither a name nor a number`);
  };
  if (Array.isArray(input)) (input as readonly (string | number)[]).forEach(add);
  else add(input as string | number);
  if (tokens.length === 0) throw new Error('no rights given');
  let mask = 0;
  for (const t of tokens) mask = (mask | parseRightToken(t)) >>> 0;
  return mask;
}

/**
 * Maps generic rights to key rights the way the registry does when it stores or checks an ACE
 * (GENERIC_READ → KEY_READ, GENERIC_WRITE → KEY_WRITE, GENERIC_EXECUTE → KEY_EXECUTE,
 * GENERIC_ALL → KEY_ALL_ACCESS; ReactOS `CmpKeyMapping`), removing the generic bits.
 */
export function mapGenericKeyRights(mask: number): number {
  const m = mask >>> 0;
  let mapped = m & ~GENERIC_RIGHTS_MASK;
  if (m & GENERIC_READ) mapped |= KEY_READ;
  if (m & GENERIC_WRITE) mapped |= KEY_WRITE;
  if (m & GENERIC_EXECUTE) mapped |= KEY_EXECUTE;
  if (m & GENERIC_ALL) mapped |= KEY_ALL_ACCESS;
  return mapped >>> 0;
}

/**
 * Formats a mask for people, .NET-style: `FullControl`, `ReadKey` (never ExecuteKey), `WriteKey`
 * where the mask holds the whole composite, then remaining member names in bit order, then
 * generic bits (`GenericRead`), then any leftover bits as `0x…`. Zero prints `None`.
 * `parseRights(formatRights(m)) === m` for every mask.
 */
export function formatRights(mask: number): string {
  const m = mask >>> 0;
  if (m === 0) return 'None';
  const parts: string[] = [];
  let covered = 0;
  for (const [name, value] of COMPOSITE_RIGHTS) {
    // FullControl already contains ReadKey/WriteKey: only list a composite that adds bits.
    if ((m & value) === value && (value & ~covered) !== 0) {
      parts.push(name);
      covered |= value;
    }
  }
  for (const [name, value] of SINGLE_RIGHTS) {
    if ((m & value) !== 0 && (covered & value) === 0) {
      parts.push(name);
      covered |= value;
    }
  }
  for (const [name, value] of GENERIC_NAMES) {
    if ((m & value) >>> 0 !== 0) {
      parts.push(name);
      covered = (covered | value) >>> 0;
    }
  }
  const rest = (m & ~covered) >>> 0;
  if (rest !== 0) parts.push(`0x${rest.toString(16)}`);
  return parts.join(', ');
}
