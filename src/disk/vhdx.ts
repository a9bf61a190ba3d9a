/**
 * Hyper-V VHDX images ([MS-VHDX] v20240423): file type identifier (§2.2.1), the two headers with
 * CRC-32C and sequence numbers (§2.2.2), the region table (§2.2.3), the metadata region (§2.6) and
 * the block allocation table (§2.5). All fields are little-endian.
 *
 * A header whose LogGuid is not zero says the log holds writes that were never applied to the file
 * (§2.3); they are replayed in memory (vhdx-log.ts) and everything after the headers is read
 * through them. A differencing disk (HasParent) is refused.
 */
import { ascii, blockMappedSource, diskError, guid, hex, readRange, u64, view, type ByteSource } from './byte-source.js';
import { crc32c } from './checksums.js';
import { replayVhdxLog } from './vhdx-log.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const HEADER_OFFSETS = [64 * KiB, 128 * KiB];
const REGION_TABLE_OFFSETS = [192 * KiB, 256 * KiB];
const HEADER_SIZE = 4 * KiB;
const REGION_TABLE_SIZE = 64 * KiB;
const BAT_REGION = '2DC27766-F623-4200-9D64-115E9BFD4A08';
const METADATA_REGION = '8B7CA206-4790-4B9A-B8FE-575F050F886E';
const FILE_PARAMETERS = 'CAA16737-FA36-4D43-B3B6-33F0AA44E76B';
const VIRTUAL_DISK_SIZE = '2FA54224-CD1B-4876-B211-5DBED83BF4B8';
const LOGICAL_SECTOR_SIZE = '8141BF1D-A96F-4709-BA47-F233A8FAAB5F';
const ZERO_GUID = '00000000-0000-0000-0000-000000000000';
/** BAT payload block states (§2.5.1.1). */
const PAYLOAD_BLOCK_FULLY_PRESENT = 6;
const PAYLOAD_BLOCK_PARTIALLY_PRESENT = 7;

export async function looksLikeVhdx(file: ByteSource): Promise<boolean> {
  return file.size >= 8 && ascii(await file.read(0, 8), 0, 8) === 'vhdxfile';
}

interface Header { at: number; sequence: bigint; logGuid: string; logOffset: number; logLength: number }

/** The current header: the valid one with the higher sequence number (§2.2.2.1). */
async function currentHeader(file: ByteSource): Promise<Header> {
  const valid: Header[] = [];
  const problems: string[] = [];
  for (const at of HEADER_OFFSETS) {
    const bytes = await readRange(file, at, HEADER_SIZE, `VHDX header at ${hex(at)}`);
    const dv = view(bytes);
    if (ascii(bytes, 0, 4) !== 'head') { problems.push(`${hex(at)}: no "head" signature`); continue; }
    const stored = dv.getUint32(4, true);
    const copy = bytes.slice();
    view(copy).setUint32(4, 0, true);
    const computed = crc32c(copy);
    if (stored !== computed) { problems.push(`${hex(at)}: checksum mismatch (stored ${hex(stored)}, computed ${hex(computed)})`); continue; }
    const version = dv.getUint16(66, true);
    if (version !== 1) { problems.push(`${hex(at)}: version ${version}, expected 1`); continue; }
    valid.push({ at, sequence: dv.getBigUint64(8, true), logGuid: guid(bytes, 48), logOffset: u64(dv, 72) ?? -1, logLength: dv.getUint32(68, true) });
  }
  const best = valid.sort((a, b) => (a.sequence > b.sequence ? -1 : a.sequence < b.sequence ? 1 : 0))[0];
  if (!best) throw diskError(file, 'VHDX headers', `neither header is valid (${problems.join('; ')})`);
  return best;
}

interface Region { offset: number; length: number }

async function regionTable(file: ByteSource): Promise<Map<string, Region>> {
  const problems: string[] = [];
  for (const at of REGION_TABLE_OFFSETS) {
    const what = `VHDX region table at ${hex(at)}`;
    const bytes = await readRange(file, at, REGION_TABLE_SIZE, what);
    const dv = view(bytes);
    if (ascii(bytes, 0, 4) !== 'regi') { problems.push(`${hex(at)}: no "regi" signature`); continue; }
    const stored = dv.getUint32(4, true);
    const copy = bytes.slice();
    view(copy).setUint32(4, 0, true);
    const computed = crc32c(copy);
    if (stored !== computed) { problems.push(`${hex(at)}: checksum mismatch (stored ${hex(stored)}, computed ${hex(computed)})`); continue; }
    const count = dv.getUint32(8, true);
    if (count > 2047) throw diskError(file, what, `${count} entries, at most 2047 allowed`);
    const regions = new Map<string, Region>();
    for (let i = 0; i < count; i++) {
      const e = 16 + i * 32;
      const id = guid(bytes, e);
      const offset = u64(dv, e + 16) ?? -1;
      const length = dv.getUint32(e + 24, true);
      const required = (dv.getUint32(e + 28, true) & 1) === 1;
      if (id !== BAT_REGION && id !== METADATA_REGION) {
        if (required) throw diskError(file, `${what}, entry ${i}`, `required region ${id} is not one this reader knows (§2.2.3.2: the file must not be opened)`);
        continue;
      }
      if (offset < MiB || offset % MiB !== 0 || offset + length > file.size) {
        throw diskError(file, `${what}, entry ${i}`, `region ${id} at ${hex(offset)}+${hex(length)} is not 1 MiB aligned inside the ${file.size}-byte file`);
      }
      regions.set(id, { offset, length });
    }
    for (const id of [BAT_REGION, METADATA_REGION]) if (!regions.has(id)) throw diskError(file, what, `no ${id === BAT_REGION ? 'BAT' : 'metadata'} region`);
    return regions;
  }
  throw diskError(file, 'VHDX region tables', `neither copy is valid (${problems.join('; ')})`);
}

