/** `driftscan assign`: assign a compiled package to machines directly (guest configuration assignments, no Azure Policy). */
import { Option, type Command } from 'commander';
import type { RegisterCommand } from '../command.js';
import { addAzureOptions, addRolloutOptions } from '../azure-options.js';
import { collect, paramOption } from '../options.js';

export const register: RegisterCommand = (program: Command) => {
  const cmd = program
    .command('assign')
    .summary('assign a compiled package to Windows machines directly (guest configuration assignments, no Azure Policy)')
    .description(
      'Assign a package from build/manifest.json to Azure VMs, VM scale sets and Arc machines as guest configuration ' +
        'assignments (api-version 2024-04-05), without Azure Policy. Plans by default: finds the Windows machines the ' +
        'selectors name (Resource Graph), reads each machine\'s current assignment and prints what would be created or ' +
        'updated; --apply performs exactly that plan. The assignment is named after the package (Machine Configuration ' +
        'finds the configuration by the assignment name) and carries the manifest\'s version, contentUri, contentHash, ' +
        'assignment type, parameters and contentManagedIdentity.',
    )
    .argument('<package>', 'the package: its folder build/<name>, its zip build/<name>/<name>.zip, or its name (looked up in --build)')
    .option('--build <dir>', 'the compile output folder holding manifest.json, for a package given by name', 'build')
    .option('--machine <id>', 'a machine: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachines/<name> ' +
      '(or Microsoft.Compute/virtualMachineScaleSets, Microsoft.HybridCompute/machines); repeatable', collect)
    .option('--resource-group <id>', 'every Windows machine in /subscriptions/<id>/resourceGroups/<name>; repeatable', collect)
    .option('--subscription <id>', 'every Windows machine in the subscription; repeatable', collect)
    .addOption(paramOption('set a configuration parameter the package declares (see its configurationParameters in the manifest); others keep their defaults; repeatable'))
    .addOption(new Option('--concurrency <n>', 'requests in flight at once, reads and writes (1–64)').default('16'))
    .option('--wait <duration>', 'after --apply, wait up to this long (e.g. 10m) for assignments Azure accepted as Created/Updating to reach Succeeded or Failed (polls with backoff; never past --timeout)');
  addAzureOptions(cmd);
  addRolloutOptions(cmd, 'PUT the assignments the plan creates or updates');
  cmd
    .addHelpText('after', `
Examples:
  driftscan assign build/SecurityBaseline --resource-group /subscriptions/<sub>/resourceGroups/web
  driftscan assign SecurityBaseline --build build --subscription <sub> --param MaxTokenSize=65535 --apply
  driftscan assign build/SecurityBaseline/SecurityBaseline.zip --machine /subscriptions/<sub>/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/srv1 --apply --wait 15m

The package entry needs a contentUri: run driftscan publish (or compile --content-uri-base URL) first.
Machines are found through Resource Graph; Linux machines, machines whose OS is not reported and selectors that
find nothing are listed as skipped, with the reason. Only the fields driftscan sets are compared (location,
name, version, contentUri, contentHash, assignment type, parameters, contentManagedIdentity): a second --apply
with nothing changed sends no write. Writes go --concurrency at a time, each once; throttled and failing calls
are retried as ARM's headers say, and a call that keeps failing stops the run (exit 3) with the list of what was
applied, what failed and what was not attempted. A PUT that Azure accepts as Created or Updating is reported as
accepted (the machine's agent applies it within about 15 minutes) unless --wait is given.`)
    .action(async (pkg: string, o) => {
      const { runAssign } = await import('../assign.js');
      await runAssign(pkg, o);
    });
};
