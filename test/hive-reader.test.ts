/**
 * The regf reader against `reglookup` (an independent C implementation) on every real hive in
 * shared/data — whole hives, every key, value and key ACL — plus synthetic hives for the cases
 * real hives rarely show (cycles, `db` big data, 8-bit names, damage) and fast-check properties.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Hive, HiveError, type HiveKey, type HiveValue } from '../src/state/hive/hive.js';
import { DriftscanError } from '../src/core/diagnostics.js';
import type { Ace } from '../src/windows/security-descriptor.js';
import { needShared, sharedData } from './support/paths.js';
import { sharedHiveBytes, sharedHiveFile } from './support/shared-hives.js';
import { applyTransactionLogs } from '../src/state/hive/log.js';
import { haveReglookup, runReglookupFull, unquoteBytes, unquoteText, type ReglookupAce, type ReglookupRow } from './support/reglookup.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'driftscan-hive-reader-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A shared hive as a file (decompressed once per process). */
const realHive = (name: string): string => sharedHiveFile(name);

const needOracle = (file: string): string | false => needShared(`hives/${file}`) || (haveReglookup() ? false : 'reglookup is not installed (apt-get install reglookup)');

// ---------------------------------------------------------------------------------------------
// Oracle comparison

const TYPE_NAMES: Record<number, string> = {
  0: 'NONE', 1: 'SZ', 2: 'EXPAND_SZ', 3: 'BINARY', 4: 'DWORD', 5: 'DWORD_BE', 6: 'LINK', 7: 'MULTI_SZ',
  8: 'RSRC_LIST', 9: 'RSRC_DESC', 10: 'RSRC_REQ_LIST', 11: 'QWORD',
};
const typeName = (code: number): string => TYPE_NAMES[code] ?? `0x${code.toString(16).toUpperCase().padStart(8, '0')}`;

function mtime(d: Date | undefined): string {
  return d ? d.toISOString().slice(0, 19).replace('T', ' ') : '';
}

/** True when reglookup's VALUE column shows the same data as our value (its interpreted or its raw-buffer form). */
function sameData(v: HiveValue, field: string): boolean {
  const raw = v.bytes();
  const rawMatch = () => Buffer.from(raw).equals(unquoteBytes(field));
  if (raw.length === 0) return field === '' || field === '(null)' || rawMatch();
  const dv = Buffer.from(raw);
  switch (v.typeCode) {
    case 1: case 2: case 6: {
      const d = v.decoded();
      const text = d.type === 'String' || d.type === 'ExpandString' ? d.data : dv.toString('utf16le');
      return unquoteText(field) === text.replace(/\0+$/, '') || rawMatch();
    }
    case 7: {
      const d = v.decoded();
      // reglookup leaves out empty strings (PendingFileRenameOperations has one after every entry), so compare the rest.
      const nonEmpty = (list: string[]) => list.filter((x) => x !== '').join('\0');
      if (d.type === 'MultiString' && nonEmpty(field.split('|').map(unquoteText)) === nonEmpty(d.data)) return true;
      return rawMatch();
    }
    case 4: return raw.length === 4 ? field === `0x${dv.readUInt32LE().toString(16).toUpperCase().padStart(8, '0')}` : rawMatch();
    case 5: return raw.length === 4 ? field === `0x${dv.readUInt32BE().toString(16).toUpperCase().padStart(8, '0')}` : rawMatch();
    case 11: return raw.length === 8 ? field === `0x${dv.readBigUInt64LE().toString(16).toUpperCase().padStart(16, '0')}` : rawMatch();
    default: return rawMatch();
  }
}

/** Access bits reglookup names; it silently drops the others (e.g. 0x80) from its rights list. */
const REGLOOKUP_RIGHTS = 0xf31f033f;
const ACE_TYPES: Record<number, string> = { 0: 'ALLOW', 1: 'DENY', 2: 'AUDIT' };

/** reglookup prints the audit flags (0x40/0x80) only sometimes; compare the inheritance flags it always prints. */
const INHERITANCE_FLAGS = 0x1f;

function sameAces(mine: Ace[] | undefined, theirs: ReglookupAce[] | undefined): boolean {
  const a = (mine ?? []).map((x) => `${x.sid}:${ACE_TYPES[x.type] ?? 'UNKNOWN'}:${(x.mask & REGLOOKUP_RIGHTS) >>> 0}:${x.flags & INHERITANCE_FLAGS}`);
  const b = (theirs ?? []).map((x) => `${x.sid}:${x.type}:${x.mask}:${x.flags & INHERITANCE_FLAGS}`);
  return a.join('|') === b.join('|');
}

