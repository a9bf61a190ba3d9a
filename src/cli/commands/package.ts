/** `driftscan package inspect FILE.zip`: layout, metaconfig, resources and hash of a package, and what Azure would reject. */
import type { Command } from 'commander';
import { readInputFile } from '../../io/input-file.js';
import { EXIT } from '../exit-codes.js';
import type { RegisterCommand } from '../command.js';
import { stdout, stderr } from '../../io/console.js';

export const register: RegisterCommand = (program: Command, setExit) => {
  const pkg = program.command('package').summary('work with Machine Configuration package zips');
  pkg
    .command('inspect')
    .summary('show what a package contains and what Machine Configuration would reject')
    .argument('<file>', 'package zip')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      const { inspectPackage } = await import('../../compile/inspect.js');
      const zip = readInputFile(file, 'package');
      const r = inspectPackage(zip, file);
      if (o.json) stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        const out: string[] = [
          `package   ${file}`,
          `name      ${r.name ?? '(none)'}`,
          `sha256    ${r.contentHash}`,
          `size      ${r.size} bytes (${r.unpackedBytes} unpacked)`,
          `metaconfig ${r.metaconfig ? JSON.stringify(r.metaconfig) : '(missing)'}`,
          'layout:',
          ...r.entries.map((e) => `  ${e.name}${e.name.endsWith('/') ? '' : `  (${e.size} bytes)`}`),
          `resources (${r.resources.length}):`,
          ...r.resources.map((x) => `  ${x.resourceId}  ${x.className}  ${x.module} ${x.moduleVersion}`),
          `modules: ${r.modules.map((m) => `${m.name} ${m.version ?? '?'}`).join(', ') || '(none)'}`,
        ];
        stdout.write(`${out.join('\n')}\n`);
      }
      for (const f of r.findings) stderr.write(`driftscan: ${file}: ${f.level}: ${f.message}\n`);
      const errors = r.findings.filter((f) => f.level === 'error').length;
      if (!o.json) stdout.write(errors ? `${errors} problem${errors === 1 ? '' : 's'} Machine Configuration would reject\n` : 'ok: Machine Configuration would accept this layout\n');
      setExit(errors ? EXIT.INPUT : EXIT.OK);
    });
};
