/**
 * An NTFS volume read in place: the boot sector, the MFT through its own run list, records with
 * their attribute lists, files' `$DATA` (resident, non-resident, sparse, LZNT1-compressed) and
 * directory lookups through the `$I30` index B-tree with the volume's `$UpCase` collation. Only the
 * records, index blocks and clusters a lookup needs are read.
 *
 * Every problem is a `DiskError` naming the image file, the volume and the structure.
 */
import { diskError, hex, readRange, view, type ByteSource, type DiskError } from '../byte-source.js';
import { parseBootSector, type BootSector } from './boot-sector.js';
import { ATTR, ATTR_COMPRESSED, ATTR_ENCRYPTED, parseFileRecord, splitReference, type Attribute, type FileRecord } from './record.js';
import { decompressLznt1 } from './lznt1.js';
import type { Run } from './runlist.js';
import { bytesSource, segments, streamSource, type Stream } from './file-source.js';
import { UpCase } from './upcase.js';
import { applyFixups } from './fixups.js';

const MFT_RECORD = 0;
const UPCASE_RECORD = 10;
const ROOT_RECORD = 5;
/** Depth of an $I30 B-tree beyond which it is a loop (a 2^32-entry directory needs under 10). */
const MAX_INDEX_DEPTH = 32;
/** Runs closer than this on disk are read in one go (see readPlain), up to COALESCE_MAX per read. */
const COALESCE_GAP = 64 * 1024;
const COALESCE_MAX = 16 * 1024 * 1024;
/** Extension records one attribute list may name. */
const MAX_LIST_RECORDS = 4096;

export class NtfsVolume {
  private readonly records = new Map<number, FileRecord>();
  private upcase = UpCase.ascii();
  private mft: Run[] = [];

  private constructor(
    readonly source: ByteSource,
    /** `partition 2 (NTFS at 0x100000)`. */
    readonly label: string,
    readonly boot: BootSector,
  ) {}

  get totalClusters(): number {
    return Math.floor(this.source.size / this.boot.clusterSize);
  }

  static async open(source: ByteSource, label: string): Promise<NtfsVolume> {
    const boot = parseBootSector(await readRange(source, 0, 512, `${label}, boot sector`));
    if (typeof boot === 'string') throw diskError(source, `${label}, boot sector`, boot);
    const volume = new NtfsVolume(source, label, boot);
    if (boot.mftLcn >= volume.totalClusters) throw diskError(source, `${label}, boot sector`, `MFT cluster ${boot.mftLcn} (at 0x30) lies outside the volume's ${volume.totalClusters}`);
    // Record 0 ($MFT) is read from the boot sector's LCN; its run list then maps every other record.
    volume.mft = [{ vcn: 0, lcn: boot.mftLcn, length: Math.ceil(boot.mftRecordSize / boot.clusterSize) }];
    const mft = await volume.record(MFT_RECORD);
    // A fragmented $MFT keeps later run lists in extension records; those lie in the part its base
    // record's own first piece maps, so that piece is used to reach them.
    volume.mft = mft.attributes.find((a) => a.type === ATTR.DATA && a.name === '' && a.nonResident?.startVcn === 0)?.nonResident?.runs ?? volume.mft;
    volume.mft = (await volume.stream(mft, ATTR.DATA, '', '$MFT')).runs;
    volume.records.clear();
    const upcase = UpCase.fromBytes(await volume.readFile(await volume.record(UPCASE_RECORD), '$UpCase', 1 << 17));
    if (typeof upcase === 'string') throw volume.error('$UpCase (MFT record 10)', upcase);
    volume.upcase = upcase;
    return volume;
  }

  error(what: string, problem: string): DiskError {
    return diskError(this.source, `${this.label}, ${what}`, problem);
  }

  /** Reads MFT record `n` (cached). */
  async record(n: number): Promise<FileRecord> {
    const cached = this.records.get(n);
    if (cached) return cached;
    const size = this.boot.mftRecordSize;
    const what = `MFT record ${n}`;
    const bytes = await this.readRuns(this.mft, n * size, size, what, '$MFT');
    const rec = parseFileRecord(bytes, n, this.totalClusters);
    if (typeof rec === 'string') throw this.error(what, rec);
    if (this.records.size > 4096) this.records.clear();
    this.records.set(n, rec);
    return rec;
  }

