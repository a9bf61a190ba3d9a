/** PowerShell 7 for tests: on PATH, or where `.ci/run` installs the .NET global tool. */
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { buildEngineModule } from '../../src/dsc/engine-module.js';
import { readEngineSources } from '../../src/io/engine-sources.js';
import { VERSION } from '../../src/core/version.js';

function findPwsh(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'pwsh'))) return join(dir, 'pwsh');
  }
  const tool = join(homedir(), '.dotnet', 'tools', 'pwsh');
  return existsSync(tool) ? tool : undefined;
}

/** The pwsh executable, or undefined. */
export const pwsh = findPwsh();

/** `test(…, { skip: needPwsh }, …)`: the runner prints this reason for every skipped test. */
export const needPwsh: string | false = pwsh ? false : 'pwsh (PowerShell 7) not found on PATH or in ~/.dotnet/tools; skipping (.ci/run installs it)';

/** Runs `pwsh -NoProfile -NonInteractive -File script args…`; throws with stderr when it fails. */
export function runPwshFile(script: string, args: string[]): string {
  const r = spawnSync(pwsh!, ['-NoProfile', '-NonInteractive', '-File', script, ...args], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`pwsh ${script} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Runs a PowerShell command; returns stdout. */
export function runPwsh(command: string): string {
  const r = spawnSync(pwsh!, ['-NoProfile', '-NonInteractive', '-Command', command], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`pwsh exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Builds DriftscanDsc from the shipped sources into a temp folder; returns the .psd1 path. */
export function writeEngineModule(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'driftscan-dsc-')), 'DriftscanDsc');
  mkdirSync(dir);
  const m = buildEngineModule(readEngineSources(), VERSION);
  for (const [name, data] of m.files) writeFileSync(join(dir, name), data);
  return join(dir, 'DriftscanDsc.psd1');
}

/** The module provider `driftscan compile` uses: DriftscanDsc built from the shipped sources. */
export function engineModules(needed: readonly { name: string; version: string }[]) {
  return needed.map(() => buildEngineModule(readEngineSources(), VERSION));
}
