/**
 * Opens the machine-state sources named on the command line (`--reg`, `--snapshot`, `--hive`,
 * `--windows-dir`, `--image`). File reading happens here, at the edge; parsers get bytes (and disk
 * readers a `ByteSource`).
 */
import { usageError } from '../core/diagnostics.js';
import { MACHINE_HIVES, type MachineHive } from '../windows/hives.js';
import { readInputFile } from '../io/input-file.js';
import { combineSources, type StateSource } from '../state/source.js';
import { parseRegFile } from '../state/reg/parse.js';
import { regFileSource } from '../state/reg/source.js';
import { loadSnapshot } from '../state/snapshot/source.js';
import { openHiveSource, type HiveSpec } from '../state/hive/hive-source.js';
import { openImageSource, type ImageSourceOptions } from './image-source.js';
import { stderr } from '../io/console.js';
import { openImageHives } from '../state/image/image-hives.js';

export interface SourceOptions {
  reg?: string[];
  snapshot?: string[];
  hive?: string[];
  windowsDir?: string;
  image?: string;
  partition?: string;
  /** `--timeout` / `--verbose`, for an `--image` URL. */
  timeout?: string;
  verbose?: boolean;
  /** Only these machine hives from --windows-dir or --image (the ones the baseline reads); all by default. */
  machineHives?: readonly MachineHive[];
}

/** `--partition N`: a partition number as tools show it (0: an unpartitioned disk). */
export function parsePartition(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,4}$/.test(text)) throw usageError(`--partition expects a partition number (1, 2, …; 0 for a disk without a partition table), got "${text}"`);
  return Number(text);
}


/**
 * Parses `NAME=FILE` for `--hive`. `user:NAME=FILE` says outright that FILE is a user's hive, so a
 * user whose name looks like a machine hive (`user:sam`) is not taken for a typo.
 */
export function parseHiveArg(arg: string): HiveSpec {
  const eq = arg.indexOf('=');
  if (eq <= 0 || eq === arg.length - 1) throw usageError(`--hive expects NAME=FILE (NAME: ${MACHINE_HIVES.join(', ')}, or user:NAME for a user's NTUSER.DAT), got "${arg}"`);
  const name = arg.slice(0, eq);
  const file = arg.slice(eq + 1);
  const user = /^user:/i.exec(name);
  return user ? { name: name.slice(user[0].length), file, user: true } : { name, file };
}

/** Opens every source given; at least one is required. */
export async function openSources(o: SourceOptions): Promise<StateSource> {
  const sources: StateSource[] = [];
  for (const file of o.reg ?? []) sources.push(regFileSource(parseRegFile(readInputFile(file), file), file));
  for (const file of o.snapshot ?? []) sources.push(loadSnapshot(readInputFile(file), file));
  const hives = (o.hive ?? []).map(parseHiveArg);
  if (o.image && o.windowsDir) throw usageError('--image and --windows-dir both name a Windows volume: give one');
  if (o.partition !== undefined && !o.image) throw usageError('--partition picks a partition of --image: give --image too');
  if (o.timeout !== undefined && !o.image) throw usageError('--timeout bounds reading an --image URL: give --image too');
  const found = o.image ? { by: '--image', hives: await readImageHives(o.image, parsePartition(o.partition), { timeout: o.timeout, verbose: o.verbose, ...(o.machineHives ? { machineHives: o.machineHives } : {}) }) } : undefined;
  if (hives.length > 0 || o.windowsDir || found) sources.push(openHiveSource(hives, { ...(o.windowsDir ? { windowsDir: o.windowsDir } : {}), ...(found ? { found } : {}), ...(o.machineHives ? { machineHives: o.machineHives } : {}) }));
  if (sources.length === 0) {
    throw usageError('no machine state given: use --reg FILE, --snapshot FILE, --hive NAME=FILE, --windows-dir DIR or --image DISK');
  }
  return combineSources(sources);
}

/**
 * The machine hives of a disk image (VHD, VHDX or raw; a file or a blob SAS URL), read without
 * mounting it: all of them, or only `machineHives`. Hives read in place (from a local file) keep the
 * image open until they are closed (collected); hives read whole (from a URL) let it close here.
 */
export async function readImageHives(image: string, partition?: number, options: ImageSourceOptions & { machineHives?: readonly MachineHive[] } = {}): Promise<HiveSpec[]> {
  const opened = await openImageSource(image, options);
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= opened.close());
  let found;
  try {
    found = await openImageHives(opened.source, { ...(partition === undefined ? {} : { partition }), ...(options.machineHives ? { hives: options.machineHives } : {}), release: () => void close() });
  } catch (err) {
    await close();
    throw err;
  }
  // Closing waits for a read-ahead request still in flight, so the figures are final after it;
  // hives read in place go on reading while rules are evaluated, so theirs are final at exit.
  if (closed) await closed;
  // For `npm run bench` (bytes read is one of its targets) and for anyone asking how much was read.
  if (process.env.DRIFTSCAN_IO_STATS || options.verbose) {
    const report = () => stderr.write(`driftscan: ${opened.summary()}\n`);
    if (closed) report();
    else process.once('exit', report);
  }
  return found.hives;
}