interface Compared {
  keys: number;
  values: number;
  acls: number;
  problems: string[];
}

/**
 * Walks our whole hive with the public API and checks every reglookup row against it, and the key sets both ways.
 * `opened` compares a hive driftscan opened some other way (e.g. primary + logs) with reglookup's reading of `file`.
 */
function compareWithReglookup(file: string, security: boolean, subtree?: string, opened?: Hive): Compared {
  const hive = opened ?? Hive.open(readFileSync(file), { file });
  const start = subtree === undefined ? hive.root() : hive.lookup(subtree.split('\\'));
  assert.ok(start, `${subtree} not found`);
  // reglookup's -p is a string prefix (it would also print a sibling "EnumX"): keep the subtree only.
  const rows = runReglookupFull(file, { security, ...(subtree === undefined ? {} : { path: subtree }) }).rows.filter(
    (r) => subtree === undefined || r.keyPath === subtree || r.keyPath.startsWith(`${subtree}\\`),
  );
  const mine = new Map<string, HiveKey>();
  const stack: HiveKey[] = [start];
  while (stack.length) {
    const k = stack.pop()!;
    mine.set(k.path, k);
    stack.push(...k.subkeys());
  }
  const problems: string[] = [];
  const seenKeys = new Set<string>();
  let values = 0;
  let acls = 0;
  const valueCache = new Map<string, Map<string, HiveValue>>();
  for (const row of rows) {
    const key = mine.get(row.keyPath);
    if (!key) {
      problems.push(`reglookup has key ${JSON.stringify(row.keyPath)} (${row.type}) that we do not`);
      continue;
    }
    if (row.type === 'KEY') {
      seenKeys.add(row.keyPath);
      if (mtime(key.lastWritten) !== row.mtime) problems.push(`${row.keyPath}: mtime ${mtime(key.lastWritten)} vs ${row.mtime}`);
      if (security) compareSecurity(key, row, problems) && acls++;
      continue;
    }
    let vals = valueCache.get(row.keyPath);
    if (!vals) valueCache.set(row.keyPath, (vals = new Map(key.values().map((v) => [v.name, v]))));
    const v = vals.get(row.valueName!);
    values++;
    if (!v) problems.push(`${row.keyPath}: reglookup has value ${JSON.stringify(row.valueName)} that we do not`);
    else if (typeName(v.typeCode) !== row.type) problems.push(`${row.keyPath}\\${v.name}: type ${typeName(v.typeCode)} vs ${row.type}`);
    else if (!sameData(v, row.value)) problems.push(`${row.keyPath}\\${v.name}: data differs (${row.type} ${row.value.slice(0, 60)})`);
  }
  for (const path of mine.keys()) if (!seenKeys.has(path)) problems.push(`we have key ${JSON.stringify(path)} that reglookup does not`);
  let myValues = 0;
  for (const k of mine.values()) myValues += k.values().length;
  if (myValues !== values) problems.push(`we read ${myValues} values, reglookup printed ${values}`);
  return { keys: mine.size, values, acls, problems };
}

function compareSecurity(key: HiveKey, row: ReglookupRow, problems: string[]): boolean {
  const sd = key.securityDescriptor();
  if (!sd) {
    problems.push(`${row.keyPath}: no security descriptor`);
    return false;
  }
  const where = row.keyPath || '(root)';
  if ((sd.owner ?? '') !== row.owner) problems.push(`${where}: owner ${sd.owner} vs ${row.owner}`);
  if ((sd.group ?? '') !== row.group) problems.push(`${where}: group ${sd.group} vs ${row.group}`);
  if (!sameAces(sd.dacl?.aces, row.dacl)) problems.push(`${where}: DACL differs`);
  if (!sameAces(sd.sacl?.aces, row.sacl)) problems.push(`${where}: SACL differs`);
  if ((key.className ?? '') !== row.className) problems.push(`${where}: class ${JSON.stringify(key.className)} vs ${JSON.stringify(row.className)}`);
  return true;
}

