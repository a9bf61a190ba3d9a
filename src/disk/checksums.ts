/**
 * The checksums disk formats use. CRC-32 (GPT headers and entry arrays, UEFI spec §5.3) is zlib's;
 * CRC-32C (Castagnoli, [MS-VHDX] §2.2: headers, region tables, log entries, metadata-free checks)
 * has no zlib or Web Crypto implementation, and a dependency for a 10-line table is not worth it.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';

export function crc32(bytes: Uint8Array): number {
  return zlibCrc32(bytes) >>> 0;
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC32C_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The VHD footer and dynamic header checksum (Microsoft VHD spec, "Hard Disk Footer Format",
 * Checksum): the one's complement of the byte sum with the checksum field counted as zero.
 */
export function vhdChecksum(bytes: Uint8Array, checksumAt: number): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) if (i < checksumAt || i >= checksumAt + 4) sum += bytes[i]!;
  return ~sum >>> 0;
}
