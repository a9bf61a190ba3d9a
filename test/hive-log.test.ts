/**
 * Transaction log replay (src/state/hive/log.ts) on the real dirty Win10 SYSTEM_B hive with its
 * new-format .LOG1/.LOG2, and on synthetic old-format logs.
 *
 * How the expected state of SYSTEM_B is established without trusting our own reader:
 * 1. Every replayed entry carries two Marvin32 hashes written by Windows; all 24 must validate
 *    (2107–2110 in LOG1, 2111–2130 in LOG2), so the hash function and entry parsing are right.
 * 2. The recovered hive is written to a temp file and read by reglookup and hivexget (tools nobody
 *    here wrote): both accept it, and the values they print equal what driftscan reads.
 * 3. Keys and values that differ between the primary alone and the recovered hive are shown by
 *    reglookup too: the disk-drive class instance `…\Class\{4d36e967-…}\0003` exists only after
 *    replay, proving the logs were applied.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { applyTransactionLogs, marvin32, LOG_HASH_SEED } from '../src/state/hive/log.js';
import { Hive, hiveDirtiness } from '../src/state/hive/hive.js';
import { writeHive, type WriterKey } from './support/regf-writer.js';
import { DriftscanError } from '../src/core/diagnostics.js';
import { needShared, sharedData } from './support/paths.js';
import { sharedHiveBytes } from './support/shared-hives.js';
import { haveReglookup, runReglookup, unquoteBytes, unquoteText, type ReglookupRow } from './support/reglookup.js';

const skipShared = needShared('hives/SYSTEM_B.xz', 'hives/SYSTEM_B.LOG1.xz', 'hives/SYSTEM_B.LOG2.xz');
const xz = (name: string): Buffer => sharedHiveBytes(name);

let cached: { primary: Buffer; log1: Buffer; log2: Buffer } | undefined;
function systemB(): { primary: Buffer; log1: Buffer; log2: Buffer } {
  cached ??= { primary: xz('SYSTEM_B.xz'), log1: xz('SYSTEM_B.LOG1.xz'), log2: xz('SYSTEM_B.LOG2.xz') };
  return cached;
}
const logsOf = (b: ReturnType<typeof systemB>) => [
  { file: '/x/SYSTEM_B.LOG1', bytes: b.log1 },
  { file: '/x/SYSTEM_B.LOG2', bytes: b.log2 },
];

const DISK_CLASS = ['ControlSet001', 'Control', 'Class', '{4d36e967-e325-11ce-bfc1-08002be10318}'];
const NEW_KEY = [...DISK_CLASS, '0003'];

function withTemp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-log-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** True when reglookup's printed VALUE equals the value driftscan decoded (reglookup formats by type). */
function sameAsReglookup(row: ReglookupRow, hive: Hive): boolean {
  const key = hive.lookup(row.keyPath === '' ? [] : row.keyPath.split('\\'));
  const v = key?.value(row.valueName!);
  if (!v) return false;
  const d = v.decoded();
  switch (row.type) {
    case 'DWORD':
      return d.type === 'DWord' && d.data === Number.parseInt(row.value, 16);
    case 'SZ':
    case 'EXPAND_SZ':
      return (d.type === 'String' || d.type === 'ExpandString') && unquoteText(row.value) === d.data;
    case 'BINARY':
      return d.type === 'Binary' && Buffer.from(d.data).equals(unquoteBytes(row.value));
    default:
      return true; // other types: presence checked; reglookup's rendering of them is lossy
  }
}

test('Marvin32: real log entries written by Windows validate with the seed from §1.14', { skip: skipShared }, () => {
  const { log1 } = systemB();
  const dv = new DataView(log1.buffer, log1.byteOffset, log1.byteLength);
  const size = dv.getUint32(512 + 4, true);
  // hash-2 covers the first 32 bytes of the entry; hash-1 the bytes from 40 to the end.
  assert.equal(marvin32(log1.subarray(512, 544)), dv.getBigUint64(512 + 32, true));
  assert.equal(marvin32(log1.subarray(552, 512 + size)), dv.getBigUint64(512 + 24, true));
  assert.equal(marvin32(log1.subarray(512, 544)), 0xdd88c5d7df48f30an);
  // Any other reading of the seed bytes fails to validate.
  assert.notEqual(marvin32(log1.subarray(512, 544), 0xc5554e7a884def82n), dv.getBigUint64(512 + 32, true));
});

