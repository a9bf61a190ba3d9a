/**
 * A local disk image as a `ByteSource` (disk/byte-source.ts): positioned reads on one open file
 * descriptor, nothing mapped or read ahead, so checking a 64 GB image reads only the blocks the
 * readers ask for. It counts reads and bytes for `npm run bench` and `DRIFTSCAN_IO_STATS`.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { DriftscanError } from '../core/diagnostics.js';
import type { ByteSource } from '../disk/byte-source.js';

export interface FileByteSource extends ByteSource {
  readonly stats: { reads: number; bytes: number };
  close(): Promise<void>;
}

export async function openFileByteSource(file: string, what = 'disk image'): Promise<FileByteSource> {
  let handle: FileHandle;
  let size: number;
  try {
    handle = await open(file, 'r');
    const st = await handle.stat();
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = st.size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new DriftscanError(`cannot read ${what} ${file}: ${why}`, { location: { file } });
  }
  const stats = { reads: 0, bytes: 0 };
  return {
    name: file,
    size,
    stats,
    read: async (offset, length) => {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, offset + done);
        if (bytesRead === 0) throw new DriftscanError(`${what} ended at byte ${offset + done} while reading ${length} bytes at ${offset} (did it shrink while being read?)`, { location: { file } });
        done += bytesRead;
      }
      stats.reads++;
      stats.bytes += length;
      return out;
    },
    close: () => handle.close(),
  };
}