const ORACLE_HIVES: Array<[string, number]> = [
  // file, minimum key count (guards against a comparison of two empty walks)
  ['SYSTEM.xz', 30000],
  ['SAM.xz', 60],
  ['SECURITY.xz', 90],
  ['NTUSER.DAT.xz', 1800],
  ['hivex-minimal.hive', 1],
];

for (const [name, minKeys] of ORACLE_HIVES) {
  test(`reader matches reglookup -s on the whole ${name.replace(/\.xz$/, '')} hive (keys, values, mtimes, owner/group/DACL/SACL, class)`, { skip: needOracle(name) }, () => {
    const file = realHive(name);
    const r = compareWithReglookup(file, true);
    assert.deepEqual(r.problems.slice(0, 15), [], `${r.problems.length} differences`);
    assert.ok(r.keys >= minKeys, `only ${r.keys} keys read`);
    assert.equal(r.acls, r.keys, 'every key ACL compared');
  });
}

test('reader matches reglookup on ControlSet001\\Enum of the dirty Win10 SYSTEM_B primary (device-property value types)', { skip: needOracle('SYSTEM_B.xz') }, () => {
  const file = realHive('SYSTEM_B.xz');
  const r = compareWithReglookup(file, false, 'ControlSet001\\Enum');
  assert.deepEqual(r.problems.slice(0, 15), [], `${r.problems.length} differences`);
  assert.ok(r.keys > 4000 && r.values > 5000, `${r.keys} keys, ${r.values} values`);
  const hive = Hive.open(readFileSync(file), { file });
  assert.match(hive.notices.join('\n'), /SYSTEM_B is dirty \(sequence 1622\/1621\) and no \.LOG1\/\.LOG2 were given/);
});

test('corrupted_system_hive: every key gives data or a HiveError naming the file and a byte offset inside it', { skip: needShared('hives/corrupted_system_hive.xz') }, () => {
  const file = realHive('corrupted_system_hive.xz');
  const size = readFileSync(file).length;
  const hive = Hive.open(readFileSync(file), { file });
  assert.match(hive.notices.join('\n'), /damaged: hive bins stop at byte 0x[0-9a-f]+, the base block says 0x349000/);
  let keys = 0;
  let values = 0;
  const errors: HiveError[] = [];
  const stack: HiveKey[] = [hive.root()];
  while (stack.length) {
    const k = stack.pop()!;
    keys++;
    const r = k.readable();
    errors.push(...r.errors);
    for (const v of r.values) {
      try {
        v.decoded();
        values++;
      } catch (err) {
        assert.ok(err instanceof HiveError, String(err));
        errors.push(err);
      }
    }
    try {
      k.securityDescriptor();
    } catch (err) {
      assert.ok(err instanceof HiveError, String(err));
      errors.push(err);
    }
    stack.push(...r.subkeys);
  }
  assert.ok(keys > 400 && values > 1000, `${keys} keys, ${values} values`);
  assert.ok(errors.length > 0);
  for (const e of errors) {
    assert.equal(e.location?.file, file);
    assert.ok(e.location!.offset! >= 4096 && e.location!.offset! < size, e.message);
    assert.match(e.message, /^.+ @ byte 0x[0-9a-f]+: /);
    assert.doesNotMatch(e.message, /\n/);
  }
  // The path most gates need is intact.
  assert.equal(hive.lookup(['Select'])?.value('Current')?.decoded().type, 'DWord');
});

// ---------------------------------------------------------------------------------------------
// Synthetic hives

