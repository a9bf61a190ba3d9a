/**
 * MFT file records and the attributes in them (NTFS docs, "File Record" and "Attribute Header";
 * ntfs-3g layout.h `MFT_RECORD`, `ATTR_RECORD`): the "FILE" signature, fixups, the base record
 * reference of an extension record, and each attribute resident (its value inline) or non-resident
 * (sizes and a run list).
 */
import { ascii, u64, view } from '../byte-source.js';
import { applyFixups } from './fixups.js';
import { decodeRunlist, type Run } from './runlist.js';

export const ATTR = {
  STANDARD_INFORMATION: 0x10,
  ATTRIBUTE_LIST: 0x20,
  FILE_NAME: 0x30,
  DATA: 0x80,
  INDEX_ROOT: 0x90,
  INDEX_ALLOCATION: 0xa0,
  BITMAP: 0xb0,
} as const;

/** Attribute flags (ATTR_FLAGS in layout.h). */
export const ATTR_COMPRESSED = 0x0001;
export const ATTR_ENCRYPTED = 0x4000;

export interface Attribute {
  type: number;
  name: string;
  id: number;
  flags: number;
  /** Offset of the attribute inside its record, for messages. */
  offset: number;
  resident?: Uint8Array;
  nonResident?: {
    startVcn: number;
    lastVcn: number;
    runs: Run[];
    compressionUnit: number;
    allocatedSize: number;
    dataSize: number;
    initializedSize: number;
  };
}

export interface FileRecord {
  number: number;
  sequence: number;
  inUse: boolean;
  directory: boolean;
  /** 0 for a base record; else the record number of its base (an extension record). */
  baseRecord: number;
  attributes: Attribute[];
}

/** A 64-bit file reference: low 48 bits the record number, high 16 the sequence number. */
export function splitReference(dv: DataView, at: number): { record: number; sequence: number } {
  const lo = dv.getUint32(at, true);
  const mid = dv.getUint16(at + 4, true);
  return { record: mid * 2 ** 32 + lo, sequence: dv.getUint16(at + 6, true) };
}

/** Parses one record (fixups applied in place); returns the problem as a string. */
export function parseFileRecord(bytes: Uint8Array, number: number, totalClusters: number): FileRecord | string {
  const sig = ascii(bytes, 0, 4);
  if (sig !== 'FILE') return sig === 'BAAD' ? 'marked BAAD (a multi-sector transfer failed)' : `no "FILE" signature (found ${JSON.stringify(sig)})`;
  const fix = applyFixups(bytes);
  if (fix) return fix;
  const dv = view(bytes);
  const flags = dv.getUint16(0x16, true);
  const used = dv.getUint32(0x18, true);
  if (used > bytes.length || used < 0x30) return `used size ${used} outside 48..${bytes.length}`;
  let at = dv.getUint16(0x14, true);
  const attributes: Attribute[] = [];
  for (let guard = 0; ; guard++) {
    if (at + 4 > used) return `attribute at +0x${at.toString(16)} runs past the used size without an end marker`;
    const type = dv.getUint32(at, true);
    if (type === 0xffffffff) break;
    if (at + 0x18 > used) return `attribute at +0x${at.toString(16)} runs past the used size`;
    const length = dv.getUint32(at + 4, true);
    if (length < 0x18 || (length & 7) !== 0 || at + length > used) return `attribute type 0x${type.toString(16)} at +0x${at.toString(16)} has length ${length}, outside the record`;
    const attr = parseAttribute(bytes, dv, at, length, totalClusters);
    if (typeof attr === 'string') return `attribute type 0x${type.toString(16)} at +0x${at.toString(16)}: ${attr}`;
    attributes.push(attr);
    at += length;
  }
  return {
    number,
    sequence: dv.getUint16(0x10, true),
    inUse: (flags & 1) !== 0,
    directory: (flags & 2) !== 0,
    baseRecord: splitReference(dv, 0x20).record,
    attributes,
  };
}

function parseAttribute(bytes: Uint8Array, dv: DataView, at: number, length: number, totalClusters: number): Attribute | string {
  const type = dv.getUint32(at, true);
  const nonResident = bytes[at + 8]! !== 0;
  const nameLength = bytes[at + 9]!;
  const nameOffset = dv.getUint16(at + 0x0a, true);
  if (nameLength > 0 && nameOffset + nameLength * 2 > length) return 'name runs past the attribute';
  const name = Buffer.from(bytes.subarray(at + nameOffset, at + nameOffset + nameLength * 2)).toString('utf16le');
  const base = { type, name, flags: dv.getUint16(at + 0x0c, true), id: dv.getUint16(at + 0x0e, true), offset: at };
  if (!nonResident) {
    const valueLength = dv.getUint32(at + 0x10, true);
    const valueOffset = dv.getUint16(at + 0x14, true);
    if (valueOffset + valueLength > length) return `resident value (${valueLength} bytes at +0x${valueOffset.toString(16)}) runs past the attribute`;
    return { ...base, resident: bytes.subarray(at + valueOffset, at + valueOffset + valueLength) };
  }
  if (length < 0x40) return 'non-resident header is shorter than 64 bytes';
  const startVcn = u64(dv, at + 0x10);
  const lastVcn = dv.getBigInt64(at + 0x18, true);
  const runsAt = dv.getUint16(at + 0x20, true);
  const allocatedSize = u64(dv, at + 0x28);
  const dataSize = u64(dv, at + 0x30);
  const initializedSize = u64(dv, at + 0x38);
  if (startVcn === undefined || allocatedSize === undefined || dataSize === undefined || initializedSize === undefined) return 'a VCN or size exceeds 2^53';
  if (runsAt < 0x40 || runsAt >= length) return `run list offset +0x${runsAt.toString(16)} lies outside the attribute`;
  const runs = decodeRunlist(bytes, at + runsAt, at + length, startVcn, totalClusters);
  if (typeof runs === 'string') return runs;
  return {
    ...base,
    nonResident: {
      startVcn,
      lastVcn: lastVcn < 0n ? -1 : Number(lastVcn),
      runs,
      compressionUnit: dv.getUint16(at + 0x22, true),
      allocatedSize,
      dataSize,
      initializedSize,
    },
  };
}