interface Metadata { blockSize: number; diskSize: number; sectorSize: number }

async function metadata(file: ByteSource, region: Region): Promise<Metadata> {
  const what = `VHDX metadata region at ${hex(region.offset)}`;
  const table = await readRange(file, region.offset, 64 * KiB, what);
  const dv = view(table);
  if (ascii(table, 0, 8) !== 'metadata') throw diskError(file, what, 'no "metadata" signature');
  const count = dv.getUint16(10, true);
  if (count > 2047) throw diskError(file, what, `${count} entries, at most 2047 allowed`);
  const items = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i++) {
    const e = 32 + i * 32;
    const id = guid(table, e);
    const offset = dv.getUint32(e + 16, true);
    const length = dv.getUint32(e + 20, true);
    const required = (dv.getUint32(e + 24, true) & 4) !== 0;
    if (offset + length > region.length || length > MiB) throw diskError(file, `${what}, entry ${i}`, `item ${id} at +${hex(offset)} (${length} bytes) lies outside the region`);
    if ([FILE_PARAMETERS, VIRTUAL_DISK_SIZE, LOGICAL_SECTOR_SIZE].includes(id)) items.set(id, await readRange(file, region.offset + offset, length, `VHDX metadata item ${id}`));
    else if (required && id !== 'BECA12AB-B2E6-4523-93EF-C309E000C746' && id !== 'CDA348C7-445D-4471-9CC9-E9885251C556') {
      throw diskError(file, `${what}, entry ${i}`, id === 'A8D35F2D-B30B-454D-ABF7-D3D84834AB0C'
        ? 'a parent locator: this is a differencing VHDX; give the merged disk instead'
        : `required metadata item ${id} is not one this reader knows`);
    }
  }
  const item = (id: string, name: string, size: number): DataView => {
    const b = items.get(id);
    if (!b || b.length < size) throw diskError(file, what, `no ${name} item (${id})`);
    return view(b);
  };
  const params = item(FILE_PARAMETERS, 'file parameters', 8);
  const blockSize = params.getUint32(0, true);
  if ((params.getUint32(4, true) & 2) !== 0) throw diskError(file, what, 'file parameters say HasParent: this is a differencing VHDX; give the merged disk instead');
  if (blockSize < MiB || blockSize > 256 * MiB || (blockSize & (blockSize - 1)) !== 0) throw diskError(file, what, `block size ${blockSize} is not a power of two between 1 MiB and 256 MiB (§2.6.2.1)`);
  const diskSize = u64(item(VIRTUAL_DISK_SIZE, 'virtual disk size', 8), 0);
  if (diskSize === undefined || diskSize > 64 * 1024 * 1024 * MiB) throw diskError(file, what, 'virtual disk size exceeds 64 TiB (§2.6.2.2)');
  const sectorSize = item(LOGICAL_SECTOR_SIZE, 'logical sector size', 4).getUint32(0, true);
  if (sectorSize !== 512 && sectorSize !== 4096) throw diskError(file, what, `logical sector size ${sectorSize}, expected 512 or 4096`);
  return { blockSize, diskSize, sectorSize };
}

/** Opens a VHDX image as the virtual disk it holds, replaying its log in memory when it has one. */
export async function openVhdx(image: ByteSource): Promise<{ disk: ByteSource; sectorSize: number }> {
  const header = await currentHeader(image);
  const file = header.logGuid === ZERO_GUID ? image : await replayVhdxLog(image, header);
  const regions = await regionTable(file);
  const meta = await metadata(file, regions.get(METADATA_REGION)!);
  const batRegion = regions.get(BAT_REGION)!;
  // §2.5: a sector bitmap entry follows every `chunkRatio` payload entries.
  const chunkRatio = (2 ** 23 * meta.sectorSize) / meta.blockSize;
  const payloadBlocks = Math.ceil(meta.diskSize / meta.blockSize);
  const entries = payloadBlocks + Math.floor((payloadBlocks - 1) / chunkRatio);
  if (entries * 8 > batRegion.length) throw diskError(file, `VHDX BAT region at ${hex(batRegion.offset)}`, `${batRegion.length} bytes cannot hold the ${entries} entries a ${meta.diskSize}-byte disk needs`);
  const bat = view(await readRange(file, batRegion.offset, entries * 8, `VHDX BAT at ${hex(batRegion.offset)}`));
  // Every present block must lie inside the file: checked once here, so a truncated or damaged
  // image is refused even when the blocks a check needs happen to survive.
  for (let block = 0; block < payloadBlocks; block++) blockAt(block);
  function blockAt(block: number): number | undefined {
    const index = block + Math.floor(block / chunkRatio);
    const entry = bat.getBigUint64(index * 8, true);
    const state = Number(entry & 7n);
    const what = `VHDX BAT entry ${index} at ${hex(batRegion.offset + index * 8)}`;
    if (state === PAYLOAD_BLOCK_PARTIALLY_PRESENT) throw diskError(file, what, 'PAYLOAD_BLOCK_PARTIALLY_PRESENT in a disk without a parent');
    // NOT_PRESENT, UNDEFINED, ZERO and UNMAPPED all read as zeros without a parent (§2.5.1.1).
    if (state !== PAYLOAD_BLOCK_FULLY_PRESENT) return undefined;
    const at = Number(entry >> 20n) * MiB;
    if (at < MiB || at + meta.blockSize > file.size) throw diskError(file, what, `payload block at ${hex(at)} lies outside the ${file.size}-byte file (truncated image?)`);
    return at;
  }
  const disk = blockMappedSource(file, meta.diskSize, meta.blockSize, blockAt);
  return { disk, sectorSize: meta.sectorSize };
}
