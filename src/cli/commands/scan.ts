/** `driftscan scan`: the fleet's compliance from Resource Graph, recorded in the history store. */
import { Option, type Command } from 'commander';
import type { RegisterCommand } from '../command.js';
import { addAzureOptions, openConnection, type AzureFlags } from '../azure-options.js';
import { baselinePaths, collect } from '../options.js';
import { stderr } from '../../io/console.js';
import { usageError } from '../../core/diagnostics.js';
import { closest } from '../../core/suggest.js';
import { heapTrimmer, holdYoungGeneration, releaseHeap } from '../heap-trim.js';

const FORMATS = ['table', 'json', 'markdown', 'csv'];

interface ScanFlags extends AzureFlags {
  subscription?: string[];
  managementGroup?: string;
  allSubscriptions?: boolean;
  baseline?: string[];
  history: string;
  format: 'table' | 'json' | 'markdown' | 'csv';
  output?: string;
  quiet?: boolean;
  batchSize: string;
  pageSize: string;
}

function positiveInt(flag: string, text: string, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > max) throw usageError(`${flag} must be a whole number from 1 to ${max}, not '${text}'`);
  return n;
}

export const register: RegisterCommand = (program: Command, setExit) => {
  const cmd = program
    .command('scan')
    .summary('scan the fleet\'s compliance through Azure Resource Graph and record it in the history store')
    .description(
      'Ask Azure Resource Graph which Windows machines (virtual machines, Uniform scale sets, Arc-enabled servers; a Flexible\n' +
        'scale set counts through its VMs) comply with which baseline, summarised on the server, and fetch the failing rules of\n' +
        'non-compliant machines only. Each failing resource maps back to its baseline rule (severity, expected state, the reason\n' +
        'the machine reported); waived rules, and rules under an Azure Policy exemption (also of an initiative assignment),\n' +
        'show as waived. Every scan is recorded in the history store (one transaction; see docs/history.md).',
    )
    .argument('[baselines...]', 'baseline files or folders: the rules, severities and waivers findings map to (default: policies/)')
    .option('--subscription <id>', 'scan this subscription; repeatable', collect)
    .option('--management-group <id>', 'scan every subscription under this management group')
    .option('--all-subscriptions', 'scan every subscription the caller can read (the default when no scope is given)')
    .option('--baseline <name>', 'scan only this baseline (by name) of those loaded; repeatable', collect)
    .option('--history <path>', 'the history store (a DuckDB file; created when absent)', 'reports/history.duckdb')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('table'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout (replaced atomically)')
    .option('-q, --quiet', 'no progress and no summary line on stderr')
    .option('--batch-size <n>', 'subscriptions per Resource Graph request (Resource Graph: under 300 recommended, 1000 at most)', '200')
    .option('--page-size <n>', 'rows per Resource Graph page ($top, 1–1000; halved on ResponsePayloadTooLarge)', '1000');
  addAzureOptions(cmd)
    .addHelpText('after', `
Exit codes: 0 every machine × baseline is compliant (or non-compliant only on waived rules); 1 drift: a machine is
non-compliant, pending (not reported yet) or missing the baseline's assignment; 3 the scan is incomplete: a subscription
was forbidden or kept failing (listed with its error; the other subscriptions' numbers are exact); 2 usage or input error.

Progress (scopes, pages, rows, throttling waits) is drawn on a terminal and printed as plain lines otherwise (CI).

Examples:
  driftscan scan --all-subscriptions
  driftscan scan policies/ --subscription 00000000-0000-0000-0000-000000000001 --format json -o reports/scan.json
  driftscan scan --management-group corp --baseline rdp-hardening --format csv -o drift.csv`)
    .action(async (paths: string[], o: ScanFlags) => {
      const scopes = [o.subscription?.length ? 1 : 0, o.managementGroup ? 1 : 0, o.allSubscriptions ? 1 : 0].reduce((a, b) => a + b, 0);
      if (scopes > 1) throw usageError('give one scope: --subscription (repeatable), --management-group or --all-subscriptions');
      const batchSize = positiveInt('--batch-size', o.batchSize, 1000);
      const pageSize = positiveInt('--page-size', o.pageSize, 1000);
      const [{ loadBaselines }, { HistoryStore }, { runScan }, { writeScanReport, scanSummary, summaryLine }, { openOutput, prepareOutput }, { baselineInputs }, { scanProgress }] = await Promise.all([
        import('../../baseline/load.js'),
        import('../../fleet/history/store.js'),
        import('../../fleet/scan.js'),
        import('../../fleet/scan-output.js'),
        import('../../io/output-file.js'),
        import('../inputs.js'),
        import('../scan-progress.js'),
      ]);
      const files = baselinePaths(paths);
      const output = o.output === undefined ? undefined : prepareOutput(o.output, [...baselineInputs(files), { file: o.history, what: 'history store' }], { what: 'report' });
      let baselines = loadBaselines(files);
      if (o.baseline?.length) {
        const names = baselines.map((b) => b.metadata.name);
        for (const n of o.baseline) {
          if (!names.some((x) => x.toLowerCase() === n.toLowerCase())) {
            const near = closest(n, names);
            throw usageError(`--baseline ${n}: no loaded baseline has that name${near ? ` (did you mean ${near}?)` : ''}; loaded: ${names.join(', ')}`);
          }
        }
        baselines = baselines.filter((b) => o.baseline!.some((n) => n.toLowerCase() === b.metadata.name.toLowerCase()));
      }
      if (baselines.length === 0) throw usageError('no baselines to scan for');
      // Opened while the scopes are checked; awaited (and its errors seen) before anything is printed.
      const opening = HistoryStore.open(o.history, { threads: 1 });
      opening.catch(() => undefined);
      const connection = await openConnection(o).catch(async (err: unknown) => {
        (await opening.catch(() => undefined))?.close();
        throw err;
      });
      const progress = scanProgress({ quiet: o.quiet === true });
      let store: Awaited<typeof opening> | undefined;
      const young = holdYoungGeneration();
      try {
        const trim = heapTrimmer(10);
        const outcome = await progress.run((onEvent) => runScan(connection, opening.then((s) => (store = s)), {
          subscriptions: o.subscription ?? [],
          managementGroup: o.managementGroup,
          allSubscriptions: o.allSubscriptions === true,
          baselines,
          batchSize,
          pageSize,
        }, (e) => {
          if (e.type === 'page') trim();
          if (e.type === 'commit') {
            young();
            releaseHeap();
          }
          onEvent(e);
        }));
        // The report is read from the store opened afresh: closing it returns the memory DuckDB
        // kept from the commit (~100 MB for a 164,410-finding scan) before the report's sort needs
        // its own (README, Fleet scan).
        store!.close();
        store = undefined;
        store = await HistoryStore.open(o.history, { threads: 1 });
        releaseHeap();
        const out = openOutput(output ?? { kind: 'descriptor', path: '/dev/stdout', file: '/dev/stdout', fd: 1 }, 'report');
        try {
          await writeScanReport(store!, outcome.scanId, o.format, (chunk) => out.write(chunk));
          out.commit();
        } catch (err) {
          out.abort();
          throw err;
        }
        if (!o.quiet) {
          const s = await scanSummary(store!, outcome.scanId);
          stderr.line(`driftscan: scan ${outcome.scanId} recorded in ${o.history}: ${summaryLine(s)}; ${outcome.requests} Resource Graph requests${outcome.quotaWaits ? `, ${outcome.quotaWaits} quota waits (${(outcome.quotaWaitedMs / 1000).toFixed(1)} s)` : ''}`);
          for (const sc of outcome.scopes.filter((x) => x.status !== 'ok')) stderr.line(`driftscan: ${sc.kind} ${sc.scopeId}${sc.displayName ? ` (${sc.displayName})` : ''} not scanned (${sc.status}): ${sc.error}`);
        }
        setExit(outcome.exitCode);
      } finally {
        young();
        connection.close();
        (store ?? (await opening.catch(() => undefined)))?.close();
      }
    });
};
