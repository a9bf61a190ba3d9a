/** Reading a file the user named (baseline, .reg, snapshot, hive, package, CA): one wording for every failure. */
import { readFileSync } from 'node:fs';
import { DriftscanError } from '../core/diagnostics.js';

/**
 * Reads `file` whole, or throws a `DriftscanError` located at the file that says why in words:
 * `cannot read hive /mnt/SYSTEM: no such file`. `what` names the kind of input ("hive", "baseline").
 */
export function readInputFile(file: string, what?: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new DriftscanError(`cannot read ${what ? `${what} ` : ''}${file}: ${why}`, { location: { file } });
  }
}
