/**
 * The NTFS boot sector (the BIOS parameter block and its NTFS extension, "NTFS Boot Sector" in
 * Microsoft's NTFS technical reference; the ntfs-3g layout.h `NTFS_BOOT_SECTOR`): sector and
 * cluster sizes, where the MFT starts and how big its records and index blocks are.
 */
import { hex, u64, view } from '../byte-source.js';

export interface BootSector {
  bytesPerSector: number;
  clusterSize: number;
  totalSectors: number;
  mftLcn: number;
  mftRecordSize: number;
  indexBlockSize: number;
}

/** Parses sector 0 of an NTFS volume; returns the problem as a string when it is not usable. */
export function parseBootSector(b: Uint8Array): BootSector | string {
  const dv = view(b);
  if (b[510] !== 0x55 || b[511] !== 0xaa) return 'no boot signature 55AA at 0x1fe';
  const bytesPerSector = dv.getUint16(0x0b, true);
  if (![512, 1024, 2048, 4096].includes(bytesPerSector)) return `bytes per sector ${bytesPerSector} (at 0xb) is not 512, 1024, 2048 or 4096`;
  const spc = b[0x0d]!;
  // Values above 0x80 encode 2^(256 - value) sectors, for clusters of 64 KiB and more.
  const sectorsPerCluster = spc > 0x80 ? 2 ** (256 - spc) : spc;
  if (sectorsPerCluster === 0 || (sectorsPerCluster & (sectorsPerCluster - 1)) !== 0) return `sectors per cluster ${hex(spc)} (at 0xd) is not a power of two`;
  const clusterSize = sectorsPerCluster * bytesPerSector;
  if (clusterSize > 2 * 1024 * 1024) return `cluster size ${clusterSize} exceeds NTFS's 2 MiB`;
  const totalSectors = u64(dv, 0x28);
  const mftLcn = u64(dv, 0x30);
  if (totalSectors === undefined || mftLcn === undefined) return 'total sectors or MFT cluster (at 0x28, 0x30) exceed 2^53';
  // Clusters per record: positive = clusters, negative = 2^-n bytes.
  const recordSize = (at: number): number => {
    const v = dv.getInt8(at);
    return v > 0 ? v * clusterSize : 2 ** -v;
  };
  const mftRecordSize = recordSize(0x40);
  const indexBlockSize = recordSize(0x44);
  if (mftRecordSize < 256 || mftRecordSize > 65536 || (mftRecordSize & (mftRecordSize - 1)) !== 0) return `MFT record size ${mftRecordSize} (from ${hex(b[0x40]!)} at 0x40) is not a power of two between 256 and 64 KiB`;
  if (indexBlockSize < 256 || indexBlockSize > 65536 || (indexBlockSize & (indexBlockSize - 1)) !== 0) return `index block size ${indexBlockSize} (from ${hex(b[0x44]!)} at 0x44) is not a power of two between 256 and 64 KiB`;
  return { bytesPerSector, clusterSize, totalSectors, mftLcn, mftRecordSize, indexBlockSize };
}
