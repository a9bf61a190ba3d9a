/**
 * Export benchmark: the whole `driftscan export --hive SYSTEM_B` process (every key and value as
 * .reg text) against `reglookup SYSTEM_B` printing the whole hive (target <= 1.5×), with bare
 * `node -e ""` alongside; interleaved in one loop. Both tools decode every value; both write to
 * /dev/null so the benchmark does not time collecting tens of megabytes of output.
 */
import { bareNode, cliLaunchers, have, interleave, median, met, printSamples, rounds, run, times, unpackHive, type Variant } from './support.js';

const NODE = 'node -e ""';
const REGLOOKUP = 'reglookup (whole hive)';
const TARGET = 1.5;

export function benchExport(): void {
  if (!have('reglookup')) {
    process.stdout.write('reglookup not installed: skipping the export benchmark\n');
    return;
  }
  const hive = unpackHive('SYSTEM_B');
  if (!hive) {
    process.stdout.write('shared data hives/SYSTEM_B.xz (or xz) not found: skipping the export benchmark\n');
    return;
  }
  try {
    const launchers = cliLaunchers();
    const variants: Variant[] = [
      { label: NODE, fn: bareNode },
      ...launchers.map((c) => ({ label: `${c.label} export`, fn: () => void c.run(['export', '--hive', hive.file], { stdout: 'discard' }) })),
      { label: REGLOOKUP, fn: () => void run('reglookup', [hive.file], { stdout: 'discard' }) },
    ];
    const n = rounds(9);
    const samples = interleave(variants, n);
    printSamples(`export: whole SYSTEM_B hive (12.8 MB) to /dev/null, round-robin, ${n} rounds after 1 warm-up each`, samples, [NODE, REGLOOKUP]);
    const reference = median(samples.at(-1)!.ms);
    for (const s of samples.slice(1, -1)) {
      const ratio = median(s.ms) / reference;
      process.stdout.write(`${s.label} vs ${REGLOOKUP}: ${times(ratio)} (target <= ${TARGET}×): met ${met(ratio <= TARGET)}\n`);
    }
  } finally {
    hive.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) benchExport();
