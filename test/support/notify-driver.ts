/**
 * Runs `--notify` as `remediate` will: flags checked, failures sent, every line through the
 * redacting console, exit code from `exitAfterNotify`. argv[2] is the flags as JSON, argv[3] the
 * failures as JSON, argv[4] the remediation's own exit code. For the tests that read what a process
 * really prints.
 */
import { checkNotifyFlags, exitAfterNotify, notifyFailures } from '../../src/cli/notify-options.js';
import { flushConsole, stderr } from '../../src/io/console.js';

const flags = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const failures = JSON.parse(process.argv[3] ?? '[]') as [];
const remediationExit = Number(process.argv[4] ?? 1);
try {
  const target = checkNotifyFlags(flags, process.env);
  const outcome = target ? await notifyFailures(target, failures, { retry: { baseDelayMs: 5, maxDelayMs: 20, maxRetries: 2 } }) : undefined;
  process.exitCode = exitAfterNotify(remediationExit, outcome);
} catch (err) {
  stderr.line(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
}
flushConsole();