  /** The record a directory entry points to, checked against the entry's sequence number. */
  private async referenced(ref: { record: number; sequence: number }, what: string): Promise<FileRecord> {
    const rec = await this.record(ref.record);
    if (!rec.inUse) throw this.error(`MFT record ${ref.record}`, `${what} points to a record that is not in use`);
    if (ref.sequence !== 0 && rec.sequence !== ref.sequence) throw this.error(`MFT record ${ref.record}`, `${what} points to sequence ${ref.sequence}, the record has ${rec.sequence} (stale reference)`);
    if (rec.baseRecord !== 0) throw this.error(`MFT record ${ref.record}`, `${what} points to an extension record of record ${rec.baseRecord}`);
    return rec;
  }

  /**
   * The attributes of type `type` and name `name` of a file, gathered through its attribute list
   * (type 0x20) when it has one: a file with many fragments or names keeps attributes in extension
   * records, each listed with its type, name, starting VCN and record (NTFS docs "$ATTRIBUTE_LIST").
   */
  async attributes(rec: FileRecord, type: number, name: string): Promise<Attribute[]> {
    const list = rec.attributes.find((a) => a.type === ATTR.ATTRIBUTE_LIST);
    if (!list) return rec.attributes.filter((a) => a.type === type && a.name === name);
    const what = `attribute list of MFT record ${rec.number}`;
    const bytes = list.resident ?? (await this.readFile(rec, what, 1 << 24, list));
    const dv = view(bytes);
    const found: Attribute[] = [];
    const records = new Set<number>();
    for (let at = 0; at + 0x1a <= bytes.length; ) {
      const length = dv.getUint16(at + 4, true);
      if (length < 0x1a || at + length > bytes.length) throw this.error(what, `entry at +${hex(at)} has length ${length}`);
      const entryType = dv.getUint32(at, true);
      const nameLength = bytes[at + 6]!;
      const nameOffset = bytes[at + 7]!;
      if (nameOffset + nameLength * 2 > length) throw this.error(what, `entry at +${hex(at)}: name runs past the entry`);
      const entryName = Buffer.from(bytes.subarray(at + nameOffset, at + nameOffset + nameLength * 2)).toString('utf16le');
      if (entryType === type && entryName === name) {
        const ref = splitReference(dv, at + 0x10);
        const id = dv.getUint16(at + 0x18, true);
        records.add(ref.record);
        if (records.size > MAX_LIST_RECORDS) throw this.error(what, `names more than ${MAX_LIST_RECORDS} records`);
        const holder = ref.record === rec.number ? rec : await this.record(ref.record);
        if (holder !== rec && holder.baseRecord !== rec.number) throw this.error(what, `entry at +${hex(at)} names MFT record ${ref.record}, whose base record is ${holder.baseRecord}, not ${rec.number}`);
        const attr = holder.attributes.find((a) => a.type === type && a.id === id && a.name === name);
        if (!attr) throw this.error(what, `entry at +${hex(at)} names attribute ${id} of MFT record ${ref.record}, which has no such attribute`);
        found.push(attr);
      }
      at += length;
    }
    return found;
  }

  /** A non-resident stream assembled from its pieces in VCN order. */
  async stream(rec: FileRecord, type: number, name: string, what: string): Promise<Stream> {
    const pieces = (await this.attributes(rec, type, name)).filter((a) => a.nonResident).sort((a, b) => a.nonResident!.startVcn - b.nonResident!.startVcn);
    const first = pieces[0]?.nonResident;
    if (!first || first.startVcn !== 0) throw this.error(what, `no non-resident attribute type ${hex(type)} starting at VCN 0`);
    const runs: Run[] = [];
    let next = 0;
    for (const p of pieces) {
      const nr = p.nonResident!;
      if (nr.startVcn !== next) throw this.error(what, `attribute pieces leave a gap or overlap at VCN ${next} (next piece starts at ${nr.startVcn})`);
      const end = nr.runs.length > 0 ? nr.runs[nr.runs.length - 1]!.vcn + nr.runs[nr.runs.length - 1]!.length : nr.startVcn;
      runs.push(...nr.runs);
      next = end;
    }
    if (first.initializedSize > first.dataSize || first.dataSize > first.allocatedSize) throw this.error(what, `sizes out of order: initialized ${first.initializedSize}, data ${first.dataSize}, allocated ${first.allocatedSize}`);
    if (next * this.boot.clusterSize < first.allocatedSize) throw this.error(what, `runs cover ${next * this.boot.clusterSize} bytes, the allocated size is ${first.allocatedSize}`);
    return { runs, dataSize: first.dataSize, initializedSize: first.initializedSize, compressionUnit: first.compressionUnit, flags: pieces[0]!.flags };
  }

