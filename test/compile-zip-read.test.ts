/**
 * The bounded zip reader every archive goes through (`package inspect`): real archives
 * from Info-ZIP's `zip` (an independent writer: data descriptors, ZIP64, stored entries) are
 * read; hostile ones (zip-slip, control characters, bad CRCs, bombs, overlapping entries, lying
 * headers) are refused with one line, before a bomb is inflated. Info-ZIP's `unzip -t` is the
 * oracle for archive integrity, Node's `path.win32`/`path.posix` for where a name would land,
 * `zlib.crc32` for the CRC.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, win32 } from 'node:path';
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { DriftscanError } from '../src/core/diagnostics.js';
import { printable, printableJson } from '../src/core/printable.js';
import { crc32, readZip, unsafeEntryName } from '../src/compile/zip-read.js';
import { inspectPackage } from '../src/compile/inspect.js';
import { runCli } from './support/cli.js';
import { corruptCrc, deflated, forgeZip, localHeader, stored, zeroBomb, zlibCrc32, type ForgedEntry } from './support/zip-forge.js';

const enc = (s: string) => new TextEncoder().encode(s);
const MOF = 'instance of OMI_ConfigurationDocument as $OMI_ConfigurationDocument1ref\n{ Version = "2.0.0"; MinimumCompatibleVersion = "1.0.0"; Name = "x"; };\n';
const META = '{"Type":"Audit","Version":"1.0.0"}';
/** A package Machine Configuration would accept (no resources, so no modules needed), plus `extra` entries. */
const pkg = (...extra: ForgedEntry[]) => forgeZip([deflated('x.mof', MOF), deflated('x.metaconfig.json', META), stored('Modules/', ''), ...extra]);
/** Characters that must never reach a terminal raw. */
const RAW_HAZARD = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/;

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'driftscan-zip-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Info-ZIP's verdict on an archive: exit 0 and "No errors detected". */
function unzipAccepts(zip: Uint8Array): boolean {
  const file = join(tmp, `oracle-${process.pid}.zip`);
  writeFileSync(file, zip);
  const r = spawnSync('unzip', ['-tqq', file], { encoding: 'utf8' });
  return r.status === 0;
}

