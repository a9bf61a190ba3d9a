/**
 * The flags every Azure command shares (`publish`, `deploy`, `assign`, and the fleet commands to
 * come), defined once so their names, help and checks agree, and the one way a command opens its
 * `AzureConnection` from them:
 *
 * - where: `--cloud`, `--arm-endpoint` (or `DRIFTSCAN_ARM_ENDPOINT`); who: `--tenant` for
 *   DefaultAzureCredential, or a token in `DRIFTSCAN_ARM_TOKEN`; how long: `--timeout` (one overall
 *   deadline); `--verbose`: one redacted line per HTTP attempt on stderr.
 * - plan/apply: `--plan` (the default: read only, print what would change) or `--apply`, and
 *   `--output FILE` (repeatable) for the plan as JSON (`.json`) or Markdown (`.md`).
 *
 * The connection module (and @azure/identity behind it) is imported only when a command runs.
 */
import { Option, type Command } from 'commander';
import { usageError } from '../core/diagnostics.js';
import { stderr } from '../io/console.js';
import type { AzureConnection } from '../azure/connection.js';
import { CLOUD_NAMES } from '../azure/cloud.js';
import { collect } from './options.js';
import { parseDuration } from './duration.js';

export interface AzureFlags {
  cloud?: string;
  armEndpoint?: string;
  tenant?: string;
  timeout?: string;
  verbose?: boolean;
}

export interface RolloutFlags {
  plan?: boolean;
  apply?: boolean;
  output?: string[];
}

/** Adds `--cloud`, `--arm-endpoint`, `--tenant`, `--timeout`, `--verbose` to `cmd`. */
export function addAzureOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--cloud <name>', 'Azure cloud: its ARM endpoint, Entra ID authority and token scope').choices(CLOUD_NAMES).default('AzureCloud'))
    .addOption(new Option('--arm-endpoint <url>', 'send ARM, Resource Graph and PolicyInsights calls to this endpoint instead of the cloud\'s ' +
      '(https://, or http:// to a loopback address; extra CAs through NODE_EXTRA_CA_CERTS); tokens are still for --cloud').env('DRIFTSCAN_ARM_ENDPOINT'))
    .option('--tenant <id>', 'Entra ID tenant for DefaultAzureCredential (ignored when DRIFTSCAN_ARM_TOKEN holds a token)')
    .option('--timeout <duration>', 'overall deadline for the command, retries included (e.g. 90s, 10m, 1h)', '30m')
    .option('--verbose', 'print one line per HTTP attempt on stderr (method, path, status, duration; tokens and SAS redacted)');
}

/** Adds `--plan` / `--apply` and `--output FILE` to `cmd`. */
export function addRolloutOptions(cmd: Command, what: string): Command {
  return cmd
    .option('--plan', `print what would change and change nothing (the default)`)
    .option('--apply', `perform the plan: ${what}; a second --apply with nothing changed writes nothing`)
    .option('--output <file>', 'also write the plan (and, after --apply, each write\'s result) to FILE: .json or .md; repeatable', collect);
}

/** True for `--apply`; refuses `--plan --apply`. */
export function wantsApply(flags: RolloutFlags): boolean {
  if (flags.plan && flags.apply) throw usageError('--plan and --apply cannot be combined: --plan (the default) changes nothing, --apply performs the plan');
  return flags.apply === true;
}

/** Opens the command's Azure connection from its flags (the token and endpoint environment variables included). */
export async function openConnection(flags: AzureFlags): Promise<AzureConnection> {
  const timeoutMs = parseDuration('--timeout', flags.timeout ?? '30m', { min: 1000, max: 7 * 86_400_000 });
  const { openAzureConnection } = await import('../azure/connection.js');
  return openAzureConnection({
    cloud: flags.cloud,
    armEndpoint: flags.armEndpoint,
    tenant: flags.tenant,
    timeoutMs,
    ...(flags.verbose ? { verbose: (line: string) => stderr.line(line) } : {}),
  });
}