/** Builds a small regf file cell by cell (one hbin), for cases the real hives do not show. */
class HiveBuilder {
  private readonly bins: Buffer;
  private next = 32;
  constructor(private readonly size = 16 * 4096) {
    this.bins = Buffer.alloc(size);
    this.bins.write('hbin', 0, 'latin1');
    this.bins.writeUInt32LE(size, 8);
  }
  /** Allocates a cell holding `data`; returns its bins-relative offset. */
  cell(data: Uint8Array): number {
    const off = this.next;
    const len = (data.length + 4 + 7) & ~7;
    if (off + len > this.size) throw new Error('builder bin full');
    this.bins.writeInt32LE(-len, off);
    this.bins.set(data, off + 4);
    this.next += len;
    return off;
  }
  u32(off: number, at: number, v: number): void {
    this.bins.writeUInt32LE(v >>> 0, off + 4 + at);
  }
  nk(name: string, o: { latin1?: boolean; subkeys?: number; nSub?: number; values?: number; nValues?: number; sk?: number; flags?: number } = {}): number {
    const nameBytes = o.latin1 === false ? Buffer.from(name, 'utf16le') : Buffer.from(name, 'latin1');
    const b = Buffer.alloc(76 + nameBytes.length);
    b.write('nk', 0, 'latin1');
    b.writeUInt16LE((o.flags ?? 0) | (o.latin1 === false ? 0 : 0x20), 2);
    b.writeUInt32LE(0x01d00000, 8); // some FILETIME
    b.writeUInt32LE(o.nSub ?? 0, 20);
    b.writeUInt32LE(o.subkeys ?? 0xffffffff, 28);
    b.writeUInt32LE(0xffffffff, 32);
    b.writeUInt32LE(o.nValues ?? 0, 36);
    b.writeUInt32LE(o.values ?? 0xffffffff, 40);
    b.writeUInt32LE(o.sk ?? 0xffffffff, 44);
    b.writeUInt32LE(0xffffffff, 48);
    b.writeUInt16LE(nameBytes.length, 72);
    nameBytes.copy(b, 76);
    return this.cell(b);
  }
  list(sig: 'lf' | 'lh' | 'li' | 'ri', offsets: number[]): number {
    const wide = sig === 'lf' || sig === 'lh';
    const b = Buffer.alloc(4 + offsets.length * (wide ? 8 : 4));
    b.write(sig, 0, 'latin1');
    b.writeUInt16LE(offsets.length, 2);
    offsets.forEach((o, i) => b.writeUInt32LE(o, 4 + i * (wide ? 8 : 4)));
    return this.cell(b);
  }
  vk(name: string, type: number, data: Uint8Array, o: { minor: number }): number {
    const nameBytes = Buffer.from(name, 'latin1');
    const b = Buffer.alloc(20 + nameBytes.length);
    b.write('vk', 0, 'latin1');
    b.writeUInt16LE(nameBytes.length, 2);
    b.writeUInt32LE(type >>> 0, 12);
    b.writeUInt16LE(1, 16);
    nameBytes.copy(b, 20);
    if (data.length <= 4) {
      b.writeUInt32LE((data.length | 0x80000000) >>> 0, 4);
      Buffer.from(data).copy(b, 8);
    } else if (o.minor > 3 && data.length > 16344) {
      const segs: number[] = [];
      for (let i = 0; i < data.length; i += 16344) segs.push(this.cell(data.subarray(i, i + 16344)));
      const list = this.cell(Buffer.from(Uint32Array.from(segs).buffer));
      const db = Buffer.alloc(8);
      db.write('db', 0, 'latin1');
      db.writeUInt16LE(segs.length, 2);
      db.writeUInt32LE(list, 4);
      b.writeUInt32LE(data.length, 4);
      b.writeUInt32LE(this.cell(db), 8);
    } else {
      b.writeUInt32LE(data.length, 4);
      b.writeUInt32LE(this.cell(data), 8);
    }
    return this.cell(b);
  }
  valueList(offsets: number[]): number {
    return this.cell(Buffer.from(Uint32Array.from(offsets).buffer));
  }
  build(root: number, minor = 5): Buffer {
    const base = Buffer.alloc(4096);
    base.write('regf', 0, 'latin1');
    base.writeUInt32LE(1, 4);
    base.writeUInt32LE(1, 8);
    base.writeUInt32LE(1, 20);
    base.writeUInt32LE(minor, 24);
    base.writeUInt32LE(1, 32);
    base.writeUInt32LE(root, 36);
    base.writeUInt32LE(this.size, 40);
    base.writeUInt32LE(1, 44);
    // The rest of the bin is one free cell.
    if (this.next < this.size) this.bins.writeInt32LE(this.size - this.next, this.next);
    fixChecksum(base);
    return Buffer.concat([base, this.bins]);
  }
}

function fixChecksum(base: Buffer): void {
  let x = 0;
  for (let i = 0; i < 508; i += 4) x ^= base.readUInt32LE(i);
  x >>>= 0;
  base.writeUInt32LE(x === 0 ? 1 : x === 0xffffffff ? 0xfffffffe : x, 508);
}

const openBuilt = (bytes: Uint8Array) => Hive.open(bytes, { file: 'test.hive' });

