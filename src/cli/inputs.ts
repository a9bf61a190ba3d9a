/**
 * The files a command reads, listed before it reads any of them, so an output path that is one of
 * them (`check --reg d.reg -o d.reg`, through `./`, a symbolic or a hard link) is refused by
 * `prepareOutput` instead of destroying the input.
 */
import { expandBaselinePaths } from '../baseline/load.js';
import type { NamedInput } from '../io/output-file.js';
import { findLogs, findMachineHives } from '../state/hive/hive-source.js';
import { parseHiveArg, type SourceOptions } from './sources.js';
import { isImageUrl } from './image-source.js';

/** Baseline files, with folders expanded the way the loader expands them. */
export function baselineInputs(paths: readonly string[]): NamedInput[] {
  return expandBaselinePaths(paths).map((file) => ({ file, what: 'baseline' }));
}

/** A hive file and the transaction logs beside it (read when the hive is dirty, so never overwritten). */
export function hiveInputs(file: string, what: string): NamedInput[] {
  return [{ file, what }, ...findLogs(file).map((log) => ({ file: log, what: `transaction log of ${file}` }))];
}

/** Every file the machine-state options name: `--reg`, `--snapshot`, `--hive`, the hives `--windows-dir` finds, `--image`. */
export function sourceInputs(o: SourceOptions): NamedInput[] {
  return [
    ...(o.reg ?? []).map((file) => ({ file, what: '--reg input' })),
    ...(o.snapshot ?? []).map((file) => ({ file, what: '--snapshot input' })),
    ...(o.hive ?? []).flatMap((arg) => hiveInputs(parseHiveArg(arg).file, '--hive input')),
    ...(o.windowsDir ? findMachineHives(o.windowsDir).flatMap((h) => hiveInputs(h.file, `--windows-dir hive ${h.name}`)) : []),
    ...(o.image ? imageInputs(o.image) : []),
  ];
}

/** The `--image` disk, when it is a file (a blob URL cannot be an output's target). */
export function imageInputs(image: string): NamedInput[] {
  return isImageUrl(image) ? [] : [{ file: image, what: '--image disk' }];
}
