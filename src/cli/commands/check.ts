/** `driftscan check`: evaluate baselines against machine state and gate a build. */
import { Option, type Command } from 'commander';
import { REPORT_FORMATS, type ReportFormat } from '../../report/formats.js';
import { checkOutcome } from '../exit-codes.js';
import type { Severity } from '../../rules/model.js';
import type { RegisterCommand } from '../command.js';
import { baselinePaths, collect, paramOption, parseParams } from '../options.js';
import { stderr } from '../../io/console.js';


export const register: RegisterCommand = (program: Command, setExit) => {
  program
    .command('check')
    .summary('evaluate baselines against machine state (the CI gate)')
    .description(
      'Evaluate baselines against machine state from .reg exports, collector snapshots or offline registry hives,\n' +
        'print one verdict per rule (pass, fail, error, waived, skipped) with expected vs found, and exit 1 when a rule fails.',
    )
    .argument('[baselines...]', 'baseline files or folders (default: policies/)')
    .option('--reg <file>', 'a .reg export (REGEDIT4 or 5.00, UTF-16LE or UTF-8); repeatable', collect)
    .option('--snapshot <file>', 'a JSON snapshot written by the collector script (driftscan collector); repeatable', collect)
    .option('--hive <name=file>', 'an offline hive: SYSTEM, SOFTWARE, SAM or SECURITY=FILE, or user:<name>=NTUSER.DAT; the file must be that hive; repeatable', collect)
    .option('--windows-dir <dir>', 'a mounted Windows volume or its Windows folder: finds the hives and their logs')
    .option('--image <disk>', 'a disk image (VHD fixed or dynamic, VHDX, raw .img/.raw), a file or a blob SAS URL ' +
      '(https://<account>.blob.core.windows.net/<container>/<blob>?<SAS>, e.g. az disk grant-access): finds the NTFS volume holding ' +
      '\\Windows\\System32\\config\\SYSTEM (MBR or GPT) and reads its hives and logs without mounting or downloading the disk')
    .option('--partition <n>', 'with --image: read this partition (numbered as fdisk/sgdisk show them) instead of searching')
    .option('--timeout <duration>', 'with an --image URL: deadline for reading the blob, retries included (e.g. 90s, 10m; default 30m)')
    .option('--verbose', 'with --image: print one line per HTTP request (URL without its SAS, range, status, time) and the bytes read on stderr')
    .addOption(new Option('-f, --format <format>', 'output format').choices([...REPORT_FORMATS]).default('table'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout: a regular file is replaced atomically ' +
      '(through a symbolic link, the target); a device, FIFO or /dev/stdout is written through; an input file is refused')
    .addOption(paramOption())
    .addOption(new Option('--fail-on-severity <severity>', 'only failures of this severity or higher make the run exit 1 (all are still reported)').choices(['low', 'medium', 'high', 'critical']).default('low'))
    .option('--fail-on-skipped', 'exit 1 when a rule is skipped because the source cannot answer it')
    .option('--allow-all-skipped', 'exit 0 (not 2) when every rule is skipped, i.e. the state given answers none of them')
    .option('--no-color', 'plain table output even on a terminal')
    .addHelpText('after', `
Examples:
  driftscan check policies/rdp-access-denied.yaml --reg examples/drifted.reg
  driftscan check --windows-dir /mnt/image --format sarif --output reports/driftscan.sarif
  driftscan check policies/ --hive SYSTEM=SYSTEM --hive SOFTWARE=SOFTWARE --format junit -o reports/junit.xml
  driftscan check policies/ --windows-dir /mnt/image --hive user:alice=/mnt/image/Users/alice/NTUSER.DAT
  driftscan check policies/ --image output-windows/disk.vhdx --format junit -o reports/junit.xml
  driftscan check policies/ --image "$(az disk grant-access -g rg -n disk --access-level Read --duration-in-seconds 3600 --query accessSas -o tsv)"

Each --hive file must hold the hive it is given as (told from its root keys), and a NAME close to a machine
hive's (SYTEM) is refused; user:<name> marks a user hive (a bare <name>= still works for an NTUSER.DAT).
--image reads SYSTEM, SOFTWARE, SAM and SECURITY (and .LOG1/.LOG2 of a dirty hive) from the image itself,
reading only the blocks it needs (a VHDX's pending log is replayed in memory). --image and --windows-dir
open only the hives the baselines' rules read (HKLM\\SYSTEM rules alone: SYSTEM only). A BitLocker-encrypted, ReFS,
Storage Spaces or dynamic-disk (LDM) volume, a differencing disk or a damaged structure is one error naming
the file and where, exit 2.
An --image URL is read by HTTP range requests (a few MB for a 64 GB disk), every request pinned to the
blob's ETag; the SAS is never printed (errors and --verbose name the URL without its query). A refused or
expired SAS (403), a missing blob (404) or a blob that changed while it was read (412) exits 2; Blob
Storage failing (5xx, throttling, no answer) after 5 tries, or --timeout passing, exits 3.

A rule the source cannot answer (no ACLs in a .reg file, a hive that was not given) is "skipped" with the
reason and does not fail the run unless --fail-on-skipped; a waived failure is "waived" and does not fail it.
A run in which every rule is skipped checked nothing: it exits 2 with one line saying why, unless
--allow-all-skipped.
With --fail-on-severity high, only high and critical failures make the run exit 1.
A rule that could not be evaluated because the state is damaged is "error" and makes the run exit 2.
The table shows a field (title, expected, found, message) up to 2,000 characters or 30 lines and then says
how long it is; --format json (and sarif, junit, markdown) carry the full text.`)
    .action(async (paths: string[], o: { reg?: string[]; snapshot?: string[]; hive?: string[]; windowsDir?: string; image?: string; partition?: string; timeout?: string; verbose?: boolean; format: ReportFormat; output?: string; param?: string[]; color: boolean; failOnSkipped?: boolean; allowAllSkipped?: boolean; failOnSeverity: Severity }) => {
      // Loaded on use so `--help`, `--version` and other commands start without them.
      const [{ loadBaselines }, { evaluate }, { renderReport, summaryLine }, { emit, prepareOutput }, { openSources }, { baselineInputs, sourceInputs }] = await Promise.all([
        import('../../baseline/load.js'),
        import('../../evaluate/evaluator.js'),
        import('../../report/index.js'),
        import('../../io/output-file.js'),
        import('../sources.js'),
        import('../inputs.js'),
      ]);
      const [{ baselineReferences }, { referencedMachineHives }] = await Promise.all([import('../../rules/references.js'), import('../../state/references.js')]);
      const params = parseParams(o.param);
      const files = baselinePaths(paths);
      // Before anything is read: an output that is one of the inputs would destroy it.
      const output = o.output === undefined ? undefined : prepareOutput(o.output, [...baselineInputs(files), ...sourceInputs(o)], { what: 'report' });
      const baselines = loadBaselines(files, { parameters: params });
      // --image and --windows-dir open only the machine hives the rules read; rules that read none
      // (HKCU or service state only) leave them all open, so the sources line still names the volume's hives.
      const referenced = referencedMachineHives(baselineReferences(baselines));
      const source = await openSources(referenced.length > 0 ? { ...o, machineHives: referenced } : o);
      const report = evaluate(baselines, source);
      const color = o.format === 'table' && o.color && !o.output && process.stdout.isTTY === true && !process.env.NO_COLOR;
      emit(output, renderReport(report, o.format, { color, cwd: process.cwd() }), 'report');
      if (o.output) stderr.write(`driftscan: wrote ${o.format} report to ${o.output} (${summaryLine(report.summary)})\n`);
      const outcome = checkOutcome(report.results, { failOnSeverity: o.failOnSeverity, failOnSkipped: o.failOnSkipped === true, allowAllSkipped: o.allowAllSkipped === true });
      if (outcome.problem) stderr.write(`driftscan: ${outcome.problem}\n`);
      setExit(outcome.exit);
    });
};

