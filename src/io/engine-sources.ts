/**
 * Reads the DriftscanDsc PowerShell sources that ship with driftscan (`dsc/DriftscanDsc/`, listed in
 * package.json "files"). They are part of the installation, not user input: a missing file means a
 * broken install, reported as such.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The shipped sources (the shape `dsc/engine-module.ts` builds the module from). */
export interface ShippedEngineSources {
  engine: string;
  reader: string;
  /** `Resources/<Kind>.ps1` by file name. */
  resources: ReadonlyMap<string, string>;
}

/** The shipped `dsc/DriftscanDsc` folder (src/io under tsx and dist/src/io when built sit at different depths). */
export function engineSourceDir(): string {
  for (const rel of ['../../dsc/DriftscanDsc/', '../../../dsc/DriftscanDsc/']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(new URL('Engine.ps1', url))) return fileURLToPath(url);
  }
  throw new Error('driftscan installation is missing dsc/DriftscanDsc/Engine.ps1');
}

/** Engine.ps1, Reader.ps1 and every Resources/*.ps1. */
export function readEngineSources(dir: string = engineSourceDir()): ShippedEngineSources {
  const read = (...p: string[]) => readFileSync(join(dir, ...p), 'utf8');
  const resources = new Map<string, string>();
  for (const f of readdirSync(join(dir, 'Resources')).filter((n) => n.endsWith('.ps1')).sort()) resources.set(f, read('Resources', f));
  return { engine: read('Engine.ps1'), reader: read('Reader.ps1'), resources };
}
