/**
 * Export benchmark: `driftscan export --hive SYSTEM_B` (whole hive as .reg text) versus
 * `reglookup` printing the whole hive (target <= 1.5x). Both are full walks decoding every value.
 */
import { cli, have, run, printTable, timeMedian, unpackHive, type BenchRow } from './support.js';

export function benchExport(): BenchRow[] | string {
  if (!have('reglookup')) return 'reglookup not installed: skipping the export benchmark';
  const hive = unpackHive('SYSTEM_B');
  if (!hive) return 'shared data hives/SYSTEM_B.xz (or xz) not found: skipping the export benchmark';
  try {
    const referenceMs = timeMedian(3, () => run('reglookup', [hive.file]));
    const c = cli();
    const oursMs = timeMedian(3, () => run(c.cmd, [...c.args, 'export', '--hive', hive.file]));
    return [{ name: 'export: whole SYSTEM_B hive (process)', oursMs, referenceMs, reference: 'reglookup (full)', target: 1.5, note: c.label }];
  } finally {
    hive.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = benchExport();
  if (typeof r === 'string') console.log(r);
  else printTable('hive export', r);
}