function refusal(fn: () => unknown): DriftscanError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DriftscanError, `expected a DriftscanError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the archive to be refused');
}

test('archives written by Info-ZIP zip are read: deflate, stored, data descriptors (streamed) and ZIP64', () => {
  const src = join(tmp, 'src');
  mkdirSync(join(src, 'Modules', 'M'), { recursive: true });
  const files: Record<string, Uint8Array> = {
    'x.mof': enc(MOF),
    'x.metaconfig.json': enc(META),
    'Modules/M/M.psd1': enc("@{ ModuleVersion = '1.0.0' }\r\n"),
    'Modules/M/M.psm1': enc('function Test-It { $true }\r\n'.repeat(5000)),
    'Modules/M/blob.bin': Uint8Array.from({ length: 70_000 }, (_, i) => (i * 2654435761) >>> 24),
  };
  for (const [name, data] of Object.entries(files)) writeFileSync(join(src, name), data);
  const variants: Array<[string, string[]]> = [['deflate', ['-r', '-X']], ['stored', ['-r', '-X', '-0']], ['zip64', ['-r', '-X', '-fz']]];
  for (const [label, flags] of variants) {
    const out = join(tmp, `${label}.zip`);
    execFileSync('zip', ['-q', ...flags, out, '.'], { cwd: src });
    const r = readZip(readFileSync(out), out, { keep: () => true });
    for (const [name, data] of Object.entries(files)) assert.deepEqual(r.files.get(name), data, `${label}: ${name}`);
    assert.equal(inspectPackage(readFileSync(out), out).findings.length, 0, label);
  }
  // `zip -` writes to a pipe, so it cannot seek back: sizes and CRC follow the data (flag bit 3).
  const streamed = execFileSync('zip', ['-q', '-r', '-X', '-', '.'], { cwd: src });
  writeFileSync(join(tmp, 'streamed.zip'), streamed);
  assert.match(execFileSync('zipinfo', ['-v', join(tmp, 'streamed.zip')], { encoding: 'utf8' }), /extended local header:\s+yes/, 'streamed zip uses data descriptors');
  assert.deepEqual(readZip(streamed, 'streamed.zip', { keep: () => true }).files.get('Modules/M/M.psm1'), files['Modules/M/M.psm1']);
});

test('unsafe names are refused before anything is read, with the name escaped in one line', () => {
  const cases: Array<[string, RegExp]> = [
    ['../../../../tmp/evil.ps1', /zip-slip/],
    ['Modules/M/../../../evil.ps1', /zip-slip/],
    ['/etc/cron.d/evil', /absolute path/],
    ['C:/Windows/System32/evil.dll', /absolute path/],
    ['c:evil.ps1', /absolute path/],
    ['Modules\\M\\evil.ps1', /backslash/],
    ['Modules/M/a\nok: Machine Configuration would accept this layout', /control, line-break/],
    ['Modules/M/\u001b[2Kx.ps1', /control, line-break/],
    ['Modules/M/evil\u202egnp.ps1', /text-direction/],
    ['Modules/M/a\u2028b', /line-break/],
    ['Modules/M/x.ps1:hidden', /alternate data stream/],
    ['Modules/M/x.ps1.', /dot or space/],
    ['Modules/M/.. /x', /dot or space/],
    ['Modules/NUL.txt', /device name NUL/],
    ['Modules//x', /empty folder name/],
    ['Modules/./x', /"\." folder/],
    ['Modules/x\u0000.ps1', /control/],
  ];
  for (const [name, re] of cases) {
    const e = refusal(() => inspectPackage(pkg(deflated(name, 'x')), 'bad.zip'));
    assert.match(e.message, re, name);
    assert.match(e.message, /^bad\.zip @ byte 0x[0-9a-f]+: entry "/, name);
    assert.doesNotMatch(e.message, RAW_HAZARD, `${JSON.stringify(name)} printed raw: ${JSON.stringify(e.message)}`);
    assert.ok(!e.message.includes('\n'), 'one line');
  }
});

test('names that collide on Windows, files used as folders, symlinks, encryption and foreign methods are refused', () => {
  const link: ForgedEntry = { ...stored('Modules/M/link', '/etc/passwd'), madeBy: 3, externalAttrs: (0o120777 << 16) >>> 0 };
  const cases: Array<[Uint8Array, RegExp]> = [
    [pkg(deflated('Modules/M/a.ps1', '1'), deflated('Modules/M/A.PS1', '2')), /name the same file on Windows/],
    [pkg(deflated('Modules/M/a.ps1', '1'), deflated('Modules/M/a.ps1', '2')), /appears twice/],
    [pkg(deflated('Modules/M', '1'), deflated('Modules/M/x.ps1', '2')), /lies inside "Modules\/M", which is a file/],
    [pkg(link), /symbolic link/],
    [pkg({ ...deflated('Modules/M/x.ps1', 'x'), flags: 0x801 }), /encrypted/],
    [pkg({ ...stored('Modules/M/x.ps1', 'x'), method: 12 }), /compression method 12/],
    [pkg({ ...deflated('Modules/M/x.ps1', 'x'), localName: 'Modules/M/y.ps1' }), /local header names "Modules\/M\/y\.ps1" but the central directory names "Modules\/M\/x\.ps1"/],
    [pkg({ ...stored('Modules/M/dir/', 'data') }), /folder entry .* has 4 bytes/],
  ];
  for (const [zip, re] of cases) assert.match(refusal(() => inspectPackage(zip, 'bad.zip')).message, re, String(re));
});

test('a damaged entry is refused by its CRC-32, as Info-ZIP does, wherever it sits', () => {
  const good = zipSync({ 'x.mof': enc(MOF), 'x.metaconfig.json': enc(META), 'Modules/': new Uint8Array(0), 'Modules/M/M.psm1': enc('function f { 1 }\n'.repeat(100)) });
  assert.ok(unzipAccepts(good));
  assert.deepEqual(inspectPackage(good, 'good.zip').findings, []);
  for (const name of ['Modules/M/M.psm1', 'x.mof']) {
    const bad = corruptCrc(good, name);
    assert.equal(unzipAccepts(bad), false, 'Info-ZIP sees the bad CRC');
    assert.match(refusal(() => inspectPackage(bad, 'bad.zip')).message, new RegExp(`entry "${name.replace(/[./]/g, '\\$&')}" is damaged: CRC-32 is 0x[0-9a-f]{8}, the archive says 0x[0-9a-f]{8}`));
  }
  // A stored entry flipped in its data, CRC left alone.
  const plain = forgeZip([stored('x.mof', MOF), stored('x.metaconfig.json', META)]);
  const flipped = Uint8Array.from(plain);
  flipped[40] = flipped[40]! ^ 0x20;
  assert.equal(unzipAccepts(flipped), false);
  assert.match(refusal(() => readZip(flipped, 'f.zip')).message, /is damaged: CRC-32/);
});

test('zip bombs are refused before they are inflated, or within one slice when the headers lie', () => {
  // The reporter's shape: ~2.6 MB holding 40 × 63 MiB of zeros (2.6 GB).
  const honest = pkg(...Array.from({ length: 40 }, (_, i) => zeroBomb(`Modules/M/b${i}.bin`, 63)));
  assert.ok(honest.length < 3 * 1024 * 1024);
  let started = process.hrtime.bigint();
  assert.match(refusal(() => inspectPackage(honest, 'bomb.zip')).message, /compression ratio above 200:1/);
  const honestMs = Number(process.hrtime.bigint() - started) / 1e6;
  // Many small entries stay under the ratio rule; their declared total still gives them away.
  const many = pkg(...Array.from({ length: 120 }, (_, i) => zeroBomb(`Modules/M/s${i}.bin`, 1)));
  assert.match(refusal(() => inspectPackage(many, 'many.zip')).message, /entries declare more than Machine Configuration's 100 MB package limit unpacked; refusing to inflate/);
  // Headers that lie (1 KiB declared, 2.5 GB inside): the count while inflating stops it.
  const lying = pkg({ ...zeroBomb('Modules/M/lie.bin', 2500, 1024) });
  started = process.hrtime.bigint();
  assert.match(refusal(() => inspectPackage(lying, 'lie.zip')).message, /entry "Modules\/M\/lie\.bin" inflates past the 1024 bytes its header declares \(zip bomb\?\); stopped/);
  const lyingMs = Number(process.hrtime.bigint() - started) / 1e6;
  // Inflating 2.5 GB takes well over ten seconds on this hardware; stopping after one slice takes
  // milliseconds. The bound is loose because the build machine is shared.
  assert.ok(honestMs < 5000 && lyingMs < 5000, `honest ${honestMs} ms, lying ${lyingMs} ms`);
  // Headers that claim fewer bytes than the data holds are damage too.
  const short = pkg({ ...deflated('Modules/M/x.ps1', 'abcdef'), size: 7 });
  assert.match(refusal(() => inspectPackage(short, 's.zip')).message, /inflates to 6 bytes, its header declares 7/);
});

test('overlapping entries (the non-recursive zip bomb) are refused', () => {
  // Entry B's local header and data sit inside entry A's stored data, and both are listed.
  const inner = deflated('Modules/M/b.bin', 'b'.repeat(1000));
  const innerBytes = new Uint8Array([...localHeader(inner), ...inner.raw]);
  const outer = stored('Modules/M/a.bin', innerBytes);
  const mofs = [deflated('x.mof', MOF), deflated('x.metaconfig.json', META)];
  const headerBytes = mofs.reduce((n, e) => n + localHeader(e).length + e.raw.length, 0);
  const zip = forgeZip([...mofs, outer], [{ entry: inner, offset: headerBytes + localHeader(outer).length }]);
  assert.match(refusal(() => inspectPackage(zip, 'overlap.zip')).message, /entries "Modules\/M\/a\.bin" and "Modules\/M\/b\.bin" overlap/);
});

test('package inspect (CLI): hostile packages exit 2 with one escaped line and never print "ok:"', () => {
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['slip', pkg(deflated('../../../../tmp/evil.ps1', 'x'), deflated('/etc/cron.d/x', 'y')), /zip-slip/],
    ['forge', pkg(deflated('Modules/a\nok: Machine Configuration would accept this layout\n\u001b[2K', 'x')), /control, line-break/],
    ['crc', corruptCrc(zipSync({ 'x.mof': enc(MOF), 'x.metaconfig.json': enc(META), 'Modules/M/M.psm1': enc('function f { 1 }\n'.repeat(100)) }), 'Modules/M/M.psm1'), /CRC-32/],
    ['bomb', pkg(...Array.from({ length: 40 }, (_, i) => zeroBomb(`b${i}.json`, 63))), /zip bomb/],
  ];
  for (const [label, zip, re] of cases) {
    const file = join(tmp, `${label}.zip`);
    writeFileSync(file, zip);
    const r = runCli(['package', 'inspect', file]);
    assert.equal(r.status, 2, `${label}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, '', label);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${label}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^driftscan: ${file.replace(/[.\\/]/g, '\\$&')} @ byte 0x[0-9a-f]+: `));
    assert.match(r.stderr, re, label);
    assert.doesNotMatch(r.stderr, /^ok:/m, label);
    assert.doesNotMatch(r.stderr, RAW_HAZARD, label);
  }
});

test('package inspect (CLI): text from inside a valid package is printed escaped, in text and JSON', () => {
  const evil = 'x\nok: Machine Configuration would accept this layout\u001b[2K\u202e\u0085';
  const mof = `instance of MSFT_RegistryResource as $R1ref\n{ ResourceID = "[Registry]${evil.replace(/\n/g, '\\n')}"; ModuleName = "PSDscResources"; ModuleVersion = "2.12.0.0"; ConfigurationName = "x"; };\n${MOF}`;
  const file = join(tmp, 'escaped.zip');
  writeFileSync(file, forgeZip([deflated('x.mof', mof), deflated('x.metaconfig.json', JSON.stringify({ Type: 'Audit', Version: evil })), stored('Modules/', '')]));
  const text = runCli(['package', 'inspect', file]);
  assert.equal(text.status, 2, text.stderr);
  assert.doesNotMatch(text.stdout + text.stderr, RAW_HAZARD);
  assert.equal(text.stdout.split('\n').filter((l) => l.startsWith('ok:')).length, 0, text.stdout);
  assert.ok(text.stdout.includes('[Registry]x\\x0aok: Machine Configuration would accept this layout\\x1b[2K\\u202e\\x85'), text.stdout);
  const json = runCli(['package', 'inspect', file, '--json']);
  assert.doesNotMatch(json.stdout, RAW_HAZARD);
  const parsed = JSON.parse(json.stdout) as { metaconfig: { Version: string }; resources: Array<{ resourceId: string }> };
  assert.equal(parsed.metaconfig.Version, evil, 'JSON escaping keeps the value');
  assert.equal(parsed.resources[0]!.resourceId, `[Registry]${evil}`);
});

test('property: printable and printableJson leave no hazard raw; printableJson parses back to the same value', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
    assert.doesNotMatch(printable(s), /[\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/);
    const j = printableJson({ s });
    assert.doesNotMatch(j, /[\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/);
    assert.deepEqual(JSON.parse(j), JSON.parse(JSON.stringify({ s })));
  }), { numRuns: 500 });
});

test('property: a name the reader accepts lands inside the extraction folder on Windows and POSIX', () => {
  const segment = fc.oneof(fc.constantFrom('..', '.', '', 'a', 'C:', 'c:x', 'x\\..', '..\\x', ' ..', '.. ', '...', 'CON', 'nul.txt', 'a:b', '\u202e', '%2e%2e'), fc.string({ maxLength: 5 }));
  fc.assert(fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.boolean(), (parts, leadingSlash) => {
    const name = `${leadingSlash ? '/' : ''}${parts.join('/')}`;
    if (unsafeEntryName(name) !== undefined) return;
    const win = win32.resolve('C:\\x', name);
    assert.ok(win.startsWith('C:\\x\\'), `${JSON.stringify(name)} -> ${win}`);
    assert.ok(posix.resolve('/x', name).startsWith('/x/'), name);
    assert.equal(win32.basename(win).replace(/[. ]+$/, ''), win32.basename(win), 'Windows would not rename it');
  }), { numRuns: 2000 });
});

test('property: CRC-32 agrees with zlib.crc32', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), (data) => assert.equal(crc32(data), zlibCrc32(data))), { numRuns: 300 });
});

test('property (Info-ZIP oracle): a damaged archive the reader accepts is one unzip -t accepts too; errors are one line', () => {
  const base = zipSync({
    'x.mof': enc(MOF),
    'x.metaconfig.json': enc(META),
    'Modules/': new Uint8Array(0),
    'Modules/M/M.psm1': enc('function f { 1 }\n'.repeat(300)),
    'Modules/M/data.bin': [Uint8Array.from({ length: 2000 }, (_, i) => (i * 7919) & 0xff), { level: 0 }],
  });
  fc.assert(fc.property(fc.array(fc.record({ at: fc.nat({ max: base.length - 1 }), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 3 }), (flips) => {
    const zip = Uint8Array.from(base);
    for (const f of flips) zip[f.at] = zip[f.at]! ^ f.xor;
    try {
      readZip(zip, 'fuzz.zip', { keep: () => true });
    } catch (e) {
      assert.ok(e instanceof DriftscanError, String(e));
      assert.ok(!e.message.includes('\n') && !RAW_HAZARD.test(e.message), e.message);
      return;
    }
    assert.ok(unzipAccepts(zip), `accepted, but unzip -t finds errors (flips ${JSON.stringify(flips)})`);
  }), { numRuns: 150 });
  // The property is not vacuous: a flip in a timestamp leaves an archive both readers accept (random
  // flips mostly damage something, so whether the run above drew such a flip is left to chance).
  const firstCd = base.findIndex((_, i) => base[i] === 0x50 && base[i + 1] === 0x4b && base[i + 2] === 1 && base[i + 3] === 2);
  assert.ok(firstCd > 0);
  const touched = Uint8Array.from(base);
  touched[firstCd + 12] = touched[firstCd + 12]! ^ 0x01; // DOS last-modified time, seconds/2
  readZip(touched, 'time.zip', { keep: () => true });
  assert.ok(unzipAccepts(touched), 'unzip -t accepts a changed timestamp');
});

test('property: arbitrary bytes and truncations never escape as anything but a DriftscanError', () => {
  const base = pkg(deflated('Modules/M/M.psm1', 'x'.repeat(500)));
  fc.assert(fc.property(fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.nat({ max: base.length }).map((n) => base.slice(0, n)),
    fc.tuple(fc.nat({ max: base.length - 4 }), fc.constantFrom(0xffffffff, 0x7fffffff, 0, 1)).map(([at, v]) => {
      const b = Buffer.from(base);
      b.writeUInt32LE(v, at);
      return new Uint8Array(b);
    }),
  ), (zip) => {
    try {
      const r = readZip(zip, 'fuzz.zip', { keep: () => true });
      for (const e of r.entries) assert.equal(unsafeEntryName(e.name), undefined);
    } catch (e) {
      assert.ok(e instanceof DriftscanError, String(e));
    }
  }), { numRuns: 400 });
});
