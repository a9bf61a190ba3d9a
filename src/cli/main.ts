/**
 * The driftscan command line: a thin shell that parses flags with commander and calls the core.
 * Each command lives in `commands/<name>.ts` and exports `register(program)`; a command's
 * implementation is imported inside its action, so start-up only loads commander and the
 * option definitions (`driftscan --version` and `--help` stay fast, `check` never loads the compiler).
 */
import { DriftscanError } from '../core/diagnostics.js';
import { EXIT } from './exit-codes.js';
import { VERSION } from '../core/version.js';
import { flushConsole, stdout, stderr } from '../io/console.js';

/** Everything the CLI prints goes through `io/console.ts`: no SAS signature or token reaches a CI log. */
const writeErr = (text: string): void => stderr.write(text);

const EXIT_HELP = `
Exit codes:
  0  every rule passes or is waived (skipped rules do not fail unless --fail-on-skipped)
  1  at least one rule fails (at or above --fail-on-severity; compile --check: build/ is stale)
  2  usage or input error: bad flags, invalid baseline, unreadable or damaged state
     (including a rule that could not be evaluated because the state is damaged),
     or every rule was skipped so nothing was checked (unless --allow-all-skipped),
     or an output file that cannot be written or would overwrite an input,
     or an --image SAS URL refused (expired: 403), naming no blob (404) or changed (412)
  3  an Azure call was refused (permissions, policy, a rejected body) or kept failing
     after every retry (throttling, 5xx, no answer, past --timeout), an --image SAS URL
     included; publish, deploy and assign list what was applied and what was not

Add --debug to any command to see stack traces.`;

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } finally {
    flushConsole();
  }
}

async function run(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  // `driftscan --version` alone (CI logs, install checks) is answered before loading commander and
  // the command definitions, which are most of what is left of start-up; the output is commander's.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    stdout.write(`${VERSION}\n`);
    return EXIT.OK;
  }
  const [{ Command, CommanderError }, { commands }] = await Promise.all([import('commander'), import('./commands/index.js')]);
  const program = new Command('driftscan')
    .description('Policy-as-code compliance for Windows machines on Azure: evaluate registry, ACL, service and user-rights baselines offline, compile them to Machine Configuration packages carrying driftscan\'s own DSC module.')
    .version(VERSION, '-V, --version')
    .option('--debug', 'print stack traces for errors')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_HELP)
    .exitOverride()
    .configureOutput({ writeErr: (s) => writeErr(s), writeOut: (s) => stdout.write(s) });
  let exitCode: number = EXIT.OK;
  // Only the command being run is registered: defining every command's options and help costs each
  // run ~2 ms (measured, cold). Without a known command name (`--help`, `help`, a misspelling) all are.
  const named = argv.find((a) => !a.startsWith('-'));
  const registers = named !== undefined && Object.hasOwn(commands, named) ? [commands[named]!] : Object.values(commands);
  for (const register of registers) register(program, (code) => { exitCode = Math.max(exitCode, code); });
  for (const cmd of program.commands) cmd.exitOverride().addHelpText('after', EXIT_HELP);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.OK;
      return EXIT.INPUT;
    }
    if (err instanceof DriftscanError) {
      // One line per problem (a baseline may have several), each naming file:line:col.
      for (const line of err.message.split('\n')) writeErr(`driftscan: ${line}\n`);
      if (debug && err.stack) writeErr(`${err.stack}\n`);
      return err.kind === 'service' ? EXIT.AZURE : EXIT.INPUT;
    }
    const message = err instanceof Error ? err.message : String(err);
    writeErr(`driftscan: internal error: ${message.split('\n')[0]}${debug ? '' : ' (run with --debug for details)'}\n`);
    if (debug && err instanceof Error && err.stack) writeErr(`${err.stack}\n`);
    return EXIT.INPUT;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
// No top-level await: the bundle is a CommonJS script (scripts/bundle-cli.ts).
if (invokedDirectly) void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
