/**
 * `modules.lock.json`, committed next to the baselines: the last compiled version + contentHash of
 * each package. It is what makes "content changed without a version bump" detectable in a fresh
 * clone or in CI: `build/` is not committed, the lock file is. Machines cache packages by version,
 * so new content under an old version would never reach them. (Files written before driftscan
 * carried its own DSC module also pinned Gallery modules under "modules"; that part is ignored.)
 */
import { DriftscanError } from '../../core/diagnostics.js';

export interface LockedPackage {
  version: string;
  contentHash: string;
}

export interface LockFile {
  lockfileVersion: 1;
  packages: Record<string, LockedPackage>;
}

export function emptyLock(): LockFile {
  return { lockfileVersion: 1, packages: {} };
}

/** Parses a lock file's text (`file` names it in errors). Damaged files are input errors. */
export function parseLock(text: string, file: string): LockFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new DriftscanError(`not valid JSON (${(err as Error).message}); delete it and compile again to re-record package versions`, { location: { file } });
  }
  const d = data as Partial<LockFile>;
  if (typeof d !== 'object' || d === null || d.lockfileVersion !== 1) {
    throw new DriftscanError('not a driftscan lock file (lockfileVersion 1)', { location: { file } });
  }
  const packages = d.packages ?? {};
  for (const [name, p] of Object.entries(packages)) {
    if (typeof p?.version !== 'string' || typeof p.contentHash !== 'string') {
      throw new DriftscanError(`package ${name} needs version and contentHash`, { location: { file } });
    }
  }
  return { lockfileVersion: 1, packages };
}

function sorted<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Serialises with sorted keys so the committed file only changes when its content does. */
export function formatLock(lock: LockFile): string {
  return `${JSON.stringify({ lockfileVersion: 1, packages: sorted(lock.packages) }, null, 2)}\n`;
}
