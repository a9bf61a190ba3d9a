/**
 * The regf writer (test/support/regf-writer.ts), checked by tools nobody here wrote: `reglookup -s`
 * (keys, values, owner/group/DACL), `hivexget`/`hivexml` (values, whole-hive parse), then the
 * driftscan reader. Also the reverse direction: hives built by hivex (`hivexregedit --merge` into
 * the hivex minimal seed) read back by driftscan equal what was merged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { writeHive, lhHash, type WriterKey, type WriterValue } from './support/regf-writer.js';
import { Hive, hiveDirtiness, type HiveKey } from '../src/state/hive/hive.js';
import { encodeSid } from '../src/windows/sid.js';
import { needShared, repoRoot, sharedData } from './support/paths.js';
import { haveReglookup, runReglookup, unquoteBytes, unquoteText } from './support/reglookup.js';

const have = (cmd: string, arg = '--help'): boolean => !spawnSync(cmd, [arg], { encoding: 'utf8' }).error;
const skipReglookup = haveReglookup() ? false : 'reglookup not installed (Debian package reglookup)';
const skipHivex = have('hivexget') && have('hivexregedit') ? false : 'hivex tools not installed (Debian libhivex-bin, libwin-hivex-perl)';

function withTemp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-writer-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A test-only self-relative SD (MS-DTYP 2.4.6): owner, group, DACL of allow ACEs; no SACL. */
function sd(owner: string, group: string, aces: Array<{ sid: string; mask: number; flags: number }>): Uint8Array {
  const o = Buffer.from(encodeSid(owner));
  const g = Buffer.from(encodeSid(group));
  const body = Buffer.concat(
    aces.map((a) => {
      const s = Buffer.from(encodeSid(a.sid));
      const h = Buffer.alloc(8);
      h.writeUInt8(0, 0);
      h.writeUInt8(a.flags, 1);
      h.writeUInt16LE(8 + s.length, 2);
      h.writeUInt32LE(a.mask >>> 0, 4);
      return Buffer.concat([h, s]);
    }),
  );
  const acl = Buffer.alloc(8);
  acl.writeUInt8(2, 0);
  acl.writeUInt16LE(8 + body.length, 2);
  acl.writeUInt16LE(aces.length, 4);
  const head = Buffer.alloc(20);
  head.writeUInt8(1, 0);
  head.writeUInt16LE(0x8004, 2); // SELF_RELATIVE | DACL_PRESENT
  head.writeUInt32LE(20, 4);
  head.writeUInt32LE(20 + o.length, 8);
  head.writeUInt32LE(20 + o.length + g.length, 16);
  return Buffer.concat([head, o, g, acl, body]);
}

const utf16z = (s: string) => Buffer.from(s + '\0', 'utf16le');
const dword = (n: number) => Buffer.from(Uint32Array.of(n >>> 0).buffer);
const big = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255));

const ADMINS_FULL = { sid: 'S-1-5-32-544', mask: 0xf003f, flags: 0x02 };
const SYSTEM_FULL = { sid: 'S-1-5-18', mask: 0xf003f, flags: 0x02 };
const USERS_READ = { sid: 'S-1-5-32-545', mask: 0x20019, flags: 0x12 };
const RDU_READ = { sid: 'S-1-5-32-555', mask: 0x20019, flags: 0x02 };
const SD_A = sd('S-1-5-32-544', 'S-1-5-18', [SYSTEM_FULL, ADMINS_FULL, USERS_READ]);
const SD_B = sd('S-1-5-18', 'S-1-5-18', [SYSTEM_FULL, ADMINS_FULL, USERS_READ, RDU_READ]);