/** Asserts that `fn` throws a HiveError located in test.hive (not a RangeError/TypeError). */
function throwsHiveError(fn: () => unknown, pattern: RegExp): HiveError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof HiveError, `expected HiveError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.equal(err.location?.file, 'test.hive');
    assert.equal(typeof err.location?.offset, 'number');
    return err;
  }
  assert.fail('no error thrown');
}

test('base block damage is one HiveError with the byte offset of the bad field', () => {
  const b = new HiveBuilder();
  const good = b.build(b.nk('ROOT'));
  throwsHiveError(() => openBuilt(good.subarray(0, 100)), /test\.hive @ byte 0x0: not a registry hive: the file is 100 bytes/);
  const sig = Buffer.from(good);
  sig.write('PK\x03\x04', 0, 'latin1');
  throwsHiveError(() => openBuilt(sig), /@ byte 0x0: not a registry hive: signature is "PK\\u0003\\u0004"/);
  const ver = Buffer.from(good);
  ver.writeUInt32LE(2, 24);
  throwsHiveError(() => openBuilt(ver), /@ byte 0x18: unsupported hive version 1\.2/);
  const log = Buffer.from(good);
  log.writeUInt32LE(6, 28);
  throwsHiveError(() => openBuilt(log), /@ byte 0x1c: .*transaction log/);
  const root = Buffer.from(good);
  root.writeUInt32LE(0x7fff0000, 36);
  fixChecksum(root);
  throwsHiveError(() => openBuilt(root), /@ byte 0x24: root key at offset 0x7fff0000 points outside the hive bins \(base block root offset\)/);
  const notNk = Buffer.from(good);
  notNk.write('xx', 4096 + 32 + 4, 'latin1');
  throwsHiveError(() => openBuilt(notNk), /@ byte 0x1020: root key at 0x20 is not a key node/);
  const noBins = Buffer.from(good);
  noBins.write('xxxx', 4096, 'latin1');
  throwsHiveError(() => openBuilt(noBins), /@ byte 0x1000: no hive bin/);
});

test('a dirty hive without logs is read with a warning naming the sequence numbers and checksum', () => {
  const b = new HiveBuilder();
  const bytes = b.build(b.nk('ROOT'));
  bytes.writeUInt32LE(7, 4);
  const h = Hive.open(bytes, { file: '/images/x/SYSTEM' });
  assert.deepEqual(h.notices, [
    `SYSTEM is dirty (sequence 7/1, checksum 0x${bytes.readUInt32LE(508).toString(16)}, computed 0x${(bytes.readUInt32LE(508) ^ 6 ^ 0).toString(16)}) and no .LOG1/.LOG2 were given: reading the primary file only; it may be up to an hour older than the machine's state`,
  ]);
});

test('names: 8-bit (Latin-1) and UTF-16 names, case-insensitive lookup, unsorted lists fall back to a scan', () => {
  const b = new HiveBuilder();
  const kids = [b.nk('Zeta'), b.nk('caf\u00e9'), b.nk('\u0416\u0443\u043a', { latin1: false }), b.nk('alpha')];
  // Deliberately unsorted lf list: a binary search alone would miss keys.
  const root = b.nk('ROOT', { subkeys: b.list('lf', kids), nSub: kids.length });
  const h = openBuilt(b.build(root));
  assert.deepEqual(h.root().subkeyNames(), ['Zeta', 'caf\u00e9', '\u0416\u0443\u043a', 'alpha']);
  assert.equal(h.lookup(['CAF\u00c9'])?.name, 'caf\u00e9');
  assert.equal(h.lookup(['\u0436\u0423\u041a'])?.name, '\u0416\u0443\u043a');
  assert.equal(h.lookup(['ALPHA'])?.path, 'alpha');
  assert.equal(h.lookup(['zeta'])?.name, 'Zeta');
  assert.equal(h.lookup(['beta']), undefined);
  assert.equal(h.lookup([]), h.root());
});

