/** `driftscan remediate`: Azure Policy remediation tasks for a scan's drift — planned, batched, idempotent, followed to the end. */
import type { Command } from 'commander';
import type { RegisterCommand } from '../command.js';
import { addAzureOptions, addRolloutOptions } from '../azure-options.js';
import { collect } from '../options.js';

export const register: RegisterCommand = (program: Command, setExit) => {
  const cmd = program
    .command('remediate')
    .summary('open Azure Policy remediation tasks for the drifted machines of a scan, within the tenant\'s limit, and follow them')
    .description(
      'Group the drifted machines of a recorded scan (--from ID|latest, the default) or of a fresh one (--scan-now) by the\n' +
        'DeployIfNotExists policy assignment (and initiative member) that covers them, and plan one remediation task per\n' +
        'group and batch of at most 100 machines (filters.resourceIds, ExistingNonCompliant). --plan (the default) lists the\n' +
        'tasks and why (rule, reason, machine); --apply opens them at the assignment\'s scope, never more running at once\n' +
        'than the tenant\'s limit of 100 (tasks of others included; the rest queue), and --wait follows them with backoff\n' +
        'until every one has ended, listing failed deployments with their errors. Task names come from scan, assignment and\n' +
        'batch, so a rerun — also after a kill — opens only what is missing. Outcomes go to the history store.',
    )
    .argument('[baselines...]', 'baseline files or folders: the rules the findings map to, and the lock-out guard (default: policies/)')
    .option('--from <scan>', 'remediate the drift of this recorded scan: its id, or latest (the default)')
    .option('--scan-now', 'scan first (like driftscan scan, recorded in the history store) and remediate that scan\'s drift')
    .option('--baseline <name>', 'remediate only this baseline (by name) of those loaded; repeatable', collect)
    .option('--subscription <id>', 'only machines in this subscription; repeatable', collect)
    .option('--management-group <id>', 'only machines in subscriptions under this management group')
    .option('--all-subscriptions', 'every subscription the scan read (the default)')
    .option('--history <path>', 'the history store (a DuckDB file)', 'reports/history.duckdb')
    .option('--wait', 'after --apply, poll with backoff until every task has ended; queued tasks are opened as slots free up')
    .option('--parallel-deployments <n>', 'deployments each task runs at once (1–30)', '10')
    .option('--failure-threshold <fraction>', 'a task stops when this share of its deployments failed (0–1, or 10%)', '1')
    .option('--poll-interval <duration>', 'first wait between --wait checks; grows 1.5× per round up to 2 minutes', '15s')
    .option('--i-understand-lockout-risk', 'open tasks for baselines that touch remote access although they carry no remoteAccessAcknowledgement')
    .option('-q, --quiet', 'no progress on stderr');
  addAzureOptions(cmd);
  addRolloutOptions(cmd, 'open the planned remediation tasks');
  cmd.addHelpText('after', `
Exit codes: 0 planned, or opened (and with --wait: every task succeeded); 1 with --wait: a task failed or had failed
deployments (listed, and recorded in the history store); 2 usage or input error (also: the lock-out guard refused);
3 an Azure call was refused or kept failing.

Audit-only assignments (AuditIfNotExists, or a DeployIfNotExists member set to Disabled) cannot remediate: they are
listed with how to change the baseline. Machines inside a running task of someone else are left out.

Examples:
  driftscan remediate policies/ --from latest
  driftscan remediate policies/ --from 12 --output remediation.md --output remediation.json
  driftscan remediate policies/ --scan-now --subscription <sub> --apply --wait`);
  cmd.action(async (paths: string[], o) => {
    const { runRemediate } = await import('../remediate.js');
    const r = await runRemediate(paths, o);
    setExit(r.exitCode);
  });
};