const ALL_TYPES: WriterValue[] = [
  { name: '', typeCode: 1, data: utf16z('default value') },
  { name: 'None', typeCode: 0, data: Buffer.from([1, 2, 3]) },
  { name: 'Sz', typeCode: 1, data: utf16z('NT Authority\\NetworkService') },
  { name: 'EmptySz', typeCode: 1, data: utf16z('') },
  { name: 'Expand', typeCode: 2, data: utf16z('%SystemRoot%\\System32\\termsrv.dll') },
  { name: 'Binary', typeCode: 3, data: Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x01]) },
  { name: 'ShortBin', typeCode: 3, data: Buffer.from([0xab]) },
  { name: 'Dword', typeCode: 4, data: dword(65535) },
  { name: 'DwordBE', typeCode: 5, data: Buffer.from([0, 0, 0x2e, 0xe0]) },
  { name: 'Link', typeCode: 6, data: Buffer.from('\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001', 'utf16le') },
  { name: 'Multi', typeCode: 7, data: Buffer.from('a\0bc\0\0', 'utf16le') },
  { name: 'ResList', typeCode: 8, data: big(40, 1) },
  { name: 'FullRes', typeCode: 9, data: big(20, 2) },
  { name: 'ReqList', typeCode: 10, data: big(48, 3) },
  { name: 'Qword', typeCode: 11, data: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]) },
  { name: 'DevProp', typeCode: 0xffff0012, data: utf16z('device') },
  { name: 'Exactly16344', typeCode: 3, data: big(16344, 4) },
  { name: 'Big16345', typeCode: 3, data: big(16345, 5) },
  { name: 'Big70000', typeCode: 3, data: big(70000, 6) },
  { name: 'Ünïcödé värde', typeCode: 4, data: dword(7) },
];

const MANY = ['zeta', 'Alpha', 'beta', 'ALPHA2', '_under', 'Mid', 'ÄÖÜ', 'résumé', '日本語', 'x9', 'X10', 'Certificates', 'Remote Desktop'];

function fixture(): WriterKey {
  return {
    name: 'ROOT',
    security: SD_A,
    lastWritten: new Date(Date.UTC(2023, 5, 1, 12, 0, 0)),
    subkeys: [
      { name: 'Types', values: ALL_TYPES, className: 'TypesClass' },
      { name: 'Many', subkeys: MANY.map((name, i) => ({ name, values: [{ name: 'i', typeCode: 4, data: dword(i) }] })) },
      { name: 'Secure', security: SD_B, subkeys: [{ name: 'Child' }, { name: 'Other', security: SD_A }] },
      { name: 'Ünïcödé Kéy', subkeys: [{ name: 'leaf' }] },
    ],
  };
}

/** Walks the written tree alongside the reader's view, comparing names, values and descriptors. */
function compareTree(w: WriterKey, r: HiveKey, inheritedSd: Uint8Array | undefined): void {
  const wantSd = w.security ?? inheritedSd;
  if (wantSd) assert.deepEqual(Buffer.from(r.securityBytes()!), Buffer.from(wantSd), `SD of ${r.path}`);
  assert.equal(r.className, w.className && w.className !== '' ? w.className : undefined, `class of ${r.path}`);
  const values = w.values ?? [];
  assert.equal(r.values().length, values.length, `value count of ${r.path}`);
  for (const v of values) {
    const got = r.value(v.name);
    assert.ok(got, `${r.path}: value ${v.name}`);
    assert.equal(got.typeCode, v.typeCode >>> 0);
    assert.ok(Buffer.from(got.bytes()).equals(Buffer.from(v.data)), `${r.path}\\${v.name}`);
  }
  const subs = w.subkeys ?? [];
  assert.deepEqual(new Set(r.subkeyNames()), new Set(subs.map((s) => s.name)));
  for (const s of subs) compareTree(s, r.subkey(s.name)!, wantSd);
}

