/**
 * Fuzzing the hive reader (src/state/hive/hive.ts) with fast-check: truncations, bit flips and
 * random cell rewrites of real hives (hivex minimal seed, regipy SECURITY and SAM) and of the
 * bundled sample image. Invariant: opening, a fixed set of lookups and reading the values and
 * security descriptors of every key found (bounded walk) either returns or throws DriftscanError,
 * and each case takes under 2 s. Users feed driftscan damaged hives; a stack trace or a hang is a bug.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Hive, type HiveKey } from '../src/state/hive/hive.js';
import { DriftscanError } from '../src/core/diagnostics.js';
import { needShared, repoRoot, sharedData } from './support/paths.js';
import { sharedHiveBytes } from './support/shared-hives.js';

const CASE_LIMIT_MS = 2000;
const MAX_KEYS = 3000;

interface Subject {
  name: string;
  load: () => Buffer;
  lookups: string[][];
  runs: number;
}

const sampleSystem = join(repoRoot, 'examples', 'image', 'Windows', 'System32', 'config', 'SYSTEM');
const subjects: Array<Subject & { skip: string | false }> = [
  {
    name: 'hivex-minimal.hive',
    load: () => readFileSync(join(sharedData, 'hives', 'hivex-minimal.hive')),
    lookups: [[], ['x']],
    runs: 2400,
    skip: needShared('hives/hivex-minimal.hive'),
  },
  {
    name: 'SECURITY',
    load: () => sharedHiveBytes('SECURITY.xz'),
    lookups: [['Policy'], ['Policy', 'PolAdtEv'], ['Policy', 'Secrets'], ['RXACT']],
    runs: 2400,
    skip: needShared('hives/SECURITY.xz'),
  },
  {
    name: 'SAM',
    load: () => sharedHiveBytes('SAM.xz'),
    lookups: [['SAM', 'Domains', 'Account', 'Users'], ['SAM', 'Domains', 'Builtin', 'Aliases', 'Members']],
    runs: 1600,
    skip: needShared('hives/SAM.xz'),
  },
  {
    name: 'sample SYSTEM',
    load: () => readFileSync(sampleSystem),
    lookups: [['Select'], ['ControlSet001', 'Control', 'Terminal Server', 'WinStations', 'RDP-Tcp'], ['ControlSet001', 'Services', 'TermService']],
    runs: 2400,
    skip: existsSync(sampleSystem) ? false : 'examples/image not generated',
  },
];

/** Everything a `check` or `export` run would touch: lookups, then a bounded walk reading values and SDs. */
function exercise(bytes: Uint8Array, lookups: string[][]): void {
  const hive = Hive.open(bytes, { file: 'fuzzed.hive' });
  const read = (k: HiveKey): void => {
    void k.name;
    void k.lastWritten;
    void k.className;
    for (const v of k.values()) {
      v.bytes();
      v.decoded();
    }
    k.securityDescriptor();
  };
  const attempt = (fn: () => void): void => {
    // Per-key damage is reported per key; keep going like the evaluator does, but only for DriftscanError.
    try {
      fn();
    } catch (err) {
      if (!(err instanceof DriftscanError)) throw err;
    }
  };
  for (const path of lookups) attempt(() => {
    const k = hive.lookup(path);
    if (k) read(k);
  });
  let seen = 0;
  const walk = (k: HiveKey): void => {
    if (++seen > MAX_KEYS) return;
    attempt(() => read(k));
    attempt(() => {
      for (const s of k.subkeys()) walk(s);
    });
  };
  walk(hive.root());
}

function check(bytes: Uint8Array, lookups: string[][], what: string): void {
  const start = performance.now();
  try {
    exercise(bytes, lookups);
  } catch (err) {
    if (!(err instanceof DriftscanError)) {
      assert.fail(`${what}: threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.stack ?? String(err)}`);
    }
    assert.doesNotMatch(err.message, /\n/, 'errors are one line');
  }
  const ms = performance.now() - start;
  assert.ok(ms < CASE_LIMIT_MS, `${what}: took ${ms.toFixed(0)} ms (limit ${CASE_LIMIT_MS})`);
}

/** Offsets (bins-relative) of allocated cells, from the intact hive, as targets for rewrites. */
function cellOffsets(b: Buffer): number[] {
  const out: number[] = [];
  const binsEnd = Math.min(b.length, 4096 + b.readUInt32LE(40));
  for (let bin = 4096; bin + 32 <= binsEnd; ) {
    if (b.toString('latin1', bin, bin + 4) !== 'hbin') break;
    const size = b.readUInt32LE(bin + 8);
    if (size < 4096) break;
    for (let c = bin + 32; c + 4 <= bin + size && c + 4 <= b.length; ) {
      const s = b.readInt32LE(c);
      if (s === 0) break;
      if (s < 0) out.push(c);
      c += Math.abs(s);
    }
    bin += size;
  }
  return out;
}

for (const subject of subjects) {
  test(`fuzz ${subject.name}: truncation, bit flips and cell rewrites never crash or hang the reader`, { skip: subject.skip }, () => {
    const original = subject.load();
    check(original, subject.lookups, 'intact');
    const cells = cellOffsets(original);
    assert.ok(cells.length > 0, 'the intact hive has cells');
    const runs = subject.runs;

    // Truncation anywhere (also inside the base block) and zero-filled tails (§1.15 item 2).
    fc.assert(
      fc.property(fc.nat({ max: original.length }), fc.boolean(), (cut, zeroFill) => {
        const b = zeroFill ? Buffer.concat([original.subarray(0, cut), Buffer.alloc(original.length - cut)]) : original.subarray(0, cut);
        check(b, subject.lookups, `cut at ${cut}${zeroFill ? ' (zero-filled)' : ''}`);
      }),
      { numRuns: Math.floor(runs / 4) },
    );

    // Bit flips anywhere, weighted towards the base block and the first bin where the root lives.
    const offset = fc.oneof(fc.nat({ max: 4095 + 8192 }), fc.nat({ max: original.length - 1 }));
    fc.assert(
      fc.property(fc.array(fc.record({ at: offset, bit: fc.nat({ max: 7 }) }), { minLength: 1, maxLength: 16 }), (flips) => {
        const b = Buffer.from(original);
        for (const f of flips) if (f.at < b.length) b[f.at]! ^= 1 << f.bit;
        check(b, subject.lookups, `flips ${JSON.stringify(flips)}`);
      }),
      { numRuns: Math.floor(runs / 2) },
    );

    // Cell rewrites: overwrite a cell's size or some of its fields with random or hostile values.
    const hostile = fc.constantFrom(0, 1, 4, 8, 0x20, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff8, original.length, original.length - 4096);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ cell: fc.constantFrom(...cells), field: fc.nat({ max: 96 }), value: fc.oneof(hostile, fc.nat({ max: 0xffffffff })), width: fc.constantFrom(1, 2, 4) }),
          { minLength: 1, maxLength: 6 },
        ),
        (rewrites) => {
          const b = Buffer.from(original);
          for (const r of rewrites) {
            const at = r.cell + (r.field & ~(r.width - 1));
            if (at + r.width > b.length) continue;
            if (r.width === 1) b[at] = r.value & 0xff;
            else if (r.width === 2) b.writeUInt16LE(r.value & 0xffff, at);
            else b.writeUInt32LE(r.value >>> 0, at);
          }
          check(b, subject.lookups, `rewrites ${JSON.stringify(rewrites)}`);
        },
      ),
      { numRuns: runs },
    );
  });
}
