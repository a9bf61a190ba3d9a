/**
 * The partitions of a disk: an MBR with its extended partition chain (primary entries at 0x1BE,
 * EBRs linked from an extended partition's second entry), or a GPT (UEFI spec 2.10 §5.3: header at
 * LBA 1 with its CRC-32, the entry array with its own CRC-32, the backup header at the last LBA when
 * the primary is damaged) behind a protective MBR (type 0xEE). A disk whose sector 0 is a volume
 * boot sector has no table: the whole disk is one volume ("partition 0").
 *
 * Numbering follows what tools show: GPT entries by index + 1; MBR primaries 1–4 by slot and logical
 * partitions from 5, as Linux numbers them.
 */
import { ascii, diskError, guid, hex, readRange, u64, view, type ByteSource } from './byte-source.js';
import { crc32 } from './checksums.js';
import { volumeKind } from './volume-kind.js';

export interface Partition {
  /** 1-based as tools number them; 0 for an unpartitioned disk. */
  number: number;
  /** Byte offset and size on the disk. */
  start: number;
  size: number;
  /** How the table describes it: `MBR type 0x07`, `GPT Basic data`. */
  type: string;
  /** Set when the table itself says the partition cannot hold a plain volume (LDM, Storage Spaces). */
  unsupported?: string;
}

export interface PartitionTable {
  scheme: 'mbr' | 'gpt' | 'none';
  partitions: Partition[];
}

const GPT_TYPES: Record<string, string> = {
  'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7': 'Basic data',
  'C12A7328-F81F-11D2-BA4B-00A0C93EC93B': 'EFI system',
  'E3C9E316-0B5C-4DB8-817D-F92DF00215AE': 'Microsoft reserved',
  'DE94BBA4-06D1-4D40-A16A-BFD50179D6AC': 'Windows recovery',
  '5808C8AA-7E8F-42E0-85D2-E1E90434CFB3': 'LDM metadata',
  'AF9B60A0-1431-4F62-BC68-3311714A69AD': 'LDM data',
  'E75CAF8F-F680-4CEE-AFA3-B001E56EFC2D': 'Storage Spaces',
  '0FC63DAF-8483-4772-8E79-3D69D8477DE4': 'Linux filesystem',
};

const LDM = 'a dynamic-disk (LDM) member: its volumes are described by the LDM database and may span disks; not supported';
const STORAGE_SPACES = 'a Storage Spaces member: its volumes are virtual disks built across the pool; not supported';
/** EBR chains longer than this are loops or damage (Windows shows at most a few dozen logicals). */
const MAX_LOGICAL = 128;
const MAX_GPT_ENTRIES = 1024;

export async function readPartitionTable(disk: ByteSource, sectorSize = 512): Promise<PartitionTable> {
  const mbr = await readRange(disk, 0, 512, 'sector 0 (MBR)');
  if (volumeKind(mbr) !== 'unknown' && volumeKind(mbr) !== 'fat') {
    return { scheme: 'none', partitions: [{ number: 0, start: 0, size: disk.size, type: 'whole disk' }] };
  }
  if (mbr[510] !== 0x55 || mbr[511] !== 0xaa) {
    throw diskError(disk, 'sector 0', `no MBR boot signature 55AA (found ${hex(mbr[510]!)} ${hex(mbr[511]!)}) and no volume boot sector: not a disk image driftscan recognises`);
  }
  const dv = view(mbr);
  const entries = [0, 1, 2, 3].map((i) => ({ slot: i, type: mbr[446 + i * 16 + 4]!, lba: dv.getUint32(446 + i * 16 + 8, true), sectors: dv.getUint32(446 + i * 16 + 12, true) }));
  if (entries.some((e) => e.type === 0xee)) return readGpt(disk, sectorSize);
  const partitions: Partition[] = [];
  for (const e of entries) {
    if (e.type === 0 || e.sectors === 0) continue;
    const what = `MBR entry ${e.slot + 1} at ${hex(446 + e.slot * 16)}`;
    const start = e.lba * sectorSize;
    const size = e.sectors * sectorSize;
    if (start === 0 || start + size > disk.size) throw diskError(disk, what, `partition at ${hex(start)}+${hex(size)} lies outside the ${disk.size}-byte disk`);
    if (e.type === 0x05 || e.type === 0x0f || e.type === 0x85) {
      partitions.push(...(await readExtended(disk, start, size, sectorSize, 5 + partitions.filter((p) => p.number >= 5).length)));
      continue;
    }
    const p: Partition = { number: e.slot + 1, start, size, type: `MBR type 0x${e.type.toString(16).padStart(2, '0')}` };
    if (e.type === 0x42) p.unsupported = LDM;
    partitions.push(p);
  }
  return { scheme: 'mbr', partitions: partitions.sort((a, b) => a.number - b.number) };
}

