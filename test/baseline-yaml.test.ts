/**
 * Issue #8, YAML: every problem in a baseline's text is one line `file:line:col: what is wrong`
 * (or `file @ byte 0x…`) — syntax errors, dangling and cyclic aliases, alias bombs, encodings —
 * and arbitrary or mutated text never gives an internal error or hangs the loader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadBaselineText, loadBaselines, BaselineErrors } from '../src/baseline/load.js';
import { DriftscanError } from '../src/core/diagnostics.js';
import { runCli } from './support/cli.js';
import { repoRoot } from './support/paths.js';
import { DWORD_RULE, RULES_HEAD, loadErrors } from './support/baseline-yaml.js';


function withDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-yaml-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `validate` on `bytes` written to a file; returns exit status, stderr lines and the file path. */
function validateBytes(bytes: Uint8Array | string, name = 'b.yaml'): { status: number; lines: string[]; stdout: string; file: string } {
  return withDir((dir) => {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    const r = runCli(['validate', file]);
    return { status: r.status, lines: r.stderr.trim() ? r.stderr.trim().split('\n') : [], stdout: r.stdout, file };
  });
}

test('an unresolved alias is one located error, not an internal error', () => {
  const text = (RULES_HEAD + DWORD_RULE).replace('title: One', 'title: *missing');
  assert.deepEqual(loadErrors(text), ['b.yaml:10:14: alias *missing has no anchor &missing before it']);
  // An anchor defined after its alias does not count (yaml resolves aliases backwards only).
  const late = (RULES_HEAD + DWORD_RULE).replace('title: One', 'title: *t').replace('name: V', 'name: &t V');
  assert.deepEqual(loadErrors(late), ['b.yaml:10:14: alias *t has no anchor &t before it']);
  const r = validateBytes(text);
  assert.equal(r.status, 2);
  assert.equal(r.lines.length, 1, r.lines.join('\n'));
  assert.equal(r.lines[0], `driftscan: ${r.file}:10:14: alias *missing has no anchor &missing before it`);
});

test('an alias bomb is refused at the alias that crosses the limit, quickly', () => {
  const levels = ['x0: &x0 [a, a, a, a, a, a, a, a, a, a]'];
  for (let i = 1; i < 12; i++) levels.push(`x${i}: &x${i} [${Array(10).fill(`*x${i - 1}`).join(', ')}]`);
  const text = `${levels.join('\n')}\n${RULES_HEAD}${DWORD_RULE}`;
  const started = process.hrtime.bigint();
  const msgs = loadErrors(text);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.equal(msgs.length, 1);
  assert.match(msgs[0]!, /^b\.yaml:5:\d+: alias \*x3 expands the document past 100000 nodes; .*alias bomb/);
  assert.ok(ms < 2000, `took ${ms} ms`);
  const r = validateBytes(text);
  assert.equal(r.status, 2);
  assert.equal(r.lines.length, 1, r.lines.join('\n'));
  assert.doesNotMatch(r.lines[0]!, /internal error/);
});

test('an alias inside the node its anchor marks (a cycle) is a located error', () => {
  const text = (RULES_HEAD + DWORD_RULE).replace('    - id: r1', '    - &rule\n      id: r1\n      tags: [*rule]');
  assert.deepEqual(loadErrors(text), ['b.yaml:11:14: alias *rule is inside the node its anchor &rule marks, which would make the data contain itself']);
});

