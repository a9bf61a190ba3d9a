/** driftscan's version, read once from package.json so reports and `--version` agree. */
import { existsSync, readFileSync } from 'node:fs';

// src/version.ts (under tsx) and dist/src/version.js (built) sit at different depths.
const candidates = ['../package.json', '../../package.json'].map((p) => new URL(p, import.meta.url));
const file = candidates.find((u) => existsSync(u) && (JSON.parse(readFileSync(u, 'utf8')) as { name?: string }).name === 'driftscan');
export const VERSION: string = file ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : '0.0.0';
