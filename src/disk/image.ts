/**
 * Which container an image file is, told from its bytes rather than its name: VHDX by its file type
 * identifier at 0 ([MS-VHDX] §2.2.1), VHD by the footer cookie in its last 512 bytes (VHD spec,
 * "Hard Disk Footer Format"), and anything else is taken as a raw disk (`.raw`, `.img`, `dd` output),
 * whose partition table or boot sector the next stage then has to recognise — unless its name ends
 * in .vhd or .vhdx, which then is a damaged or truncated image and refused.
 */
import { diskError, hex, type ByteSource } from './byte-source.js';
import { looksLikeVhd, openVhd } from './vhd.js';
import { looksLikeVhdx, openVhdx } from './vhdx.js';

export type ImageFormat = 'vhdx' | 'vhd-fixed' | 'vhd-dynamic' | 'raw';

export interface DiskImage {
  format: ImageFormat;
  /** The virtual disk: sector 0 is the MBR or the boot sector of an unpartitioned volume. */
  disk: ByteSource;
  /** Logical sector size, the unit of MBR and GPT addresses: 512, or 4096 for a 4Kn VHDX. */
  sectorSize: number;
}

export async function openDiskImage(file: ByteSource): Promise<DiskImage> {
  if (await looksLikeVhdx(file)) {
    const { disk, sectorSize } = await openVhdx(file);
    return { format: 'vhdx', disk, sectorSize };
  }
  if (await looksLikeVhd(file)) {
    const { disk, type } = await openVhd(file);
    return { format: type === 'fixed' ? 'vhd-fixed' : 'vhd-dynamic', disk, sectorSize: 512 };
  }
  // The name is only a promise, but a broken one is worth an error: a fixed VHD that lost its footer
  // to truncation would otherwise be read as a raw disk, and a damaged VHDX as garbage.
  const ext = /\.(vhdx?)$/i.exec(file.name)?.[1]?.toLowerCase();
  if (ext === 'vhdx') throw diskError(file, 'VHDX file type identifier at 0x0', 'no "vhdxfile" signature: not a VHDX file, or a damaged one');
  if (ext === 'vhd') throw diskError(file, `VHD footer at ${hex(Math.max(0, file.size - 512))}`, 'no "conectix" cookie in the last 512 bytes: not a VHD file, or a truncated one');
  return { format: 'raw', disk: file, sectorSize: 512 };
}
