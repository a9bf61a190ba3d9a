/**
 * Fleet report benchmark (issue #11: "a year of weekly scans of a 100,000-machine fleet stays fast"):
 * the same year's store as bench/fleet-history.ts (52 weekly scans × 100,000 machines × 5 baselines,
 * ~8.8 million findings), then whole `driftscan report` processes — `--format html` (DuckDB
 * queries, vega-lite charts, the page with 2,000 rows per list) and `--format markdown` — timed
 * interleaved with `driftscan history` on the same store (open, list the scans: the baseline) and
 * bare `node -e ""`. `BENCH_HISTORY_MACHINES` changes the size.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bareNode, interleave, printSamples, repoRoot, rounds, run, type Variant } from './support.js';
import { buildYearStore } from './fleet-history.js';

const MACHINES = Number(process.env.BENCH_HISTORY_MACHINES ?? 100_000);
const NODE = 'node -e ""';
const HISTORY = 'history (list)';

export async function benchReport(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-bench-report-'));
  try {
    const path = join(dir, 'history.duckdb');
    const t = performance.now();
    const rows = await buildYearStore(path, MACHINES);
    process.stdout.write(`\nreport: built 52 weekly scans of ${MACHINES.toLocaleString('en')} machines × 5 baselines: ${rows.toLocaleString('en')} findings, ${(statSync(path).size / 1e6).toFixed(0)} MB file, in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    const cli = (args: string[]) => () => void run(process.execPath, [join(repoRoot, 'bin', 'driftscan.js'), ...args], { stdout: 'discard' });
    const html = join(dir, 'report.html');
    const variants: Variant[] = [
      { label: NODE, fn: bareNode },
      { label: HISTORY, fn: cli(['history', '--history', path]) },
      { label: 'report --format html', fn: cli(['report', '--history', path, '--format', 'html', '-o', html]) },
      { label: 'report --since 7d --format markdown', fn: cli(['report', '--history', path, '--since', '7d', '--format', 'markdown']) },
    ];
    const n = rounds(5);
    printSamples(`report: whole processes over the year's store, round-robin, ${n} rounds after 1 warm-up each`, interleave(variants, n), [HISTORY, NODE]);
    process.stdout.write(`report: the HTML file is ${(statSync(html).size / 1e6).toFixed(1)} MB\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchReport();
