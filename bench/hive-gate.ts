/**
 * Gate benchmark: the seed baseline's SYSTEM-hive keys read from the largest real SYSTEM hive
 * (regipy SYSTEM_B, 12.8 MB) versus `reglookup -p <key>` on the same keys.
 * (a) in-process read + Hive.open + lookup + decode vs the reglookup processes (target <= 1.0x);
 * (b) the whole `driftscan check` process vs the reglookup processes (target <= 4x).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hive } from '../src/state/hive/hive.js';
import { cli, have, printTable, repoRoot, run, timeMedian, unpackHive, type BenchRow } from './support.js';

/** SYSTEM keys of policies/rdp-access-denied.yaml, CurrentControlSet resolved through Select\Current = 1. */
const KEYS = [
  ['ControlSet001', 'Control', 'Terminal Server'],
  ['ControlSet001', 'Control', 'Lsa', 'Kerberos', 'Parameters'],
  ['ControlSet001', 'Services', 'TermService'],
];

export function benchGate(): BenchRow[] | string {
  if (!have('reglookup')) return 'reglookup not installed: skipping the gate benchmark';
  const hive = unpackHive('SYSTEM_B');
  if (!hive) return 'shared data hives/SYSTEM_B.xz (or xz) not found: skipping the gate benchmark';
  try {
    const rows: BenchRow[] = [];
    const reglookupAll = () => {
      for (const k of KEYS) run('reglookup', ['-p', '/' + k.join('/'), hive.file]);
    };
    const referenceMs = timeMedian(5, reglookupAll);
    const inProcess = timeMedian(9, () => {
      const h = Hive.open(readFileSync(hive.file), { file: hive.file });
      h.lookup(['Select'])?.value('Current')?.decoded();
      for (const k of KEYS) {
        const key = h.lookup(k);
        if (!key) throw new Error(`benchmark key ${k.join('\\')} missing from SYSTEM_B`);
        for (const v of key.values()) v.decoded();
        key.securityDescriptor();
      }
    });
    rows.push({ name: 'gate: read+open+lookup+decode (in-process)', oursMs: inProcess, referenceMs, reference: `reglookup -p x${KEYS.length}`, target: 1.0 });
    const c = cli();
    const args = [...c.args, 'check', join(repoRoot, 'policies', 'rdp-access-denied.yaml'), '--hive', `SYSTEM=${hive.file}`];
    // 0 or 1 are verdicts; anything else means the gate did not run and must not be timed as if it had.
    const processMs = timeMedian(3, () => run(c.cmd, args, [0, 1]));
    rows.push({ name: 'gate: driftscan check (whole process)', oursMs: processMs, referenceMs, reference: `reglookup -p x${KEYS.length}`, target: 4, note: c.label });
    return rows;
  } finally {
    hive.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = benchGate();
  if (typeof r === 'string') console.log(r);
  else printTable('hive gate', r);
}
