/** `driftscan package inspect FILE.zip`: layout, metaconfig, resources and hash of a package, and what Azure would reject. */
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { DriftscanError } from '../../core/diagnostics.js';
import { printable, printableJson } from '../../core/printable.js';
import { readInputFile } from '../../io/input-file.js';
import { EXIT } from '../exit-codes.js';
import type { RegisterCommand } from '../command.js';
import { stdout, stderr } from '../../io/console.js';

export const register: RegisterCommand = (program: Command, setExit) => {
  const pkg = program.command('package').summary('work with Machine Configuration package zips');
  pkg
    .command('inspect')
    .summary('show what a package contains and what Machine Configuration would reject')
    .description(
      'Show what a package contains and what Machine Configuration would reject. The zip is read with limits ' +
        '(100 MB unpacked, 10,000 entries, compression ratio 200:1 above 1 MiB) and every entry is inflated and ' +
        'CRC-checked; unsafe entry names (.., absolute paths, drive letters, backslashes, control characters, ' +
        'names that collide on Windows), damaged entries and zip bombs are refused with exit code 2. Text from ' +
        'the package is printed with control and text-direction characters escaped (\\xNN, \\uNNNN).',
    )
    .argument('<file>', 'package zip')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      const { inspectPackage, PACKAGE_LIMITS } = await import('../../compile/inspect.js');
      // Refuse before reading: a multi-gigabyte file would otherwise be read whole into memory.
      const size = fileSize(file);
      if (size !== undefined && size > PACKAGE_LIMITS.maxArchiveBytes) {
        throw new DriftscanError(`${size} bytes is larger than any Machine Configuration package can be (at most ${PACKAGE_LIMITS.maxArchiveBytes}); refusing to read it`, { location: { file } });
      }
      const zip = readInputFile(file, 'package');
      const r = inspectPackage(zip, file);
      // Every field comes from the package (or its file name) and may hold control or bidi characters.
      const p = printable;
      if (o.json) stdout.write(`${printableJson(r, 2)}\n`);
      else {
        const out: string[] = [
          `package   ${p(file)}`,
          `name      ${r.name === undefined ? '(none)' : p(r.name)}`,
          `sha256    ${r.contentHash}`,
          `size      ${r.size} bytes (${r.unpackedBytes} unpacked)`,
          `metaconfig ${r.metaconfig ? printableJson(r.metaconfig) : '(missing)'}`,
          'layout:',
          ...r.entries.map((e) => `  ${p(e.name)}${e.name.endsWith('/') ? '' : `  (${e.size} bytes)`}`),
          `resources (${r.resources.length}):`,
          ...r.resources.map((x) => `  ${p(x.resourceId)}  ${p(x.className)}  ${p(x.module)} ${p(x.moduleVersion)}`),
          `modules: ${r.modules.map((m) => `${p(m.name)} ${m.version === undefined ? '?' : p(m.version)}`).join(', ') || '(none)'}`,
        ];
        stdout.write(`${out.join('\n')}\n`);
      }
      for (const f of r.findings) stderr.write(`driftscan: ${p(file)}: ${f.level}: ${p(f.message)}\n`);
      const errors = r.findings.filter((f) => f.level === 'error').length;
      if (!o.json) stdout.write(errors ? `${errors} problem${errors === 1 ? '' : 's'} Machine Configuration would reject\n` : 'ok: Machine Configuration would accept this layout\n');
      setExit(errors ? EXIT.INPUT : EXIT.OK);
    });
};

/** The file's size, or undefined when it cannot be stat'ed (readInputFile then says why in its own words). */
function fileSize(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}
