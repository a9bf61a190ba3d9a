/**
 * Runs every benchmark: `node dist/bench/run.js` after `npm run build`, or `node --import tsx
 * bench/run.ts`. Hive ratios compare against reference tools measured in the same run, so numbers
 * from different machines stay comparable. Exits 0 even when a target is missed: benchmarks
 * inform, tests gate.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchExport } from './hive-export.js';
import { benchGate } from './hive-gate.js';
import { printTable, type BenchRow } from './support.js';

const rows: BenchRow[] = [];
for (const bench of [benchGate, benchExport]) {
  const r = bench();
  if (typeof r === 'string') process.stdout.write(`${r}\n`);
  else rows.push(...r);
}
const measured = rows.filter((r) => !Number.isNaN(r.oursMs));
if (measured.length > 0) printTable('hive benchmarks (median wall time)', measured);
for (const r of rows) if (Number.isNaN(r.oursMs)) process.stdout.write(`  ${r.name}: ${r.note}\n`);

// Self-contained benchmark scripts (compile.ts prints its own line) run in a child process so one
// failing script reports a short error instead of ending the run.
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
for (const script of ['compile']) {
  const file = join(dirname(fileURLToPath(import.meta.url)), script + ext);
  const r = spawnSync(process.execPath, [...process.execArgv, file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  process.stdout.write(`\n${r.stdout}`);
  if (r.status !== 0) {
    const first = (r.stderr.split('\n').find((l) => /Error/.test(l)) ?? r.stderr.split('\n')[0] ?? '').slice(0, 300);
    process.stdout.write(`${script}: benchmark failed (exit ${r.status}): ${first}\n`);
  }
}