test('Marvin32: tail handling and seed sensitivity (properties)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 7 }), (data, shift) => {
      // Same bytes at any buffer alignment give the same hash.
      const shifted = new Uint8Array(data.length + shift);
      shifted.set(data, shift);
      assert.equal(marvin32(shifted.subarray(shift)), marvin32(data));
      // Appending a zero byte changes the hash (the 0x80 pad marks the true length).
      const longer = new Uint8Array(data.length + 1);
      longer.set(data);
      assert.notEqual(marvin32(longer), marvin32(data));
      assert.notEqual(marvin32(data, LOG_HASH_SEED ^ 1n), marvin32(data));
    }),
    { numRuns: 200 },
  );
});

test('SYSTEM_B: both logs replay in sequence; reglookup and hivex read the recovered hive like driftscan', { skip: skipShared }, () => {
  const b = systemB();
  const before = Buffer.from(b.primary);
  assert.ok(hiveDirtiness(b.primary), 'the primary is dirty');
  const r = applyTransactionLogs(b.primary, logsOf(b));
  assert.equal(r.applied, 24);
  assert.deepEqual(r.notices, ['SYSTEM_B.LOG1: replayed 4 log entries', 'SYSTEM_B.LOG2: replayed 20 log entries']);
  assert.ok(b.primary.equals(before), 'the caller’s primary bytes are not modified');
  assert.equal(hiveDirtiness(r.bytes), undefined, 'recovered base block is clean (sequence numbers equal, checksum valid)');
  // Bins grew from 0xbd3000 to 0xc02000 over the entries (2118 and 2121 raise the bins size).
  assert.equal(new DataView(r.bytes.buffer, r.bytes.byteOffset).getUint32(40, true), 0xc02000);

  const primaryOnly = Hive.open(b.primary, { file: 'SYSTEM_B' });
  const recovered = Hive.open(b.primary, { file: 'SYSTEM_B', logs: logsOf(b) });
  assert.equal(primaryOnly.lookup(NEW_KEY), undefined);
  assert.equal(recovered.lookup(NEW_KEY)?.value('DriverDesc')?.decoded().type, 'String');
  assert.deepEqual(recovered.lookup(NEW_KEY)!.value('DriverDesc')!.decoded(), { type: 'String', data: 'Disk drive' });
  assert.ok(primaryOnly.notices.some((n) => /dirty/.test(n)), 'primary-only open reports the dirty hive');

  if (!haveReglookup()) return;
  withTemp((dir) => {
    const primaryFile = join(dir, 'SYSTEM_B');
    const recoveredFile = join(dir, 'SYSTEM_B.recovered');
    writeFileSync(primaryFile, b.primary);
    writeFileSync(recoveredFile, r.bytes);
    const path = DISK_CLASS.join('\\');
    const oldRows = runReglookup(primaryFile, { path });
    const newRows = runReglookup(recoveredFile, { path });
    const keysOf = (rows: ReglookupRow[]) => rows.filter((x) => x.type === 'KEY').map((x) => x.keyPath);
    // reglookup sees the difference too: 0003 and its values only exist after replay.
    assert.ok(!keysOf(oldRows).includes(NEW_KEY.join('\\')), 'reglookup: 0003 absent from the primary');
    assert.ok(keysOf(newRows).includes(NEW_KEY.join('\\')), 'reglookup: 0003 present after replay');
    const newValues = newRows.filter((x) => x.type !== 'KEY');
    assert.ok(newValues.length > oldRows.filter((x) => x.type !== 'KEY').length, 'more values after replay');
    const fromFile = Hive.open(r.bytes, { file: recoveredFile });
    for (const row of newValues) assert.ok(sameAsReglookup(row, fromFile), `${row.keyPath}\\${row.valueName} as reglookup prints it`);
    // driftscan lists the same subkeys reglookup does.
    for (const k of keysOf(newRows)) assert.ok(fromFile.lookup(k.split('\\')), k);

    // Whole-hive cross-check: the recovered file is accepted by reglookup with as many rows as driftscan walks.
    const all = runReglookup(recoveredFile);
    const keys = all.filter((x) => x.type === 'KEY').length;
    let walked = 0;
    const walk = (k: ReturnType<Hive['root']>): void => {
      walked++;
      for (const s of k.subkeys()) walk(s);
    };
    walk(fromFile.root());
    assert.equal(walked, keys);

    const hx = spawnSync('hivexget', [recoveredFile, '\\' + NEW_KEY.join('\\'), 'DriverDesc'], { encoding: 'utf8' });
    if (!hx.error) {
      assert.equal(hx.status, 0, hx.stderr);
      assert.equal(hx.stdout.trim(), 'Disk drive');
    }
  });
});

