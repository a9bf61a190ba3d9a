/**
 * Every parser (and the writers' hot paths), fed large hostile inputs built by repeating small
 * structural pieces, ends in a result or a located error within a time bound (issue #8). The
 * pieces are the ones that made earlier code quadratic or worse: deep key paths, runs of
 * backslashes, many deletions, flag runs, nested brackets, keys sharing subkey lists, long lines.
 * Inputs reach a few hundred thousand characters; linear code handles one in tens of
 * milliseconds, so the per-case bound is generous for a loaded CI machine while quadratic code
 * misses it by a wide margin. Each property also names the located-error shape its parser owes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { getBorderCharacters, table } from 'table';
import { DriftscanError } from '../src/core/diagnostics.js';
import { redactSecrets } from '../src/core/redact.js';
import { locatePointer } from '../src/core/source-position.js';
import { readMof } from '../src/compile/mof-reader.js';
import { renderReport } from '../src/report/index.js';
import { Hive, HiveError } from '../src/state/hive/hive.js';
import { walkHive } from '../src/state/hive/walk.js';
import { parseRegFile } from '../src/state/reg/parse.js';
import { regFileSource } from '../src/state/reg/source.js';
import { loadSnapshot } from '../src/state/snapshot/source.js';
import { parseRegistryPath } from '../src/windows/registry-path.js';
import { parseSddl, SddlError } from '../src/windows/sddl.js';
import { encodeSecurityDescriptor, parseSecurityDescriptor } from '../src/windows/security-descriptor.js';
import { report, result } from './support/report-fixtures.js';
import { writeHive, type WriterKey } from './support/regf-writer.js';
import { sdArb } from './support/security-arbitraries.js';

/** Per input; linear code needs a few percent of it. */
const CASE_MS = 2000;
/** Largest generated input, in characters (or bytes). */
const MAX_SIZE = 300_000;

/** Runs `fn`, fails when it took longer than CASE_MS, and returns what it returned or threw. */
function timed<T>(what: string, fn: () => T): { value: T } | { error: unknown } {
  const start = performance.now();
  let out: { value: T } | { error: unknown };
  try {
    out = { value: fn() };
  } catch (error) {
    out = { error };
  }
  const ms = performance.now() - start;
  assert.ok(ms < CASE_MS, `${what}: ${ms.toFixed(0)} ms for one input (bound ${CASE_MS} ms)`);
  return out;
}

/** The error, if `fn` threw; fails on an error that is not one line or is a JS engine error (stack overflow, TypeError…). */
function errorOf(out: { value: unknown } | { error: unknown }): Error | undefined {
  if (!('error' in out)) return undefined;
  const e = out.error;
  assert.ok(e instanceof Error, String(e));
  assert.ok(!(e instanceof RangeError || e instanceof TypeError || e instanceof SyntaxError), e.stack);
  assert.doesNotMatch(e.message, /\n/, 'one line');
  assert.ok(e.message.length < 4000, `error message of ${e.message.length} characters`);
  return e;
}

/**
 * Text made of `pieces` repeated up to MAX_SIZE, between a `head` and a `tail`: the shape of a
 * hostile input (one structure many times) with fast-check choosing the structure.
 */
function repeated(head: fc.Arbitrary<string>, pieces: fc.Arbitrary<string>, tail: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(head, fc.array(pieces, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: MAX_SIZE }), tail)
    .map(([h, parts, times, t]) => {
      const unit = parts.join('') || ' ';
      return h + unit.repeat(Math.max(1, Math.min(times, Math.floor(MAX_SIZE / unit.length)))) + t;
    });
}

const RUNS = { numRuns: 40 };

/** Runs `RUNS` plus the given inputs, which earlier code could not handle in time. */
const withExamples = <T>(examples: T[]) => ({ ...RUNS, examples: examples.map((e) => [e] as [T]) });

// --- .reg files ---------------------------------------------------------------------------------

const REG = 'Windows Registry Editor Version 5.00\r\n';