/** Reads the raw cell structure to check what readers need not check: lh order/hashes, sk ring and refcounts, bins. */
function structure(bytes: Uint8Array): { skRefs: Map<number, number>; skSeen: Map<number, number> } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const binsSize = b.readUInt32LE(40);
  assert.equal(b.length, 4096 + binsSize);
  // Bins tile the data and cells tile each bin.
  for (let bin = 0; bin < binsSize; ) {
    assert.equal(b.toString('latin1', 4096 + bin, 4100 + bin), 'hbin');
    assert.equal(b.readUInt32LE(4100 + bin), bin);
    const size = b.readUInt32LE(4104 + bin);
    assert.ok(size >= 4096 && size % 4096 === 0, `bin size ${size}`);
    let cell = bin + 32;
    while (cell < bin + size) {
      const s = Math.abs(b.readInt32LE(4096 + cell));
      assert.ok(s >= 8 && s % 8 === 0, `cell size at ${cell}`);
      cell += s;
    }
    assert.equal(cell, bin + size);
    bin += size;
  }
  const skRefs = new Map<number, number>();
  const skSeen = new Map<number, number>();
  const cell = (off: number) => 4096 + off + 4;
  const visit = (nk: number): void => {
    const p = cell(nk);
    assert.equal(b.toString('latin1', p, p + 2), 'nk');
    const sk = b.readUInt32LE(p + 44);
    skSeen.set(sk, (skSeen.get(sk) ?? 0) + 1);
    skRefs.set(sk, b.readUInt32LE(cell(sk) + 12));
    const list = b.readUInt32LE(p + 28);
    if (list === 0xffffffff) return;
    const l = cell(list);
    assert.equal(b.toString('latin1', l, l + 2), b.readUInt32LE(24) >= 5 ? 'lh' : 'lf');
    const n = b.readUInt16LE(l + 2);
    let prev = '';
    for (let i = 0; i < n; i++) {
      const child = b.readUInt32LE(l + 4 + i * 8);
      const c = cell(child);
      const nameLen = b.readUInt16LE(c + 72);
      const comp = (b.readUInt16LE(c + 2) & 0x20) !== 0;
      const name = b.toString(comp ? 'latin1' : 'utf16le', c + 76, c + 76 + nameLen);
      // Order by upper-cased code units (§1.7): compare without the project's own upcase helper.
      const up = [...name].map((ch) => (ch.toUpperCase().length === 1 ? ch.toUpperCase() : ch)).join('');
      assert.ok(prev < up || prev === '', `${prev} < ${up}`);
      prev = up;
      if (b.readUInt32LE(24) >= 5) {
        let h = 0;
        for (let k = 0; k < up.length; k++) h = (Math.imul(h, 37) + up.charCodeAt(k)) >>> 0;
        assert.equal(b.readUInt32LE(l + 8 + i * 8), h, `lh hash of ${name}`);
      }
      assert.equal(b.readUInt32LE(c + 16), nk, 'parent offset');
      visit(child);
    }
  };
  visit(b.readUInt32LE(36));
  // sk ring: following flink from any sk visits every sk once and blink is its inverse.
  const first = [...skSeen.keys()][0]!;
  const ring: number[] = [];
  for (let s = first; ; ) {
    ring.push(s);
    const next = b.readUInt32LE(cell(s) + 4);
    assert.equal(b.readUInt32LE(cell(next) + 8), s, 'blink of next is this');
    s = next;
    if (s === first) break;
    assert.ok(ring.length <= skSeen.size, 'ring longer than the number of sk cells');
  }
  assert.deepEqual(new Set(ring), new Set(skSeen.keys()));
  return { skRefs, skSeen };
}

test('writer: base block, bins, lh lists and shared sk records are well-formed', () => {
  const bytes = writeHive(fixture());
  assert.equal(hiveDirtiness(bytes), undefined, 'clean: sequence numbers equal, checksum valid');
  const { skRefs, skSeen } = structure(bytes);
  assert.equal(skSeen.size, 2, 'two distinct descriptors → two sk cells');
  for (const [sk, n] of skSeen) assert.equal(skRefs.get(sk), n, 'refcount = keys using it');
  assert.ok(Buffer.from(writeHive(fixture())).equals(bytes), 'deterministic');
  assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getUint32(36, true), 0x20);
  assert.equal(lhHash('abc'), ((65 * 37 + 66) * 37 + 67) >>> 0);
});