test('values: inline data of any type, ordinary cells, db big data (1.5) and one big cell (1.3)', () => {
  for (const minor of [3, 5]) {
    const b = new HiveBuilder(32 * 4096);
    const big = Buffer.alloc(40000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const vals = [
      b.vk('', 1, Buffer.from('hi\0', 'utf16le').subarray(0, 4), { minor }),
      b.vk('Dword', 4, Buffer.from([1, 0, 0, 0x80]), { minor }),
      b.vk('OneByteDword', 4, Buffer.from([1]), { minor }),
      b.vk('Big', 3, big, { minor }),
      b.vk('Multi', 7, Buffer.from('a\0bc\0\0', 'utf16le'), { minor }),
      b.vk('DevProp', 0xffff0012, Buffer.from([9, 8, 7, 6, 5]), { minor }),
    ];
    const root = b.nk('ROOT', { values: b.valueList(vals), nValues: vals.length });
    const k = openBuilt(b.build(root, minor)).root();
    assert.deepEqual(k.values().map((v) => v.name), ['', 'Dword', 'OneByteDword', 'Big', 'Multi', 'DevProp']);
    assert.deepEqual(k.value('')!.decoded(), { type: 'String', data: 'hi' });
    assert.deepEqual(k.value('dword')!.decoded(), { type: 'DWord', data: 0x80000001 });
    const odd = k.value('OneByteDword')!.decoded();
    assert.equal(odd.type, 'Other');
    assert.deepEqual(Buffer.from(k.value('Big')!.bytes()), big);
    assert.equal(k.value('Big')!.size, 40000);
    assert.deepEqual(k.value('multi')!.decoded(), { type: 'MultiString', data: ['a', 'bc'] });
    const dev = k.value('DevProp')!;
    assert.equal(dev.typeCode, 0xffff0012);
    assert.deepEqual(Buffer.from(dev.bytes()), Buffer.from([9, 8, 7, 6, 5]));
    assert.equal(k.value('missing'), undefined);
  }
});

test('cycles: ri pointing to itself, a list reaching an ancestor — HiveError from that key only', () => {
  const b = new HiveBuilder();
  const riSelf = b.cell(Buffer.alloc(8));
  const good = b.nk('Good');
  const loopKey = b.nk('Loop', { subkeys: riSelf, nSub: 1 });
  b.u32(riSelf, 0, 0x00016972); // 'ri', count 1
  b.u32(riSelf, 4, riSelf);
  const back = b.nk('Back');
  const root = b.nk('ROOT', { subkeys: b.list('lh', [back, good, loopKey]), nSub: 3 });
  // Back's subkey list contains the root: a cycle through an ancestor.
  b.u32(back, 28, b.list('li', [root]));
  b.u32(back, 20, 1);
  const h = openBuilt(b.build(root));
  throwsHiveError(() => h.lookup(['Loop'])!.subkeys(), /subkey list of key "Loop" contains a cycle/);
  throwsHiveError(() => h.lookup(['Back'])!.subkeyNames(), /subkey list of key "Back" points back to the root key \(cycle\)/);
  throwsHiveError(() => h.lookup(['Back', 'x']), /cycle/);
  assert.equal(h.lookup(['Good'])?.name, 'Good');
  assert.deepEqual(h.root().subkeyNames(), ['Back', 'Good', 'Loop']);
});

test('lookups are lazy: damage off the path does not matter, a damaged sibling only matters when nothing else matches', () => {
  const b = new HiveBuilder();
  const target = b.nk('Target', { values: 0x00ffff00, nValues: 3 }); // value list outside the bins
  const broken = b.nk('Broken', { subkeys: 0x12345678, nSub: 5 });
  const notNk = b.cell(Buffer.from('zz junk that is not a key node.............................................................'));
  const root = b.nk('ROOT', { subkeys: b.list('lf', [broken, notNk, target]), nSub: 3 });
  const h = openBuilt(b.build(root));
  const t = h.lookup(['target']);
  assert.equal(t?.path, 'Target');
  throwsHiveError(() => t!.values(), /value list of key "Target" at offset 0xffff00 points outside the hive bins/);
  throwsHiveError(() => h.lookup(['Broken'])!.subkeys(), /subkey list of key "Broken" at offset 0x12345678 points outside/);
  throwsHiveError(() => h.lookup(['Missing']), /subkey of the root key at 0x[0-9a-f]+ is not a key node \(nk\) record/);
  const r = h.root().readable();
  assert.deepEqual(r.subkeys.map((k) => k.name), ['Broken', 'Target']);
  assert.equal(r.errors.length, 1);
});

test('security: sk record bytes and descriptor; a bad sk is a HiveError from securityDescriptor()', () => {
  const b = new HiveBuilder();
  // hivex minimal root SD (windows-formats.md §2.8): owner BA, group SY, DACL with one ACE for BU.
  const sd = Buffer.from('01000480' + '30000000' + '40000000' + '00000000' + '14000000' +
    '02001c0001000000' + '00001400' + '19000200' + '010100000000000512000000' +
    '01020000000000052000000020020000' + '010100000000000512000000', 'hex');
  const sk = Buffer.alloc(20 + sd.length);
  sk.write('sk', 0, 'latin1');
  sk.writeUInt32LE(1, 12);
  sk.writeUInt32LE(sd.length, 16);
  sd.copy(sk, 20);
  const skOff = b.cell(sk);
  b.u32(skOff, 4, skOff);
  b.u32(skOff, 8, skOff);
  const badSk = b.cell(Buffer.from('sk\0\0\0\0\0\0\0\0\0\0\0\0\0\0\xff\xff\x00\x00', 'latin1'));
  const bad = b.nk('Bad', { sk: badSk });
  const wrongRevision = Buffer.from(sk);
  wrongRevision[20] = 2;
  const badSdCell = b.cell(wrongRevision);
  const badSd = b.nk('BadSd', { sk: badSdCell });
  const root = b.nk('ROOT', { sk: skOff, subkeys: b.list('lh', [bad, badSd]), nSub: 2 });
  const h = openBuilt(b.build(root));
  assert.deepEqual(Buffer.from(h.root().securityBytes()!), sd);
  const parsed = h.root().securityDescriptor()!;
  assert.equal(parsed.owner, 'S-1-5-32-544');
  assert.equal(parsed.group, 'S-1-5-18');
  assert.deepEqual(parsed.dacl?.aces.map((a) => [a.type, a.mask, a.sid]), [[0, 0x20019, 'S-1-5-18']]);
  throwsHiveError(() => h.lookup(['Bad'])!.securityDescriptor(), /security record \(sk\) of key "Bad": descriptor size 65535 exceeds its cell/);
  // The SD parser's own complaint is located in the file: the SD starts 20 bytes into the sk data.
  const e = throwsHiveError(() => h.lookup(['badsd'])!.securityDescriptor(), /security descriptor of key "BadSd" is invalid: .*revision/);
  assert.equal(e.location?.offset, 4096 + badSdCell + 4 + 20);
});

// ---------------------------------------------------------------------------------------------
// Properties

test('property: every name in a random tree is found with any casing, in sorted lh or unsorted li lists', () => {
  const name = fc.string({ unit: fc.constantFrom(...'abcXYZ019 _-.\u00e9\u00c9\u00df\u0416\u0436\u03a3\u03c3', '\ud83d', '\ude00'), minLength: 1, maxLength: 12 });
  fc.assert(
    fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 40, selector: (s) => upcase(s) }), fc.boolean(), fc.nat(), (names, sorted, seed) => {
      const b = new HiveBuilder(8 * 4096);
      const order = sorted ? [...names].sort((x, y) => (upcase(x) < upcase(y) ? -1 : upcase(x) > upcase(y) ? 1 : 0)) : names;
      const kids = order.map((n) => b.nk(n, { latin1: [...n].every((c) => c.charCodeAt(0) < 256) }));
      const root = b.nk('ROOT', { subkeys: b.list(sorted ? 'lh' : 'li', kids), nSub: kids.length });
      const h = openBuilt(b.build(root));
      assert.deepEqual(h.root().subkeyNames(), order);
      for (const [i, n] of names.entries()) {
        const variant = (seed + i) % 2 ? n.toLowerCase() : upcase(n);
        // toLowerCase can change length (İ); only ask with variants Windows would treat as equal.
        if (variant.length !== n.length || upcase(variant) !== upcase(n)) continue;
        assert.equal(h.lookup([variant])?.name, n, `lookup ${JSON.stringify(variant)}`);
      }
      assert.equal(h.lookup(['\u0000not there']), undefined);
    }),
    { numRuns: 150 },
  );
});

