/**
 * Finds the Windows volume on a disk: the NTFS volume holding `\Windows\System32\config\SYSTEM`,
 * or the partition the user named. When there is none, the error lists what each partition held
 * (a BitLocker volume, ReFS, an LDM or Storage Spaces member, FAT) so the reason is on one line.
 */
import { DiskError, diskError, hex, readRange, sliceSource, type ByteSource } from '../../disk/byte-source.js';
import type { DiskImage } from '../../disk/image.js';
import { readPartitionTable, type Partition } from '../../disk/partitions.js';
import { describeVolumeKind, volumeKind } from '../../disk/volume-kind.js';
import { NtfsVolume } from '../../disk/ntfs/volume.js';

export const CONFIG_PATH = ['Windows', 'System32', 'config'] as const;

export interface WindowsVolume {
  volume: NtfsVolume;
  partition: Partition;
}

function describe(p: Partition): string {
  const mib = p.size / (1024 * 1024);
  const size = mib >= 1024 ? `${(mib / 1024).toFixed(1)} GiB` : `${mib.toFixed(0)} MiB`;
  return `${p.number === 0 ? 'the whole disk' : `partition ${p.number}`} (${p.type}, ${size} at ${hex(p.start)})`;
}

export async function findWindowsVolume(image: DiskImage, options: { partition?: number } = {}): Promise<WindowsVolume> {
  const { disk } = image;
  const table = await readPartitionTable(disk, image.sectorSize);
  const found: string[] = [];
  const candidates = options.partition === undefined ? table.partitions : table.partitions.filter((p) => p.number === options.partition);
  if (options.partition !== undefined && candidates.length === 0) {
    const have = table.partitions.map((p) => p.number).join(', ') || 'none';
    throw diskError(disk, `${table.scheme === 'none' ? 'the disk (no partition table)' : `${table.scheme.toUpperCase()} partition table`}`, `--partition ${options.partition}: no such partition (partitions: ${have})`);
  }
  for (const p of candidates) {
    const label = describe(p);
    if (p.unsupported) { found.push(`${label}: ${p.unsupported}`); continue; }
    const source: ByteSource = sliceSource(disk, p.start, p.size);
    const kind = volumeKind(await readRange(source, 0, 512, `${label}, boot sector`));
    if (kind !== 'ntfs') { found.push(`${label}: ${describeVolumeKind(kind)}`); continue; }
    if (options.partition !== undefined) return { volume: await NtfsVolume.open(source, label), partition: p };
    // While searching, a damaged NTFS volume (a recovery partition, say) must not hide a readable
    // Windows volume after it; if none is found, its damage is part of the one-line error.
    try {
      const volume = await NtfsVolume.open(source, label);
      if (await volume.lookup([...CONFIG_PATH, 'SYSTEM'])) return { volume, partition: p };
      found.push(`${label}: NTFS without \\Windows\\System32\\config\\SYSTEM`);
    } catch (err) {
      if (!(err instanceof DiskError)) throw err;
      found.push(err.detail);
    }
  }
  if (options.partition !== undefined) throw diskError(disk, `--partition ${options.partition}`, found[0] ?? 'not a Windows volume');
  throw diskError(disk, `${image.format} disk`, `no NTFS volume holds \\Windows\\System32\\config\\SYSTEM: ${found.join('; ') || 'the partition table lists no partitions'}`);
}
