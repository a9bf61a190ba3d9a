/**
 * `driftscan export`: dump an offline hive (or one subtree) as a `.reg` file or a JSON snapshot,
 * to see what a failed gate saw. The dump itself is `export/dump.ts`; this is flags and I/O.
 */
import { Option, type Command } from 'commander';
import { DriftscanError, usageError } from '../../core/diagnostics.js';
import { MACHINE_HIVES, machineHive } from '../../windows/hives.js';
import { EXPORT_FORMATS, type ExportFormat } from '../../export/formats.js';
import type { RegistryPath } from '../../windows/registry-path.js';
import { EXIT } from '../exit-codes.js';
import type { RegisterCommand } from '../command.js';
import { stdout, stderr } from '../../io/console.js';


export const register: RegisterCommand = (program: Command, setExit) => {
  program
    .command('export')
    .summary('dump an offline registry hive (or one key) as .reg or JSON')
    .description(
      'Dump a registry hive file, or the subtree under one key, as a .reg file or as a JSON snapshot, to see exactly ' +
        'what a gate read from an image. A dirty hive is read with its .LOG1/.LOG2 when they sit next to it.',
    )
    .requiredOption('--hive <file>', 'the hive file (SYSTEM, SOFTWARE, SAM, SECURITY, NTUSER.DAT, …); with --image, the machine hive\'s name')
    .option('--image <disk>', 'read the hive out of this disk image (VHD, VHDX, raw; a file or a blob SAS URL https://…?<SAS>) without mounting or downloading it, as check --image does')
    .option('--partition <n>', 'with --image: read this partition instead of searching for the Windows volume')
    .option('--timeout <duration>', 'with an --image URL: deadline for reading the blob, retries included (e.g. 90s, 10m; default 30m)')
    .option('--verbose', 'with --image: print one line per HTTP request (URL without its SAS, range, status, time) and the bytes read on stderr')
    .option('--path <key>', 'export only this key and its subkeys: a path below the hive root (ControlSet001\\Services) ' +
      'or a full path (HKLM\\SYSTEM\\CurrentControlSet\\Services; CurrentControlSet is resolved through Select\\Current)')
    .option('--prefix <root>', 'the key the hive is mounted at (default from the file name: SYSTEM → HKEY_LOCAL_MACHINE\\SYSTEM, ' +
      'NTUSER.DAT → HKEY_CURRENT_USER)')
    .addOption(new Option('-f, --format <format>', 'reg: regedit 5.00 text; json: the snapshot shape (keys, values, sddl)').choices([...EXPORT_FORMATS]).default('reg'))
    .option('--security', 'include each key\'s security descriptor as SDDL (reg: a "; sddl: …" comment line before the key)')
    .option('-o, --output <file>', 'write to a file, replaced atomically and only when the export is complete (a device, ' +
      'FIFO or /dev/stdout is written through); .reg files are written UTF-16LE with a BOM, as regedit writes them ' +
      '(without --output, and to /dev/stdout, text goes out as UTF-8)')
    .addHelpText('after', `
Examples:
  driftscan export --hive /mnt/image/Windows/System32/config/SYSTEM --path 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService' --security
  driftscan export --hive SOFTWARE --format json --output software.json
  driftscan export --hive hivex.hive --prefix 'HKEY_LOCAL_MACHINE\\TEST' -o test.reg
  driftscan export --image disk.vhdx --hive SOFTWARE --path 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'

Keys whose cells are damaged are exported as far as they can be read, with a "; driftscan: unreadable: …"
comment (reg) or an "error" field (json) on stdout; each problem is also printed to stderr and the exit code
is 2. With --output such an incomplete export is not written (an existing file stays as it was).`)
    .action(async (o: { hive: string; image?: string; partition?: string; timeout?: string; verbose?: boolean; path?: string; prefix?: string; format: ExportFormat; security?: boolean; output?: string }) => {
      const [{ openHiveFile }, { defaultPrefix, exportHive, findStartKey }, { parseRegistryPath }, { openOutput, prepareOutput }, { hiveInputs, imageInputs }] = await Promise.all([
        import('../../state/hive/hive-source.js'),
        import('../../export/dump.js'),
        import('../../windows/registry-path.js'),
        import('../../io/output-file.js'),
        import('../inputs.js'),
      ]);
      const image = o.image === undefined ? undefined : machineHive(o.hive);
      if (o.image !== undefined && !image) throw usageError(`--hive ${o.hive}: with --image, give the machine hive to export (${MACHINE_HIVES.join(', ')})`);
      if (o.partition !== undefined && o.image === undefined) throw usageError('--partition picks a partition of --image: give --image too');
      if (o.timeout !== undefined && o.image === undefined) throw usageError('--timeout bounds reading an --image URL: give --image too');
      // Before anything is read: `export --hive H -o H` (or -o H.LOG1) would replace what it reads.
      const target = o.output === undefined ? undefined : prepareOutput(o.output, o.image ? imageInputs(o.image) : hiveInputs(o.hive, '--hive input'), { what: 'export' });
      const prefixText = o.prefix ?? defaultPrefix(o.hive);
      if (!prefixText) {
        throw usageError(`cannot tell where ${o.hive} is mounted from its name: pass --prefix (e.g. --prefix 'HKEY_LOCAL_MACHINE\\SOFTWARE')`);
      }
      let prefix: RegistryPath;
      try {
        prefix = parseRegistryPath(prefixText);
      } catch (err) {
        throw usageError(`--prefix: ${(err as Error).message}`);
      }
      let hive;
      if (o.image !== undefined) {
        const [{ readImageHives, parsePartition }, { imageDisplayName }] = await Promise.all([import('../sources.js'), import('../image-source.js')]);
        const found = (await readImageHives(o.image, parsePartition(o.partition), { timeout: o.timeout, verbose: o.verbose, ...(image ? { machineHives: [image] } : {}) })).find((h) => h.name === image);
        if (!found?.hive) throw new DriftscanError(`\\Windows\\System32\\config has no ${image} hive`, { location: { file: imageDisplayName(o.image) } });
        hive = found.hive;
      } else hive = openHiveFile(o.hive);
      for (const n of hive.notices) stderr.write(`driftscan: warning: ${n}\n`);
      const { key, segments } = findStartKey(hive, prefix, o.path);
      const base: RegistryPath = { root: prefix.root, segments: [...prefix.segments, ...segments] };
      const options = { format: o.format, security: o.security === true };
      let errors: string[];
      let kept = false;
      if (target) {
        const out = openOutput(target, 'export');
        try {
          // regedit writes 5.00 files as UTF-16LE with a BOM; JSON, and text for the console, are UTF-8.
          const utf16 = o.format === 'reg' && !out.console;
          if (utf16) out.write(Buffer.from([0xff, 0xfe]));
          errors = exportHive(key, base, options, { write: (t) => out.write(utf16 ? Buffer.from(t, 'utf16le') : t) });
          // An export with unreadable parts is incomplete (exit 2): a file is not put in place, so a
          // failed run never leaves a partial file. A device, FIFO or the console already has it all.
          if (errors.length === 0 || out.target.kind !== 'replace') {
            out.commit();
            kept = true;
          } else out.abort();
        } catch (err) {
          out.abort();
          throw err;
        }
      } else {
        // `export … | head` closes the pipe early: the console writer then drops the rest quietly.
        errors = exportHive(key, base, options, { write: (t) => stdout.write(t) });
      }
      for (const e of errors) stderr.write(`driftscan: ${e}\n`);
      if (o.output !== undefined) {
        stderr.write(kept
          ? `driftscan: wrote ${o.output}\n`
          : `driftscan: ${o.output} not written: the export is incomplete (run without --output to see the readable part)\n`);
      }
      setExit(errors.length > 0 ? EXIT.INPUT : EXIT.OK);
    });
};
