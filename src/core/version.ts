/** driftscan's version, read once from package.json so reports and `--version` agree. */
import { existsSync, readFileSync } from 'node:fs';

// src/core/version.ts (under tsx), dist/src/core/version.js (built) and a bundle in dist/ sit at different depths.
function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json', '../../../package.json']) {
    const url = new URL(rel, import.meta.url);
    if (!existsSync(url)) continue;
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'driftscan' && pkg.version) return pkg.version;
  }
  return '0.0.0';
}

export const VERSION: string = readVersion();
