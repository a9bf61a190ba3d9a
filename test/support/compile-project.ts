/** A throw-away project folder for compile tests: `<root>/<name>/policies/` holding the seed baseline. */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/** Creates `<root>/<name>/policies/rdp-access-denied.yaml` (a copy of the shipped one) and returns `<root>/<name>`. */
export function seedProject(root: string, name: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'policies'), { recursive: true });
  copyFileSync(join(repoRoot, 'policies', 'rdp-access-denied.yaml'), join(dir, 'policies', 'rdp-access-denied.yaml'));
  return dir;
}
