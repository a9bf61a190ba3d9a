/** `driftscan collector`: generate the PowerShell script that collects a JSON snapshot on a Windows machine. */
import type { Command } from 'commander';
import { baselinePaths } from '../options.js';
import type { RegisterCommand } from '../command.js';

export const register: RegisterCommand = (program: Command) => {
  program
    .command('collector')
    .summary('generate a PowerShell collector script for the baselines')
    .description(
      'Write a dependency-free PowerShell script that reads exactly the registry keys, values, key ACLs (SDDL),\n' +
        'subtrees (with subkey names) and services the baselines reference, and writes a JSON snapshot for\n' +
        '`driftscan check --snapshot`. Keys under HKLM\\SECURITY and HKLM\\SAM need the script to run as SYSTEM.',
    )
    .argument('[baselines...]', 'baseline files or folders (default: policies/)')
    .option('-o, --output <file>', 'write the script to a file instead of stdout (replaced atomically; a device, FIFO ' +
      'or /dev/stdout is written through; a baseline file is refused)')
    .addHelpText('after', `
Example:
  driftscan collector policies/ -o collect.ps1
  # on the Windows machine (64-bit PowerShell, as administrator):
  powershell -NoProfile -ExecutionPolicy Bypass -File collect.ps1 -OutFile snapshot.json
  driftscan check policies/ --snapshot snapshot.json`)
    .action(async (paths: string[], o: { output?: string }) => {
      const [{ loadBaselines }, { baselineReferences }, { generateCollector }, { emit, prepareOutput }, { baselineInputs }] = await Promise.all([
        import('../../baseline/load.js'),
        import('../../rules/references.js'),
        import('../../state/snapshot/collector.js'),
        import('../../io/output-file.js'),
        import('../inputs.js'),
      ]);
      const files = baselinePaths(paths);
      // Before anything is read: `collector b.yaml -o b.yaml` would replace the baseline with the script.
      const output = o.output === undefined ? undefined : prepareOutput(o.output, baselineInputs(files), { what: 'script' });
      const baselines = loadBaselines(files);
      emit(output, generateCollector(baselineReferences(baselines)), 'script');
    });
};
