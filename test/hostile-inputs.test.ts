/**
 * Hostile sizes, end to end (issue #8): inputs generated here, each run through the CLI as a user
 * would, must finish within a time bound and end cleanly — exit 0, 1 or 2, errors one line at a
 * file location, never a stack trace or "internal error". The bound is generous for a loaded CI
 * machine (startup included); every size is chosen so that the quadratic (or worse) code this
 * suite guards against took several times longer — the figures in each test are from that code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hive } from '../src/state/hive/hive.js';
import { runCli, type CliResult } from './support/cli.js';
import { writeHive } from './support/regf-writer.js';

/**
 * Whole-process bound per run, startup included: 5 s, or 15 times the same machine's time for a
 * trivial `check` when the machine is so loaded that 5 s would fail linear code (the bound then
 * grows with the load, as the guarded code's time would). On a machine where a trivial run takes
 * about 0.3 s the bound stays 5 s, and the quadratic code these tests guard against took 7 s to
 * minutes at these sizes (each test names its figure).
 */
let boundMs: number | undefined;
function bound(): number {
  if (boundMs === undefined) {
    const reg = file('calibrate.reg', `${REG_HEADER}[HKEY_LOCAL_MACHINE\\SOFTWARE\\Hostile]\r\n"V"="short"\r\n`);
    const b = baseline('calibrate.yaml');
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      runCli(['check', b, '--reg', reg], { timeoutMs: 60_000 });
      times.push(performance.now() - start);
    }
    times.sort((x, y) => x - y);
    boundMs = Math.ceil(Math.max(5000, 15 * times[1]!));
  }
  return boundMs;
}

