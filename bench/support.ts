/**
 * Shared plumbing for the benchmarks: locating test data and tools, timing (median of N runs),
 * launching the CLI the way users do, and printing a result table with targets.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'policies'))) return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the driftscan repository above ${start}`);
  }
}

/** Repository root (works from `bench/` under tsx and from `dist/bench/` after a build). */
export const repoRoot = findRoot(dirname(fileURLToPath(import.meta.url)));
export const sharedData = resolve(process.env.DRIFTSCAN_SHARED_DATA ?? join(repoRoot, '..', 'shared', 'data'));

/** One benchmark comparison: our time, the reference tool's, and the ratio target. */
export interface BenchRow {
  name: string;
  oursMs: number;
  referenceMs: number;
  reference: string;
  target: number;
  note?: string;
}

export function have(cmd: string): boolean {
  return !spawnSync(cmd, ['--help'], { stdio: 'ignore' }).error;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs `fn` once to warm up, then `n` times; returns the median wall time in ms. */
export function timeMedian(n: number, fn: () => void): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

/** Runs a process to completion, failing loudly if it cannot start or crashes. */
export function run(cmd: string, args: string[], okCodes: number[] = [0]): string {
  const r = spawnSync(cmd, args, { encoding: 'latin1', maxBuffer: 1024 * 1024 * 1024, cwd: repoRoot });
  if (r.error) throw r.error;
  if (!okCodes.includes(r.status ?? -1)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  return r.stdout;
}

/** The CLI as users start it: `node bin/driftscan.js` after a build, else `node --import tsx src/cli/main.ts`. */
export function cli(): { cmd: string; args: string[]; label: string } {
  if (existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'))) return { cmd: process.execPath, args: [join(repoRoot, 'bin', 'driftscan.js')], label: 'node bin/driftscan.js' };
  return { cmd: process.execPath, args: ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts')], label: 'node --import tsx src/cli/main.ts (not built: includes transpiling)' };
}

/** Decompresses `hives/NAME.xz` from the shared data to a temp dir; call `cleanup` when done. */
export function unpackHive(name: string): { file: string; cleanup: () => void } | undefined {
  const xz = join(sharedData, 'hives', `${name}.xz`);
  if (!existsSync(xz) || !have('xz')) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-bench-'));
  const file = join(dir, name);
  writeFileSync(file, execFileSync('xz', ['-dc', xz], { maxBuffer: 256 * 1024 * 1024 }));
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Prints the rows as a table: times, ratio, target and whether it is met. */
export function printTable(title: string, rows: BenchRow[]): void {
  const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
  const lines = [['benchmark', 'driftscan', 'reference', 'ratio', 'target', 'met']];
  for (const r of rows) {
    const ratio = r.oursMs / r.referenceMs;
    lines.push([r.name, fmt(r.oursMs), `${fmt(r.referenceMs)} (${r.reference})`, `${ratio.toFixed(2)}x`, `<= ${r.target}x`, ratio <= r.target ? 'yes' : 'NO']);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  process.stdout.write(`\n${title}\n`);
  for (const [i, l] of lines.entries()) {
    process.stdout.write(l.map((c, j) => c.padEnd(widths[j]!)).join('  ') + '\n');
    if (i === 0) process.stdout.write(widths.map((w) => '-'.repeat(w)).join('  ') + '\n');
  }
  for (const r of rows) if (r.note) process.stdout.write(`  note (${r.name}): ${r.note}\n`);
}