test('a path anchor shared by many rules loads (yaml\'s default alias limit of 100 rejected it)', () => {
  const rules = Array.from({ length: 150 }, (_, i) => `    - id: r${i}
      title: Rule ${i}
      severity: low
      registryValue: { path: ${i === 0 ? '&lsa ' : '*'}${i === 0 ? 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa' : 'lsa'}, name: V${i}, type: DWord, equals: ${i} }
`).join('');
  const b = loadBaselineText(RULES_HEAD + rules, 'many.yaml');
  assert.equal(b.rules.length, 150);
  assert.equal((b.rules[149]!.check as { pathText: string }).pathText, 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa');
});

test('a YAML syntax error is one line naming file:line:col, however many errors the parser reports after it', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['flow', (RULES_HEAD + DWORD_RULE).replace('title: One', 'title: [unclosed'), /:11:7: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a \]$/],
    ['tab', (RULES_HEAD + DWORD_RULE).replace('  version: 1.0.0', '\tversion: 1.0.0'), /:5:1: YAML syntax error: Tabs are not allowed as indentation$/],
    ['indent', (RULES_HEAD + DWORD_RULE).replace('      title: One', '     title: One'), /:10:1: YAML syntax error: /],
    ['quote', (RULES_HEAD + DWORD_RULE).replace('title: One', 'title: "One'), /:10:14: YAML syntax error: double quote is never closed$/],
    ['single', (RULES_HEAD + DWORD_RULE).replace('title: One', "title: 'One"), /:10:14: YAML syntax error: single quote is never closed$/],
    ['dup', (RULES_HEAD + DWORD_RULE).replace('kind: Baseline', 'kind: Baseline\nkind: Baseline'), /:3:1: YAML syntax error: Map keys must be unique$/],
    ['docs', `${RULES_HEAD}${DWORD_RULE}---\n${RULES_HEAD}${DWORD_RULE}`, /:17:1: YAML syntax error: a baseline file holds one YAML document, and a second one starts here/],
    ['deep', (RULES_HEAD + DWORD_RULE).replace('equals: 5', `equals: ${'['.repeat(3000)}${']'.repeat(3000)}`), /:16:\d+: YAML syntax error: collections are nested too deeply to parse$/],
  ];
  for (const [name, text, pattern] of cases) {
    const msgs = loadErrors(text);
    assert.equal(msgs.length, 1, `${name}: ${msgs.join('\n')}`);
    assert.match(msgs[0]!, new RegExp(`^b\\.yaml${pattern.source}`), name);
  }
  // Through the CLI: one folder of all the broken files gives exactly one stderr line per file.
  withDir((dir) => {
    for (const [name, text] of cases) writeFileSync(join(dir, `${name}.yaml`), text);
    const r = runCli(['validate', dir]);
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, cases.length, r.stderr);
    for (const [name, , pattern] of cases) {
      const file = join(dir, `${name}.yaml`);
      assert.ok(lines.some((l) => l.startsWith(`driftscan: ${file}:`) && pattern.test(l)), `${name}:\n${r.stderr}`);
    }
  });
});

test('user text with line breaks or terminal escapes stays on the one line of its error', () => {
  const msgs = loadErrors((RULES_HEAD + DWORD_RULE).replace('        equals: 5', '        equals: 5\n        "eq\\nuals\\u001b[2J": 1'));
  assert.deepEqual(msgs, ['b.yaml:17:9: unknown key "eq\\nuals\\x1b[2J" (allowed: path, name, type, equals, oneOf, atLeast, atMost, matches, ignoreCase, ensure)']);
});

test('a %YAML 1.1 directive does not turn dates into Date objects or yes into true', () => {
  const text = `%YAML 1.1\n---\n${RULES_HEAD}${DWORD_RULE}  waivers:\n    - rule: r1\n      reason: yes\n      owner: me\n      expires: 2999-06-30\n`;
  const b = loadBaselineText(text, 'v11.yaml');
  assert.deepEqual(b.waivers.map((w) => [w.reason, w.expires]), [['yes', '2999-06-30']]);
});

const SEED = readFileSync(join(repoRoot, 'policies', 'rdp-hardening.yaml'), 'utf8');

