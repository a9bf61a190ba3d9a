/**
 * `--notify github|azure-devops` for `remediate`: one tracking issue / work item per failed
 * remediation task (src/notify/). The command wires it in three steps:
 *
 * 1. `addNotifyOptions(cmd)` adds the flags;
 * 2. `checkNotifyFlags(flags, process.env)` — **before any Azure work** — resolves the destination
 *    and the token from flags and environment, registers the token with the redacting console, and
 *    throws a usage error (exit 2) naming the missing variable or flag; it returns undefined without
 *    `--notify`;
 * 3. after `--wait` has collected the failures, `notifyFailures(target, failures)` sends them and
 *    prints one line per task (created / updated / reopened / failed), then
 *    `exitAfterNotify(remediationExit, outcome)` gives the exit code.
 *
 * Exit code: the remediation's own exit code wins whenever it is not 0, so a notification problem
 * never hides failed remediation (nor turns a 3 into something else); the notification failures are
 * still printed on stderr. Only when remediation exits 0 and a notification failed does the command
 * exit 3 (a service failed), because then nobody was told about a failure that needed telling.
 */
import { Option, type Command } from 'commander';
import { usageError } from '../core/diagnostics.js';
import { registerSecret } from '../core/redact.js';
import { checkArmEndpoint } from '../azure/cloud.js';
import { stderr, stdout, type ConsoleWriter } from '../io/console.js';
import type { RetrySettings } from '../azure/policies/retry-policy.js';
import type { FailedRemediation } from '../rollout/remediation/failures.js';
import type { NotifyOutcome, TaskNotification } from '../notify/deliver.js';
import { NOTIFY_SERVICES, type NotifyTarget } from '../notify/target.js';
import { EXIT } from './exit-codes.js';

export interface NotifyFlags {
  notify?: string;
  notifyRepo?: string;
  notifyOrg?: string;
  notifyProject?: string;
  notifyWorkItemType?: string;
}

/** Default overall deadline for sending every notification: 5 minutes. */
export const NOTIFY_TIMEOUT_MS = 5 * 60 * 1000;

/** Adds `--notify` and the flags that say where its items go. */
export function addNotifyOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--notify <service>', 'open one tracking item per failed remediation task (deduplicated by task name; a rerun comments instead): ' +
      'github (issues; token in GITHUB_TOKEN or GH_TOKEN) or azure-devops (work items; token in SYSTEM_ACCESSTOKEN or AZURE_DEVOPS_EXT_PAT)').choices([...NOTIFY_SERVICES]))
    .option('--notify-repo <owner/name>', 'GitHub repository for --notify github (default: GITHUB_REPOSITORY; API root from GITHUB_API_URL for GitHub Enterprise Server)')
    .option('--notify-org <url>', 'Azure DevOps organisation URL for --notify azure-devops, e.g. https://dev.azure.com/contoso (default: SYSTEM_COLLECTIONURI)')
    .option('--notify-project <name>', 'Azure DevOps project for --notify azure-devops (default: SYSTEM_TEAMPROJECT)')
    .option('--notify-work-item-type <type>', 'work item type for --notify azure-devops (default: Issue; Scrum projects: Bug)');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * The destination and token for `--notify`, from flags and `env`; undefined without `--notify`.
 * Throws a usage error (exit 2) naming what is missing. Registers the token as a secret, so no
 * line driftscan prints from now on can show it.
 */