  /**
   * A file's unnamed `$DATA` (or the given attribute's value). `limit` bounds the bytes held in
   * memory; a larger file is damage for the callers driftscan has (hives are below 2 GiB).
   */
  async readFile(rec: FileRecord, what: string, limit: number, attribute?: Attribute): Promise<Uint8Array> {
    const attr = attribute ?? (await this.dataAttribute(rec, what));
    if (attr.resident) return attr.resident.slice();
    if (attr.flags & ATTR_ENCRYPTED) throw this.error(what, 'the file is EFS-encrypted; its bytes cannot be read without the user\'s key');
    const s = attribute ? this.streamOf(attr) : await this.stream(rec, attr.type, attr.name, what);
    this.checkSize(s, what, limit);
    const out = new Uint8Array(s.dataSize);
    if ((s.flags & ATTR_COMPRESSED) !== 0 && s.compressionUnit > 0) await this.readCompressed(s, out, what);
    else await this.readPlain(s, out, what);
    return out;
  }

  /**
   * A file's unnamed `$DATA` as a source of its own, read in place as its reader asks (see
   * file-source.ts): a hive of 12 MB of which a gate reads a few cells costs those cells, not the
   * file. `limit` bounds the file's size as for `readFile`.
   */
  async fileSource(rec: FileRecord, what: string, limit: number): Promise<ByteSource> {
    const attr = await this.dataAttribute(rec, what);
    if (attr.resident) return bytesSource(this.source.name, attr.resident.slice());
    if (attr.flags & ATTR_ENCRYPTED) throw this.error(what, 'the file is EFS-encrypted; its bytes cannot be read without the user\'s key');
    const s = await this.stream(rec, attr.type, attr.name, what);
    this.checkSize(s, what, limit);
    return streamSource({ source: this.source, label: this.label, clusterSize: this.boot.clusterSize, error: (w, p) => this.error(w, p) }, s, what);
  }

  /** The attribute holding a file's unnamed `$DATA` (resident, or the piece starting at VCN 0). */
  private async dataAttribute(rec: FileRecord, what: string): Promise<Attribute> {
    const data = await this.attributes(rec, ATTR.DATA, '');
    const attr = data.find((a) => a.resident) ?? data.find((a) => a.nonResident?.startVcn === 0);
    if (!attr) throw this.error(what, `MFT record ${rec.number} has no unnamed $DATA attribute`);
    return attr;
  }

  private checkSize(s: Stream, what: string, limit: number): void {
    if (s.dataSize > limit || s.dataSize > Math.max(this.source.size, 1 << 20)) throw this.error(what, `data size ${s.dataSize} exceeds the ${Math.min(limit, this.source.size)} bytes accepted`);
  }

  /** The stream of one attribute on its own (an attribute list is never split across records). */
  private streamOf(attr: Attribute): Stream {
    const nr = attr.nonResident!;
    return { runs: nr.runs, dataSize: nr.dataSize, initializedSize: nr.initializedSize, compressionUnit: nr.compressionUnit, flags: attr.flags };
  }