test('a baseline saved as UTF-16 (PowerShell 5.1 ">"), with a UTF-8 BOM or without BOM loads like the UTF-8 file', () => {
  const le = Buffer.from(SEED, 'utf16le');
  const be = Buffer.from(le).swap16();
  const encodings: Array<[string, Buffer]> = [
    ['utf-8', Buffer.from(SEED, 'utf8')],
    ['utf-8 BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SEED, 'utf8')])],
    ['utf-16le BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), le])],
    ['utf-16be BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), be])],
    ['utf-16le', le],
    ['utf-16be', be],
  ];
  withDir((dir) => {
    const expected = JSON.stringify(loadBaselines([join(repoRoot, 'policies', 'rdp-hardening.yaml')])[0]!.rules);
    encodings.forEach(([name, bytes], i) => {
      const file = join(dir, `e${i}.yaml`);
      writeFileSync(file, bytes);
      const [b] = loadBaselines([file]);
      assert.equal(JSON.stringify(b!.rules).replaceAll(JSON.stringify(file).slice(1, -1), 'F'), expected.replaceAll(JSON.stringify(join(repoRoot, 'policies', 'rdp-hardening.yaml')).slice(1, -1), 'F'), name);
    });
  });
  const ps = validateBytes(Buffer.concat([Buffer.from([0xff, 0xfe]), le]));
  assert.equal(ps.status, 0, ps.lines.join('\n'));
  assert.match(ps.stdout, /ok {2}.*b\.yaml: rdp-hardening 1\.0\.0, 7 rules, 1 waiver/);
});

/** The messages of loading `bytes` as a baseline file (`loadBaselines` reads and decodes it), and the file's path. */
function loadBytes(bytes: Uint8Array): { msgs: string[]; file: string } {
  return withDir((dir) => {
    const file = join(dir, 'b.yaml');
    writeFileSync(file, bytes);
    try {
      loadBaselines([file]);
    } catch (err) {
      assert.ok(err instanceof BaselineErrors, `expected BaselineErrors, got ${(err as Error).stack}`);
      return { msgs: err.errors.map((e) => e.message), file };
    }
    assert.fail('expected the file to be rejected');
  });
}

test('UTF-32 and bytes that are not valid text name the encoding found and where', () => {
  const u32le = Buffer.alloc(SEED.length * 4);
  [...SEED].forEach((c, i) => u32le.writeUInt32LE(c.codePointAt(0)!, i * 4));
  const withBom = Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), u32le]);
  const a = validateBytes(withBom);
  assert.equal(a.status, 2);
  assert.deepEqual(a.lines, [`driftscan: ${a.file} @ byte 0x0: baseline is UTF-32LE (byte-order mark), which driftscan does not read; save it as UTF-8 (or UTF-16 with a byte-order mark)`]);
  const b = loadBytes(u32le);
  assert.deepEqual(b.msgs, [`${b.file} @ byte 0x0: baseline is UTF-32LE, which driftscan does not read; save it as UTF-8 (or UTF-16 with a byte-order mark)`]);
  const be = loadBytes(Buffer.concat([Buffer.from([0, 0, 0xfe, 0xff]), Buffer.alloc(8)]));
  assert.match(be.msgs[0]!, /@ byte 0x0: baseline is UTF-32BE \(byte-order mark\), which driftscan does not read/);
  // Windows-1252 "é" in a UTF-8 file: located by line and column, byte value named.
  const c = loadBytes(Buffer.from((RULES_HEAD + DWORD_RULE).replace('title: One', 'title: Caf\u00e9'), 'latin1'));
  assert.deepEqual(c.msgs, [`${c.file}:10:17: baseline is not valid UTF-8 (byte 0xe9 at offset 0x8e); save it as UTF-8 (or UTF-16 with a byte-order mark)`]);
  // A literal U+FFFD (valid UTF-8) before the bad byte does not shift the position.
  const d = loadBytes(Buffer.concat([Buffer.from('# \uFFFD\n', 'utf8'), Buffer.from([0x80])]));
  assert.deepEqual(d.msgs, [`${d.file}:2:1: baseline is not valid UTF-8 (byte 0x80 at offset 0x6); save it as UTF-8 (or UTF-16 with a byte-order mark)`]);
  const odd = loadBytes(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a: 1', 'utf16le'), Buffer.from([0x41])]));
  assert.match(odd.msgs[0]!, /@ byte 0xa: baseline looks like UTF-16LE but has an odd number of bytes/);
  const surrogate = loadBytes(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a: 1', 'utf16le'), Buffer.from([0x00, 0xd8])]));
  assert.match(surrogate.msgs[0]!, /: baseline is UTF-16LE with an unpaired surrogate/);
});

/** Whether a load outcome is acceptable: a baseline, or located DriftscanErrors only. */
function assertLocated(err: unknown, file: string, input: string): void {
  const errors = err instanceof BaselineErrors ? err.errors : [err];
  for (const e of errors) {
    assert.ok(e instanceof DriftscanError, `not a DriftscanError: ${(e as Error).stack}\n--- input:\n${input}`);
    assert.equal(e.location?.file, file, `${e.message}\n--- input:\n${input}`);
    assert.ok((e.location.line ?? 0) >= 1 || e.location.offset !== undefined, e.message);
    assert.equal(e.message.split('\n').length, 1, e.message);
  }
}

const TOKENS = ['&a ', '*a', '&b [*a, *a]', '*b', ': ', '- ', '[', ']', '{', '}', '"', "'", '\t', '\n', '#', '!!str ', '%YAML 1.1\n', '---\n', '? ',
  'constructor', '__proto__', 'toString', '{ param: minEncryptionLevel }', '\\', '\u0000', '\uFEFF', '|\n', '>-\n'];

/** Values a mutation puts after a key: anchors and aliases (resolved, dangling, nested), tags, odd scalars. */
const VALUES = ['&a [x, y]', '*a', '[*a, *a, *a]', '&b [*a, *a, *a, *a]', '*b', '*nope', '&a', '&a x', '!!binary aGk=', '!!set { x }', '!foo x',
  '2027-06-30', '0x10', '1e3', '~', '[]', '{}', '"open', "'open", '{ param: constructor }', '{ param: __proto__ }', '{ param: nope }',
  '{ __proto__: 1 }', '{ constructor: 1 }', '[[[[x]]]]', '? [a]', '|-', '>', '"a\\nb"', '"\\u001b[31m"'];

test('property: mutated shipped baselines load or fail with located one-line errors, each within 2 s', () => {
  const seeds = ['rdp-hardening.yaml', 'rdp-access-denied.yaml'].map((f) => readFileSync(join(repoRoot, 'policies', f), 'utf8'));
  const mutation = fc.oneof(
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 6 })) }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), text: fc.nat({ max: 40 }).map(String) }),
    fc.record({ op: fc.constant('dupLine' as const), at: fc.nat(), text: fc.constant('') }),
    fc.record({ op: fc.constant('value' as const), at: fc.nat(), text: fc.constantFrom(...VALUES) }),
  );
  fc.assert(
    fc.property(fc.nat({ max: 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, mutations) => {
      let text = seeds[which]!;
      for (const m of mutations) {
        const at = m.at % (text.length + 1);
        if (m.op === 'insert') text = text.slice(0, at) + m.text + text.slice(at);
        else if (m.op === 'delete') text = text.slice(0, at) + text.slice(at + Number(m.text));
        else if (m.op === 'dupLine') {
          const lines = text.split('\n');
          const i = m.at % lines.length;
          lines.splice(i, 0, lines[i]!);
          text = lines.join('\n');
        } else {
          // Replace the value of the n-th `key: value` line (anchors, aliases, tags, odd scalars).
          const lines = text.split('\n');
          const pairs = lines.map((l, i) => [i, /^(\s*(?:- )?[A-Za-z]+:) ?/.exec(l)] as const).filter(([, r]) => r);
          const [i, r] = pairs[m.at % pairs.length]!;
          lines[i] = `${r![1]} ${m.text}`;
          text = lines.join('\n');
        }
      }
      const started = Date.now();
      try {
        loadBaselineText(text, 'm.yaml', { today: '2026-01-01' });
      } catch (err) {
        assertLocated(err, 'm.yaml', text);
      }
      assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms:\n${text}`);
    }),
    { numRuns: Number(process.env.RUNS ?? 400) },
  );
});

test('property: arbitrary bytes as a baseline file load or fail with a located error', () => {
  withDir((dir) => {
    const file = join(dir, 'x.yaml');
    const prefix = fc.constantFrom(new Uint8Array(), new Uint8Array([0xff, 0xfe]), new Uint8Array([0xfe, 0xff]), new Uint8Array([0xef, 0xbb, 0xbf]), new Uint8Array([0xff, 0xfe, 0, 0]));
    fc.assert(
      fc.property(prefix, fc.uint8Array({ maxLength: 200 }), (p, body) => {
        const bytes = Buffer.concat([p, body]);
        writeFileSync(file, bytes);
        try {
          loadBaselines([file]);
        } catch (err) {
          assertLocated(err, file, bytes.toString('hex'));
        }
      }),
      { numRuns: Number(process.env.RUNS ?? 400) },
    );
  });
});
