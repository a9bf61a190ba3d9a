/**
 * Microsoft Virtual Hard Disk (VHD) images, fixed and dynamic ("Virtual Hard Disk Image Format
 * Specification", v1.0, 2006: "Hard Disk Footer Format", "Dynamic Disk Header Format", "Block
 * Allocation Table and Data Blocks"). All fields are big-endian. A differencing disk needs its parent
 * chain and is refused with a located error rather than read as if its parent did not exist.
 */
import { ascii, blockMappedSource, diskError, hex, readRange, sliceSource, u64, view, type ByteSource } from './byte-source.js';
import { vhdChecksum } from './checksums.js';

const FOOTER_SIZE = 512;
const DYNAMIC_HEADER_SIZE = 1024;
const SECTOR = 512;
/** BAT entries beyond this (a 2 TiB disk with 2 MiB blocks needs 1 Mi) are damage, not a disk. */
const MAX_BAT_ENTRIES = 1 << 24;

export type VhdType = 'fixed' | 'dynamic';

/** True when the last 512 bytes (or the first, a dynamic disk's footer copy) carry the "conectix" cookie. */
export async function looksLikeVhd(file: ByteSource): Promise<boolean> {
  if (file.size < FOOTER_SIZE) return false;
  const end = await file.read(file.size - FOOTER_SIZE, 8);
  return ascii(end, 0, 8) === 'conectix';
}

/** Opens a VHD image as the virtual disk it holds. */
export async function openVhd(file: ByteSource): Promise<{ disk: ByteSource; type: VhdType }> {
  const at = file.size - FOOTER_SIZE;
  const what = `VHD footer at ${hex(at)}`;
  const footer = await readRange(file, at, FOOTER_SIZE, what);
  const dv = view(footer);
  if (ascii(footer, 0, 8) !== 'conectix') throw diskError(file, what, 'no "conectix" cookie');
  const sum = dv.getUint32(64);
  if (vhdChecksum(footer, 64) !== sum) throw diskError(file, what, `checksum mismatch (stored ${hex(sum)}, computed ${hex(vhdChecksum(footer, 64))})`);
  const size = u64(dv, 48, true);
  if (size === undefined) throw diskError(file, what, 'current size exceeds 2^53 bytes');
  const type = dv.getUint32(60);
  if (type === 2) {
    // Fixed: the disk's sectors, then the footer ("Hard Disk Footer Format": Disk Type 2).
    if (size > at) throw diskError(file, what, `current size ${size} exceeds the ${at} data bytes before the footer (truncated image?)`);
    return { disk: sliceSource(file, 0, size), type: 'fixed' };
  }
  if (type === 4) throw diskError(file, what, 'a differencing VHD: it holds only changes to a parent disk; give the merged disk (qemu-img convert) instead');
  if (type !== 3) throw diskError(file, what, `unknown disk type ${type} (2 fixed, 3 dynamic, 4 differencing)`);
  return { disk: await openDynamic(file, footer, size), type: 'dynamic' };
}

async function openDynamic(file: ByteSource, footer: Uint8Array, size: number): Promise<ByteSource> {
  const headerAt = u64(view(footer), 16, true);
  const what = `VHD dynamic header at ${hex(headerAt ?? 0)}`;
  if (headerAt === undefined) throw diskError(file, 'VHD footer', 'data offset exceeds 2^53');
  const header = await readRange(file, headerAt, DYNAMIC_HEADER_SIZE, what);
  const dv = view(header);
  if (ascii(header, 0, 8) !== 'cxsparse') throw diskError(file, what, 'no "cxsparse" cookie');
  const sum = dv.getUint32(36);
  if (vhdChecksum(header, 36) !== sum) throw diskError(file, what, `checksum mismatch (stored ${hex(sum)}, computed ${hex(vhdChecksum(header, 36))})`);
  const batAt = u64(dv, 16, true);
  const entries = dv.getUint32(28);
  const blockSize = dv.getUint32(32);
  if (blockSize < SECTOR || (blockSize & (blockSize - 1)) !== 0 || blockSize > 1 << 28) throw diskError(file, what, `block size ${blockSize} is not a power of two between 512 bytes and 256 MiB`);
  if (entries > MAX_BAT_ENTRIES || entries * blockSize < size) throw diskError(file, what, `${entries} table entries of ${blockSize} bytes do not cover the ${size}-byte disk`);
  if (batAt === undefined) throw diskError(file, what, 'table offset exceeds 2^53');
  const batBytes = await readRange(file, batAt, entries * 4, `VHD block allocation table at ${hex(batAt)}`);
  const bat = view(batBytes);
  // Each block starts with its sector bitmap, padded to a sector ("Block Allocation Table and Data Blocks").
  const bitmapSize = Math.ceil(blockSize / SECTOR / 8 / SECTOR) * SECTOR;
  // Every allocated block must lie inside the file: checked once here, so a truncated or damaged
  // image is refused even when the blocks a check needs happen to survive.
  const usedEntries = Math.ceil(size / blockSize);
  for (let index = 0; index < usedEntries; index++) {
    const sector = bat.getUint32(index * 4);
    if (sector !== 0xffffffff && sector * SECTOR + bitmapSize + blockSize > file.size - FOOTER_SIZE) {
      throw diskError(file, `VHD block allocation table entry ${index} at ${hex(batAt + index * 4)}`, `block at sector ${hex(sector)} lies outside the ${file.size}-byte file (truncated image?)`);
    }
  }
  const blockData = (index: number): number | undefined => {
    const sector = bat.getUint32(index * 4);
    return sector === 0xffffffff ? undefined : sector * SECTOR + bitmapSize;
  };
  // An unallocated block reads as zeros; so do unwritten sectors of an allocated one, which are
  // zeroed when the block is allocated (so the bitmap need not be consulted for a read).
  return blockMappedSource(file, size, blockSize, blockData);
}
