/** `driftscan deploy BUILD --scope SCOPE [--plan | --apply] [--prune]`: build/'s Azure Policy into a subscription or management group. */
import { Option, type Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import type { RegisterCommand } from '../command.js';
import { addAzureOptions, addRolloutOptions } from '../azure-options.js';
import type { DeployFlags } from '../deploy.js';

export const register: RegisterCommand = (program: Command, setExit) => {
  const cmd = program
    .command('deploy')
    .summary('deploy build/\'s policy definitions, initiative and assignment to a subscription or management group')
    .description(
      'Deploy what compile (and publish) wrote into BUILD to Azure Policy at --scope: every policy definition, the initiative of ' +
        'each baseline folder, one assignment per initiative (named driftscan-<folder>, at most 24 characters as management groups ' +
        'require; parameters set to the baseline defaults; one non-compliance message per definition listing each rule\'s "expected …"), ' +
        'a system-assigned identity and its role assignments (the roleDefinitionIds of the DeployIfNotExists rules, at --scope) when ' +
        'a baseline enforces, and a Waiver exemption for each baseline whose waivers cover all of its rules (partial waivers cannot be ' +
        'expressed in Azure Policy; the plan says so). ' +
        'The plan (the default) compares only the fields driftscan sets and lists create / update (field by field) / unchanged / ' +
        'delete candidates; --apply performs exactly that plan, and a second --apply with nothing changed makes no write. ' +
        'driftscan marks what it creates (metadata.driftscan.managedBy = "driftscan"; role assignment descriptions end ' +
        '"(managed by driftscan deploy)") and never updates or deletes anything without that mark; marked resources build/ no ' +
        'longer produces are delete candidates, deleted only with --prune. Baselines are read from the paths in manifest.json ' +
        '(relative to where compile ran) for messages and waivers, and the remote-access lock-out guard is checked again: an ' +
        'enforcing baseline that touches remote access needs spec.assignment.remoteAccessAcknowledgement (exit 2, nothing sent). ' +
        'Exit codes: 0 done (or planned), 2 bad flags or build/, 3 an Azure call was refused or kept failing — what was applied, ' +
        'what failed and what was not attempted is listed first.',
    )
    .argument('<build>', 'published/ as publish wrote it, or the build folder compile wrote (manifest.json, <name>/<name>_<effect>.json, initiatives/)')
    .requiredOption('--scope <scope>', '/subscriptions/<id> or /providers/Microsoft.Management/managementGroups/<id>: where definitions, initiative, assignment, role assignments and exemptions go')
    .addOption(new Option('--location <region>', 'region of the assignment\'s managed identity (e.g. westeurope); required when a baseline enforces (DeployIfNotExists)'))
    .option('--prune', 'delete what driftscan created at --scope and build/ no longer produces (without it they are listed as kept)');
  addAzureOptions(cmd);
  addRolloutOptions(cmd, 'create, update (and with --prune delete) the listed resources, in dependency order');
  cmd.action(async (build: string, o: DeployFlags) => {
    const { runDeploy } = await import('../deploy.js');
    await runDeploy(build, o);
    setExit(EXIT.OK);
  });
};