test('writer: the driftscan reader reads back every value type, big data, names, classes and SDs', () => {
  for (const minorVersion of [5, 3] as const) {
    const w = fixture();
    const hive = Hive.open(writeHive(w, { minorVersion }), { file: `fixture-1.${minorVersion}` });
    assert.equal(hive.minorVersion, minorVersion);
    assert.equal(hive.root().name, 'ROOT');
    compareTree(w, hive.root(), undefined);
    assert.deepEqual(hive.lookup(['Types'])!.value('Dword')!.decoded(), { type: 'DWord', data: 65535 });
  }
  assert.equal(Hive.open(writeHive({ name: '' }, { rootName: 'CMI-CreateHive{X}' }), { file: 'x' }).root().name, 'CMI-CreateHive{X}');
});

test('writer: reglookup -s reads the same keys, values and descriptors', { skip: skipReglookup }, () => {
  withTemp((dir) => {
    for (const minorVersion of [5, 3] as const) {
      const file = join(dir, `fixture-${minorVersion}`);
      writeFileSync(file, writeHive(fixture(), { minorVersion }));
      const rows = runReglookup(file, { security: true });
      const keys = rows.filter((r) => r.type === 'KEY');
      assert.equal(keys.length, 1 + 4 + MANY.length + 2 + 1);
      // reglookup prints non-ASCII names as raw UTF-16 bytes (it converts to US-ASCII), so check ASCII ones.
      assert.ok(keys.some((k) => k.keyPath === 'Many\\Remote Desktop'), 'Many\\Remote Desktop listed');
      assert.ok(keys.some((k) => k.keyPath === 'Secure\\Child'), 'Secure\\Child listed');
      const secure = keys.find((k) => k.keyPath === 'Secure')!;
      assert.equal(secure.owner, 'S-1-5-18');
      assert.deepEqual(secure.dacl, [SYSTEM_FULL, ADMINS_FULL, USERS_READ, RDU_READ].map((a) => ({ ...a, type: 'ALLOW' })));
      const child = keys.find((k) => k.keyPath === 'Secure\\Child')!;
      assert.deepEqual(child.dacl, secure.dacl, 'a key without its own SD shares its parent’s');
      assert.deepEqual(keys.find((k) => k.keyPath === 'Secure\\Other')!.dacl, [SYSTEM_FULL, ADMINS_FULL, USERS_READ].map((a) => ({ ...a, type: 'ALLOW' })));
      assert.equal(keys.find((k) => k.keyPath === 'Types')!.className, 'TypesClass');
      assert.equal(keys.find((k) => k.keyPath === '')!.mtime, '2023-06-01 12:00:00');

      const values = new Map(rows.filter((r) => r.keyPath === 'Types' && r.type !== 'KEY').map((r) => [r.valueName, r]));
      assert.equal(values.size, ALL_TYPES.length);
      assert.equal(values.get('Dword')!.value, '0x0000FFFF');
      assert.equal(values.get('Dword')!.type, 'DWORD');
      assert.equal(values.get('DwordBE')!.type, 'DWORD_BE');
      assert.equal(unquoteText(values.get('Sz')!.value), 'NT Authority\\NetworkService');
      assert.equal(unquoteText(values.get('Expand')!.value), '%SystemRoot%\\System32\\termsrv.dll');
      assert.equal(unquoteText(values.get('')!.value), 'default value');
      assert.equal(values.get('Qword')!.type, 'QWORD');
      for (const name of ['Binary', 'ShortBin', 'Exactly16344', 'Big16345', 'Big70000']) {
        const want = ALL_TYPES.find((v) => v.name === name)!.data;
        // .equals, not deepEqual: a failing deepEqual on 70 kB buffers spends minutes diffing.
        assert.ok(unquoteBytes(values.get(name)!.value).equals(Buffer.from(want)), name);
      }
    }
  });
});

