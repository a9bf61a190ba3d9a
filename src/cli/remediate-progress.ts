/**
 * Progress of `driftscan remediate --apply [--wait]`, as `scan-progress.ts` does it for scans: on a
 * terminal a live listr2 task (tasks opened, running, finished, queued behind the tenant limit, the
 * next check) drawn through `io/console.ts`'s progress stream; elsewhere (CI, pipes) plain lines on
 * stderr — every opened task for small runs, else every tenth, and at most one polling line a
 * second; with `--quiet`, nothing.
 */
import { createRequire } from 'node:module';
import { progressStream, stderr } from '../io/console.js';
import type { RemediateEvent } from '../fleet/remediation.js';

export interface RemediateProgress {
  run<T>(work: (onEvent: (e: RemediateEvent) => void) => Promise<T>): Promise<T>;
}

function describe(e: RemediateEvent, limit: number): string {
  switch (e.type) {
    case 'opened': return `[${e.opened}/${e.toOpen}] opened ${e.task.name} (${e.task.machines.length} machines)`;
    case 'limit': return `${e.running} tasks running in the tenant (limit ${limit}): ${e.queued} queued until one ends`;
    case 'poll': return `${e.terminal}/${e.total} tasks finished, ${e.running} running, ${e.queued} queued; next check in ${(e.nextMs / 1000).toFixed(1)} s`;
  }
}

export function remediateProgress(options: { quiet: boolean; limit: number; tty?: boolean }): RemediateProgress {
  if (options.quiet) return { run: (work) => work(() => undefined) };
  const tty = options.tty ?? (process.stderr.isTTY === true && !process.env.CI);
  if (!tty) {
    let lastPoll = 0;
    return {
      run: (work) => work((e) => {
        if (e.type === 'opened' && !(e.toOpen <= 50 || e.opened === e.toOpen || e.opened % 10 === 0)) return;
        if (e.type === 'poll') {
          if (Date.now() - lastPoll < 1000) return;
          lastPoll = Date.now();
        }
        stderr.line(`driftscan: ${describe(e, options.limit)}`);
      }),
    };
  }
  return {
    async run(work) {
      // require, not import(): listr2 stays outside the CLI bundle, which runs as a script (scripts/bundle-cli.ts).
      const { Listr, ListrLogger, ProcessOutput } = createRequire(import.meta.url)('listr2') as typeof import('listr2');
      const stream = progressStream();
      let result: Awaited<ReturnType<typeof work>> | undefined;
      const list = new Listr([{
        title: 'Opening remediation tasks',
        task: async (_ctx: unknown, task: { output: string; title: string }) => {
          result = await work((e) => {
            if (e.type === 'poll') task.title = 'Waiting for remediation tasks to end';
            task.output = describe(e, options.limit);
          });
          task.title = 'Remediation tasks opened';
        },
        rendererOptions: { persistentOutput: false, bottomBar: 1 },
      }], { rendererOptions: { logger: new ListrLogger({ processOutput: new ProcessOutput(stream, stream) }) }, exitOnError: true, registerSignalListeners: false });
      await list.run();
      return result as Awaited<ReturnType<typeof work>>;
    },
  };
}
