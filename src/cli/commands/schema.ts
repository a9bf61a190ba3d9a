/** `driftscan schema`: print the JSON Schema of baseline files (for editors and other tools). */
import type { Command } from 'commander';
import { baselineSchema } from '../../baseline/schema.js';
import { emit } from '../io.js';
import type { RegisterCommand } from './index.js';

/** The schema as written to `schema/baseline.schema.json`. */
export function baselineSchemaText(): string {
  return `${JSON.stringify(baselineSchema(), null, 2)}\n`;
}

export const register: RegisterCommand = (program: Command) => {
  program
    .command('schema')
    .summary('print the JSON Schema of baseline files')
    .description('Print the JSON Schema of driftscan baseline files. The repository ships it as schema/baseline.schema.json;\nreference it from YAML with: # yaml-language-server: $schema=<path>/baseline.schema.json')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action((o: { output?: string }) => emit(o.output, baselineSchemaText()));
};