function upcase(s: string): string {
  let out = '';
  for (const c of s) out += c.length === 1 && c.toUpperCase().length === 1 ? c.toUpperCase() : c;
  return out;
}

test('property: random values round-trip through inline, cell and db storage', () => {
  const value = fc.record({ type: fc.constantFrom(0, 1, 3, 4, 7, 11, 0xffff0012), data: fc.oneof(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ minLength: 16345, maxLength: 50000 })) });
  fc.assert(
    fc.property(fc.array(value, { minLength: 1, maxLength: 6 }), fc.constantFrom(3, 5), (vals, minor) => {
      const b = new HiveBuilder(128 * 4096);
      const vks = vals.map((v, i) => b.vk(`v${i}`, v.type, v.data, { minor }));
      const root = b.nk('ROOT', { values: b.valueList(vks), nValues: vks.length });
      const k = openBuilt(b.build(root, minor)).root();
      const got = k.values();
      assert.equal(got.length, vals.length);
      got.forEach((g, i) => {
        assert.equal(g.typeCode, vals[i]!.type);
        assert.deepEqual(Buffer.from(g.bytes()), Buffer.from(vals[i]!.data));
        g.decoded();
      });
    }),
    { numRuns: 60 },
  );
});

test('property: damaged real hives never throw anything but HiveError, never hang', { skip: needShared('hives/SECURITY.xz') }, () => {
  const original = readFileSync(realHive('SECURITY.xz'));
  const minimal = readFileSync(join(sharedData, 'hives', 'hivex-minimal.hive'));
  const mutation = fc.array(fc.record({ at: fc.nat(), value: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 0xff)), wide: fc.boolean() }), { minLength: 1, maxLength: 12 });
  fc.assert(
    fc.property(fc.boolean(), mutation, fc.boolean(), (useMinimal, muts, inBins) => {
      const bytes = Buffer.from(useMinimal ? minimal : original);
      for (const m of muts) {
        // Most damage goes to the bins (where the parser has the most to check), some to the base block.
        const at = inBins ? 4096 + (m.at % (bytes.length - 4100)) : m.at % 512;
        if (m.wide) bytes.writeUInt32LE(((m.value * 0x01010101) ^ (m.at & 0xfff)) >>> 0, at);
        else bytes[at] = m.value;
      }
      let h: Hive;
      try {
        h = Hive.open(bytes, { file: 'fuzz.hive' });
      } catch (err) {
        assert.ok(err instanceof DriftscanError, `open threw ${String(err)}`);
        return;
      }
      const stack: HiveKey[] = [h.root()];
      let visited = 0;
      while (stack.length && visited++ < 5000) {
        const k = stack.pop()!;
        const guard = (fn: () => unknown) => {
          try {
            fn();
          } catch (err) {
            assert.ok(err instanceof DriftscanError, `${k.path}: ${String((err as Error).stack)}`);
          }
        };
        guard(() => k.lastWritten && k.className);
        guard(() => k.securityDescriptor());
        guard(() => k.value('x'));
        guard(() => k.subkey('Policy'));
        const r = k.readable();
        for (const v of r.values) guard(() => v.decoded());
        stack.push(...r.subkeys);
      }
      assert.ok(visited < 5000, 'walk did not terminate');
    }),
    { numRuns: 300 },
  );
});