  /**
   * Reads the initialized part; sparse runs and the tail stay zero. A fragmented file's runs are
   * read in disk order and neighbours less than COALESCE_GAP apart are read together, so a hive in
   * thousands of runs costs tens of reads, not thousands (the gaps cost at most that many bytes each).
   */
  private async readPlain(s: Stream, out: Uint8Array, what: string): Promise<void> {
    const cs = this.boot.clusterSize;
    const end = s.initializedSize;
    const pieces: Array<{ at: number; from: number; n: number }> = [];
    for (const run of s.runs) {
      const from = run.vcn * cs;
      if (from >= end) break;
      if (run.lcn !== undefined) pieces.push({ at: run.lcn * cs, from, n: Math.min(run.length * cs, end - from) });
    }
    pieces.sort((a, b) => a.at - b.at);
    for (let i = 0; i < pieces.length; ) {
      let j = i + 1;
      let stop = pieces[i]!.at + pieces[i]!.n;
      while (j < pieces.length && pieces[j]!.at - stop < COALESCE_GAP && pieces[j]!.at + pieces[j]!.n - pieces[i]!.at <= COALESCE_MAX) {
        stop = Math.max(stop, pieces[j]!.at + pieces[j]!.n);
        j++;
      }
      const start = pieces[i]!.at;
      const bytes = await readRange(this.source, start, stop - start, `${this.label}, ${what}, clusters ${start / cs}..${stop / cs - 1}`);
      for (const p of pieces.slice(i, j)) out.set(bytes.subarray(p.at - start, p.at - start + p.n), p.from);
      i = j;
    }
  }

  /**
   * NTFS compression works in units of 2^compressionUnit clusters: a unit whose clusters are all
   * allocated is stored as is, one that is all sparse is zeros, and one with allocated clusters
   * followed by sparse ones holds LZNT1 data for the whole unit in the allocated ones.
   */
  private async readCompressed(s: Stream, out: Uint8Array, what: string): Promise<void> {
    const cs = this.boot.clusterSize;
    if (s.compressionUnit > 8 || cs << s.compressionUnit > 1 << 24) throw this.error(what, `compression unit 2^${s.compressionUnit} clusters of ${cs} bytes is not one NTFS writes`);
    const unitClusters = 1 << s.compressionUnit;
    const unitBytes = unitClusters * cs;
    for (let unit = 0; unit * unitBytes < s.initializedSize; unit++) {
      const parts = segments(s.runs, unit * unitClusters, unitClusters);
      const allocated = parts.filter((p) => p.lcn !== undefined);
      const at = unit * unitBytes;
      const n = Math.min(unitBytes, out.length - at);
      if (allocated.length === 0) continue;
      const stored = new Uint8Array(allocated.reduce((sum, p) => sum + p.length, 0) * cs);
      let o = 0;
      for (const p of allocated) {
        stored.set(await readRange(this.source, p.lcn! * cs, p.length * cs, `${this.label}, ${what}, compression unit ${unit}`), o);
        o += p.length * cs;
      }
      if (stored.length === unitBytes) {
        out.set(stored.subarray(0, n), at);
        continue;
      }
      const unitOut = new Uint8Array(unitBytes);
      const problem = decompressLznt1(stored, unitOut);
      if (problem) throw this.error(what, `compression unit ${unit} (byte ${hex(at)}): LZNT1 ${problem}`);
      out.set(unitOut.subarray(0, n), at);
    }
  }

