/**
 * The hives under `HKEY_LOCAL_MACHINE`. Windows loads the machine hives from
 * `System32\config\<NAME>` files, so they are what an offline image holds; `HARDWARE` is built at
 * boot and `BCD00000000` is the boot store, so they exist only on a running machine.
 */

/** Machine hives stored as files in `System32\config` (what `--hive NAME=FILE` and `--windows-dir` read). */
export const MACHINE_HIVES = ['SYSTEM', 'SOFTWARE', 'SAM', 'SECURITY'] as const;
export type MachineHive = (typeof MACHINE_HIVES)[number];

/**
 * Machine hives whose keys only SYSTEM may read on a running machine (their DACLs give
 * Administrators no read access): user rights and LSA secrets live in SECURITY, accounts in SAM.
 */
export const SYSTEM_ONLY_HIVES: readonly MachineHive[] = ['SECURITY', 'SAM'];

/** Every key directly under HKLM on a running machine. */
export const HKLM_KEYS: readonly string[] = [...MACHINE_HIVES, 'HARDWARE', 'BCD00000000'];

/** The machine hive named `name` (any case), or undefined. */
export function machineHive(name: string): MachineHive | undefined {
  const upper = name.toUpperCase();
  return MACHINE_HIVES.find((h) => h === upper);
}

/** What a hive file holds: one of the machine hives, or a user's profile hive (NTUSER.DAT). */
export type HiveKind = MachineHive | 'user';

/**
 * Root subkeys that mark each kind of hive. They are what rules read, so a file that lacks them
 * cannot answer for that hive whatever its name; they also tell the hives apart (SYSTEM has
 * `Software` and `Keyboard Layout` keys too, but no `Control Panel`). The base block's file-name
 * field is not used: our own writer and many tools leave it blank, and Windows keeps only the last
 * 31 characters of the path there (`emRoot\System32\Config\SECURITY`), or just `SYSTEM`.
 */
const HIVE_MARKS: Record<HiveKind, { all: readonly RegExp[]; any: readonly RegExp[]; shape: string }> = {
  SYSTEM: { all: [], any: [/^SELECT$/, /^CONTROLSET\d{3}$/], shape: 'Select and ControlSet00n keys' },
  SOFTWARE: { all: [/^MICROSOFT$/], any: [], shape: 'a Microsoft key' },
  SAM: { all: [/^SAM$/], any: [], shape: 'a SAM key' },
  SECURITY: { all: [/^POLICY$/], any: [], shape: 'a Policy key' },
  // Not `Keyboard Layout`: Windows 10 and later SYSTEM hives have one at their root too (SYSTEM_B).
  user: {
    all: [/^SOFTWARE$/],
    any: [/^CONTROL PANEL$/, /^ENVIRONMENT$/, /^APPEVENTS$/, /^CONSOLE$/],
    shape: 'Software and Control Panel, Environment, AppEvents or Console keys',
  },
};

/** Every kind of hive whose marks the root subkey names carry (usually one; none for an unknown or empty hive). */
export function hiveKinds(rootSubkeys: readonly string[]): HiveKind[] {
  const names = rootSubkeys.map((n) => n.toUpperCase());
  const has = (re: RegExp) => names.some((n) => re.test(n));
  return (Object.keys(HIVE_MARKS) as HiveKind[]).filter((kind) => {
    const m = HIVE_MARKS[kind];
    return m.all.every(has) && (m.any.length === 0 || m.any.some(has));
  });
}

/** What the root of a hive of `kind` has, for messages: "Select and ControlSet00n keys". */
export function hiveShape(kind: HiveKind): string {
  return HIVE_MARKS[kind].shape;
}

/** "a SAM hive", "a user hive (NTUSER.DAT)". */
export function describeHiveKind(kind: HiveKind): string {
  return kind === 'user' ? 'a user hive (NTUSER.DAT)' : `a ${kind} hive`;
}
