/**
 * Shared plumbing for the benchmarks: locating test data and tools, launching the CLI the way
 * users do, and timing whole processes.
 *
 * Every figure is the wall time of whole processes started with spawnSync. The variants of one
 * benchmark are run round-robin in one loop (A, B, C, A, B, C, …) after one warm-up run of each,
 * so a slow patch on a shared machine hits every variant alike, and ratios are taken between
 * medians measured in the same run. Spread is printed next to every median.
 */
import { execFileSync, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/** `BENCH_ROUNDS=n` overrides every benchmark's number of timed rounds (e.g. 3 for a smoke run). */
export function rounds(defaultRounds: number): number {
  const n = Number(process.env.BENCH_ROUNDS);
  return Number.isInteger(n) && n > 0 ? n : defaultRounds;
}

export function have(cmd: string): boolean {
  return !spawnSync(cmd, ['--help'], { stdio: 'ignore' }).error;
}

/** Runs a process to completion, failing loudly if it cannot start or exits with a code not in `okCodes`. */
export function run(cmd: string, args: string[], options: { okCodes?: number[]; env?: NodeJS.ProcessEnv; stdout?: 'pipe' | 'discard' } = {}): string {
  const okCodes = options.okCodes ?? [0];
  // Large outputs (whole-hive exports) go straight to /dev/null so the benchmark process does not
  // spend the measured time collecting them; small ones are read like a CI job reads a log.
  const devNull = options.stdout === 'discard' ? openSync('/dev/null', 'w') : undefined;
  try {
    const spawnOptions: SpawnSyncOptions = {
      cwd: repoRoot,
      env: options.env ?? process.env,
      stdio: ['ignore', devNull ?? 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    };
    const r = spawnSync(cmd, args, { ...spawnOptions, encoding: 'latin1' });
    if (r.error) throw r.error;
    if (!okCodes.includes(r.status ?? -1)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.slice(0, 500)}`);
    return r.stdout ?? '';
  } finally {
    if (devNull !== undefined) closeSync(devNull);
  }
}

/** Path of the esbuild bundle `npm run build` writes (scripts/bundle-cli.ts); the launcher prefers it. */
export const bundleFile = join(repoRoot, 'dist', 'src', 'bundle', 'driftscan.cjs');
const builtMain = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

/** One way of starting the CLI: `node bin/driftscan.js` with or without the bundle. */
export interface CliLauncher {
  label: string;
  /** The environment the launcher runs with (DRIFTSCAN_UNBUNDLED set or not). */
  env: NodeJS.ProcessEnv;
  run: (args: string[], options?: { okCodes?: number[]; stdout?: 'pipe' | 'discard' }) => string;
}

/**
 * The CLI as users start it (`node bin/driftscan.js`), as two variants when both exist: from the
 * bundle, and from the unbundled tsc output (`DRIFTSCAN_UNBUNDLED=1`, the launcher's fallback).
 */
export function cliLaunchers(): CliLauncher[] {
  if (!existsSync(builtMain)) throw new Error('dist/src/cli/main.js not found: run npm run build first (npm run bench does)');
  const bin = join(repoRoot, 'bin', 'driftscan.js');
  const { DRIFTSCAN_UNBUNDLED: _ignored, ...baseEnv } = process.env;
  const launcher = (label: string, env: NodeJS.ProcessEnv): CliLauncher => ({
    label,
    env,
    run: (args, options = {}) => run(process.execPath, [bin, ...args], { ...options, env }),
  });
  const out = [];
  // The launcher skips a bundle older than the tsc output; so does the benchmark, rather than mislabel a row.
  const bundled = statSync(bundleFile, { throwIfNoEntry: false });
  if (bundled && bundled.mtimeMs >= statSync(builtMain).mtimeMs) out.push(launcher('driftscan (bundle)', baseEnv));
  else process.stdout.write(`note: ${bundled ? 'dist/src/bundle is older than the tsc output' : 'no dist/src/bundle'}: timing the unbundled CLI only (npm run build makes the bundle)\n`);
  out.push(launcher('driftscan (unbundled)', { ...baseEnv, DRIFTSCAN_UNBUNDLED: '1' }));
  return out;
}

/** `node -e ""`: the floor every Node.js CLI stands on. */
export function bareNode(): void {
  run(process.execPath, ['-e', '']);
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

/** A variant of a benchmark: one or more whole processes, run to completion by `fn`. */
export interface Variant {
  label: string;
  fn: () => void;
}

/** Wall times (ms) of each variant, indexed like the variants. */
export interface Samples {
  label: string;
  ms: number[];
}

/**
 * Runs each variant once as a warm-up (page cache, disk, lazily created files), then `n` rounds
 * of every variant in turn, and returns each variant's `n` wall times.
 */
export function interleave(variants: Variant[], n: number): Samples[] {
  for (const v of variants) v.fn();
  const samples = variants.map((v) => ({ label: v.label, ms: [] as number[] }));
  for (let round = 0; round < n; round++) {
    for (const [i, v] of variants.entries()) {
      const t = performance.now();
      v.fn();
      samples[i]!.ms.push(performance.now() - t);
    }
  }
  return samples;
}

/** The q-quantile (0..1) with linear interpolation between order statistics. */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export const median = (xs: number[]): number => quantile(xs, 0.5);

/** Per-round differences a[i] - b[i] of two interleaved variants (each round ran both back to back). */
export function paired(a: number[], b: number[]): number[] {
  return a.map((x, i) => x - b[i]!);
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

/** `1.23×` */
export const times = (x: number) => `${x.toFixed(2)}×`;

/** Spread of a sample as printed everywhere: `IQR q1–q3, range min–max`. */
export function spread(xs: number[]): string {
  return `IQR ${ms(quantile(xs, 0.25))}–${ms(quantile(xs, 0.75))}, range ${ms(Math.min(...xs))}–${ms(Math.max(...xs))}`;
}

/**
 * Prints one benchmark: per variant the median, IQR, range and n, and the ratio of its median to
 * each reference variant's median (references are labels of variants in the same run).
 */
export function printSamples(title: string, samples: Samples[], references: string[]): void {
  const refs = references.map((label) => samples.find((s) => s.label === label)).filter((s): s is Samples => s !== undefined);
  const header = ['', 'median ms', 'IQR ms', 'min–max ms', 'n', ...refs.map((r) => `÷ ${r.label}`)];
  const lines = [header];
  for (const s of samples) {
    const m = median(s.ms);
    lines.push([
      s.label,
      ms(m),
      `${ms(quantile(s.ms, 0.25))}–${ms(quantile(s.ms, 0.75))}`,
      `${ms(Math.min(...s.ms))}–${ms(Math.max(...s.ms))}`,
      String(s.ms.length),
      ...refs.map((r) => (r === s ? '1' : times(m / median(r.ms)))),
    ]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  process.stdout.write(`\n${title}\n`);
  for (const [i, l] of lines.entries()) {
    process.stdout.write(l.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ').trimEnd() + '\n');
    if (i === 0) process.stdout.write(widths.map((w) => '-'.repeat(w)).join('  ') + '\n');
  }
}

/** `yes` / `NO` for a target line. */
export const met = (ok: boolean) => (ok ? 'yes' : 'NO');
