/** Locations tests need: the repository root and `../shared/data` (test data that lives outside the repo). */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'policies'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the driftscan repository above ${start}`);
    dir = up;
  }
}

/** The repository root (works from `test/` under tsx and from `dist/test/` after a build). */
export const repoRoot = findRoot(dirname(fileURLToPath(import.meta.url)));

/** `../shared/data`, or `$DRIFTSCAN_SHARED_DATA`. May not exist in a user's clone. */
export const sharedData = resolve(process.env.DRIFTSCAN_SHARED_DATA ?? join(repoRoot, '..', 'shared', 'data'));

/**
 * Returns a skip reason when shared test data is missing, for `test(name, { skip: needShared(...) }, …)`.
 * The reason is printed by the test runner, so a run without the data says so on every skipped test
 * (`.ci/run` also warns up front when the folder is missing).
 */
export function needShared(...relative: string[]): string | false {
  const missing = relative.filter((r) => !existsSync(join(sharedData, r)));
  if (missing.length === 0) return false;
  return `shared test data not found (${missing.join(', ')} under ${sharedData}); skipping`;
}