test('writer: hivexget and hivexml accept the hive and print the written values', { skip: skipHivex }, () => {
  withTemp((dir) => {
    const file = join(dir, 'fixture');
    writeFileSync(file, writeHive(fixture()));
    const get = (key: string, value: string) => {
      const r = spawnSync('hivexget', [file, key, value], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(r.status, 0, `hivexget ${key} ${value}: ${r.stderr} ${r.error ?? ''}`);
      return r.stdout.trim();
    };
    assert.equal(get('\\Types', 'Sz'), 'NT Authority\\NetworkService');
    assert.equal(get('\\Types', 'Dword'), '65535');
    assert.equal(get('\\Many\\Certificates', 'i'), String(MANY.indexOf('Certificates')));
    assert.equal(get('\\Many\\x9', 'i'), String(MANY.indexOf('x9')));
    // hivexml opens /dev/stdout itself, which fails on a pipe: let the shell redirect to a file.
    const out = join(dir, 'fixture.xml');
    const xml = spawnSync('sh', ['-c', 'hivexml "$1" > "$2"', 'sh', file, out], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(xml.status, 0, xml.stderr);
    // hivexml prints big values in full (base64), so db segments were followed.
    const xmlText = readFileSync(out, 'utf8').replace(/\s+/g, '');
    assert.ok(xmlText.includes(Buffer.from(big(70000, 6)).toString('base64')), 'hivexml prints the 70000-byte db value in full');
  });
});

test('writer: random trees round-trip through the reader and reglookup (property)', () => {
  const name = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom(...'abcXYZ _-.09äÉ日\u00ff'.split('')) }).filter((s) => !s.includes('\\'));
  const value = fc.record({ name: fc.oneof(fc.constant(''), name), typeCode: fc.constantFrom(0, 1, 3, 4, 7, 11, 0x20001), data: fc.uint8Array({ maxLength: 20000 }) });
  const key: fc.Memo<WriterKey> = fc.memo((depth) =>
    fc.record({
      name,
      values: fc.uniqueArray(value, { maxLength: 4, selector: (v) => v.name.toUpperCase() }),
      subkeys: depth > 1 ? fc.uniqueArray(key(depth - 1), { maxLength: 4, selector: (k) => k.name.toUpperCase() }) : fc.constant([]),
      security: fc.constantFrom(undefined, SD_A, SD_B),
    }),
  );
  let reglookupRuns = 0;
  withTemp((dir) => {
    fc.assert(
      fc.property(key(3), (root) => {
        const bytes = writeHive(root);
        compareTree(root, Hive.open(bytes, { file: 'random' }).root(), undefined);
        structure(bytes);
        if (!skipReglookup && reglookupRuns++ < 15) {
          const file = join(dir, 'r');
          writeFileSync(file, bytes);
          const count = (k: WriterKey): number => 1 + (k.subkeys ?? []).reduce((n, s) => n + count(s), 0);
          assert.equal(runReglookup(file).filter((r) => r.type === 'KEY').length, count(root));
        }
      }),
      { numRuns: 60 },
    );
  });
});

// ---- hivex-made fixtures, read by driftscan -------------------------------------------------------

const MERGED = `Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\\SOFTWARE\\Fixture]

[HKEY_LOCAL_MACHINE\\SOFTWARE\\Fixture\\Types]
@="the default"
"Sz"="NT Authority\\\\NetworkService"
"Dword"=dword:0000ffff
"Binary"=hex:de,ad,be,ef,01
"Expand"=hex(2):25,00,53,00,52,00,25,00,00,00
"Multi"=hex(7):61,00,00,00,62,00,63,00,00,00,00,00
"Qword"=hex(b):01,02,03,04,05,06,07,08
"None"=hex(0):01,02
"DevProp"=hex(ffff0012):41,00,00,00

[HKEY_LOCAL_MACHINE\\SOFTWARE\\Fixture\\Big]
"Blob"=hex:${Array.from(big(20000, 9), (x) => x.toString(16).padStart(2, '0')).join(',')}

`;

