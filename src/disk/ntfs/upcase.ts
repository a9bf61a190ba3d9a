/**
 * Case-insensitive names the way NTFS compares them: through the volume's own $UpCase table (MFT
 * record 10, 65,536 UTF-16 code units; NTFS docs "$UpCase"), so a lookup of `system32` finds
 * `System32` exactly as Windows does on that volume, including non-ASCII letters.
 */

/** True on a little-endian host, where the table's bytes can be copied as they are. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class UpCase {
  /** `undefined`: ASCII letters only (the fallback), without building a 64 K-entry table for it. */
  constructor(private readonly table: Uint16Array | undefined) {}

  /** A fallback used only before $UpCase is read (the root's own path has ASCII names only). */
  static ascii(): UpCase {
    return new UpCase(undefined);
  }

  static fromBytes(bytes: Uint8Array): UpCase | string {
    if (bytes.length < 131072) return `$UpCase holds ${bytes.length} bytes, expected 131072`;
    const t = new Uint16Array(65536);
    // One copy instead of 65,536 steps of cold code at every open.
    if (LITTLE_ENDIAN) new Uint8Array(t.buffer).set(bytes.subarray(0, 131072));
    else for (let i = 0; i < 65536; i++) t[i] = bytes[i * 2]! | (bytes[i * 2 + 1]! << 8);
    return new UpCase(t);
  }

  private up(c: number): number {
    return this.table ? this.table[c]! : c >= 0x61 && c <= 0x7a ? c - 32 : c;
  }

  /** COLLATION_FILE_NAME: compare the upcased UTF-16 code units, then the lengths. */
  compare(a: string, b: string): number {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const x = this.up(a.charCodeAt(i));
      const y = this.up(b.charCodeAt(i));
      if (x !== y) return x < y ? -1 : 1;
    }
    return a.length - b.length;
  }
}