const dir = mkdtempSync(join(tmpdir(), 'driftscan-hostile-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function file(name: string, data: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

const REG_HEADER = 'Windows Registry Editor Version 5.00\r\n\r\n';

/** A baseline with one registryValue rule on HKLM\SOFTWARE\Hostile value V (expects "short"). */
function baseline(name: string, options: { title?: string } = {}): string {
  return file(name, `apiVersion: driftscan/v1
kind: Baseline
metadata:
  name: hostile
  version: 1.0.0
  title: hostile inputs
  owner: a@example.com
spec:
  rules:
    - id: long-value
      title: ${JSON.stringify(options.title ?? 'value V')}
      severity: high
      registryValue:
        path: HKLM\\SOFTWARE\\Hostile
        name: V
        type: String
        equals: short
`);
}

/** Runs the CLI and checks the common contract: in time, a clean exit code, errors one located line each. */
function run(args: string[], expectStatus: number[]): CliResult & { ms: number } {
  const limit = bound();
  const start = performance.now();
  const r = runCli(args, { timeoutMs: 4 * limit });
  const ms = performance.now() - start;
  assert.ok(ms < limit, `driftscan ${args.join(' ')} took ${ms.toFixed(0)} ms (bound ${limit.toFixed(0)} ms)${r.status === -1 ? ' and was killed' : ''}`);
  assert.ok(expectStatus.includes(r.status), `exit ${r.status}, expected ${expectStatus.join(' or ')}; stderr: ${r.stderr.slice(0, 500)}`);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at |RangeError|Maximum call stack/, r.stderr.slice(0, 500));
  for (const line of r.stderr.split('\n').filter(Boolean)) {
    if (!line.startsWith('driftscan: ')) continue;
    assert.ok(line.length < 2000, `one short line per error, got ${line.length} characters`);
  }
  return { ...r, ms };
}

/** Table output as one line of words: borders, padding and wrapping removed. */
const flat = (table: string): string => table.replace(/[│\s]+/g, ' ');

/** The error lines of a run: `driftscan: file:line:col: …` or `driftscan: file @ byte 0x…: …`. */
function locatedErrors(stderr: string): string[] {
  const lines = stderr.split('\n').filter((l) => l.startsWith('driftscan: ') && !/^driftscan: wrote /.test(l));
  for (const l of lines) assert.match(l, /^driftscan: [^:]+(:\d+:\d+| @ byte 0x[0-9a-f]+): \S/, l);
  return lines;
}

test('table: an 80,000-character value reported as found is cut with a marker; JSON keeps it whole (was 30 s)', () => {
  const reg = file('long-value.reg', `${REG_HEADER}[HKEY_LOCAL_MACHINE\\SOFTWARE\\Hostile]\r\n"V"="${'x'.repeat(80_000)}"\r\n`);
  const b = baseline('long-value.yaml');
  const table = run(['check', b, '--reg', reg], [1]);
  assert.match(flat(table.stdout), /… \(80015 characters in all; the full text is in --format json\)/);
  assert.ok(table.stdout.length < 20_000, `table output is ${table.stdout.length} characters`);
  const json = run(['check', b, '--reg', reg, '--format', 'json'], [1]);
  const result = (JSON.parse(json.stdout) as { results: Array<{ actual: string }> }).results[0]!;
  assert.equal(result.actual, `string ${JSON.stringify('x'.repeat(80_000))}`);
});

test('table: a 200,000-character rule title renders (was about 8 minutes)', () => {
  const reg = file('title.reg', `${REG_HEADER}[HKEY_LOCAL_MACHINE\\SOFTWARE\\Hostile]\r\n"V"="other"\r\n`);
  const words = 'Kerberos MaxTokenSize fits users in many groups '.repeat(4200).slice(0, 200_000);
  const r = run(['check', baseline('title.yaml', { title: words }), '--reg', reg], [1]);
  assert.match(flat(r.stdout), /… \(200000 characters in all; the full text is in --format json\)/);
});

test('table: a 20 MB value is shown cut, not a stack overflow in the table package', () => {
  const value = 'ab cd.'.repeat(3_500_000);
  const reg = file('huge.reg', `${REG_HEADER}[HKEY_LOCAL_MACHINE\\SOFTWARE\\Hostile]\r\n"V"="${value}"\r\n`);
  const r = run(['check', baseline('huge.yaml'), '--reg', reg], [1]);
  // The "found" field: `found string "…"`, 15 characters around the value.
  assert.match(flat(r.stdout), new RegExp(`… \\(${value.length + 15} characters in all; the full text is in --format json\\)`));
});

test('json and markdown: a 100,000-character dotted or dashed value (redaction was quadratic: 2.5 s at 40,000, 11 s at 80,000)', () => {
  const reg = file('dots.reg', `${REG_HEADER}[HKEY_LOCAL_MACHINE\\SOFTWARE\\Hostile]\r\n"V"="${'a.'.repeat(50_000)}"\r\n"W"="${'eyJa-'.repeat(20_000)}"\r\n`);
  const b = file('dots.yaml', `apiVersion: driftscan/v1
kind: Baseline
metadata: { name: hostile, version: 1.0.0, title: t, owner: a@example.com }
spec:
  rules:
    - { id: dots, title: t, severity: low, registryValue: { path: HKLM\\SOFTWARE\\Hostile, name: V, type: String, equals: x } }
    - { id: dashes, title: t, severity: low, registryValue: { path: HKLM\\SOFTWARE\\Hostile, name: W, type: String, equals: x } }
`);
  // JSON, SARIF, JUnit and Markdown all carry the full text through the redacting writer; two of them suffice.
  for (const format of ['json', 'markdown']) run(['check', b, '--reg', reg, '--format', format], [1]);
});

test('.reg: a key path 2,000 or 20,000 keys deep is one located error (was 32 s for 2,000)', () => {
  for (const depth of [2_000, 20_000]) {
    const path = Array.from({ length: depth }, (_, i) => `k${i}`).join('\\');
    const reg = file(`deep${depth}.reg`, `${REG_HEADER}[HKEY_LOCAL_MACHINE\\SOFTWARE\\Hostile\\${path}]\r\n"V"="x"\r\n`);
    const r = run(['check', baseline('deep.yaml'), '--reg', reg], [2]);
    const [line, ...more] = locatedErrors(r.stderr);
    assert.equal(more.length, 0, r.stderr);
    assert.match(line!, new RegExp(`deep${depth}\\.reg:3:2: registry path "HKEY_LOCAL_MACHINE\\\\SOFTWARE\\\\Hostile.{10,}…[^"]*" \\(\\d+ characters\\) is ${depth + 2} keys deep; Windows registry trees are at most 512 levels deep$`));
  }
});

test('.reg: many blocks 510 keys deep, the deepest Windows allows (20 blocks took 25 s)', () => {
  // Distinct paths: each block's 508 parents are created (and were checked for coverage) anew.
  const blocks = Array.from({ length: 60 }, (_, j) => `[HKEY_LOCAL_MACHINE\\SOFTWARE\\Hostile\\${Array.from({ length: 508 }, (_, i) => `k${i}_${j}`).join('\\')}]\r\n"V"="x"\r\n`);
  const reg = file('deep512.reg', `${REG_HEADER}[HKEY_LOCAL_MACHINE\\SOFTWARE\\Hostile]\r\n"V"="short"\r\n${blocks.join('')}`);
  run(['check', baseline('deep512.yaml'), '--reg', reg], [0]);
});

test('.reg: 40,000 keys and 40,000 [-key] deletions (each deletion scanned every key: >100 s for 100,000)', () => {
  const body = Array.from({ length: 40_000 }, (_, i) => `[HKEY_LOCAL_MACHINE\\SOFTWARE\\Hostile\\k${i}]\r\n"V"="x"\r\n[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Hostile\\k${i >> 1}\\gone]\r\n`).join('');
  const reg = file('deletions.reg', `${REG_HEADER}[HKEY_LOCAL_MACHINE\\SOFTWARE\\Hostile]\r\n"V"="short"\r\n${body}`);
  run(['check', baseline('deletions.yaml'), '--reg', reg], [0]);
});

test('.reg: a key path with a run of 100,000 backslashes is one located error (a backtracking regex took 12 s)', () => {
  const reg = file('backslashes.reg', `${REG_HEADER}[HKEY_LOCAL_MACHINE\\SOFTWARE${'\\'.repeat(100_000)}x]\r\n`);
  const r = run(['check', baseline('backslashes.yaml'), '--reg', reg], [2]);
  assert.match(locatedErrors(r.stderr)[0]!, /backslashes\.reg:3:2: registry path ".{60}….{40}" \(100028 characters\) is 100001 keys deep/);
});

test('.reg: a 1,000,000-byte hex value and a 6 MB REGEDIT4 string value load in time', () => {
  const hex = file('hex.reg', `${REG_HEADER}[HKEY_LOCAL_MACHINE\\SOFTWARE\\Hostile]\r\n"V"=hex(1):${'41,00,'.repeat(500_000)}00,00\r\n`);
  run(['check', baseline('hex.yaml'), '--reg', hex, '--format', 'json'], [1]);
  const ansi = file('ansi.reg', Buffer.from(`REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Hostile]\r\n"V"="${'\u00e9\u0080'.repeat(3_000_000)}"\r\n`, 'latin1'));
  const r = run(['check', baseline('ansi.yaml'), '--reg', ansi, '--format', 'json'], [1]);
  // cp1252, not Latin-1: 0x80 is the euro sign.
  assert.ok((JSON.parse(r.stdout) as { results: Array<{ actual: string }> }).results[0]!.actual.startsWith('string "é€é€'));
});

test('snapshot: a schema error after 100,000 keys is located without a YAML parse (was 27 s and 1 GB)', () => {
  const keys = Array.from({ length: 100_000 }, (_, i) => ({ path: `HKLM\\SOFTWARE\\Hostile\\k${i}`, exists: true, values: [{ name: 'V', kind: 'String', data: 'x' }] }));
  keys[keys.length - 1]!.values[0]!.kind = 'Bogus';
  const text = `{"schema":"driftscan-snapshot/v1","keys":[\n${keys.map((k) => JSON.stringify(k)).join(',\n')}\n]}`;
  const snap = file('keys.json', text);
  const r = run(['check', baseline('keys.yaml'), '--snapshot', snap], [2]);
  const col = text.split('\n')[100_000]!.indexOf('"Bogus"') + 1;
  assert.match(locatedErrors(r.stderr)[0]!, new RegExp(`keys\\.json:100001:${col}: \\$\\.keys\\[99999\\]\\.values\\[0\\]\\.kind: must be one of`));
});

test('snapshot: 100,000 nested arrays where a string belongs are located at the value (was 1:1)', () => {
  const text = `{"schema":"driftscan-snapshot/v1","keys":[{"path":"HKLM\\\\SOFTWARE\\\\Hostile","exists":true,"values":[{"name":"V","kind":"String","data":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}]}`;
  const r = run(['check', baseline('nested.yaml'), '--snapshot', file('nested.json', text)], [2]);
  assert.match(locatedErrors(r.stderr)[0]!, new RegExp(`nested\\.json:1:${text.indexOf('[[') + 1}: \\$\\.keys\\[0\\]\\.values\\[0\\]\\.data: must be string`));
});

test('snapshot: an SDDL string of 200,000 ACL flags parses in time (each flag upper-cased the rest: 7 s at 80,000)', () => {
  const snap = file('sddl.json', JSON.stringify({ schema: 'driftscan-snapshot/v1', keys: [{ path: 'HKLM\\SOFTWARE\\Hostile', exists: true, sddl: `O:SYD:${'P'.repeat(200_000)}`, values: [] }] }));
  const b = file('acl.yaml', `apiVersion: driftscan/v1
kind: Baseline
metadata: { name: hostile, version: 1.0.0, title: t, owner: a@example.com }
spec:
  rules:
    - id: acl
      title: t
      severity: high
      registryAcl:
        path: HKLM\\SOFTWARE\\Hostile
        ensure: present
        access: [{ identity: BUILTIN\\Users, rights: ReadKey, type: Allow }]
`);
  run(['check', b, '--snapshot', snap], [1]);
});

test('export: a hive whose keys share one subkey list is read once per cell (an 8 KB hive took 36 s and wrote 190 MB)', () => {
  // A writes C0…C15; then every Ci is pointed at A's own subkey list. Following every reference
  // visits each permutation of the Ci: 16! paths from a few kilobytes.
  const bytes = Buffer.from(writeHive({ name: 'ROOT', subkeys: [{ name: 'A', subkeys: Array.from({ length: 16 }, (_, i) => ({ name: `C${i}`, values: [{ name: 'v', typeCode: 4, data: new Uint8Array(4) }] })) }] }));
  const a = Hive.open(bytes, { file: 'x' }).lookup(['A'])!;
  const nk = (rel: number) => 4096 + rel + 4;
  for (const c of a.subkeys()) {
    bytes.writeUInt32LE(bytes.readUInt32LE(nk(a.offset) + 20), nk(c.offset) + 20); // subkey count
    bytes.writeUInt32LE(bytes.readUInt32LE(nk(a.offset) + 28), nk(c.offset) + 28); // subkey list
  }
  const hive = file('SOFTWARE', bytes);
  const r = run(['export', '--hive', hive], [2]);
  const errors = locatedErrors(r.stderr);
  assert.equal(errors.length, 16, r.stderr);
  for (const e of errors) assert.match(e, /SOFTWARE @ byte 0x[0-9a-f]+: subkey list of key "A\\C\d+" at 0x[0-9a-f]+ is also another key's subkey list \(damaged key\)$/);
  assert.ok(r.stdout.length < 10_000, `export wrote ${r.stdout.length} characters`);
});
