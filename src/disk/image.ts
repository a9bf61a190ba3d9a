/**
 * Which container an image file is, told from its bytes rather than its name: VHDX by its file type
 * identifier at 0 ([MS-VHDX] §2.2.1), VHD by the footer cookie in its last 512 bytes (VHD spec,
 * "Hard Disk Footer Format"), and anything else is taken as a raw disk (`.raw`, `.img`, `dd` output),
 * whose partition table or boot sector the next stage then has to recognise.
 */
import type { ByteSource } from './byte-source.js';
import { looksLikeVhd, openVhd } from './vhd.js';
import { looksLikeVhdx, openVhdx } from './vhdx.js';

export type ImageFormat = 'vhdx' | 'vhd-fixed' | 'vhd-dynamic' | 'raw';

export interface DiskImage {
  format: ImageFormat;
  /** The virtual disk: sector 0 is the MBR or the boot sector of an unpartitioned volume. */
  disk: ByteSource;
}

export async function openDiskImage(file: ByteSource): Promise<DiskImage> {
  if (await looksLikeVhdx(file)) return { format: 'vhdx', disk: await openVhdx(file) };
  if (await looksLikeVhd(file)) {
    const { disk, type } = await openVhd(file);
    return { format: type === 'fixed' ? 'vhd-fixed' : 'vhd-dynamic', disk };
  }
  return { format: 'raw', disk: file };
}
