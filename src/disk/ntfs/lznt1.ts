/**
 * LZNT1, the compression of NTFS-compressed files ([MS-XCA] §2.5 "LZNT1 Algorithm Details"): a
 * sequence of chunks of at most 4096 output bytes, each with a 2-byte header (bit 15: compressed,
 * low 12 bits: chunk size − 3); a compressed chunk is groups of a flag byte and eight tokens,
 * literals or 16-bit back references whose split between offset and length depends on how far into
 * the chunk the output is.
 */

const CHUNK = 4096;

/** Decompresses into `out` (its length is the expected size); returns the problem as a string. */
export function decompressLznt1(input: Uint8Array, out: Uint8Array): string | undefined {
  let ip = 0;
  let op = 0;
  while (op < out.length && ip + 2 <= input.length) {
    const header = input[ip]! | (input[ip + 1]! << 8);
    if (header === 0) break; // end of stream: the rest of the unit is zeros
    const size = (header & 0x0fff) + 1;
    const end = ip + 2 + size;
    if (end > input.length) return `chunk at +0x${ip.toString(16)} runs past the compressed data`;
    ip += 2;
    const chunkStart = op;
    const chunkEnd = Math.min(out.length, op + CHUNK);
    if ((header & 0x8000) === 0) {
      const n = Math.min(size, chunkEnd - op);
      out.set(input.subarray(ip, ip + n), op);
      op = chunkEnd;
      ip = end;
      continue;
    }
    while (ip < end && op < chunkEnd) {
      const flags = input[ip++]!;
      for (let bit = 0; bit < 8 && ip < end && op < chunkEnd; bit++) {
        if ((flags & (1 << bit)) === 0) {
          out[op++] = input[ip++]!;
          continue;
        }
        if (ip + 2 > end) return `back reference at +0x${ip.toString(16)} runs past its chunk`;
        const token = input[ip]! | (input[ip + 1]! << 8);
        ip += 2;
        let lengthBits = 12;
        for (let pos = op - chunkStart - 1; pos >= 0x10; pos >>= 1) lengthBits--;
        const distance = (token >> lengthBits) + 1;
        const length = (token & ((1 << lengthBits) - 1)) + 3;
        if (distance > op - chunkStart) return `back reference at +0x${(ip - 2).toString(16)} points ${distance} bytes back, before its chunk`;
        for (let i = 0; i < length && op < chunkEnd; i++, op++) out[op] = out[op - distance]!;
      }
    }
    ip = end;
    if (op === chunkStart) return `chunk at +0x${(end - size - 2).toString(16)} is empty`;
    // Every chunk stands for 4096 output bytes; one that decompresses short is padded with zeros
    // (ntfs-3g compress.c `ntfs_decompress`), and `out` starts zeroed.
    op = chunkEnd;
  }
  return undefined;
}
