/**
 * Output plumbing for commands: writing a result file atomically (temp file + rename, so a
 * failed run never leaves a half-written report), and printing to stdout.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Writes `data` to `file` through a temp file in the same folder, then renames it into place. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Writes to `--output FILE` atomically, or to stdout when no file is given. */
export function emit(output: string | undefined, text: string): void {
  if (output) writeFileAtomic(output, text);
  else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