test('SYSTEM_B: log order given does not matter; a bad hash stops replay at that entry', { skip: skipShared }, () => {
  const b = systemB();
  const reversed = applyTransactionLogs(b.primary, logsOf(b).reverse());
  assert.equal(reversed.applied, 24);
  // Corrupt one byte of page data in the 6th entry of LOG2 (sequence 2116 at 0x64000).
  const log2 = Buffer.from(b.log2);
  log2[0x64000 + 0x1000] ^= 0xff;
  const r = applyTransactionLogs(b.primary, [{ file: '/x/SYSTEM_B.LOG1', bytes: b.log1 }, { file: '/x/SYSTEM_B.LOG2', bytes: log2 }]);
  assert.equal(r.applied, 4 + 5);
  assert.ok(r.notices.some((n) => n.startsWith('SYSTEM_B.LOG2 @ byte 0x64000: log entry 2116 fails its Marvin32 hash')), r.notices.join('\n'));
  // Without LOG1 the chain starts at LOG2's own base-block sequence (2111).
  assert.equal(applyTransactionLogs(b.primary, [{ file: '/x/SYSTEM_B.LOG2', bytes: b.log2 }]).applied, 20);
});

test('SYSTEM_B: damaged logs never throw (truncation, bit flips, garbage); Hive.open still opens', { skip: skipShared }, () => {
  const b = systemB();
  // Keep the runs cheap: the first 4 entries of LOG1 end at 0xe000.
  const head = b.log1.subarray(0, 0xe000);
  fc.assert(
    fc.property(
      fc.nat({ max: head.length }),
      fc.array(fc.record({ at: fc.nat({ max: head.length - 1 }), mask: fc.integer({ min: 1, max: 255 }) }), { maxLength: 8 }),
      (cut, flips) => {
        const log = Buffer.from(head.subarray(0, cut));
        for (const f of flips) if (f.at < log.length) log[f.at] ^= f.mask;
        let r: ReturnType<typeof applyTransactionLogs>;
        try {
          r = applyTransactionLogs(b.primary, [{ file: 'L', bytes: log }]);
        } catch (err) {
          assert.fail(`applyTransactionLogs threw ${(err as Error).stack}`);
        }
        assert.ok(r.applied <= 4, `applied ${r.applied}`);
        assert.ok(r.bytes.length >= 4096, 'a hive comes back');
        try {
          Hive.open(b.primary, { file: 'SYSTEM_B', logs: [{ file: 'L', bytes: log }] });
        } catch (err) {
          assert.ok(err instanceof DriftscanError, String(err));
        }
      },
    ),
    { numRuns: 60 },
  );
  assert.deepEqual(applyTransactionLogs(b.primary, [{ file: 'SYSTEM.LOG', bytes: new Uint8Array(0) }]), { bytes: b.primary, notices: [], applied: 0 });
});

// ---- Old-format (XP–8.0) logs, built synthetically -----------------------------------------------

const dword = (n: number) => Uint8Array.of(n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24);
const tree = (start: number, extra: boolean): WriterKey => ({
  name: 'ROOT',
  subkeys: [
    { name: 'Control', values: [{ name: 'Start', typeCode: 4, data: dword(start) }] },
    { name: 'Padding', values: [{ name: 'Blob', typeCode: 3, data: new Uint8Array(6000).fill(7) }] },
    ...(extra ? [{ name: 'Zzz', values: [{ name: 'Blob', typeCode: 3, data: new Uint8Array(9000).fill(9) }] }] : []),
  ],
});