test('property: any .reg text ends in a RegFile (and source) or an error at file:line:col, in time', () => {
  const head = fc.constantFrom('Windows Registry Editor Version 5.00\r\n', 'REGEDIT4\n', 'Windows Registry Editor Version 5.00\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE]\r\n"v"=hex:', 'Windows Registry Editor Version 5.00\n[HKLM\\A', 'Windows Registry Editor Version 5.00\n"v"="', '');
  const piece = fc.constantFrom(
    '[HKEY_LOCAL_MACHINE\\SOFTWARE\\A', '\\k', '\\', ']\r\n', '[-HKLM\\SOFTWARE\\A\\k]\n', '"v"="x"\r\n', '"v"=-\n', '@=dword:1\n', '"v"=hex:00,',
    '00,', 'ff,\\\r\n  ', '"', '\\"', '\\\\', 'x', ' ', '\t', ';c\n', '\n', 'hex(7):', '[', ']', 'é€', '\u0000',
  );
  const tail = fc.constantFrom('', ']\r\n', '"\r\n', '00\r\n');
  fc.assert(
    fc.property(repeated(head, piece, tail), fc.boolean(), (text, wide) => {
      const bytes = wide ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]) : Buffer.from(text, 'latin1');
      const out = timed(`.reg of ${text.length} characters`, () => {
        const s = regFileSource(parseRegFile(bytes, 'f.reg'), 'f.reg');
        s.key(parseRegistryPath('HKLM\\SOFTWARE\\A\\k\\k'));
      });
      const e = errorOf(out);
      if (e) {
        assert.ok(e instanceof DriftscanError, e.stack);
        assert.match(e.message, /^f\.reg(:\d+:\d+| @ byte 0x[0-9a-f]+): \S/);
      }
    }),
    {
      ...RUNS,
      examples: [
        [`${REG}${'[-HKLM\\SOFTWARE\\A\\k]\n[HKLM\\SOFTWARE\\A\\j]\n'.repeat(8000)}`, false],
        [`${REG}[HKLM\\SOFTWARE]\n${`[HKLM\\SOFTWARE${'\\k'.repeat(510)}]\n`.repeat(40)}`, false],
        [`${REG}[HKLM\\SOFTWARE${'\\'.repeat(100_000)}x]\n`, true],
      ],
    },
  );
});

test('property: registry paths of any shape parse or fail with a short message, in time', () => {
  const piece = fc.constantFrom('\\', 'k', 'HKLM', ':', 'Registry::', ' ', 'x'.repeat(300), '\\\\');
  fc.assert(
    fc.property(repeated(fc.constantFrom('', 'HKLM\\', 'HKEY_LOCAL_MACHINE\\SOFTWARE\\', 'Registry::HKLM\\'), piece, fc.constantFrom('', '\\', 'x')), (text) => {
      const out = timed(`path of ${text.length} characters`, () => parseRegistryPath(text));
      const e = errorOf(out);
      if (e) assert.ok(e.message.length < 400, e.message.slice(0, 400));
      else {
        const p = (out as { value: ReturnType<typeof parseRegistryPath> }).value;
        assert.ok(p.segments.length <= 512 && p.segments.every((s) => s.length > 0 && s.length <= 255));
      }
    }),
    RUNS,
  );
});

// --- snapshots ----------------------------------------------------------------------------------

