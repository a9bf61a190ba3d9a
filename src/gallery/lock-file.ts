/** Reading `modules.lock.json` from disk; its format and meaning are `compile/modules/lock.ts`. */
import { existsSync } from 'node:fs';
import { readInputFile } from '../io/input-file.js';
import { emptyLock, parseLock, type LockFile } from '../compile/modules/lock.js';

/** Reads a lock file; a missing file is an empty lock (the first compile creates it). */
export function readLock(file: string): LockFile {
  if (!existsSync(file)) return emptyLock();
  return parseLock(readInputFile(file, 'lock file').toString('utf8'), file);
}
