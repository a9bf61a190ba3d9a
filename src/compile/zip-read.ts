/**
 * The one zip reader: every archive driftscan reads (today: packages, for `package inspect`) goes
 * through `readZip`, so every one gets the same limits and checks.
 * Archives are untrusted input. Before anything is inflated the whole central directory is
 * checked: entry count, declared sizes against the total limit, compression ratios, names that
 * are unsafe to extract on Windows (zip-slip, absolute, drive letters, backslashes, control and
 * bidi characters, NTFS-forbidden characters, device names, case-insensitive duplicates),
 * encrypted or unsupported entries, symlinks, local headers that disagree with the central
 * directory, and entries whose bytes overlap (the non-recursive zip bomb). Then every entry is
 * inflated into at most one byte more than its declared size (zlib's `maxOutputLength`), so an
 * entry that inflates past it is stopped there, and its CRC-32 is verified.
 *
 * Why not fflate's `unzipSync`: it allocates each entry's declared size and inflates it in one
 * call (a 2.6 MB bomb became 2.6 GB of memory), never checks CRC-32 and exposes neither entry
 * offsets nor local headers, so overlapping entries and names that differ between the local
 * header and the central directory go unseen. The central directory (APPNOTE 4.3.12–4.3.16, what
 * Windows' System.IO.Compression reads) is therefore parsed here. DEFLATE decoding is Node's zlib,
 * the same library Info-ZIP's `unzip -t` uses: fflate's inflater accepts some invalid streams
 * (a property test found a flipped bit that fflate decoded to the original bytes while zlib
 * rejects the stream), and a reader must not accept what the platform's tools call damaged.
 */
import { inflateRawSync } from 'node:zlib';
import { DriftscanError } from '../core/diagnostics.js';
import { hasHazard, quoted } from '../core/printable.js';

/** APPNOTE 4.4.3: 4.5 is ZIP64, the newest feature this reader implements. */
const MAX_VERSION_NEEDED = 45;

export interface ZipLimits {
  /** Most entries (files and folders) an archive may list. */
  maxEntries: number;
  /** Most bytes all entries together may inflate to. */
  maxTotalBytes: number;
  /** Largest uncompressed:compressed ratio accepted for an entry above 1 MiB. */
  maxRatio: number;
  /** Largest archive accepted at all (callers check the file size before reading it). */
  maxArchiveBytes: number;
  /** How `maxTotalBytes` is named in errors, e.g. "Machine Configuration's 100 MB package limit". */
  totalLimitName?: string;
}

const MIB = 1024 * 1024;

/**
 * Machine Configuration refuses packages above 100 MB unpacked, which also bounds any useful
 * module; the archive itself may be a little larger than its content only through headers.
 */
export const ZIP_LIMITS: ZipLimits = { maxEntries: 10_000, maxTotalBytes: 100 * MIB, maxRatio: 200, maxArchiveBytes: 116 * MIB };

/** Entries this small are not held to `maxRatio`: small text files compress very well and cannot do harm. */
const RATIO_FLOOR = MIB;


export interface ZipEntry {
  /** The name as stored (forward slashes; folders end in `/`), checked by `unsafeEntryName`. */
  name: string;
  directory: boolean;
  /** Uncompressed size: declared by the headers, and verified when inflated. */
  size: number;
  compressedSize: number;
  crc32: number;
  /** Byte offset of the entry's local header (where errors point). */
  offset: number;
}

export interface ZipContents {
  /** Every entry, in central-directory order. */
  entries: ZipEntry[];
  /** The bytes of the entries `keep` selected, by name. */
  files: Map<string, Uint8Array>;
  /** Bytes all entries inflated to (every entry is inflated and its CRC checked, kept or not). */
  unpackedBytes: number;
}

export interface ReadZipOptions {
  limits?: ZipLimits;
  /** Which entries' bytes to return; the others are still inflated and checked, then dropped. */
  keep?: (entry: ZipEntry) => boolean;
}

interface Located extends ZipEntry {
  method: number;
  dataStart: number;
  dataEnd: number;
}

