/**
 * regf layout constants and the base-block checksum, shared by the reader (`hive.ts`), the
 * transaction-log replay (`log.ts`) and the fixture writer (`writer.ts`).
 * Numbers and section marks refer to `../shared/reference/windows-formats.md` §1.
 */

/** The base block is 4096 bytes; every offset stored in the hive is relative to the bins that follow (§1.1). */
export const BASE_BLOCK_SIZE = 4096;
/** hbins are multiples of 4096 bytes with a 32-byte header (§1.4). */
export const HBIN_ALIGN = 4096;
export const HBIN_HEADER_SIZE = 32;
/** "No cell" in offset fields. */
export const NO_CELL = 0xffffffff;
/** `db` segments hold at most this many bytes; Windows ignores the rest of a segment cell (§1.10). */
export const DB_SEGMENT_SIZE = 16344;

/** Record signatures as little-endian uint16 (`nk` = 0x6b6e). */
export const SIG = {
  NK: 0x6b6e,
  VK: 0x6b76,
  SK: 0x6b73,
  LF: 0x666c,
  LH: 0x686c,
  LI: 0x696c,
  RI: 0x6972,
  DB: 0x6264,
} as const;

/** nk flags (§1.6). */
export const KEY_HIVE_ENTRY = 0x0004;
export const KEY_NO_DELETE = 0x0008;
/** The key name is 8-bit Latin-1, else UTF-16LE. */
export const KEY_COMP_NAME = 0x0020;
/** vk flag: the value name is 8-bit Latin-1 (§1.9). */
export const VALUE_COMP_NAME = 0x0001;

/** XOR of the 127 dwords before offset 508, with 0 and 0xFFFFFFFF remapped (§1.3). */
export function baseBlockChecksum(dv: DataView): number {
  let x = 0;
  for (let i = 0; i < 508; i += 4) x ^= dv.getUint32(i, true);
  x >>>= 0;
  if (x === 0xffffffff) return 0xfffffffe;
  if (x === 0) return 1;
  return x;
}
