/**
 * The Machine Configuration package zip (machine-configuration.md §1): `<name>.mof`,
 * `<name>.metaconfig.json` and `Modules/<Module>/…` flat at the root, directory entries
 * included. Reproducible: entries sorted, one fixed timestamp, fixed deflate level and host
 * fields, so the same inputs give the same bytes (and contentHash) on any machine and OS.
 */
import { createHash } from 'node:crypto';
import { zipSync, type Zippable } from 'fflate';
import type { AssignmentType } from '../rules/model.js';
import { DriftscanError } from '../core/diagnostics.js';

/** Machine Configuration refuses packages whose unpacked size exceeds 100 MB (§1.4). */
export const MAX_PACKAGE_BYTES = 100 * 1024 * 1024;

/** A module's files, relative to its ModuleBase (forward slashes). */
export interface ModuleContent {
  name: string;
  version: string;
  files: ReadonlyMap<string, Uint8Array>;
}

export interface PackageInput {
  name: string;
  version: string;
  assignmentType: AssignmentType;
  frequencyMinutes?: number;
  mof: string;
  modules: readonly ModuleContent[];
}

export interface BuiltPackage {
  zip: Uint8Array;
  /** SHA-256 of the zip, 64 upper-case hex: the policy's `contentHash` (§1.5). */
  contentHash: string;
  /** Sum of uncompressed entry sizes (the 100 MB limit). */
  unpackedBytes: number;
  metaconfig: string;
}

/** `<name>.metaconfig.json`: Type Audit | AuditAndSet, Version, and the frequency when above the 15-minute default. */
export function metaconfigJson(input: Pick<PackageInput, 'name' | 'version' | 'assignmentType' | 'frequencyMinutes'>): string {
  const meta: Record<string, string | number> = { Type: input.assignmentType === 'Audit' ? 'Audit' : 'AuditAndSet', Version: input.version };
  if (input.frequencyMinutes !== undefined) {
    if (!Number.isInteger(input.frequencyMinutes) || input.frequencyMinutes < 15) {
      throw new DriftscanError(`${input.name}: assignment frequencyMinutes ${input.frequencyMinutes} is below Machine Configuration's 15-minute minimum`);
    }
    if (input.frequencyMinutes > 15) meta.configurationModeFrequencyMins = input.frequencyMinutes;
  }
  return `${JSON.stringify(meta, null, 2)}\n`;
}

// DOS timestamps are local time; constructing the Date from local fields keeps them fixed in every time zone.
const FIXED_MTIME = new Date(2020, 0, 1, 0, 0, 0);
const DIR_ATTRS = 0x10; // MS-DOS directory attribute

/** SHA-256, 64 upper-case hex (the format Machine Configuration expects for contentHash). */
export function sha256Upper(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex').toUpperCase();
}

/** Builds the package zip. Entry order: MOF, metaconfig, `Modules/`, then each module's tree sorted by path. */
export function buildPackage(input: PackageInput): BuiltPackage {
  const metaconfig = metaconfigJson(input);
  const entries: Array<[string, Uint8Array]> = [
    [`${input.name}.mof`, new TextEncoder().encode(input.mof)],
    [`${input.name}.metaconfig.json`, new TextEncoder().encode(metaconfig)],
    ['Modules/', new Uint8Array(0)],
  ];
  for (const m of [...input.modules].sort((a, b) => cmp(a.name, b.name))) {
    const paths = [...m.files.keys()].sort(cmp);
    const dirs = new Set<string>([`Modules/${m.name}/`]);
    for (const p of paths) {
      const parts = p.split('/');
      for (let i = 1; i < parts.length; i++) dirs.add(`Modules/${m.name}/${parts.slice(0, i).join('/')}/`);
    }
    const all = [...[...dirs].map((d) => [d, new Uint8Array(0)] as [string, Uint8Array]), ...paths.map((p) => [`Modules/${m.name}/${p}`, m.files.get(p)!] as [string, Uint8Array])];
    entries.push(...all.sort((a, b) => cmp(a[0], b[0])));
  }
  const unpackedBytes = entries.reduce((n, [, d]) => n + d.length, 0);
  if (unpackedBytes > MAX_PACKAGE_BYTES) {
    throw new DriftscanError(`package ${input.name} would unpack to ${unpackedBytes} bytes, above Machine Configuration's 100 MB limit`);
  }
  const zippable: Zippable = {};
  for (const [name, data] of entries) {
    const dir = name.endsWith('/');
    zippable[name] = [data, { level: dir ? 0 : 6, mtime: FIXED_MTIME, os: 0, attrs: dir ? DIR_ATTRS : 0 }];
  }
  const zip = zipSync(zippable, { level: 6, mtime: FIXED_MTIME });
  return { zip, contentHash: sha256Upper(zip), unpackedBytes, metaconfig };
}

/** Ordinal comparison: locale-independent, so every machine sorts the same way. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
