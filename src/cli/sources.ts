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
import { openFileByteSource } from '../io/file-byte-source.js';
import { stderr } from '../io/console.js';
import { openImageHives } from '../state/image/image-hives.js';

export interface SourceOptions {
  reg?: string[];
  snapshot?: string[];
  hive?: string[];
  windowsDir?: string;
  image?: string;
  partition?: string;
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
  const found = o.image ? { by: '--image', hives: await readImageHives(o.image, parsePartition(o.partition), o.machineHives) } : undefined;
  if (hives.length > 0 || o.windowsDir || found) sources.push(openHiveSource(hives, { ...(o.windowsDir ? { windowsDir: o.windowsDir } : {}), ...(found ? { found } : {}), ...(o.machineHives ? { machineHives: o.machineHives } : {}) }));
  if (sources.length === 0) {
    throw usageError('no machine state given: use --reg FILE, --snapshot FILE, --hive NAME=FILE, --windows-dir DIR or --image DISK');
  }
  return combineSources(sources);
}

/**
 * The machine hives of a disk image (VHD, VHDX or raw), read without mounting it: all of them, or
 * only `machineHives`. Hives read in place keep the image open until they are closed (collected).
 */
export async function readImageHives(image: string, partition?: number, machineHives?: readonly MachineHive[]): Promise<HiveSpec[]> {
  const file = await openFileByteSource(image);
  // For `npm run bench` (bytes read is one of its targets) and for anyone asking how much was read:
  // at exit, since hives read in place go on reading while rules are evaluated.
  if (process.env.DRIFTSCAN_IO_STATS) process.once('exit', () => stderr.write(`driftscan: read ${file.stats.bytes} bytes in ${file.stats.reads} reads from ${image}\n`));
  try {
    const found = await openImageHives(file, { ...(partition === undefined ? {} : { partition }), ...(machineHives ? { hives: machineHives } : {}), release: () => void file.close() });
    return found.hives;
  } catch (err) {
    await file.close();
    throw err;
  }
}
