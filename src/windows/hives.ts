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
