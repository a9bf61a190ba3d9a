/**
 * `modules.lock.json`, committed next to the baselines: the exact module versions and package
 * hashes every build must use, and the last compiled version + contentHash of each package.
 * The second part is what makes "content changed without a version bump" detectable in a fresh
 * clone or in CI: `build/` is not committed, the lock file is. Machines cache packages by
 * version, so new content under an old version would never reach them.
 */
import { DriftscanError } from '../../core/diagnostics.js';

export interface LockedModule {
  /** Gallery package id (may differ in case from the module folder name). */
  galleryId: string;
  version: string;
  /** Base64 SHA-512 of the .nupkg, as the NuGet v2 feed publishes `PackageHash`. */
  sha512: string;
}

export interface LockedPackage {
  version: string;
  contentHash: string;
}

export interface LockFile {
  lockfileVersion: 1;
  modules: Record<string, LockedModule>;
  packages: Record<string, LockedPackage>;
}

export function emptyLock(): LockFile {
  return { lockfileVersion: 1, modules: {}, packages: {} };
}

/** Parses a lock file's text (`file` names it in errors). Damaged files are input errors. */
export function parseLock(text: string, file: string): LockFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new DriftscanError(`not valid JSON (${(err as Error).message}); delete it to re-resolve modules`, { location: { file } });
  }
  const d = data as Partial<LockFile>;
  if (d.lockfileVersion !== 1 || typeof d.modules !== 'object' || d.modules === null) {
    throw new DriftscanError('not a driftscan modules lock file (lockfileVersion 1 with "modules")', { location: { file } });
  }
  for (const [name, m] of Object.entries(d.modules)) {
    if (typeof m?.version !== 'string' || typeof m.sha512 !== 'string' || typeof m.galleryId !== 'string') {
      throw new DriftscanError(`module ${name} needs galleryId, version and sha512`, { location: { file } });
    }
  }
  return { lockfileVersion: 1, modules: d.modules, packages: d.packages ?? {} };
}

function sorted<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Serialises with sorted keys so the committed file only changes when its content does. */
export function formatLock(lock: LockFile): string {
  return `${JSON.stringify({ lockfileVersion: 1, modules: sorted(lock.modules), packages: sorted(lock.packages) }, null, 2)}\n`;
}