  /** `length` bytes at `offset` of a stream described by `runs` (an MFT record, an index block). */
  private async readRuns(runs: Run[], offset: number, length: number, what: string, stream: string): Promise<Uint8Array> {
    const cs = this.boot.clusterSize;
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const vcn = Math.floor((offset + done) / cs);
      const run = runs.find((r) => vcn >= r.vcn && vcn < r.vcn + r.length);
      if (!run) throw this.error(what, `byte ${hex(offset + done)} of ${stream} is beyond its run list`);
      const within = offset + done - run.vcn * cs;
      const n = Math.min(length - done, run.length * cs - within);
      if (run.lcn === undefined) throw this.error(what, `byte ${hex(offset + done)} of ${stream} lies in a sparse run`);
      out.set(await readRange(this.source, run.lcn * cs + within, n, `${this.label}, ${what}`), done);
      done += n;
    }
    return out;
  }

  /** Resolves a path of names from the root directory, case-insensitively; undefined when absent. */
  async lookup(path: readonly string[]): Promise<FileRecord | undefined> {
    let rec = await this.record(ROOT_RECORD);
    let where = '\\';
    for (const name of path) {
      if (!rec.directory) return undefined;
      const ref = await this.findInDirectory(rec, name, where);
      if (!ref) return undefined;
      where = `${where === '\\' ? '' : where}\\${name}`;
      rec = await this.referenced(ref, `the entry for ${where}`);
    }
    return rec;
  }

  /**
   * Looks `name` up in a directory's `$I30` index (NTFS docs "Directory Index"; ntfs-3g index.c):
   * entries in a node are sorted by `$UpCase` collation; an entry greater than the name, or the
   * last entry, leads down to its subnode, an index block in `$INDEX_ALLOCATION`.
   */
  private async findInDirectory(dir: FileRecord, name: string, where: string): Promise<{ record: number; sequence: number } | undefined> {
    const what = `directory ${where} (MFT record ${dir.number}) $I30 index`;
    const root = (await this.attributes(dir, ATTR.INDEX_ROOT, '$I30'))[0]?.resident;
    if (!root || root.length < 32) throw this.error(what, 'no resident $INDEX_ROOT');
    let allocation: Stream | undefined;
    const blockSize = view(root).getUint32(8, true);
    if (blockSize !== this.boot.indexBlockSize) throw this.error(what, `index block size ${blockSize} differs from the boot sector's ${this.boot.indexBlockSize}`);
    // VCNs of index blocks count clusters, or 512-byte units when blocks are smaller than a cluster.
    const vcnUnit = blockSize >= this.boot.clusterSize ? this.boot.clusterSize : 512;
    let node = root;
    let nodeAt = 16;
    const seen = new Set<number>();
    for (let depth = 0; depth < MAX_INDEX_DEPTH; depth++) {
      const nv = view(node);
      const entriesAt = nodeAt + nv.getUint32(nodeAt, true);
      const end = nodeAt + nv.getUint32(nodeAt + 4, true);
      if (end > node.length || entriesAt >= end) throw this.error(what, `node at depth ${depth} has entries at +${hex(entriesAt)}..+${hex(end)}, outside its ${node.length} bytes`);
      let down: number | undefined;
      let at = entriesAt;
      for (;;) {
        if (at + 16 > end) throw this.error(what, `node at depth ${depth} ends without a last entry`);
        const length = nv.getUint16(at + 8, true);
        const keyLength = nv.getUint16(at + 10, true);
        const flags = nv.getUint16(at + 12, true);
        if (length < 16 || at + length > end || 16 + keyLength > length) throw this.error(what, `entry at +${hex(at)} of a node at depth ${depth} has length ${length}`);
        const sub = (flags & 1) !== 0 ? Number(nv.getBigUint64(at + length - 8, true)) : undefined;
        if ((flags & 2) !== 0) { down = sub; break; }
        if (keyLength < 0x42) throw this.error(what, `entry at +${hex(at)} has a ${keyLength}-byte key, too short for a file name`);
        const nameLength = node[at + 16 + 0x40]!;
        if (0x42 + nameLength * 2 > keyLength) throw this.error(what, `entry at +${hex(at)}: name runs past its key`);
        const entryName = Buffer.from(node.subarray(at + 16 + 0x42, at + 16 + 0x42 + nameLength * 2)).toString('utf16le');
        const cmp = this.upcase.compare(name, entryName);
        if (cmp === 0) return splitReference(nv, at);
        if (cmp < 0) { down = sub; break; }
        at += length;
      }
      if (down === undefined) return undefined;
      if (seen.has(down)) throw this.error(what, `index block VCN ${down} is reached twice (the B-tree loops)`);
      seen.add(down);
      allocation ??= await this.stream(dir, ATTR.INDEX_ALLOCATION, '$I30', `${what} allocation`);
      const blockAt = down * vcnUnit;
      if (blockAt + blockSize > allocation.dataSize) throw this.error(what, `subnode VCN ${down} lies beyond the ${allocation.dataSize}-byte $INDEX_ALLOCATION`);
      node = await this.readRuns(allocation.runs, blockAt, blockSize, `${what}, index block VCN ${down}`, '$INDEX_ALLOCATION');
      if (String.fromCharCode(...node.subarray(0, 4)) !== 'INDX') throw this.error(`${what}, index block VCN ${down}`, 'no "INDX" signature');
      const fix = applyFixups(node);
      if (fix) throw this.error(`${what}, index block VCN ${down}`, fix);
      nodeAt = 0x18;
    }
    throw this.error(what, `deeper than ${MAX_INDEX_DEPTH} levels (the B-tree loops)`);
  }
}
