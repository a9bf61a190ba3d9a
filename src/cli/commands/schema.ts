/** `driftscan schema`: print the JSON Schema of baseline files (for editors and other tools). */
import type { Command } from 'commander';
import type { RegisterCommand } from '../command.js';

/** The schema as written to `schema/baseline.schema.json`; loaded on use because it pulls in every rule kind. */
export async function baselineSchemaText(): Promise<string> {
  const { baselineSchema } = await import('../../baseline/schema.js');
  return `${JSON.stringify(baselineSchema(), null, 2)}\n`;
}

export const register: RegisterCommand = (program: Command) => {
  program
    .command('schema')
    .summary('print the JSON Schema of baseline files')
    .description('Print the JSON Schema of driftscan baseline files. The repository ships it as schema/baseline.schema.json;\nreference it from YAML with: # yaml-language-server: $schema=<path>/baseline.schema.json')
    .option('-o, --output <file>', 'write to a file instead of stdout (replaced atomically; a device, FIFO or /dev/stdout is written through)')
    .action(async (o: { output?: string }) => {
      const { emit } = await import('../../io/output-file.js');
      emit(o.output, await baselineSchemaText(), 'schema');
    });
};