/** An old-format log taking `from` to `to`: 512-byte header (file type 1), `DIRT`, bitmap, dirty pages. */
function oldLog(from: Uint8Array, to: Uint8Array, sequence: number): Buffer {
  const binsSize = to.length - 4096;
  const pages: number[] = [];
  for (let k = 0; k < binsSize / 512; k++) {
    const a = Buffer.from(from.subarray(4096 + k * 512, 4096 + (k + 1) * 512));
    const b = Buffer.from(to.subarray(4096 + k * 512, 4096 + (k + 1) * 512));
    if (!a.equals(b)) pages.push(k);
  }
  const bitmap = Buffer.alloc(Math.ceil(binsSize / 512 / 8));
  for (const k of pages) bitmap[k >>> 3]! |= 1 << (k & 7);
  const dataAt = Math.ceil((516 + bitmap.length) / 512) * 512;
  const out = Buffer.alloc(dataAt + pages.length * 512);
  Buffer.from(to.subarray(0, 512)).copy(out);
  out.writeUInt32LE(sequence, 4);
  out.writeUInt32LE(sequence, 8);
  out.writeUInt32LE(1, 28);
  let x = 0;
  for (let i = 0; i < 508; i += 4) x ^= out.readUInt32LE(i);
  out.writeUInt32LE(x >>> 0, 508);
  out.write('DIRT', 512, 'latin1');
  bitmap.copy(out, 516);
  pages.forEach((k, i) => Buffer.from(to.subarray(4096 + k * 512, 4096 + (k + 1) * 512)).copy(out, dataAt + i * 512));
  return out;
}

/** Marks a writer-made hive dirty the way an interrupted write leaves it (primary = secondary + 1). */
function dirty(hive: Uint8Array): Buffer {
  const b = Buffer.from(hive);
  b.writeUInt32LE(2, 4);
  return b;
}

test('old-format log: DIRT bitmap pages are replayed, bins may grow', () => {
  const before = writeHive(tree(2, false));
  const after = writeHive(tree(3, true));
  assert.ok(after.length > before.length, 'target hive is larger');
  const log = oldLog(before, after, 2);
  const primary = dirty(before);
  const r = applyTransactionLogs(primary, [{ file: 'C:\\Windows\\System32\\config\\SYSTEM.LOG', bytes: log }]);
  assert.equal(r.applied, 1);
  assert.match(r.notices[0]!, /SYSTEM\.LOG: replayed \d+ dirty pages \(old-format log\)/);
  assert.ok(Buffer.from(r.bytes.subarray(4096)).equals(after.subarray(4096)), "bins equal the target hive's");
  const hive = Hive.open(primary, { file: 'SYSTEM', logs: [{ file: 'SYSTEM.LOG', bytes: log }] });
  assert.deepEqual(hive.lookup(['Control'])!.value('Start')!.decoded(), { type: 'DWord', data: 3 });
  assert.ok(hive.lookup(['Zzz']), 'key added by the log exists');
  assert.deepEqual(Hive.open(primary, { file: 'SYSTEM' }).lookup(['Control'])!.value('Start')!.decoded(), { type: 'DWord', data: 2 });
});

test('old-format log: stale, damaged or foreign logs are skipped with a notice', () => {
  const before = writeHive(tree(2, false));
  const after = writeHive(tree(3, false));
  const primary = dirty(before);
  const stale = oldLog(before, after, 0);
  assert.match(applyTransactionLogs(primary, [{ file: 'S.LOG', bytes: stale }]).notices[0]!, /older than the hive/);
  const good = oldLog(before, after, 2);
  const truncated = good.subarray(0, good.length - 512);
  const t = applyTransactionLogs(primary, [{ file: 'S.LOG', bytes: truncated }]);
  assert.equal(t.applied, 0);
  assert.match(t.notices[0]!, /^S\.LOG @ byte 0x400: the bitmap marks \d+ dirty pages/);
  const badSum = Buffer.from(good);
  badSum[100] ^= 1;
  assert.match(applyTransactionLogs(primary, [{ file: 'S.LOG', bytes: badSum }]).notices[0]!, /checksum/);
  assert.match(applyTransactionLogs(primary, [{ file: 'S.LOG', bytes: Buffer.from('not a log at all'.repeat(64)) }]).notices[0]!, /not a transaction log/);
  const noDirt = Buffer.from(good);
  noDirt.write('XXXX', 512, 'latin1');
  assert.match(applyTransactionLogs(primary, [{ file: 'S.LOG', bytes: noDirt }]).notices[0]!, /DIRT/);
});
