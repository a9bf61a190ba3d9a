/**
 * Update sequence ("fixup") arrays of multi-sector records, FILE and INDX alike: the last two
 * bytes of every 512-byte stride are replaced on disk by the update sequence number, and the real
 * bytes kept in the array, so a torn write shows up as a mismatch (NTFS docs, "Fixup";
 * ntfs-3g mst.c `ntfs_mst_post_read_fixup`).
 */
import { view } from '../byte-source.js';

const STRIDE = 512;

/** Applies the fixups in place; returns the problem when the record is torn or malformed. */
export function applyFixups(record: Uint8Array): string | undefined {
  const dv = view(record);
  const at = dv.getUint16(4, true);
  const count = dv.getUint16(6, true);
  if (count !== record.length / STRIDE + 1) return `update sequence count ${count}, expected ${record.length / STRIDE + 1} for a ${record.length}-byte record`;
  if (at < 8 || (at & 1) !== 0 || at + count * 2 > STRIDE - 2) return `update sequence array at +0x${at.toString(16)} lies outside the first sector`;
  const usn = dv.getUint16(at, true);
  for (let i = 1; i < count; i++) {
    const end = i * STRIDE - 2;
    if (dv.getUint16(end, true) !== usn) return `sector ${i - 1} does not end with the update sequence number (torn write)`;
    dv.setUint16(end, dv.getUint16(at + i * 2, true), true);
  }
  return undefined;
}
