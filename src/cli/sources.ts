/**
 * Opens the machine-state sources named on the command line (`--reg`, `--snapshot`, `--hive`,
 * `--windows-dir`). File reading happens here, at the edge; parsers get bytes.
 */
import { usageError } from '../core/diagnostics.js';
import { MACHINE_HIVES } from '../windows/hives.js';
import { readInputFile } from '../io/input-file.js';
import { combineSources, type StateSource } from '../state/source.js';
import { parseRegFile } from '../state/reg/parse.js';
import { regFileSource } from '../state/reg/source.js';
import { loadSnapshot } from '../state/snapshot/source.js';
import { openHiveSource, type HiveSpec } from '../state/hive/hive-source.js';

export interface SourceOptions {
  reg?: string[];
  snapshot?: string[];
  hive?: string[];
  windowsDir?: string;
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
export function openSources(o: SourceOptions): StateSource {
  const sources: StateSource[] = [];
  for (const file of o.reg ?? []) sources.push(regFileSource(parseRegFile(readInputFile(file), file), file));
  for (const file of o.snapshot ?? []) sources.push(loadSnapshot(readInputFile(file), file));
  const hives = (o.hive ?? []).map(parseHiveArg);
  if (hives.length > 0 || o.windowsDir) sources.push(openHiveSource(hives, o.windowsDir ? { windowsDir: o.windowsDir } : {}));
  if (sources.length === 0) {
    throw usageError('no machine state given: use --reg FILE, --snapshot FILE, --hive NAME=FILE or --windows-dir DIR');
  }
  return combineSources(sources);
}