test('property: any snapshot text ends in a source or an error at file:line:col, in time', () => {
  const head = fc.constantFrom('{"schema":"driftscan-snapshot/v1","keys":[', '{"schema":"driftscan-snapshot/v1","keys":[{"path":"HKLM\\\\A","exists":true,"values":[{"name":"V","kind":"String","data":', '[', '{');
  const piece = fc.constantFrom(
    '{"path":"HKLM\\\\A\\\\k","exists":true,"values":[{"name":"V","kind":"String","data":"x"}]},', '{"path":"HKLM\\\\A","exists":true,"sddl":"D:PPPP(A;;KA;;;SY)"},',
    '[', ']', '{', '}', '"', '\\\\', ',', ':', ' ', '\n', '1', 'true', '"kind":"Bogus",', '{"path":"' + 'HKLM\\\\k'.repeat(10) + '","exists":false},',
  );
  const tail = fc.constantFrom('', ']}', '{"path":"HKLM\\\\B","exists":true,"values":[{"name":"V","kind":"Bogus","data":1}]}]}', '"x"}]}]}');
  fc.assert(
    fc.property(repeated(head, piece, tail), (text) => {
      const out = timed(`snapshot of ${text.length} characters`, () => {
        const s = loadSnapshot(Buffer.from(text), 'f.json');
        const k = s.key(parseRegistryPath('HKLM\\A'));
        if (k.status === 'present') k.value.security();
      });
      const e = errorOf(out);
      if (e) {
        assert.ok(e instanceof DriftscanError, e.stack);
        assert.match(e.message, /^f\.json(:\d+:\d+)?: \S/);
      }
    }),
    withExamples([
      `{"schema":"driftscan-snapshot/v1","keys":[{"path":"HKLM\\\\A","exists":true,"values":[{"name":"V","kind":"String","data":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}]}`,
      `{"schema":"driftscan-snapshot/v1","keys":[{"path":"HKLM\\\\A","exists":true,"sddl":"D:${'P'.repeat(200_000)}"}]}`,
    ]),
  );
});

