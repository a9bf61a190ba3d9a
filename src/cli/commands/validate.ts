/** `driftscan validate`: schema and semantic checks of baseline files, for editors and pre-commit hooks. */
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { baselinePaths, paramOption, parseParams } from '../options.js';
import type { RegisterCommand } from '../command.js';
import { stdout } from '../../io/console.js';

export const register: RegisterCommand = (program: Command, setExit) => {
  program
    .command('validate')
    .summary('check baseline files for schema and semantic errors')
    .description(
      'Validate baselines: YAML syntax, the baseline schema (schema/baseline.schema.json), unique rule ids, registry\n' +
        'paths and hives, identities, rights, regular expressions, parameters and waivers (an expired waiver is an error).\n' +
        'Every problem is printed on one line as file:line:col: message.',
    )
    .argument('[baselines...]', 'baseline files or folders (default: policies/)')
    .addOption(paramOption('check a parameter value against its declaration (type, allowedValues) as check would use it: ' +
      'integers in decimal digits, booleans true|false, arrays as a,b,c; repeatable'))
    .action(async (paths: string[], o: { param?: string[] }) => {
      const { loadBaselines } = await import('../../baseline/load.js');
      const baselines = loadBaselines(baselinePaths(paths), { parameters: parseParams(o.param) });
      for (const b of baselines) {
        const waivers = b.waivers.length ? `, ${b.waivers.length} waiver${b.waivers.length === 1 ? '' : 's'}` : '';
        stdout.write(`ok  ${b.file}: ${b.metadata.name} ${b.metadata.version}, ${b.rules.length} rule${b.rules.length === 1 ? '' : 's'}${waivers}\n`);
      }
      setExit(EXIT.OK);
    });
};
