/**
 * Case-insensitive names the way NTFS compares them: through the volume's own $UpCase table (MFT
 * record 10, 65,536 UTF-16 code units; NTFS docs "$UpCase"), so a lookup of `system32` finds
 * `System32` exactly as Windows does on that volume, including non-ASCII letters.
 */

export class UpCase {
  constructor(private readonly table: Uint16Array) {}

  /** A fallback used only before $UpCase is read (the root's own path has ASCII names only). */
  static ascii(): UpCase {
    const t = new Uint16Array(65536);
    for (let i = 0; i < 65536; i++) t[i] = i >= 0x61 && i <= 0x7a ? i - 32 : i;
    return new UpCase(t);
  }

  static fromBytes(bytes: Uint8Array): UpCase | string {
    if (bytes.length < 131072) return `$UpCase holds ${bytes.length} bytes, expected 131072`;
    const t = new Uint16Array(65536);
    for (let i = 0; i < 65536; i++) t[i] = bytes[i * 2]! | (bytes[i * 2 + 1]! << 8);
    return new UpCase(t);
  }

  /** COLLATION_FILE_NAME: compare the upcased UTF-16 code units, then the lengths. */
  compare(a: string, b: string): number {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const x = this.table[a.charCodeAt(i)]!;
      const y = this.table[b.charCodeAt(i)]!;
      if (x !== y) return x < y ? -1 : 1;
    }
    return a.length - b.length;
  }
}