/** Reads and checks a whole archive; throws one DriftscanError (`label @ byte 0x…: …`) at the first problem. */
export function readZip(data: Uint8Array, label: string, options: ReadZipOptions = {}): ZipContents {
  const limits = options.limits ?? ZIP_LIMITS;
  const fail = (offset: number | undefined, detail: string): never => {
    throw new DriftscanError(detail, { location: offset === undefined ? { file: label } : { file: label, offset } });
  };
  if (data.length > limits.maxArchiveBytes) fail(undefined, `archive is ${data.length} bytes, more than the ${limits.maxArchiveBytes} accepted; refusing to read it`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const u16 = (o: number) => view.getUint16(o, true);
  const u32 = (o: number) => view.getUint32(o, true);
  const u64 = (o: number): number => {
    const v = view.getBigUint64(o, true);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? fail(o, 'ZIP64 field out of range') : Number(v);
  };
  const inBounds = (o: number, n: number) => o >= 0 && o + n <= data.length;

  // End of central directory: the last record whose comment runs exactly to the end of the file.
  let eocd = -1;
  for (let e = data.length - 22; e >= 0 && e >= data.length - 22 - 0xffff; e--) {
    if (u32(e) === 0x06054b50 && e + 22 + u16(e + 20) === data.length) {
      eocd = e;
      break;
    }
  }
  if (eocd < 0) return fail(undefined, 'not a readable zip archive (no end-of-central-directory record)');
  if (u16(eocd + 4) !== 0 || u16(eocd + 6) !== 0 || u16(eocd + 8) !== u16(eocd + 10)) fail(eocd, 'split (multi-volume) zip archives are not supported');
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdStart = u32(eocd + 16);
  let cdLimit = eocd;
  if (count === 0xffff || cdSize === 0xffffffff || cdStart === 0xffffffff) {
    const locator = eocd - 20;
    if (!inBounds(locator, 20) || u32(locator) !== 0x07064b50) fail(eocd, 'ZIP64 end-of-central-directory locator is missing');
    const record = u64(locator + 8);
    if (!inBounds(record, 56) || record > locator - 56 || u32(record) !== 0x06064b50) fail(locator, 'ZIP64 end-of-central-directory record is missing');
    count = u64(record + 32);
    cdSize = u64(record + 40);
    cdStart = u64(record + 48);
    cdLimit = record;
  }
  if (count > limits.maxEntries) fail(eocd, `more than ${limits.maxEntries} entries (${count}); refusing to read it`);
  if (cdStart + cdSize > cdLimit) fail(eocd, 'the central directory runs past its end record (truncated, or not a zip archive)');

  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const located: Located[] = [];
  const byKey = new Map<string, Located>();
  let declared = 0;
  let p = cdStart;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdStart + cdSize || u32(p) !== 0x02014b50) fail(p, `central directory entry ${i + 1} of ${count} is missing or damaged`);
    const madeBy = u16(p + 4) >> 8;
    const flags = u16(p + 8);
    const method = u16(p + 10);
    const crc = u32(p + 16);
    let compressedSize = u32(p + 20);
    let size = u32(p + 24);
    const nameLength = u16(p + 28);
    const extraLength = u16(p + 30);
    const next = p + 46 + nameLength + extraLength + u16(p + 32);
    if (next > cdStart + cdSize) fail(p, `central directory entry ${i + 1} of ${count} runs past the directory`);
    const nameBytes = data.subarray(p + 46, p + 46 + nameLength);
    let offset = u32(p + 42);
    // ZIP64 extended information (APPNOTE 4.5.3): 8-byte values for exactly the fields set to 0xFFFFFFFF, in this order.
    if (size === 0xffffffff || compressedSize === 0xffffffff || offset === 0xffffffff) {
      const z64 = extraField(view, p + 46 + nameLength, extraLength, 0x0001);
      let q = z64?.start ?? 0;
      const take = (): number => (z64 && q + 8 <= z64.end ? (q += 8, u64(q - 8)) : fail(p, 'ZIP64 sizes are missing from the entry\'s extra field'));
      if (size === 0xffffffff) size = take();
      if (compressedSize === 0xffffffff) compressedSize = take();
      if (offset === 0xffffffff) offset = take();
    }
    let name: string;
    try {
      // Without the UTF-8 flag (bit 11) the spec says CP437, but Info-ZIP on Unix and .NET both
      // store and read UTF-8 there; a name that is not valid UTF-8 would mean different files to different readers.
      name = utf8.decode(nameBytes);
    } catch {
      return fail(p, `entry name ${quoted(new TextDecoder('latin1').decode(nameBytes))} is not valid UTF-8`);
    }
    const q = quoted(name);
    const unsafe = unsafeEntryName(name);
    if (unsafe) fail(p, `entry ${q} ${unsafe}; refusing to read the archive`);
    if (flags & 0x41) fail(p, `entry ${q} is encrypted; refusing to read it`);
    if (method !== 0 && method !== 8) fail(p, `entry ${q} uses compression method ${method}; only stored (0) and deflate (8) are supported`);
    // "Version needed to extract" above 4.5 (ZIP64) announces features this reader does not implement
    // (and Info-ZIP skips such entries as unsupported): refuse rather than read them as if they were not there.
    const needed = u16(p + 6) & 0xff;
    if (needed > MAX_VERSION_NEEDED) fail(p, `entry ${q} needs zip version ${needed / 10} to extract; only up to ${MAX_VERSION_NEEDED / 10} is supported`);
    // Unix "made by" with S_IFLNK in the mode: Info-ZIP would create a symbolic link on extraction.
    if (madeBy === 3 && ((u32(p + 38) >>> 16) & 0xf000) === 0xa000) fail(p, `entry ${q} is a symbolic link; refusing to read the archive`);
    const directory = name.endsWith('/');
    if (directory && size !== 0) fail(p, `folder entry ${q} has ${size} bytes of content`);

    // The local header must say what the central directory says: readers that stream local headers would see another archive.
    if (!inBounds(offset, 30) || offset + 30 > cdStart || u32(offset) !== 0x04034b50) fail(p, `entry ${q}: no local header at byte 0x${offset.toString(16)}`);
    const localFlags = u16(offset + 6);
    const localNameLength = u16(offset + 26);
    const localName = data.subarray(offset + 30, offset + 30 + localNameLength);
    if (!sameBytes(localName, nameBytes)) fail(offset, `the local header names ${quoted(new TextDecoder().decode(localName))} but the central directory names ${q}`);
    // Flags that change how the entry reads: encryption (bits 0, 6) and the UTF-8 name flag (bit 11).
    if ((u16(offset + 4) & 0xff) > MAX_VERSION_NEEDED) fail(offset, `entry ${q}: the local header needs zip version ${(u16(offset + 4) & 0xff) / 10} to extract; only up to ${MAX_VERSION_NEEDED / 10} is supported`);
    if (u16(offset + 8) !== method || ((localFlags ^ flags) & 0x849) !== 0) fail(offset, `entry ${q}: the local header disagrees with the central directory (compression method, encryption, data descriptor or name encoding)`);
    // With bit 3 the local CRC and sizes are zero and follow the data; without it they must match (0xFFFFFFFF: in a ZIP64 field).
    if (!(localFlags & 0x08) && (u32(offset + 14) !== crc || (u32(offset + 18) !== compressedSize && u32(offset + 18) !== 0xffffffff) || (u32(offset + 22) !== size && u32(offset + 22) !== 0xffffffff))) {
      fail(offset, `entry ${q}: the local header disagrees with the central directory about its CRC or sizes`);
    }
    const dataStart = offset + 30 + localNameLength + u16(offset + 28);
    const dataEnd = dataStart + compressedSize;
    if (dataEnd > cdStart) fail(offset, `entry ${q}: its data runs past the start of the central directory (truncated or damaged archive)`);

    // NTFS compares names case-insensitively, so `a.ps1` and `A.PS1` would overwrite each other on the machine.
    const key = name.replace(/\/$/, '').toUpperCase();
    const twin = byKey.get(key);
    if (twin) fail(p, twin.name === name ? `entry ${q} appears twice` : `entries ${quoted(twin.name)} and ${q} name the same file on Windows (names are case-insensitive there)`);
    declared += size;
    if (declared > limits.maxTotalBytes) fail(p, `entries declare more than ${limitName(limits)} unpacked; refusing to inflate`);
    if (size > RATIO_FLOOR && size > compressedSize * limits.maxRatio) {
      fail(offset, `entry ${q} would inflate ${compressedSize} bytes to ${size}: compression ratio above ${limits.maxRatio}:1 (zip bomb?); refusing`);
    }
    const entry: Located = { name, directory, size, compressedSize, crc32: crc, offset, method, dataStart, dataEnd };
    byKey.set(key, entry);
    located.push(entry);
    p = next;
  }
  if (p !== cdStart + cdSize) fail(p, 'the central directory holds more bytes than its entries (damaged archive)');

  // A file may not also be a folder: `Modules/x` as a file and `Modules/x/y.ps1` cannot both be extracted.
  for (const e of located) {
    const parts = e.name.replace(/\/$/, '').split('/');
    for (let k = 1; k < parts.length; k++) {
      const parent = byKey.get(parts.slice(0, k).join('/').toUpperCase());
      if (parent && !parent.directory) fail(e.offset, `entry ${quoted(e.name)} lies inside ${quoted(parent.name)}, which is a file`);
    }
  }
  // Entries that share bytes are how a 42 KB archive declares petabytes without nesting.
  const spans = [...located].sort((a, b) => a.offset - b.offset);
  for (let k = 1; k < spans.length; k++) {
    const prev = spans[k - 1]!;
    if (spans[k]!.offset < prev.dataEnd) fail(spans[k]!.offset, `entries ${quoted(prev.name)} and ${quoted(spans[k]!.name)} overlap (a zip bomb technique); refusing`);
  }

  const files = new Map<string, Uint8Array>();
  let unpacked = 0;
  for (const e of located) {
    const keep = !e.directory && (options.keep?.(e) ?? false);
    const bytes = inflateEntry(data, e, keep, fail);
    unpacked += e.size;
    if (bytes) files.set(e.name, bytes);
  }
  return { entries: located.map(({ name, directory, size, compressedSize, crc32: c, offset }) => ({ name, directory, size, compressedSize, crc32: c, offset })), files, unpackedBytes: unpacked };
}

