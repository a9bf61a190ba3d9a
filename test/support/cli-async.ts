/**
 * Runs the driftscan CLI as a child process without blocking this one: for tests whose ARM emulator
 * runs in the test process (`ArmEmulator.start`), which must keep answering while the CLI calls it
 * (`runCli` uses spawnSync, which would stall both).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths.js';
import type { CliResult } from './cli.js';

const fromSources = import.meta.url.endsWith('.ts');
const tsxLoader = fromSources ? import.meta.resolve('tsx') : '';

export function runCliAsync(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  const argv = fromSources ? ['--import', tsxLoader, join(repoRoot, 'src', 'cli', 'main.ts'), ...args] : [join(repoRoot, 'bin', 'driftscan.js'), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: options.cwd ?? repoRoot, env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stdout, stderr });
    });
  });
}