export function checkNotifyFlags(flags: NotifyFlags, env: NodeJS.ProcessEnv = process.env): NotifyTarget | undefined {
  const service = flags.notify;
  if (service === undefined) {
    const stray = (['notifyRepo', 'notifyOrg', 'notifyProject', 'notifyWorkItemType'] as const).find((k) => flags[k] !== undefined);
    if (stray) throw usageError(`--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --notify`);
    return undefined;
  }
  if (service === 'github') {
    if (flags.notifyOrg !== undefined || flags.notifyProject !== undefined || flags.notifyWorkItemType !== undefined) {
      throw usageError('--notify-org, --notify-project and --notify-work-item-type are for --notify azure-devops, not github');
    }
    const repoFrom = flags.notifyRepo !== undefined ? '--notify-repo' : 'GITHUB_REPOSITORY';
    const repo = nonEmpty(flags.notifyRepo) ?? nonEmpty(env.GITHUB_REPOSITORY);
    if (!repo) throw usageError('--notify github needs the repository: pass --notify-repo OWNER/NAME or set GITHUB_REPOSITORY (GitHub Actions sets it)');
    const m = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/.exec(repo);
    if (!m || m[2] === '.' || m[2] === '..') throw usageError(`${repoFrom} '${repo}' is not OWNER/NAME`);
    const tokenVariable = nonEmpty(env.GITHUB_TOKEN) ? 'GITHUB_TOKEN' : nonEmpty(env.GH_TOKEN) ? 'GH_TOKEN' : undefined;
    if (!tokenVariable) {
      throw usageError('--notify github needs a token in GITHUB_TOKEN (or GH_TOKEN) with permission to write issues; in GitHub Actions: `env: GITHUB_TOKEN: ${{ github.token }}` and `permissions: issues: write`');
    }
    const token = env[tokenVariable]!.trim();
    registerSecret(token);
    const apiUrl = checkArmEndpoint(nonEmpty(env.GITHUB_API_URL) ?? 'https://api.github.com', 'GITHUB_API_URL').endpoint;
    return { service: 'github', apiUrl, owner: m[1]!, repo: m[2]!, token, tokenVariable };
  }
  if (service === 'azure-devops') {
    if (flags.notifyRepo !== undefined) throw usageError('--notify-repo is for --notify github, not azure-devops');
    const orgFrom = flags.notifyOrg !== undefined ? '--notify-org' : 'SYSTEM_COLLECTIONURI';
    const org = nonEmpty(flags.notifyOrg) ?? nonEmpty(env.SYSTEM_COLLECTIONURI);
    if (!org) throw usageError('--notify azure-devops needs the organisation URL: pass --notify-org https://dev.azure.com/ORG or set SYSTEM_COLLECTIONURI (Azure Pipelines sets it)');
    const orgUrl = `${checkArmEndpoint(org, orgFrom).endpoint}/`;
    const project = nonEmpty(flags.notifyProject) ?? nonEmpty(env.SYSTEM_TEAMPROJECT);
    if (!project) throw usageError('--notify azure-devops needs the project: pass --notify-project NAME or set SYSTEM_TEAMPROJECT (Azure Pipelines sets it)');
    const workItemType = nonEmpty(flags.notifyWorkItemType) ?? 'Issue';
    if (/[/\\?#$]/.test(workItemType)) throw usageError(`--notify-work-item-type '${workItemType}' is not a work item type name`);
    const bearer = nonEmpty(env.SYSTEM_ACCESSTOKEN);
    const pat = nonEmpty(env.AZURE_DEVOPS_EXT_PAT);
    if (!bearer && !pat) {
      throw usageError('--notify azure-devops needs a token in SYSTEM_ACCESSTOKEN (map $(System.AccessToken) into the step\'s env) or a personal access token in AZURE_DEVOPS_EXT_PAT, allowed to write work items');
    }
    const token = (bearer ?? pat)!;
    registerSecret(token);
    return { service: 'azure-devops', orgUrl, project, workItemType, token, tokenKind: bearer ? 'bearer' : 'basic', tokenVariable: bearer ? 'SYSTEM_ACCESSTOKEN' : 'AZURE_DEVOPS_EXT_PAT' };
  }
  throw usageError(`--notify '${service}' is not one of ${NOTIFY_SERVICES.join(', ')}`);
}

export interface NotifyRunOptions {
  /** Overall deadline for every call (default 5 minutes). */
  timeoutMs?: number;
  retry?: RetrySettings;
  attemptTimeoutMs?: number;
  /** Where per-task lines go (default: the redacting stdout / stderr). */
  out?: Pick<ConsoleWriter, 'line'>;
  err?: Pick<ConsoleWriter, 'line'>;
}

function taskLine(service: string, t: TaskNotification): string {
  if (t.outcome === 'failed') return `notify ${service}: ${t.taskName}: failed: ${t.error ?? 'unknown error'}`;
  return `notify ${service}: ${t.taskName}: ${t.outcome} ${t.item!.reference} ${t.item!.url}`.trimEnd();
}

/**
 * Sends one tracking item per failed task to `target` (from `checkNotifyFlags`) and prints one line
 * per task and a summary. Never throws for a service failure: a failed task is in the outcome.
 */
export async function notifyFailures(target: NotifyTarget, failures: readonly FailedRemediation[], options: NotifyRunOptions = {}): Promise<NotifyOutcome> {
  const out = options.out ?? stdout;
  const err = options.err ?? stderr;
  const [{ createDeadline }, { openTracker }, { deliverNotifications }] = await Promise.all([
    import('../azure/deadline.js'),
    import('../notify/open-tracker.js'),
    import('../notify/deliver.js'),
  ]);
  const deadline = createDeadline(options.timeoutMs ?? NOTIFY_TIMEOUT_MS);
  try {
    const tracker = openTracker(target, { deadline, retry: options.retry, attemptTimeoutMs: options.attemptTimeoutMs });
    const outcome = await deliverNotifications(tracker, failures, (t) => (t.outcome === 'failed' ? err : out).line(taskLine(target.service, t)));
    const count = (o: TaskNotification['outcome']) => outcome.tasks.filter((t) => t.outcome === o).length;
    const summary = `notify ${target.service} (${outcome.destination}): ${count('created')} created, ${count('updated')} updated, ${count('reopened')} reopened, ${outcome.failed} failed`;
    (outcome.failed > 0 ? err : out).line(summary);
    return outcome;
  } finally {
    deadline.dispose();
  }
}

/**
 * The command's exit code after notifying: the remediation's when it is not 0 (failures stay
 * visible), else 3 when a notification failed, else 0.
 */
export function exitAfterNotify(remediationExit: number, outcome: NotifyOutcome | undefined): number {
  if (remediationExit !== EXIT.OK) return remediationExit;
  return outcome !== undefined && outcome.failed > 0 ? EXIT.AZURE : EXIT.OK;
}