test('property: a JSON pointer is located at its value in any document (JSON.stringify is the oracle), in time', () => {
  // Compact JSON holds each value's serialisation verbatim where the value starts.
  const doc = fc.jsonValue({ maxDepth: 3 }).chain((v) =>
    fc.tuple(fc.constant(v), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 0, max: 200 })),
  ).map(([v, copies, depth]) => ({ keys: Array.from({ length: copies }, () => v), deep: JSON.parse(`${'['.repeat(depth)}1${']'.repeat(depth)}`) as unknown, last: v }));
  fc.assert(
    fc.property(doc, (d) => {
      const text = JSON.stringify(d);
      const paths: Array<[string, unknown]> = [['/last', d.last], [`/keys/${d.keys.length - 1}`, d.keys.at(-1)], ['/deep', d.deep]];
      if (d.last && typeof d.last === 'object') for (const [k, v] of Object.entries(d.last)) paths.push([`/last/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, v]);
      for (const [pointer, value] of paths) {
        const out = timed(`pointer into ${text.length} characters`, () => locatePointer(text, 'f.json', pointer));
        const { line, col } = (out as { value: { line: number; col: number } }).value;
        assert.equal(line, 1);
        assert.ok(text.startsWith(JSON.stringify(value), col - 1), `${pointer} at 1:${col}`);
      }
    }),
    { numRuns: 60 },
  );
});

// --- hives --------------------------------------------------------------------------------------

/** Bins-relative offset → file offset of the cell's data. */
const cellData = (rel: number): number => 4096 + rel + 4;

interface Rewrite { kind: 'shareSubkeys' | 'shareValues' | 'repeatSubkeyEntry' | 'repeatValueEntry' | 'shareData'; a: number; b: number }

/** Applies one structural rewrite of the kinds a damaged or crafted hive can hold. */
function rewrite(buf: Buffer, nks: number[], r: Rewrite): void {
  const a = cellData(nks[r.a % nks.length]!);
  const b = cellData(nks[r.b % nks.length]!);
  const copy = (field: number) => buf.writeUInt32LE(buf.readUInt32LE(b + field), a + field);
  const list = (nk: number, field: number) => buf.readUInt32LE(nk + field);
  switch (r.kind) {
    case 'shareSubkeys': // key a lists key b's subkeys
      copy(20);
      copy(28);
      return;
    case 'shareValues':
      copy(36);
      copy(40);
      return;
    case 'repeatSubkeyEntry': { // every entry of a's lf/lh/li list names its first subkey
      if (list(a, 28) === 0xffffffff) return;
      const l = cellData(list(a, 28));
      const sig = buf.toString('latin1', l, l + 2);
      const stride = sig === 'li' ? 4 : sig === 'lf' || sig === 'lh' ? 8 : 0;
      for (let i = 1; stride && i < buf.readUInt16LE(l + 2); i++) buf.copy(buf, l + 4 + i * stride, l + 4, l + 4 + stride);
      return;
    }
    case 'repeatValueEntry': {
      if (list(a, 40) === 0xffffffff) return;
      const l = cellData(list(a, 40));
      for (let i = 1; i < buf.readUInt32LE(a + 36); i++) buf.copy(buf, l + i * 4, l, l + 4);
      return;
    }
    case 'shareData': { // a's values point at the data of b's first value
      if (list(a, 40) === 0xffffffff || list(b, 40) === 0xffffffff || buf.readUInt32LE(b + 36) === 0) return;
      const vb = cellData(buf.readUInt32LE(cellData(list(b, 40))));
      const la = cellData(list(a, 40));
      for (let i = 0; i < buf.readUInt32LE(a + 36); i++) buf.copy(buf, cellData(buf.readUInt32LE(la + i * 4)) + 4, vb + 4, vb + 12);
    }
  }
}

const keyCount = (k: WriterKey): number => 1 + (k.subkeys ?? []).reduce((n, s) => n + keyCount(s), 0);

const treeArb: fc.Arbitrary<WriterKey> = fc
  .tuple(fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 600 }))
  .map(([widths, values, chain]) => {
    const build = (level: number, name: string): WriterKey => ({
      name,
      values: Array.from({ length: values }, (_, i) => ({ name: `v${i}`, typeCode: 3, data: new Uint8Array(8 + i * 40).fill(i) })),
      subkeys: level < widths.length ? Array.from({ length: widths[level]! }, (_, i) => build(level + 1, `k${i}`)) : [],
    });
    const root = build(0, 'ROOT');
    // A chain deeper than the 512 levels Windows allows.
    let at = root;
    for (let i = 0; i < chain; i++) at.subkeys!.push((at = { name: `d${i}`, subkeys: [] }));
    return root;
  });

test('property: walking any hive whose lists share or repeat cells reads each key once, or reports it at a byte offset, in time', () => {
  const rewrites = fc.array(
    fc.record({ kind: fc.constantFrom<Rewrite['kind']>('shareSubkeys', 'shareValues', 'repeatSubkeyEntry', 'repeatValueEntry', 'shareData'), a: fc.nat(), b: fc.nat() }),
    { minLength: 1, maxLength: 12 },
  );
  fc.assert(
    fc.property(treeArb, rewrites, (tree, changes) => {
      const buf = Buffer.from(writeHive(tree));
      const nks: number[] = [];
      const intact = Hive.open(buf, { file: 'x' });
      for (const w of walkHive(intact.root())) nks.push(w.key.offset);
      for (const r of changes) rewrite(buf, nks, r);
      let walked = 0;
      const out = timed(`walk of a ${buf.length}-byte hive`, () => {
        const hive = Hive.open(buf, { file: 'fuzz.hive' });
        for (const w of walkHive(hive.root())) {
          walked++;
          for (const e of w.errors) {
            assert.ok(e instanceof HiveError, e.stack);
            assert.match(e.message, /^fuzz\.hive @ byte 0x[0-9a-f]+: [^\n]+$/);
          }
        }
      });
      const e = errorOf(out);
      if (e) assert.match(e.message, /^fuzz\.hive @ byte 0x[0-9a-f]+: /);
      // A tree has one entry per key cell: however the lists point, nothing is read twice.
      assert.ok(walked <= keyCount(tree), `walked ${walked} keys of a hive holding ${keyCount(tree)}`);
    }),
    { numRuns: 60 },
  );
});

test('a big-data value whose segment list repeats a segment is an error at that entry, not data of the list length times 16 KB', () => {
  const big = Uint8Array.from({ length: 5 * 16344 }, (_, i) => i & 0xff);
  const buf = Buffer.from(writeHive({ name: 'ROOT', subkeys: [{ name: 'K', values: [{ name: 'big', typeCode: 3, data: big }] }] }));
  const key = Hive.open(buf, { file: 'x' }).lookup(['K'])!;
  assert.deepEqual(key.value('big')!.bytes(), big);
  const vk = cellData(buf.readUInt32LE(cellData(buf.readUInt32LE(cellData(key.offset) + 40))));
  const db = cellData(buf.readUInt32LE(vk + 8));
  const segmentList = buf.readUInt32LE(db + 4);
  for (let i = 1; i < 5; i++) buf.copy(buf, cellData(segmentList) + i * 4, cellData(segmentList), cellData(segmentList) + 4);
  const damaged = Hive.open(buf, { file: 'big.hive' }).lookup(['K'])!;
  const expected = new RegExp(`^big\\.hive @ byte 0x${(4096 + segmentList + 8).toString(16)}: segment 2 of data of value "big" of key "K" at 0x[0-9a-f]+ is already used \\(damaged big data\\)$`);
  assert.throws(() => damaged.value('big')!.bytes(), (e: unknown) => e instanceof HiveError && expected.test(e.message));
  const [, k] = [...walkHive(Hive.open(buf, { file: 'big.hive' }).root())];
  assert.deepEqual(k!.values, []);
  assert.match(k!.errors.map((e) => e.message).join('\n'), expected);
});

// --- security descriptors -----------------------------------------------------------------------

test('property: SDDL of any shape parses or fails with a column inside the text, in time', () => {
  const head = fc.constantFrom('', 'O:SYG:SY', 'D:', 'S:', 'D:(A;;KA;;;', 'D:(XA;;FX;;;S-1-1-0;(');
  const piece = fc.constantFrom('P', 'AI', 'AR', 'NO_ACCESS_CONTROL', '(A;;KA;;;SY)', '(', ')', ';', '"', ' ', 'S-1-5-', '1-', 'D:', 'O:SY', '(A;CI;KR;;;S-1-5-21-1-2-3-4)', 'x');
  fc.assert(
    fc.property(repeated(head, piece, fc.constantFrom('', ')', '))', 'SY)')), (text) => {
      const e = errorOf(timed(`SDDL of ${text.length} characters`, () => parseSddl(text)));
      if (e) {
        assert.ok(e instanceof SddlError, e.stack);
        assert.ok(e.column >= 1 && e.column <= text.length + 1, `column ${e.column}`);
      }
    }),
    withExamples([`D:${'P'.repeat(200_000)}`, `D:(A;;KA;;;${'P'.repeat(200_000)})`]),
  );
});

test('property: binary security descriptors with huge ACE counts and sizes parse or fail naming an SD byte, in time', () => {
  fc.assert(
    fc.property(sdArb, fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 200_000 }), (sd, count, size, padding) => {
      const seed = encodeSecurityDescriptor(sd);
      const b = new Uint8Array(seed.length + padding);
      b.set(seed);
      const dacl = new DataView(b.buffer).getUint32(16, true);
      if (dacl >= 20 && dacl + 8 <= seed.length) {
        new DataView(b.buffer).setUint16(dacl + 2, size, true);
        new DataView(b.buffer).setUint16(dacl + 4, count, true);
      }
      const e = errorOf(timed(`descriptor of ${b.length} bytes`, () => parseSecurityDescriptor(b)));
      if (e) {
        assert.equal(e.constructor, Error, e.stack);
        assert.match(e.message, /SD byte 0x[0-9a-f]+|security descriptor|offset 0x[0-9a-f]+/);
      }
    }),
    RUNS,
  );
});

// --- MOF ----------------------------------------------------------------------------------------

test('property: MOF text of any shape reads or fails naming a line, in time', () => {
  const head = fc.constantFrom('', 'instance of X as $X1ref\n{\n', 'instance of X as $X1ref { A = ', 'instance of X as $X1ref { A = "');
  const piece = fc.constantFrom('A = "x";\n', '{', '}', ',', '"', '\\x41', '\\"', '$X1ref', '1', 'true', '/* c */', '//c\n', '\n', ';', 'instance of Y { B = {"a", "b"}; };\n', '=');
  fc.assert(
    fc.property(repeated(head, piece, fc.constantFrom('', '"', '};', '"; };', '}; };')), (text) => {
      const e = errorOf(timed(`MOF of ${text.length} characters`, () => readMof(text)));
      if (e) {
        assert.equal(e.constructor, Error, e.stack);
        assert.match(e.message, /^MOF( line \d+)?: \S/);
      }
    }),
    withExamples([`instance of X as $X1ref { A = ${'{'.repeat(100_000)}${'}'.repeat(100_000)}; };`]),
  );
});

// --- writers ------------------------------------------------------------------------------------

test('property: the table renders fields of any size in time, cut with a marker, never past its width', () => {
  const piece = fc.constantFrom('word ', 'x', '\\', '/', '-', '.', '\n', '\r\n', '\t', '\u001b[31m', '日本', 'e\u0301', '\ud83d\udd12', 'a'.repeat(300));
  const field = repeated(fc.constantFrom(''), piece, fc.constantFrom(''));
  fc.assert(
    fc.property(field, field, fc.integer({ min: 40, max: 220 }), (title, found, width) => {
      const rep = report([result({ ruleId: 'r', status: 'fail', title, actual: found }), result({ ruleId: 's', status: 'skipped', message: found })]);
      const out = timed(`table with fields of ${title.length} and ${found.length} characters`, () => renderReport(rep, 'table', { width }));
      const text = (out as { value: string }).value;
      assert.ok(text.length < 40 * width * 100, `table of ${text.length} characters`);
      // The "Expected / found" column read top to bottom; wrapping may break after the dashes of
      // "--format", and a line of wide characters in another column leaves blank lines in this one.
      const details = text.split('\n').filter((l) => l.startsWith('│')).map((l) => l.split('│')[5]!.trim()).join(' ').replace(/ +/g, ' ');
      if (found.length > 2000) assert.match(details, new RegExp(`… \\(${found.length + 6} characters in all; the full text is in --( ?-)? ?format json\\)`));
    }),
    { ...RUNS, examples: [['t', 'x'.repeat(80_000), 120], ['words '.repeat(40_000), 'y', 80]] },
  );
});

test('property: plain text within the cut is wrapped exactly as the table package wraps it on its own', () => {
  // The oracle: the `table` package given the whole cells, as before this writer pre-wrapped long lines.
  const words = fc.string({ unit: fc.constantFrom(...'aaaaabbbbcc       -./\\_,;'.split('')), minLength: 200, maxLength: 1800 });
  fc.assert(
    fc.property(words, words, fc.integer({ min: 60, max: 200 }), (title, found, width) => {
      const r = result({ ruleId: 'kerberos-max-token-size', status: 'fail', title, actual: found });
      const ours = renderReport(report([r]), 'table', { width });
      const lines = ours.split('\n');
      const top = lines.find((l) => l.startsWith('┌'))!;
      const widths = top.slice(1, -1).split('┬').map((c) => c.length - 2);
      const loc = `${r.location.file}:${r.location.line}:${r.location.col}`;
      const theirs = table(
        [['Status', 'Severity', 'Rule', 'Title', 'Expected / found'], ['FAIL', 'high', `${r.ruleId}\n${loc}`, title, `expected ${r.expected}\nfound ${found}`]],
        { border: getBorderCharacters('norc'), columns: widths.map((w) => ({ width: w, wrapWord: true })) },
      ).trimEnd();
      const body = lines.slice(lines.indexOf(top), lines.findIndex((l) => l.startsWith('└')) + 1).join('\n');
      assert.equal(body, theirs);
    }),
    { numRuns: 40 },
  );
});

test('property: redaction is linear in the text and still redacts a credential buried in it', () => {
  const piece = fc.constantFrom('a.', 'eyJa-', 'eyJhbGciOi.', 'http', '://', 'x', ' ', '?sig=', '&', '=', 'Bearer ', 'Basic ', '+', '@', '-');
  fc.assert(
    fc.property(repeated(fc.constantFrom(''), piece, fc.constantFrom('')), (noise) => {
      const text = `${noise} https://user:hunter2@example.com/x ${noise}`;
      const out = timed(`redaction of ${text.length} characters`, () => redactSecrets(text));
      assert.doesNotMatch((out as { value: string }).value, /hunter2/);
    }),
    withExamples(['a.'.repeat(100_000), 'eyJa-'.repeat(40_000)]),
  );
});
