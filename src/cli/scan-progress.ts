/**
 * Progress of `driftscan scan`: on a terminal, a live listr2 task (scopes, pages, rows, throttling
 * waits) drawn through `io/console.ts`'s progress stream; elsewhere (CI, pipes) plain log lines on
 * stderr — listr2's own fallback would do, but plain lines let us print at most one page line per
 * second instead of one per page; with `--quiet`, nothing.
 */
import { createRequire } from 'node:module';
import { progressStream, stderr } from '../io/console.js';
import type { ScanEvent } from '../fleet/scan.js';

export interface ScanProgress {
  run<T>(scan: (onEvent: (e: ScanEvent) => void) => Promise<T>): Promise<T>;
}

function describe(e: ScanEvent, rows: Record<string, number>): string | undefined {
  switch (e.type) {
    case 'scopes': return `scopes: ${e.subscriptions} subscriptions to scan${e.unreachable ? `, ${e.unreachable} unreachable` : ''}`;
    case 'batch': return `batch ${e.index}/${e.of}: ${e.subscriptions} ${e.subscriptions === 1 ? 'subscription' : 'subscriptions'}`;
    case 'page': return `${e.requests} pages; machines ${rows.machines ?? 0}, totals ${rows.totals ?? 0}, exemptions ${rows.exemptions ?? 0}, failing resources ${rows.findings ?? 0} rows`;
    case 'wait': return `throttling: waiting ${(e.ms / 1000).toFixed(1)} s for the Resource Graph quota to refill`;
    case 'shrink': return `page too large for Resource Graph: asking again with $top ${e.top}`;
    case 'scope-failed': return `${e.scope.kind} ${e.scope.scopeId} not scanned (${e.scope.status}): ${e.scope.error}`;
    case 'retry-split': return `a batch of ${e.subscriptions} subscriptions failed (${e.error}); retrying it in halves`;
    case 'commit': return `recording the scan in the history store (${e.findings} failing ${e.findings === 1 ? 'rule' : 'rules'})`;
  }
}

export function scanProgress(options: { quiet: boolean; tty?: boolean }): ScanProgress {
  const rows: Record<string, number> = {};
  const track = (e: ScanEvent) => {
    if (e.type === 'page') rows[e.query] = e.totalRows;
  };
  if (options.quiet) return { run: (scan) => scan(() => undefined) };
  const tty = options.tty ?? (process.stderr.isTTY === true && !process.env.CI);
  if (!tty) {
    let lastPageLine = 0;
    return {
      run: (scan) => scan((e) => {
        track(e);
        if (e.type === 'page') {
          const now = Date.now();
          if (now - lastPageLine < 1000) return;
          lastPageLine = now;
        }
        // Failed scopes are listed once, after the scan, with the summary.
        if (e.type === 'scope-failed') return;
        const line = describe(e, rows);
        if (line) stderr.line(`driftscan: ${line}`);
      }),
    };
  }
  return {
    async run(scan) {
      // require, not import(): listr2 stays outside the CLI bundle, which runs as a script (scripts/bundle-cli.ts).
      const { Listr, ListrLogger, ProcessOutput } = createRequire(import.meta.url)('listr2') as typeof import('listr2');
      const stream = progressStream();
      let result: Awaited<ReturnType<typeof scan>> | undefined;
      const list = new Listr([{
        title: 'Scanning the fleet through Resource Graph',
        task: async (_ctx: unknown, task: { output: string; title: string }) => {
          result = await scan((e) => {
            track(e);
            const line = describe(e, rows);
            if (line) task.output = line;
          });
          task.title = 'Fleet scan recorded';
        },
        rendererOptions: { persistentOutput: false, bottomBar: 1 },
      }], { rendererOptions: { logger: new ListrLogger({ processOutput: new ProcessOutput(stream, stream) }) }, exitOnError: true, registerSignalListeners: false });
      await list.run();
      return result as Awaited<ReturnType<typeof scan>>;
    },
  };
}
