/**
 * The machine hives of a Windows disk image, read out of its NTFS volume without mounting it:
 * `\Windows\System32\config\{SYSTEM,SOFTWARE,SAM,SECURITY}` and, for a dirty hive, its
 * `.LOG1`/`.LOG2`/`.LOG` — the same files `--windows-dir` opens from a mounted volume, named
 * `disk.vhdx:\Windows\System32\config\SYSTEM` in messages.
 *
 * A hive is read in place as `--hive` reads a file (Hive.openFile): cells as lookups need them,
 * through the file's run list and the disk's block map (disk/ntfs/file-source.ts), when the image
 * source reads synchronously (a local file) and the hive needs no log replay. Replaying logs
 * rewrites pages all over the hive, and an HTTP source has no synchronous reads: then the hive is
 * read whole first, as before.
 */
import type { ByteSource, ReadSync } from '../../disk/byte-source.js';
import { openDiskImage, type ImageFormat } from '../../disk/image.js';
import type { NtfsVolume } from '../../disk/ntfs/volume.js';
import type { FileRecord } from '../../disk/ntfs/record.js';
import type { InputFile } from '../../io/input-file.js';
import { MACHINE_HIVES, type MachineHive } from '../../windows/hives.js';
import { BASE_BLOCK_SIZE } from '../hive/format.js';
import { Hive, hiveDirtiness } from '../hive/hive.js';
import type { HiveSpec } from '../hive/hive-source.js';
import { CONFIG_PATH, findWindowsVolume } from './windows-volume.js';

/** Hives above this size are damage (the largest real SOFTWARE hives are a few hundred MB). */
const MAX_HIVE_BYTES = 2 ** 31 - 1;
const LOG_SUFFIXES = ['.LOG1', '.LOG2', '.LOG'] as const;

export interface ImageHives {
  format: ImageFormat;
  /** `partition 2 (GPT Basic data, 63.9 GiB at 0x…)`. */
  volume: string;
  hives: HiveSpec[];
}

export interface ImageHiveOptions {
  partition?: number;
  /** Only these machine hives (those a baseline reads); every one by default. */
  hives?: readonly MachineHive[];
  /**
   * Called once the image is no longer needed: right away when every hive was read whole, else when
   * the last hive read in place is closed (collected). The caller closes the image then.
   */
  release?: () => void;
}

export async function openImageHives(file: ByteSource, options: ImageHiveOptions = {}): Promise<ImageHives> {
  const image = await openDiskImage(file);
  const { volume } = await findWindowsVolume(image, options);
  const config = await volume.lookup(CONFIG_PATH);
  const where = `${file.name}:\\${CONFIG_PATH.join('\\')}`;
  if (!config?.directory) throw volume.error('\\Windows\\System32\\config', 'no such folder on this volume');
  const wanted = options.hives ?? MACHINE_HIVES;
  const hives: HiveSpec[] = [];
  let open = 0;
  let released = false;
  const release = () => {
    if (released || open > 0) return;
    released = true;
    options.release?.();
  };
  let present = 0;
  for (const name of MACHINE_HIVES) {
    const rec = await volume.lookup([...CONFIG_PATH, name]);
    if (!rec || rec.directory) continue;
    present++;
    if (!wanted.includes(name)) continue;
    const display = `${where}\\${name}`;
    const what = `\\Windows\\System32\\config\\${name} (MFT record ${rec.number})`;
    const source = await volume.fileSource(rec, what, MAX_HIVE_BYTES);
    if (source.readSync) {
      const head = source.readSync(0, Math.min(source.size, BASE_BLOCK_SIZE));
      // Logs are looked for only when the hive says it needs them, as for a hive on disk (hive-source.ts).
      if (!hiveDirtiness(head) || !(await hasLog(volume, name))) {
        open++;
        hives.push({ name, file: display, hive: Hive.openFile(inPlace(source, source.readSync.bind(source), () => { open--; release(); }), { file: display }) });
        continue;
      }
    }
    hives.push({ name, file: display, hive: await readWhole(volume, rec, name, display, what) });
  }
  if (present === 0) throw volume.error('\\Windows\\System32\\config', `holds none of ${MACHINE_HIVES.join(', ')}`);
  release();
  return { format: image.format, volume: volume.label, hives };
}

async function hasLog(volume: NtfsVolume, name: string): Promise<boolean> {
  for (const suffix of LOG_SUFFIXES) {
    const log = await volume.lookup([...CONFIG_PATH, name + suffix]);
    if (log && !log.directory) return true;
  }
  return false;
}

/** The hive and its logs read whole; the logs are replayed when the hive is dirty. */
async function readWhole(volume: NtfsVolume, rec: FileRecord, name: string, display: string, what: string): Promise<Hive> {
  const bytes = await volume.readFile(rec, what, MAX_HIVE_BYTES);
  const logs: Array<{ file: string; bytes: Uint8Array }> = [];
  if (hiveDirtiness(bytes)) {
    for (const suffix of LOG_SUFFIXES) {
      const log = await volume.lookup([...CONFIG_PATH, name + suffix]);
      if (log && !log.directory) logs.push({ file: display + suffix, bytes: await volume.readFile(log, `\\Windows\\System32\\config\\${name}${suffix} (MFT record ${log.number})`, MAX_HIVE_BYTES) });
    }
  }
  return Hive.open(bytes, logs.length > 0 ? { file: display, logs } : { file: display });
}

/** A file inside the image as the `InputFile` a lazily read hive reads from. */
function inPlace(source: ByteSource, readSync: ReadSync, onClose: () => void): InputFile {
  let closed = false;
  return {
    size: source.size,
    regular: true,
    read(into, offset, length, position) {
      const n = Math.max(0, Math.min(length, source.size - position));
      // Straight into the hive reader's buffer, through every layer down to the image file.
      if (n > 0) readSync(position, n, into, offset);
      return n;
    },
    close() {
      if (closed) return;
      closed = true;
      onClose();
    },
  };
}
