/**
 * Output plumbing for commands: writing a result file atomically (temp file + rename, so a
 * failed run never leaves a half-written report), and printing to stdout.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { stdout } from './console.js';

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
  else stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** A file written in pieces that appears under its name only when `commit()` succeeds (temp file + rename). */
export interface AtomicFileWriter {
  write(data: string | Uint8Array): void;
  commit(): void;
  abort(): void;
}

/** Opens a streaming counterpart of `writeFileAtomic`, for outputs too large to build in memory. */
export function openAtomicFileWriter(file: string): AtomicFileWriter {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w');
  let open = true;
  const close = () => {
    if (open) closeSync(fd);
    open = false;
  };
  return {
    write: (data) => {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
    },
    commit: () => {
      close();
      renameSync(tmp, file);
    },
    abort: () => {
      close();
      rmSync(tmp, { force: true });
    },
  };
}