test('dirty SYSTEM_B read with its two logs equals reglookup -s on the recovered hive, for the whole hive', { skip: needOracle('SYSTEM_B.xz') || needShared('hives/SYSTEM_B.LOG1.xz', 'hives/SYSTEM_B.LOG2.xz') }, () => {
  // How the expected state is established: Windows recovers a dirty hive by replaying the log entries whose
  // Marvin32 hashes (written by Windows) validate, in sequence order, into the primary. applyTransactionLogs does
  // exactly that in memory (hive-log.test.ts checks every entry's hash and the order); its result is written to a
  // file, which reglookup — an independent reader that cannot replay logs — reads as a clean hive. driftscan's own
  // reading of primary + logs must match reglookup on that file key for key, value for value, ACL for ACL.
  const primary = sharedHiveBytes('SYSTEM_B.xz');
  const logs = [
    { file: 'SYSTEM_B.LOG1', bytes: sharedHiveBytes('SYSTEM_B.LOG1.xz') },
    { file: 'SYSTEM_B.LOG2', bytes: sharedHiveBytes('SYSTEM_B.LOG2.xz') },
  ];
  const file = join(dir, 'SYSTEM_B.recovered');
  writeFileSync(file, applyTransactionLogs(primary, logs).bytes);
  const hive = Hive.open(primary, { file: 'SYSTEM_B', logs });
  assert.match(hive.notices.join('\n'), /applied 24 log entries/);
  const r = compareWithReglookup(file, true, undefined, hive);
  assert.deepEqual(r.problems.slice(0, 15), [], `${r.problems.length} differences`);
  assert.ok(r.keys > 30000 && r.values > 50000, `${r.keys} keys, ${r.values} values`);
  assert.equal(r.acls, r.keys, 'every key ACL compared');
});