test('hivex-made hive (hivexregedit --merge into the minimal seed) reads back as merged', { skip: skipHivex || needShared('hives/hivex-minimal.hive') }, () => {
  withTemp((dir) => {
    const hiveFile = join(dir, 'software.hive');
    copyFileSync(join(sharedData, 'hives', 'hivex-minimal.hive'), hiveFile);
    chmodSync(hiveFile, 0o644);
    const reg = join(dir, 'merge.reg');
    writeFileSync(reg, MERGED);
    const r = spawnSync('hivexregedit', ['--merge', '--prefix', 'HKEY_LOCAL_MACHINE\\SOFTWARE', hiveFile, reg], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const hive = Hive.open(readFileSync(hiveFile), { file: hiveFile });
    const types = hive.lookup(['Fixture', 'Types'])!;
    assert.deepEqual(types.value('')!.decoded(), { type: 'String', data: 'the default' });
    assert.deepEqual(types.value('Sz')!.decoded(), { type: 'String', data: 'NT Authority\\NetworkService' });
    assert.deepEqual(types.value('Dword')!.decoded(), { type: 'DWord', data: 65535 });
    assert.deepEqual(Buffer.from(types.value('Binary')!.bytes()), Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x01]));
    assert.deepEqual(types.value('Expand')!.decoded(), { type: 'ExpandString', data: '%SR%' });
    assert.deepEqual(types.value('Multi')!.decoded(), { type: 'MultiString', data: ['a', 'bc'] });
    assert.deepEqual(types.value('Qword')!.decoded(), { type: 'QWord', data: 0x0807060504030201n });
    assert.equal(types.value('None')!.typeCode, 0);
    assert.equal(types.value('DevProp')!.typeCode, 0xffff0012);
    assert.ok(Buffer.from(hive.lookup(['Fixture', 'Big'])!.value('Blob')!.bytes()).equals(big(20000, 9)));
    // hivex cannot set SDs: new keys reuse the seed root's sk (§6.3).
    assert.deepEqual(Buffer.from(types.securityBytes()!), Buffer.from(hive.root().securityBytes()!));
  });
});

// ---- The bundled sample image ---------------------------------------------------------------------

test('sample image: committed hives equal what scripts/build-sample-image.ts generates; reglookup -s reads them', () => {
  withTemp((dir) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', 'build-sample-image.ts'), '--out', dir], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    for (const name of ['SYSTEM', 'SOFTWARE']) {
      const generated = readFileSync(join(dir, 'Windows', 'System32', 'config', name));
      const committed = readFileSync(join(repoRoot, 'examples', 'image', 'Windows', 'System32', 'config', name));
      assert.ok(generated.equals(committed), `examples/image/…/${name} is stale: run \`tsx scripts/build-sample-image.ts\``);
    }
    if (skipReglookup) return;
    const config = join(repoRoot, 'examples', 'image', 'Windows', 'System32', 'config');
    const software = runReglookup(join(config, 'SOFTWARE'), { security: true });
    const certs = software.find((k) => k.type === 'KEY' && k.keyPath === 'Microsoft\\SystemCertificates\\Remote Desktop\\Certificates');
    assert.ok(certs?.dacl, 'reglookup shows the certificate store DACL');
    // The intended drift: Users may read, Remote Desktop Users has no ACE of its own.
    assert.deepEqual(certs.dacl.map((a) => a.sid), ['S-1-5-18', 'S-1-5-32-544', 'S-1-5-32-545', 'S-1-3-0']);
    assert.ok(certs.dacl.every((a) => (a.flags & 0x10) !== 0), 'all ACEs inherited (IA)');
    const system = runReglookup(join(config, 'SYSTEM'));
    const val = (key: string, name: string) => system.find((x) => x.keyPath === key && x.valueName === name)?.value;
    assert.equal(val('Select', 'Current'), '0x00000001');
    assert.equal(val('ControlSet001\\Control\\Lsa\\Kerberos\\Parameters', 'MaxTokenSize'), '0x00002EE0');
    assert.equal(val('ControlSet001\\Control\\Terminal Server', 'IgnoreRegUserConfigErrors'), '0x00000001');
    assert.equal(unquoteText(val('ControlSet001\\Services\\TermService', 'ObjectName') ?? ''), 'NT Authority\\NetworkService');
    assert.equal(val('ControlSet001\\Services\\TermService', 'Start'), '0x00000003');
  });
});
