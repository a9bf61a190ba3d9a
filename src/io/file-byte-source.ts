/**
 * A local disk image as a `ByteSource` (disk/byte-source.ts): positioned reads on one open file
 * descriptor, nothing mapped or read ahead, so checking a 64 GB image reads only the blocks the
 * readers ask for. It counts reads and bytes for `npm run bench` and `DRIFTSCAN_IO_STATS`.
 *
 * Reads are synchronous `pread`s (fs.readSync), also behind `read`: a check reads thousands of
 * small pieces of a local file, each served from the page cache in microseconds, where a promise
 * round trip through libuv's thread pool per read cost more than the read. `readSync` lets the hive
 * reader read cells of a hive inside the image as it needs them (state/image/image-hives.ts).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { DriftscanError } from '../core/diagnostics.js';
import type { ByteSource } from '../disk/byte-source.js';

export interface FileByteSource extends ByteSource {
  readonly stats: { reads: number; bytes: number };
  readSync(offset: number, length: number, into?: Uint8Array, at?: number): Uint8Array;
  /** Closes the file (once; later calls do nothing). */
  close(): Promise<void>;
}

export async function openFileByteSource(file: string, what = 'disk image'): Promise<FileByteSource> {
  let fd: number | undefined;
  let size: number;
  try {
    fd = openSync(file, 'r');
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = st.size;
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new DriftscanError(`cannot read ${what} ${file}: ${why}`, { location: { file } });
  }
  const handle = fd;
  let open = true;
  const stats = { reads: 0, bytes: 0 };
  const read = (offset: number, length: number, into?: Uint8Array, at = 0): Uint8Array => {
    if (!open) throw new DriftscanError(`${what} ${file} was read after it was closed`, { location: { file } });
    const out = into ?? new Uint8Array(length);
    const base = into ? at : 0;
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = readSync(handle, out, base + done, length - done, offset + done);
      } catch (err) {
        throw new DriftscanError(`cannot read ${what} ${file} at byte ${offset + done}: ${(err as Error).message}`, { location: { file } });
      }
      if (n === 0) throw new DriftscanError(`${what} ended at byte ${offset + done} while reading ${length} bytes at ${offset} (did it shrink while being read?)`, { location: { file } });
      done += n;
    }
    stats.reads++;
    stats.bytes += length;
    return into ? into.subarray(at, at + length) : out;
  };
  return {
    name: file,
    size,
    stats,
    read: async (offset, length) => read(offset, length),
    readSync: read,
    close: async () => {
      if (!open) return;
      open = false;
      closeSync(handle);
    },
  };
}