/** Logical partitions: each EBR's first entry is relative to the EBR, its second to the extended partition. */
async function readExtended(disk: ByteSource, extStart: number, extSize: number, sectorSize: number, firstNumber: number): Promise<Partition[]> {
  const out: Partition[] = [];
  const seen = new Set<number>();
  let ebrAt = extStart;
  for (;;) {
    const what = `EBR at ${hex(ebrAt)}`;
    if (seen.has(ebrAt)) throw diskError(disk, what, 'the chain of extended boot records loops');
    if (out.length >= MAX_LOGICAL) throw diskError(disk, what, `more than ${MAX_LOGICAL} logical partitions`);
    seen.add(ebrAt);
    const ebr = await readRange(disk, ebrAt, 512, what);
    if (ebr[510] !== 0x55 || ebr[511] !== 0xaa) throw diskError(disk, what, 'no boot signature 55AA');
    const dv = view(ebr);
    const type = ebr[446 + 4]!;
    const start = ebrAt + dv.getUint32(446 + 8, true) * sectorSize;
    const size = dv.getUint32(446 + 12, true) * sectorSize;
    if (type !== 0 && size > 0) {
      if (start + size > extStart + extSize) throw diskError(disk, what, `logical partition at ${hex(start)}+${hex(size)} lies outside its extended partition`);
      const p: Partition = { number: firstNumber + out.length, start, size, type: `MBR type 0x${type.toString(16).padStart(2, '0')} (logical)` };
      if (type === 0x42) p.unsupported = LDM;
      out.push(p);
    }
    const nextType = ebr[446 + 16 + 4]!;
    const next = dv.getUint32(446 + 16 + 8, true);
    if (nextType === 0 || next === 0) return out;
    ebrAt = extStart + next * sectorSize;
    if (ebrAt >= extStart + extSize) throw diskError(disk, what, `next EBR at ${hex(ebrAt)} lies outside the extended partition`);
  }
}

async function readGpt(disk: ByteSource, sectorHint: number): Promise<PartitionTable> {
  const problems: string[] = [];
  for (const sector of [...new Set([sectorHint, 512, 4096])]) {
    if (disk.size < sector * 2) continue;
    const primary = await gptHeader(disk, sector, sector);
    if (typeof primary !== 'string') return primary;
    problems.push(primary);
    if (primary.includes('no "EFI PART"')) continue;
    // The primary is damaged: the backup header sits in the disk's last LBA (§5.3.2).
    const backup = await gptHeader(disk, disk.size - sector - (disk.size % sector), sector);
    if (typeof backup !== 'string') return backup;
    problems.push(backup);
  }
  throw diskError(disk, 'GPT (protective MBR type 0xEE)', problems.join('; '));
}

/** A GPT header and its entries, or the reason they cannot be used. */
async function gptHeader(disk: ByteSource, at: number, sector: number): Promise<PartitionTable | string> {
  const where = `GPT header at ${hex(at)}`;
  const bytes = await readRange(disk, at, sector, where);
  if (ascii(bytes, 0, 8) !== 'EFI PART') return `${where}: no "EFI PART" signature`;
  const dv = view(bytes);
  const headerSize = dv.getUint32(12, true);
  if (headerSize < 92 || headerSize > sector) return `${where}: header size ${headerSize} outside 92..${sector}`;
  const copy = bytes.slice(0, headerSize);
  view(copy).setUint32(16, 0, true);
  const stored = dv.getUint32(16, true);
  if (crc32(copy) !== stored) return `${where}: header CRC-32 mismatch (stored ${hex(stored)}, computed ${hex(crc32(copy))})`;
  const entriesLba = u64(dv, 72);
  const count = dv.getUint32(80, true);
  const entrySize = dv.getUint32(84, true);
  if (entrySize < 128 || entrySize % 8 !== 0 || entrySize > 4096 || count > MAX_GPT_ENTRIES) return `${where}: ${count} entries of ${entrySize} bytes is not a GPT entry array`;
  if (entriesLba === undefined || entriesLba * sector + count * entrySize > disk.size) return `${where}: entry array at LBA ${entriesLba} lies outside the disk`;
  const array = await readRange(disk, entriesLba * sector, count * entrySize, `GPT entry array at ${hex(entriesLba * sector)}`);
  const arrayCrc = dv.getUint32(88, true);
  if (crc32(array) !== arrayCrc) return `GPT entry array at ${hex(entriesLba * sector)}: CRC-32 mismatch (stored ${hex(arrayCrc)}, computed ${hex(crc32(array))})`;
  const av = view(array);
  const partitions: Partition[] = [];
  for (let i = 0; i < count; i++) {
    const e = i * entrySize;
    const type = guid(array, e);
    if (type === '00000000-0000-0000-0000-000000000000') continue;
    const first = u64(av, e + 32);
    const last = u64(av, e + 40);
    if (first === undefined || last === undefined || last < first || (last + 1) * sector > disk.size) {
      throw diskError(disk, `GPT entry ${i + 1} at ${hex(entriesLba * sector + e)}`, `LBAs ${first}..${last} lie outside the ${disk.size}-byte disk`);
    }
    const name = GPT_TYPES[type];
    const p: Partition = { number: i + 1, start: first * sector, size: (last - first + 1) * sector, type: `GPT ${name ?? type}` };
    if (name === 'LDM metadata' || name === 'LDM data') p.unsupported = LDM;
    if (name === 'Storage Spaces') p.unsupported = STORAGE_SPACES;
    partitions.push(p);
  }
  return { scheme: 'gpt', partitions };
}