/** Inflates one entry in slices, never past its declared size, and verifies its CRC-32; returns the bytes when `keep`. */
function inflateEntry(data: Uint8Array, e: Located, keep: boolean, fail: (offset: number | undefined, detail: string) => never): Uint8Array | undefined {
  const q = quoted(e.name);
  const input = data.subarray(e.dataStart, e.dataEnd);
  if (e.method === 0) {
    if (e.compressedSize !== e.size) fail(e.offset, `stored entry ${q} declares ${e.size} bytes but holds ${e.compressedSize}`);
    const crc = crc32(input);
    if (crc !== e.crc32) fail(e.offset, crcMessage(q, e.crc32, crc));
    return keep ? new Uint8Array(input) : undefined; // a copy: the caller's buffer may be reused
  }
  let out: Buffer;
  try {
    // One byte of headroom tells "inflates past its declared size" from "exactly its size".
    out = inflateRawSync(input, { maxOutputLength: e.size + 1 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      fail(e.offset, `entry ${q} inflates past the ${e.size} bytes its header declares (zip bomb?); stopped`);
    }
    fail(e.offset, `entry ${q}: damaged deflate data (${(err as Error).message})`);
  }
  if (out.length > e.size) fail(e.offset, `entry ${q} inflates past the ${e.size} bytes its header declares (zip bomb?); stopped`);
  if (out.length !== e.size) fail(e.offset, `entry ${q} inflates to ${out.length} bytes, its header declares ${e.size} (damaged archive)`);
  const actual = crc32(out);
  if (actual !== e.crc32) fail(e.offset, crcMessage(q, e.crc32, actual));
  return keep ? new Uint8Array(out.buffer, out.byteOffset, out.length) : undefined;
}

function crcMessage(q: string, stored: number, actual: number): string {
  return `entry ${q} is damaged: CRC-32 is ${hex8(actual)}, the archive says ${hex8(stored)}`;
}

const hex8 = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

function limitName(limits: ZipLimits): string {
  return limits.totalLimitName ?? `${limits.maxTotalBytes} bytes`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The body of the extra field `id` within `[start, start+length)`, if present. */
function extraField(view: DataView, start: number, length: number, id: number): { start: number; end: number } | undefined {
  const end = start + length;
  for (let p = start; p + 4 <= end;) {
    const size = view.getUint16(p + 2, true);
    if (view.getUint16(p, true) === id) return { start: p + 4, end: Math.min(p + 4 + size, end) };
    p += 4 + size;
  }
  return undefined;
}

/** Windows device names: `CON`, `NUL.txt`, `COM1`… open the device instead of a file (superscript digits count too). */
const DEVICE = /^(CON|PRN|AUX|NUL|COM[0-9\u00b9\u00b2\u00b3]|LPT[0-9\u00b9\u00b2\u00b3])(\..*)?$/i;

/**
 * Why a zip entry name is unsafe to extract on Windows (where Machine Configuration unpacks
 * packages), or undefined. Names use `/`; a folder entry ends with one.
 */
export function unsafeEntryName(name: string): string | undefined {
  const path = name.endsWith('/') ? name.slice(0, -1) : name;
  if (path === '') return 'has an empty name';
  if (hasHazard(name)) return 'contains a control, line-break or text-direction character';
  if (name.includes('\\')) return 'contains a backslash (a folder separator on Windows)';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'is an absolute path';
  const segments = path.split('/');
  if (segments.includes('..')) return 'climbs out of the folder it is extracted to (..): zip-slip';
  for (const s of segments) {
    if (s === '') return 'has an empty folder name (//)';
    if (s === '.') return 'has a "." folder';
    const bad = /[<>:"|?*]/.exec(s);
    if (bad) return `contains ${JSON.stringify(bad[0])}, which Windows does not allow in file names${bad[0] === ':' ? ' (it would write an NTFS alternate data stream)' : ''}`;
    if (/[. ]$/.test(s)) return `has a name ending in a dot or space (${JSON.stringify(s)}), which Windows strips, so it would name another file`;
    if (DEVICE.test(s)) return `uses the Windows device name ${s.split('.')[0]!.toUpperCase()}`;
  }
  return undefined;
}

// CRC-32 (IEEE 802.3, reflected 0xEDB88320) by table. fflate computes it internally but does not
// export it, and zlib.crc32 exists only from Node 20.15/22.2 while driftscan supports Node >= 20.
// Slicing-by-8 (eight derived tables, eight bytes per step) because every entry of a package of up
// to 100 MB is checked: several times faster than the byte-at-a-time loop.
const CRC_TABLES = (() => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n]! >>> 8) ^ t[t[(k - 1) * 256 + n]! & 0xff]!;
  }
  return t;
})();

function crc32Update(crc: number, data: Uint8Array): number {
  const t = CRC_TABLES;
  let c = crc >>> 0;
  let i = 0;
  for (const end = data.length - 8; i <= end; i += 8) {
    const lo = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c = t[7 * 256 + (lo & 0xff)]! ^ t[6 * 256 + ((lo >>> 8) & 0xff)]! ^ t[5 * 256 + ((lo >>> 16) & 0xff)]! ^ t[4 * 256 + (lo >>> 24)]! ^
      t[3 * 256 + data[i + 4]!]! ^ t[2 * 256 + data[i + 5]!]! ^ t[256 + data[i + 6]!]! ^ t[data[i + 7]!]!;
  }
  for (; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/** CRC-32 of `data` as zip stores it (unsigned). */
export function crc32(data: Uint8Array): number {
  return (crc32Update(0xffffffff, data) ^ 0xffffffff) >>> 0;
}
