/**
 * The machine hives of a Windows disk image, read out of its NTFS volume without mounting it:
 * `\Windows\System32\config\{SYSTEM,SOFTWARE,SAM,SECURITY}` and, for a dirty hive, its
 * `.LOG1`/`.LOG2`/`.LOG` — the same files `--windows-dir` opens from a mounted volume, named
 * `disk.vhdx:\Windows\System32\config\SYSTEM` in messages.
 */
import type { ByteSource } from '../../disk/byte-source.js';
import { openDiskImage, type ImageFormat } from '../../disk/image.js';
import { MACHINE_HIVES } from '../../windows/hives.js';
import { Hive, hiveDirtiness } from '../hive/hive.js';
import type { HiveSpec } from '../hive/hive-source.js';
import { CONFIG_PATH, findWindowsVolume } from './windows-volume.js';

/** Hives above this size are damage (the largest real SOFTWARE hives are a few hundred MB). */
const MAX_HIVE_BYTES = 2 ** 31 - 1;

export interface ImageHives {
  format: ImageFormat;
  /** `partition 2 (GPT Basic data, 63.9 GiB at 0x…)`. */
  volume: string;
  hives: HiveSpec[];
}

export async function openImageHives(file: ByteSource, options: { partition?: number } = {}): Promise<ImageHives> {
  const image = await openDiskImage(file);
  const { volume } = await findWindowsVolume(image, options);
  const config = await volume.lookup(CONFIG_PATH);
  const where = `${file.name}:\\${CONFIG_PATH.join('\\')}`;
  if (!config?.directory) throw volume.error('\\Windows\\System32\\config', 'no such folder on this volume');
  const hives: HiveSpec[] = [];
  for (const name of MACHINE_HIVES) {
    const rec = await volume.lookup([...CONFIG_PATH, name]);
    if (!rec || rec.directory) continue;
    const display = `${where}\\${name}`;
    const bytes = await volume.readFile(rec, `\\Windows\\System32\\config\\${name} (MFT record ${rec.number})`, MAX_HIVE_BYTES);
    const logs: Array<{ file: string; bytes: Uint8Array }> = [];
    // Logs are read only when the hive says it needs them, as for a hive on disk (hive-source.ts).
    if (hiveDirtiness(bytes)) {
      for (const suffix of ['.LOG1', '.LOG2', '.LOG']) {
        const log = await volume.lookup([...CONFIG_PATH, name + suffix]);
        if (log && !log.directory) logs.push({ file: display + suffix, bytes: await volume.readFile(log, `\\Windows\\System32\\config\\${name}${suffix} (MFT record ${log.number})`, MAX_HIVE_BYTES) });
      }
    }
    hives.push({ name, file: display, hive: Hive.open(bytes, logs.length > 0 ? { file: display, logs } : { file: display }) });
  }
  if (hives.length === 0) throw volume.error('\\Windows\\System32\\config', `holds none of ${MACHINE_HIVES.join(', ')}`);
  return { format: image.format, volume: volume.label, hives };
}
