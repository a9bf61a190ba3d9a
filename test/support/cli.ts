/** Runs the driftscan CLI as a user would, from the build (`dist/`) or from sources under tsx. */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

const fromSources = import.meta.url.endsWith('.ts');
// Resolved here, not by the child: a child started in a temp folder (cwd) cannot find tsx on its own.
const tsxLoader = fromSources ? import.meta.resolve('tsx') : '';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `driftscan …args` with `cwd` (default: repo root) and returns exit status and output.
 * `under` is a command the CLI runs under (`['setpriv', '--reuid=65534', …]`, `['unshare', '-m', …]`).
 * `timeoutMs` kills a run that takes longer (status -1), so a test of a time bound fails instead of hanging.
 */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; under?: string[]; timeoutMs?: number } = {}): CliResult {
  const cmd = [
    ...(options.under ?? []),
    ...(fromSources
      ? [process.execPath, '--import', tsxLoader, join(repoRoot, 'src', 'cli', 'main.ts'), ...args]
      : [process.execPath, join(repoRoot, 'bin', 'driftscan.js'), ...args]),
  ];
  const r: SpawnSyncReturns<string> = spawnSync(cmd[0]!, cmd.slice(1), {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
    input: options.input,
    maxBuffer: 256 * 1024 * 1024,
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs, killSignal: 'SIGKILL' as const }),
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') return { status: -1, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}\n(killed after ${options.timeoutMs} ms)` };
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `runCli` without blocking the event loop: for tests whose ARM emulator runs in the test's own
 * process (spawnSync would stop it from answering).
 */
export async function runCliAsync(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  const { spawn } = await import('node:child_process');
  const cmd = fromSources ? [process.execPath, '--import', tsxLoader, join(repoRoot, 'src', 'cli', 'main.ts'), ...args] : [process.execPath, join(repoRoot, 'bin', 'driftscan.js'), ...args];
  const child = spawn(cmd[0]!, cmd.slice(1), { cwd: options.cwd ?? repoRoot, env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
  const status = await new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? -1)));
  if (timer) clearTimeout(timer);
  return { status, stdout, stderr };
}
