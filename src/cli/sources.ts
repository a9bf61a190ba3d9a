/**
 * Opens the machine-state sources named on the command line (`--reg`, `--snapshot`, `--hive`,
 * `--windows-dir`). File reading happens here, at the edge; parsers get bytes.
 */
import { readFileSync } from 'node:fs';
import { DriftscanError, usageError } from '../diagnostics.js';
import { combineSources, type StateSource } from '../state/source.js';
import { parseRegFile } from '../state/reg-file.js';
import { regFileSource } from '../state/reg-source.js';
import { loadSnapshot } from '../state/snapshot.js';
import { openHiveSource } from '../state/hive/hive-source.js';

export interface SourceOptions {
  reg?: string[];
  snapshot?: string[];
  hive?: string[];
  windowsDir?: string;
}

/** Reads a whole input file or fails with one line naming it. */
export function readInput(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new DriftscanError(`cannot read ${file}: ${why}`, { location: { file } });
  }
}

/** Parses `NAME=FILE` for `--hive`. */
export function parseHiveArg(arg: string): { name: string; file: string } {
  const eq = arg.indexOf('=');
  if (eq <= 0 || eq === arg.length - 1) throw usageError(`--hive expects NAME=FILE (NAME: SYSTEM, SOFTWARE, SAM, SECURITY or a user name), got "${arg}"`);
  return { name: arg.slice(0, eq), file: arg.slice(eq + 1) };
}

/** Opens every source given; at least one is required. */
export function openSources(o: SourceOptions): StateSource {
  const sources: StateSource[] = [];
  for (const file of o.reg ?? []) sources.push(regFileSource(parseRegFile(readInput(file), file), file));
  for (const file of o.snapshot ?? []) sources.push(loadSnapshot(readInput(file), file));
  const hives = (o.hive ?? []).map(parseHiveArg);
  if (hives.length > 0 || o.windowsDir) sources.push(openHiveSource(hives, o.windowsDir ? { windowsDir: o.windowsDir } : {}));
  if (sources.length === 0) {
    throw usageError('no machine state given: use --reg FILE, --snapshot FILE, --hive NAME=FILE or --windows-dir DIR');
  }
  return combineSources(sources);
}
