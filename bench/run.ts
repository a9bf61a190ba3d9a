/**
 * Runs every benchmark: `node dist/bench/run.js` after `npm run build` (`npm run bench` does both),
 * or `node --import tsx bench/run.ts` after a build (the CLI is always run from dist/). Each
 * benchmark times whole processes, interleaved with its references in one loop, and prints medians
 * with their spread and ratios between figures of the same run, so numbers from different machines
 * stay comparable. `BENCH_ROUNDS=n` sets the number of rounds of every benchmark. Exits 0 even when
 * a target is missed: benchmarks inform, tests gate.
 */
import { benchCompile } from './compile.js';
import { benchExport } from './hive-export.js';
import { benchGate } from './hive-gate.js';
import { benchImage } from './image-gate.js';
import { benchFleet } from './fleet-scan.js';
import { benchHistory } from './fleet-history.js';
import { benchRemediate } from './remediate.js';

process.stdout.write(`node ${process.version}, ${process.platform}-${process.arch}\n`);
for (const [name, bench] of [['gate', benchGate], ['image', benchImage], ['export', benchExport], ['compile', benchCompile], ['fleet', benchFleet], ['history', benchHistory], ['remediate', benchRemediate]] as const) {
  // One failing benchmark reports a short error instead of ending the run.
  try {
    await bench();
  } catch (err) {
    process.stdout.write(`\n${name}: benchmark failed: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300)}\n`);
  }
}
