/** `driftscan history`: the scans recorded by `driftscan scan`, trends between them, Parquet export. */
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { RegisterCommand } from '../command.js';
import { stderr, stdout } from '../../io/console.js';
import { usageError } from '../../core/diagnostics.js';

interface HistoryFlags {
  history: string;
  format: 'table' | 'json';
  trends?: boolean;
  remediation?: boolean;
  scan?: string;
  export?: string[];
}

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

export const register: RegisterCommand = (program: Command) => {
  program
    .command('history')
    .summary('list the fleet scans recorded in the history store, trends between the last two, Parquet export')
    .description(
      'List the scans `driftscan scan` recorded (when, complete or not, exit code, machines, findings, requests).\n' +
        'With --trends: per rule, what newly drifted, what was fixed and what is still drifting (and for how long) between\n' +
        'the last two scans. With --export parquet DIR: every table of the store as DIR/<table>.parquet (docs/history.md).',
    )
    .option('--history <path>', 'the history store (a DuckDB file)', 'reports/history.duckdb')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--trends', 'compare the last two scans per rule: newly drifted, fixed, still drifting (age since first seen)')
    .option('--remediation', 'what driftscan remediate did, per baseline, rule and result (Opened, Succeeded, Failed, …): machines counted once per rule')
    .option('--scan <id>', 'with --remediation: only the remediation of this scan')
    .option('--export <format-and-dir...>', 'write the history as files: parquet DIR')
    .action(async (o: HistoryFlags) => {
      if (o.export && (o.export.length !== 2 || o.export[0] !== 'parquet')) throw usageError(`--export takes 'parquet DIR', not '${o.export.join(' ')}'`);
      if (!existsSync(o.history)) throw usageError(`${o.history}: no history store there (run driftscan scan first, or pass --history PATH)`);
      const [{ HistoryStore }, trends, { exportParquet }, { remediationSummary }] = await Promise.all([
        import('../../fleet/history/store.js'),
        import('../../fleet/history/trends.js'),
        import('../../fleet/history/parquet.js'),
        import('../../fleet/history/remediation.js'),
      ]);
      const store = await HistoryStore.open(o.history);
      try {
        if (o.export) {
          const files = await exportParquet(store, o.export[1]!);
          stderr.line(`driftscan: wrote ${files.join(', ')}`);
          return;
        }
        if (o.remediation) {
          if (o.scan !== undefined && !/^\d+$/.test(o.scan)) throw usageError(`--scan takes a scan id, not '${o.scan}'`);
          const rows = await remediationSummary(store, o.scan === undefined ? undefined : Number(o.scan));
          if (o.format === 'json') stdout.line(JSON.stringify({ remediation: rows }, null, 2));
          else if (rows.length === 0) stdout.line('no remediation recorded yet');
          else stdout.line(pad([['BASELINE', 'RULE', 'RESULT', 'MACHINES'], ...rows.map((r) => [r.baseline, r.ruleId, r.result, String(r.machines)])]));
          return;
        }
        if (o.trends) {
          const { previous, latest } = await trends.latestTwoScans(store);
          if (previous === undefined || latest === undefined) throw usageError(`${o.history}: --trends needs two scans; the store has ${latest === undefined ? 'none' : 'one'}`);
          const rows = await trends.compareScans(store, previous, latest);
          if (o.format === 'json') stdout.line(JSON.stringify({ previous, latest, rules: rows }, null, 2));
          else {
            stdout.line(`scan ${previous} → scan ${latest}`);
            stdout.line(pad([['BASELINE', 'RULE', 'SEVERITY', 'NEW', 'FIXED', 'STILL', 'MAX AGE (DAYS)'], ...rows.map((r) => [r.baseline, r.ruleId, r.severity, String(r.newlyDrifted), String(r.fixed), String(r.stillDrifting), r.maxAgeDays === null ? '' : String(r.maxAgeDays)])]));
          }
          return;
        }
        const scans = await store.listScans();
        if (o.format === 'json') {
          stdout.line(JSON.stringify({ scans }, null, 2));
          return;
        }
        if (scans.length === 0) {
          stdout.line('no scans recorded yet');
          return;
        }
        stdout.line(pad([
          ['SCAN', 'STARTED', 'COMPLETE', 'EXIT', 'MACHINES', 'NONCOMPLIANT', 'FINDINGS', 'REQUESTS', 'BASELINES'],
          ...scans.map((s) => [String(s.scanId), s.startedAt, s.complete ? 'yes' : 'no', String(s.exitCode), String(s.machines), String(s.noncompliantMachines), String(s.findings), String(s.requests), s.baselines.join(', ')]),
        ]));
      } finally {
        store.close();
      }
    });
};
