/** Reading a file the user named (baseline, .reg, snapshot, hive, package, CA): one wording for every failure. */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { DriftscanError } from '../core/diagnostics.js';

/**
 * Reads `file` whole, or throws a `DriftscanError` located at the file that says why in words:
 * `cannot read hive /mnt/SYSTEM: no such file`. `what` names the kind of input ("hive", "baseline").
 */
export function readInputFile(file: string, what?: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw inputError(file, what, err);
  }
}

/** A user-named file open for reading pieces of it (a 12 MB hive of which a gate reads a few cells). */
export interface InputFile {
  /** Size when opened. */
  readonly size: number;
  /** A regular file: a FIFO or device has no size to go by and is better read whole. */
  readonly regular: boolean;
  /** Reads `length` bytes at `position` into `into` at `offset`; returns how many there were (fewer at the end of the file). */
  read(into: Uint8Array, offset: number, length: number, position: number): number;
  close(): void;
}

/** A file opened on the disk: it can also be read whole through its descriptor. */
export interface OpenedInputFile extends InputFile {
  /**
   * The whole file, read through this descriptor to its end. A FIFO must be read through the
   * descriptor that opened it: closing it and opening the path again loses what the writer already
   * put in the pipe (and a writer that has finished never opens it again, so the second open hangs).
   */
  readAll(): Buffer;
}

/** Opens `file` for `InputFile.read`; failures are worded as `readInputFile` words them. */
export function openInputFile(file: string, what?: string): OpenedInputFile {
  let fd: number;
  let size: number;
  let regular: boolean;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw inputError(file, what, err);
  }
  try {
    const st = fstatSync(fd);
    // readFileSync on a folder fails with EISDIR; say the same here.
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = st.size;
    regular = st.isFile();
  } catch (err) {
    closeSync(fd);
    throw inputError(file, what, err);
  }
  return {
    size,
    regular,
    read(into, offset, length, position) {
      let done = 0;
      try {
        while (done < length) {
          const n = readSync(fd, into, offset + done, length - done, position + done);
          if (n === 0) break;
          done += n;
        }
      } catch (err) {
        throw inputError(file, what, err);
      }
      return done;
    },
    readAll() {
      try {
        return readFileSync(fd);
      } catch (err) {
        throw inputError(file, what, err);
      }
    },
    close: () => closeSync(fd),
  };
}

function inputError(file: string, what: string | undefined, err: unknown): DriftscanError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
  return new DriftscanError(`cannot read ${what ? `${what} ` : ''}${file}: ${why}`, { location: { file } });
}
