/**
 * History benchmark (issue #11: "a year of weekly scans of a 100,000-machine fleet stays fast to
 * report on"): a store holding 52 weekly scans of 100,000 machines × 5 baselines — ~10% of
 * assignments drifting on ~3 rules each, drift that persists for weeks, 170,000 findings a scan,
 * ~8.8 million rows — built with DuckDB's own SQL (generate_series), then whole `driftscan history`
 * processes timed interleaved with bare `node -e ""`: the scan list, `--trends` (last two scans
 * compared per rule, with ages) and `--export parquet`. `BENCH_HISTORY_MACHINES` changes the size.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bareNode, interleave, printSamples, repoRoot, rounds, run, type Variant } from './support.js';
import { HistoryStore } from '../src/fleet/history/store.js';

const MACHINES = Number(process.env.BENCH_HISTORY_MACHINES ?? 100_000);
const WEEKS = 52;
const NODE = 'node -e ""';

/**
 * Writes the year's store to `path` (52 weekly scans of `machines` machines × 5 baselines) with
 * DuckDB's own SQL; returns the number of findings. Shared with bench/fleet-report.ts.
 */
export async function buildYearStore(path: string, machines = MACHINES): Promise<number> {
  const store = await HistoryStore.open(path);
  try {
    const c = store.connection;
    await c.run(`INSERT INTO scans SELECT w, TIMESTAMPTZ '2026-01-05 00:00:00+00' + to_weeks(w - 1), TIMESTAMPTZ '2026-01-05 00:10:00+00' + to_weeks(w - 1),
      true, 1, '0.1.0', ['fleet-0', 'fleet-1', 'fleet-2', 'fleet-3', 'fleet-4'], ${machines * 5}, ${machines / 2}, 0, 200 FROM range(1, ${WEEKS + 1}) t(w)`);
    await c.run(`INSERT INTO scan_scopes SELECT w, printf('00000000-0000-0000-0000-%012d', s), 'subscription', NULL, 'ok', NULL FROM range(1, ${WEEKS + 1}) a(w), range(1, 11) b(s)`);
    await c.run(`INSERT INTO compliance_totals SELECT w, printf('00000000-0000-0000-0000-%012d', s), 'fleet-' || b, c, ${machines / 10} FROM range(1, ${WEEKS + 1}) a(w), range(1, 11) x(s), range(5) y(b), unnest(['Compliant', 'NonCompliant']) z(c)`);
    // Machine m drifts on baseline b in "episodes" of 8 weeks picked by a hash: drift persists, is
    // fixed, comes back — what first_seen and the trends have to follow.
    await c.run(`INSERT INTO scan_rules SELECT w, 'fleet-' || b, 'fleet-' || b || '-rule-' || r, ['critical', 'high', 'medium', 'low'][r % 4 + 1], 'expected ' || r
      FROM range(1, ${WEEKS + 1}) a(w), range(5) y(b), range(10) z(r)`);
    await c.run(`INSERT INTO machines SELECT m + 1, printf('/subscriptions/00000000-0000-0000-0000-%012d/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm%d', m % 10 + 1, m)
      FROM range(${machines}) x(m)`);
    await c.run(`INSERT INTO finding_rows
      WITH drift AS (SELECT m, b, e FROM range(${machines}) x(m), range(5) y(b), range(${Math.ceil(WEEKS / 8)}) z(e) WHERE hash(m, b, e) % 10 = 0)
      SELECT w, m + 1,
             printf('00000000-0000-0000-0000-%012d', m % 10 + 1), 'fleet-' || b, 'fleet-' || b || '-rule-' || r,
             'expected ' || r || ', found 0', false, NULL,
             TIMESTAMPTZ '2026-01-05 00:00:00+00' + to_weeks(((w - 1) // 8) * 8)
      FROM drift, range(10) z(r), range(1, ${WEEKS + 1}) a(w)
      WHERE (w - 1) // 8 = e AND hash(m, b, r) % 3 = 0
      ORDER BY w`);
    await c.run('UPDATE scans SET findings = (SELECT count(*) FROM findings f WHERE f.scan_id = scans.scan_id)');
    return Number((await store.query('SELECT count(*) AS n FROM findings'))[0]!.n);
  } finally {
    store.close();
  }
}

export async function benchHistory(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-bench-history-'));
  try {
    const path = join(dir, 'history.duckdb');
    const t = performance.now();
    const rows = await buildYearStore(path);
    process.stdout.write(`\nhistory: built ${WEEKS} weekly scans of ${MACHINES.toLocaleString('en')} machines × 5 baselines: ${rows.toLocaleString('en')} findings, ${(statSync(path).size / 1e6).toFixed(0)} MB file, in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    const cli = (args: string[]) => () => void run(process.execPath, [join(repoRoot, 'bin', 'driftscan.js'), 'history', '--history', path, ...args], { stdout: 'discard' });
    const variants: Variant[] = [
      { label: NODE, fn: bareNode },
      { label: 'history (list)', fn: cli([]) },
      { label: 'history --trends', fn: cli(['--trends']) },
      { label: 'history --export parquet', fn: cli(['--export', 'parquet', join(dir, 'parquet')]) },
    ];
    const n = rounds(5);
    printSamples(`history: whole processes over the year's store, round-robin, ${n} rounds after 1 warm-up each`, interleave(variants, n), [NODE]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchHistory();
