import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DriftscanError } from '../src/core/diagnostics.js';
import { parseRegFile, type RegFile, type RegKeyBlock } from '../src/state/reg/parse.js';
import { encodeRegFileText, formatRegFile } from '../src/state/reg/write.js';
import { formatRegistryPath, ROOT_KEYS, type RegistryPath } from '../src/windows/registry-path.js';
import { decodeValue, encodeValue, typeCodeOf, type RegistryValue } from '../src/windows/value.js';
import { needShared, sharedData } from './support/paths.js';

/** The oracle needs hivexregedit (Debian libwin-hivex-perl), hivexget (libhivex-bin) and xz. */
const missingTools = (): string | false => {
  const missing = [['hivexregedit', '--help'], ['hivexget', '--help'], ['xz', '--version']].filter(([cmd, arg]) => spawnSync(cmd!, [arg!]).error).map(([cmd]) => cmd);
  return missing.length ? `${missing.join(', ')} not installed (Debian: libwin-hivex-perl, libhivex-bin, xz-utils)` : false;
};

const utf16 = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
const utf8 = (text: string) => Buffer.from(text, 'utf8');
const only = (reg: RegFile, i = 0) => reg.keys[i]!;
const val = (block: RegKeyBlock, name: string) => block.values.find((v) => v.name === name)?.value;

function parseError(bytes: Uint8Array): DriftscanError {
  try {
    parseRegFile(bytes, 'in.reg');
  } catch (err) {
    assert.ok(err instanceof DriftscanError, `expected DriftscanError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a parse error');
}

test('regedit 5.00 export: UTF-16LE + BOM, CRLF, wrapped hex(2)/hex(7), default value, dword', () => {
  // As regedit.exe writes it (File > Export), including its ~80-column wrapping.
  const text = [
    'Windows Registry Editor Version 5.00',
    '',
    '[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\TermService]',
    '"DependOnService"=hex(7):52,00,50,00,43,00,53,00,53,00,00,00,54,00,65,00,72,00,\\',
    '  6d,00,44,00,44,00,00,00,00,00',
    '"Description"="@%SystemRoot%\\\\System32\\\\termsrv.dll,-267"',
    '"ImagePath"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,6f,00,74,\\',
    '  00,25,00,5c,00,53,00,79,00,73,00,74,00,65,00,6d,00,33,00,32,00,5c,00,73,00,\\',
    '  76,00,63,00,68,00,6f,00,73,00,74,00,2e,00,65,00,78,00,65,00,00,00',
    '"ObjectName"="NT Authority\\\\NetworkService"',
    '"Start"=dword:00000003',
    '"FailureActions"=hex:80,51,01,00',
    '@="default"',
    '',
    '[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\TermService\\Parameters]',
    '"ServiceDll"=hex(2):25,00,00,00',
    '',
  ].join('\r\n');
  const reg = parseRegFile(utf16(text), 'export.reg');
  assert.equal(reg.version, '5.00');
  assert.equal(reg.encoding, 'utf-16le');
  assert.equal(reg.keys.length, 2);
  const k = only(reg);
  assert.equal(formatRegistryPath(k.path), 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService');
  assert.equal(k.line, 3);
  assert.deepEqual(val(k, 'DependOnService'), { type: 'MultiString', data: ['RPCSS', 'TermDD'] });
  assert.deepEqual(val(k, 'ImagePath'), { type: 'ExpandString', data: '%SystemRoot%\\System32\\svchost.exe' });
  assert.deepEqual(val(k, 'Description'), { type: 'String', data: '@%SystemRoot%\\System32\\termsrv.dll,-267' });
  assert.deepEqual(val(k, 'ObjectName'), { type: 'String', data: 'NT Authority\\NetworkService' });
  assert.deepEqual(val(k, 'Start'), { type: 'DWord', data: 3 });
  assert.deepEqual(val(k, 'FailureActions'), { type: 'Binary', data: Uint8Array.from([0x80, 0x51, 1, 0]) });
  assert.deepEqual(val(k, ''), { type: 'String', data: 'default' });
  assert.equal(k.values.find((v) => v.name === 'ObjectName')!.line, 10);
  assert.equal(only(reg, 1).line, 15);
});

test('REGEDIT4: ANSI (cp1252) text and single-byte hex(1)/(2)/(7) data', () => {
  const text = 'REGEDIT4\r\n\r\n[HKEY_CURRENT_USER\\Software\\Caf\xe9]\r\n"Name"="\x80uro caf\xe9"\r\n' +
    '"Exp"=hex(2):25,54,45,4d,50,25,00\r\n"Multi"=hex(7):61,00,e9,00,00\r\n"Bin"=hex:01,02\r\n';
  const reg = parseRegFile(Buffer.from(text, 'latin1'), 'old.reg');
  assert.equal(reg.version, 'REGEDIT4');
  assert.equal(reg.encoding, 'windows-1252');
  const k = only(reg);
  assert.deepEqual(k.path, { root: 'HKCU', segments: ['Software', 'Café'] });
  assert.deepEqual(val(k, 'Name'), { type: 'String', data: '€uro café' });
  assert.deepEqual(val(k, 'Exp'), { type: 'ExpandString', data: '%TEMP%' });
  assert.deepEqual(val(k, 'Multi'), { type: 'MultiString', data: ['a', 'é'] });
  assert.deepEqual(val(k, 'Bin'), { type: 'Binary', data: Uint8Array.from([1, 2]) });
});

test('all §4 syntax: deletions, escapes, short dword, hex(N) in hex, str(N), comments, LF, UTF-8 BOM, short roots', () => {
  const text = [
    '\ufeffWindows Registry Editor Version 5.00',
    '; a comment',
    '[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Old]',
    '',
    '[HKLM\\SOFTWARE\\New]  ; trailing comment',
    '"q"="say \\"hi\\" \\\\ there"',
    '"wine"="a\\nb\\r\\0c"',
    '"short"=dword:1f',
    '"Upper"=dword:FFFFFFFF',
    '"qw"=hex(b):ff,ff,ff,ff,ff,ff,ff,ff',
    '"dev"=hex(ffff0012):01,02',
    '"none"=hex(0):',
    '"empty"=hex:',
    '"s1"=str:"plain"',
    '"s2"=str(2):"%PATH%"',
    '"s7"=str(7):"x\\0y\\0"',
    '"gone"=-',
    '@=-',
    '    "indented" = "spaces around ="',
    '"name=with=equals"="v"',
    '"cont"=hex:01,\\',
    '    02,  \\',
    '03',
    '',
  ].join('\n');
  const reg = parseRegFile(utf8(text), 'all.reg');
  assert.equal(reg.encoding, 'utf-8-bom');
  assert.equal(reg.keys.length, 2);
  assert.deepEqual(only(reg), { path: { root: 'HKLM', segments: ['SOFTWARE', 'Old'] }, deleted: true, line: 3, values: [] });
  const k = only(reg, 1);
  assert.deepEqual(val(k, 'q'), { type: 'String', data: 'say "hi" \\ there' });
  // REG_SZ data stops at the first NUL, as Windows reads it.
  assert.deepEqual(val(k, 'wine'), { type: 'String', data: 'a\nb\r' });
  assert.deepEqual(val(k, 'short'), { type: 'DWord', data: 0x1f });
  assert.deepEqual(val(k, 'Upper'), { type: 'DWord', data: 0xffffffff });
  assert.deepEqual(val(k, 'qw'), { type: 'QWord', data: 0xffffffffffffffffn });
  assert.deepEqual(val(k, 'dev'), { type: 'Other', typeCode: 0xffff0012, data: Uint8Array.from([1, 2]) });
  assert.deepEqual(val(k, 'none'), { type: 'Other', typeCode: 0, data: new Uint8Array(0) });
  assert.deepEqual(val(k, 'empty'), { type: 'Binary', data: new Uint8Array(0) });
  assert.deepEqual(val(k, 's1'), { type: 'String', data: 'plain' });
  assert.deepEqual(val(k, 's2'), { type: 'ExpandString', data: '%PATH%' });
  assert.deepEqual(val(k, 's7'), { type: 'MultiString', data: ['x', 'y'] });
  assert.equal(k.values.find((v) => v.name === 'gone')!.value, null);
  assert.equal(k.values.find((v) => v.name === '')!.value, null);
  assert.deepEqual(val(k, 'indented'), { type: 'String', data: 'spaces around =' });
  assert.deepEqual(val(k, 'name=with=equals'), { type: 'String', data: 'v' });
  assert.deepEqual(val(k, 'cont'), { type: 'Binary', data: Uint8Array.from([1, 2, 3]) });
  // A string ending in a backslash is not a continuation.
  const r2 = parseRegFile(utf8('REGEDIT4\n[HKCU\\A]\n"p"="C:\\\\"\n"n"=dword:1\n'), 'x.reg');
  assert.deepEqual(val(only(r2), 'p'), { type: 'String', data: 'C:\\' });
  assert.deepEqual(val(only(r2), 'n'), { type: 'DWord', data: 1 });
});

test('errors are one DriftscanError at file:line:col in plain words', () => {
  const H = 'Windows Registry Editor Version 5.00\n';
  const cases: Array<[string, string, RegExp]> = [
    ['', 'in.reg:1:1', /empty file/],
    ['REGEDIT5\n', 'in.reg:1:1', /expected the header/],
    [`${H}"a"="b"\n`, 'in.reg:2:1', /value line outside a \[key\] block/],
    [`${H}[HKLM\\A]\n"a"=dword:123456789\n`, 'in.reg:3:11', /expected up to 8 hex digits after dword:/],
    [`${H}[HKLM\\A]\n"a"=dword:xyz\n`, 'in.reg:3:11', /hex digits after dword:/],
    [`${H}[HKLM\\A]\n"a="b"\n`, 'in.reg:3:5', /expected = after the value name/],
    [`${H}[HKLM\\A]\n"a"="b\n`, 'in.reg:3:5', /missing closing quote/],
    [`${H}[HKLM\\A]\n"a"=hex:01,zz\n`, 'in.reg:3:12', /expected a hex byte/],
    [`${H}[HKLM\\A]\n"a"=hex:01,\\\n  02,qq\n`, 'in.reg:4:6', /expected a hex byte/],
    [`${H}[HKLM\\A]\n"a"=hex(z):01\n`, 'in.reg:3:9', /hex\(N\)/],
    [`${H}[HKLM\\A]\n"a"=wat\n`, 'in.reg:3:5', /expected value data/],
    [`${H}[HKLM\\A]\n"a"="b" junk\n`, 'in.reg:3:9', /unexpected text after the value data/],
    [`${H}[HKLM\\A\n`, 'in.reg:2:8', /missing closing \]/],
    [`${H}[HKXX\\A]\n`, 'in.reg:2:2', /must start with a root key/],
    [`${H}[HKLM\\A\\\\B]\n`, 'in.reg:2:2', /empty key name/],
    [`${H}[-HKLM\\A]\n"a"="b"\n`, 'in.reg:3:1', /deletion block/],
    [`${H}garbage\n`, 'in.reg:2:1', /unexpected text/],
    [`${H}[HKLM\\A]\n"a"=hex:01,\\\n`, 'in.reg:3:12', /line continuation \\ at the end of the file: the rest of the value is missing/],
    // Cut off mid-line (no line break after the last line): truncation, whatever the cut leaves.
    [`${H}[HKLM\\A]\n"a"=hex:01,\\`, 'in.reg:3:13', /^in\.reg:3:13: file ends inside the value "a" without a line break: the file looks truncated/],
    [`${H}[HKLM\\A]\n"a"=dword:000`, 'in.reg:3:14', /file ends inside the value "a" without/],
    [`${H}[HKLM\\A]\n"a"=hex:01,\\\n  02,0`, 'in.reg:4:7', /file ends inside the value "a" started at line 3 without/],
    [`${H}[HKLM\\A]\n@="x`, 'in.reg:3:5', /file ends inside the default value \(@\)/],
    [`${H}[HKLM\\A]\n"na`, 'in.reg:3:4', /file ends inside a value name/],
    [`${H}[HKLM\\A]\n[HKLM\\B`, 'in.reg:3:8', /file ends inside a \[key\] line/],
    [`${H}[HKLM\\A]`, 'in.reg:2:9', /file ends inside a \[key\] line/],
    // Nothing but the header: no registry state at all.
    [`${H}`, 'in.reg:2:1', /no \[key\] block after the header/],
    [`${H}\n; only a comment\n\n`, 'in.reg:5:1', /no \[key\] block after the header/],
    ['REGEDIT4', 'in.reg:1:9', /no \[key\] block after the header/],
  ];
  for (const [text, where, message] of cases) {
    const err = parseError(utf8(text));
    assert.ok(err.message.startsWith(where), `${JSON.stringify(text)} → ${err.message} (expected at ${where})`);
    assert.match(err.message, message, JSON.stringify(text));
  }
  assert.match(parseError(Buffer.from([0xff, 0xfe, 0x57])).message, /^in\.reg @ byte 0x2: .*odd number of bytes/);
  assert.match(parseError(Buffer.from([0xfe, 0xff, 0, 0x57])).message, /big-endian/);
  assert.match(parseError(Buffer.from('Windows', 'utf16le')).message, /without a byte-order mark/);
});

// ---- property tests --------------------------------------------------------------------------

const keyName = fc.string({ unit: fc.constantFrom(...'abcXYZ019 _-.{}[]()$\'"=;@é€日'.split('')), minLength: 1, maxLength: 8 })
  .filter((s) => s.trim() === s);
const anyText = fc.string({ unit: 'binary', maxLength: 12 });
const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
const noNul = (s: string) => !s.includes('\0');
const regPath: fc.Arbitrary<RegistryPath> = fc.record({ root: fc.constantFrom(...ROOT_KEYS), segments: fc.array(keyName, { minLength: 1, maxLength: 4 }) });

/** Values as Windows would decode them (so `decodeValue` normalisation is part of the model). */
function valueArb(chars: fc.Arbitrary<string>): fc.Arbitrary<RegistryValue> {
  return fc.oneof(
    chars.filter(noNul).map((data): RegistryValue => ({ type: 'String', data })),
    chars.filter(noNul).map((data): RegistryValue => ({ type: 'ExpandString', data })),
    fc.array(chars.filter((s) => s !== '' && noNul(s)), { maxLength: 4 }).map((data): RegistryValue => ({ type: 'MultiString', data })),
    fc.integer({ min: 0, max: 0xffffffff }).map((data): RegistryValue => ({ type: 'DWord', data })),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((data): RegistryValue => ({ type: 'QWord', data })),
    fc.uint8Array({ maxLength: 100 }).map((data): RegistryValue => ({ type: 'Binary', data })),
    fc.tuple(fc.constantFrom(0, 5, 6, 8, 10, 0x20001, 0xffff0012, 0xffffffff, 4, 11), fc.uint8Array({ maxLength: 40 }))
      .map(([code, bytes]) => decodeValue(code, bytes)),
  );
}

function modelArb(chars: fc.Arbitrary<string>, names: fc.Arbitrary<string>): fc.Arbitrary<RegKeyBlock[]> {
  const block = fc.record({
    path: regPath,
    deleted: fc.boolean(),
    values: fc.array(fc.record({ name: names, value: fc.option(valueArb(chars), { nil: null, freq: 8 }) }), { maxLength: 6 }),
  });
  // At least one block: a file with none is rejected (tested above).
  return fc.array(block, { minLength: 1, maxLength: 5 }).map((blocks) => blocks.map((b) => ({ ...b, values: b.deleted ? [] : b.values.map((v) => ({ ...v, line: 0 })), line: 0 })));
}

/** The parsed model without line numbers, for comparing with what was formatted. */
const strip = (keys: RegKeyBlock[]) => keys.map((k) => ({ path: { root: k.path.root, segments: [...k.path.segments] }, deleted: k.deleted, values: k.values.map((v) => ({ name: v.name, value: v.value })) }));
const toBuffer = (v: RegistryValue | null): unknown => (v && 'data' in v && v.data instanceof Uint8Array ? { ...v, data: Buffer.from(v.data).toString('hex') } : v);
const comparable = (keys: Array<{ path: RegistryPath; deleted: boolean; values: Array<{ name: string; value: RegistryValue | null }> }>) =>
  keys.map((k) => ({ ...k, values: k.values.map((v) => ({ name: v.name, value: toBuffer(v.value) })) }));

test('property: formatRegFile → UTF-16LE/UTF-8 bytes → parseRegFile gives the same keys and values (5.00)', () => {
  const names = fc.string({ maxLength: 10 }).filter((s) => !/[\r\n\0]/.test(s) && wellFormed(s));
  fc.assert(
    fc.property(modelArb(anyText, names), fc.boolean(), (model, wide) => {
      const text = formatRegFile(model, { version: '5.00' });
      for (const line of text.split('\r\n')) if (/^ {2}[0-9a-f]/.test(line) || /=hex/.test(line)) assert.ok(line.length <= 80, line);
      const bytes = wide ? encodeRegFileText(text, '5.00') : utf8(text);
      if (!wide && !wellFormed(text)) return; // UTF-8 cannot carry unpaired surrogates in key names
      const back = parseRegFile(bytes, 'prop.reg');
      assert.equal(back.version, '5.00');
      assert.deepEqual(comparable(strip(back.keys)), comparable(strip(model)));
    }),
    { numRuns: 300 },
  );
});

test('property: an export cut off anywhere inside a line after the header is rejected as truncated, never read as a shorter export', () => {
  const names = fc.string({ maxLength: 10 }).filter((s) => !/[\r\n\0]/.test(s));
  fc.assert(
    fc.property(modelArb(anyText, names), fc.nat(), (model, n) => {
      const text = formatRegFile(model, { version: '5.00' });
      const body = text.indexOf('\r\n') + 2;
      const head = text.slice(0, body + (n % (text.length - body)));
      const lastLine = head.slice(head.lastIndexOf('\n') + 1);
      const continued = /\\\r\n[ ]*$/.test(head);
      if (/\\\r\n?$/.test(head)) {
        // Cut just after a continuation's line break: the value's remaining lines are missing.
        assert.match(parseError(encodeRegFileText(head, '5.00')).message, /line continuation \\ at the end of the file/);
        return;
      }
      // Cut at a line end, or just after the blank line between blocks: the file so far is complete.
      if (/[\r\n]$/.test(head) || (lastLine.trim() === '' && !continued)) return;
      const err = parseError(encodeRegFileText(head, '5.00'));
      assert.match(err.message, /^in\.reg:\d+:\d+: file ends inside .* without a line break: the file looks truncated/, JSON.stringify(head.slice(-40)));
    }),
    { numRuns: 300 },
  );
});

test('property: REGEDIT4 round trip for cp1252 text', () => {
  const ansi = fc.string({ unit: fc.constantFrom(...'az AZ\\"\'=;[]é€ÿ\u0081\t'.split('')), maxLength: 10 });
  fc.assert(
    fc.property(modelArb(ansi, ansi), (model) => {
      let bytes: Uint8Array;
      try {
        bytes = encodeRegFileText(formatRegFile(model, { version: 'REGEDIT4' }), 'REGEDIT4');
      } catch (err) {
        // Key names drawn from the wider alphabet (日) cannot be written in ANSI; that must be a DriftscanError.
        assert.ok(err instanceof DriftscanError);
        assert.match(err.message, /REGEDIT4/);
        return;
      }
      const back = parseRegFile(bytes, 'prop4.reg');
      assert.equal(back.version, 'REGEDIT4');
      assert.deepEqual(comparable(strip(back.keys)), comparable(strip(model)));
    }),
    { numRuns: 200 },
  );
});

test('fuzz: arbitrary bytes and near-valid text only ever raise DriftscanError', () => {
  const check = (bytes: Uint8Array) => {
    try {
      parseRegFile(bytes, 'fuzz.reg');
    } catch (err) {
      if (!(err instanceof DriftscanError)) throw err;
      assert.match(err.message, /^fuzz\.reg(:\d+:\d+| @ byte 0x[0-9a-f]+)?: /);
    }
  };
  const fragments = fc.constantFrom('[', ']', '[-', 'HKLM\\', 'HKEY_USERS\\x', '"', '\\', '\\"', '=', '@', '-', 'dword:', 'hex:', 'hex(', '):', 'str(2):',
    '00,', 'ff', ',', ' ', '\t', '\r\n', '\n', ';', 'a', 'é', '\0');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fragments, { maxLength: 60 }), fc.boolean(), (raw, parts, wide) => {
      check(raw);
      const text = 'Windows Registry Editor Version 5.00\r\n' + parts.join('');
      check(wide ? utf16(text) : utf8(text));
      check(Buffer.from('REGEDIT4\n' + parts.join(''), 'latin1'));
    }),
    { numRuns: 1000 },
  );
});

test('formatRegFile writes regedit style', () => {
  const text = formatRegFile(
    [
      { path: { root: 'HKLM', segments: ['SOFTWARE', 'A'] }, values: [
        { name: '', value: { type: 'String', data: 'x"y\\z' } },
        { name: 'D', value: { type: 'DWord', data: 31 } },
        { name: 'Nl', value: { type: 'String', data: 'two\nlines' } },
        { name: 'Gone', value: null },
        { name: 'Long', value: { type: 'Binary', data: new Uint8Array(40) } },
      ] },
      { path: { root: 'HKCU', segments: ['Old'] }, deleted: true },
    ],
    { version: '5.00' },
  );
  const lines = text.split('\r\n');
  assert.deepEqual(lines.slice(0, 7), [
    'Windows Registry Editor Version 5.00', '', '[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]', '@="x\\"y\\\\z"', '"D"=dword:0000001f',
    '"Nl"=hex(1):74,00,77,00,6f,00,0a,00,6c,00,69,00,6e,00,65,00,73,00,00,00', '"Gone"=-',
  ]);
  // 22 bytes fit before column 80 after `"Long"=hex:`; the rest continue indented by two spaces.
  assert.equal(lines[7], `"Long"=hex:${'00,'.repeat(22)}\\`);
  assert.equal(lines[8], `  ${'00,'.repeat(17)}00`);
  assert.deepEqual(lines.slice(9), ['', '[-HKEY_CURRENT_USER\\Old]', '', '']);
});

test('oracle: hivexregedit export of TermService from the real SYSTEM hive reads as hivexget reports', { skip: needShared('hives/SYSTEM.xz') || missingTools() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-reg-'));
  try {
    const hive = join(dir, 'SYSTEM');
    writeFileSync(hive, execFileSync('xz', ['-dc', join(sharedData, 'hives', 'SYSTEM.xz')], { maxBuffer: 64 * 1024 * 1024 }));
    const key = '\\ControlSet001\\Services\\TermService';
    const exported = execFileSync('hivexregedit', ['--export', '--prefix', 'HKEY_LOCAL_MACHINE\\SYSTEM', hive, key]);
    const reg = parseRegFile(exported, 'termservice.reg');
    const k = reg.keys.find((b) => b.path.segments.join('\\').toLowerCase() === 'system\\controlset001\\services\\termservice')!;
    assert.ok(k, 'TermService block');
    assert.ok(reg.keys.length > 1, 'subkeys exported too');
    assert.deepEqual(val(k, 'ObjectName'), { type: 'String', data: 'NT Authority\\NetworkService' });
    assert.deepEqual(val(k, 'Start'), { type: 'DWord', data: 3 });
    // Every value hivexget prints as a string or dword must agree with the parse.
    const lines = execFileSync('hivexget', [hive, key], { encoding: 'utf8' }).trim().split('\n');
    let compared = 0;
    for (const line of lines) {
      const m = /^"([^"]*)"=(?:"(.*)"|str\(2\):"(.*)"|dword:([0-9a-f]{8}))$/.exec(line);
      if (!m) continue;
      const unescape = (s: string) => s.replace(/\\(.)/g, '$1');
      const expected: RegistryValue = m[2] !== undefined ? { type: 'String', data: unescape(m[2]) }
        : m[3] !== undefined ? { type: 'ExpandString', data: unescape(m[3]) } : { type: 'DWord', data: parseInt(m[4]!, 16) };
      assert.deepEqual(val(k, m[1]!), expected, line);
      compared++;
    }
    assert.ok(compared >= 6, `compared ${compared} values`);
    // And the parse → format → parse round trip holds on real data.
    const again = parseRegFile(encodeRegFileText(formatRegFile(reg.keys, { version: '5.00' }), '5.00'), 'again.reg');
    assert.deepEqual(comparable(strip(again.keys)), comparable(strip(reg.keys)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('oracle: hivexregedit --merge imports formatRegFile output and hivexget reads back the same data', { skip: needShared('hives/hivex-minimal.hive') || missingTools() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-regfmt-'));
  try {
    const printable = fc.string({ unit: fc.constantFrom(...'azAZ09 "\\%;=[]'.split('')), maxLength: 12 });
    const value: fc.Arbitrary<RegistryValue> = fc.oneof(
      printable.map((data): RegistryValue => ({ type: 'String', data })),
      printable.map((data): RegistryValue => ({ type: 'ExpandString', data })),
      fc.array(printable.filter((s) => s !== ''), { maxLength: 3 }).map((data): RegistryValue => ({ type: 'MultiString', data })),
      fc.integer({ min: 0, max: 0xffffffff }).map((data): RegistryValue => ({ type: 'DWord', data })),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((data): RegistryValue => ({ type: 'QWord', data })),
      fc.uint8Array({ maxLength: 70 }).map((data): RegistryValue => ({ type: 'Binary', data })),
      fc.uint8Array({ minLength: 1, maxLength: 9 }).map((data): RegistryValue => ({ type: 'Other', typeCode: 0x20001, data })),
    );
    const names = fc.uniqueArray(fc.string({ unit: fc.constantFrom(...'abcXYZ09 _'.split('')), minLength: 1, maxLength: 6 }).filter((s) => s.trim() === s), { selector: (s) => s.toLowerCase(), maxLength: 6 });
    let run = 0;
    fc.assert(
      fc.property(names, fc.array(value, { minLength: 6, maxLength: 6 }), (valueNames, values) => {
        const hive = join(dir, `h${run}.hive`);
        const regFile = join(dir, `r${run++}.reg`);
        writeFileSync(hive, readFileSync(join(sharedData, 'hives', 'hivex-minimal.hive')));
        const model = valueNames.map((name, i) => ({ name, value: values[i]! }));
        // hivexregedit reads UTF-8/ASCII only and needs every parent to exist or have a block.
        writeFileSync(regFile, formatRegFile([{ path: { root: 'HKLM', segments: ['SOFTWARE', 'K'] }, values: model }], { version: '5.00' }));
        execFileSync('hivexregedit', ['--merge', '--prefix', 'HKEY_LOCAL_MACHINE\\SOFTWARE', hive, regFile]);
        const listing = execFileSync('hivexget', [hive, '\\K'], { encoding: 'utf8' }).split('\n').filter(Boolean);
        assert.equal(listing.length, model.length, listing.join('\n'));
        for (const line of listing) {
          const m = /^"((?:[^"\\]|\\.)*)"=(.*)$/.exec(line);
          assert.ok(m, line);
          const unescape = (s: string) => s.replace(/\\(.)/g, '$1');
          const entry = model.find((e) => e.name === unescape(m[1]!))!;
          assert.ok(entry, `unexpected value ${line}`);
          const data = m[2]!;
          const v = entry.value;
          let s: RegExpExecArray | null;
          if ((s = /^"(.*)"$/.exec(data))) assert.deepEqual({ type: 'String', data: unescape(s[1]!) }, v, line);
          else if ((s = /^str\(2\):"(.*)"$/.exec(data))) assert.deepEqual({ type: 'ExpandString', data: unescape(s[1]!) }, v, line);
          else if ((s = /^dword:([0-9a-f]{8})$/.exec(data))) assert.deepEqual({ type: 'DWord', data: parseInt(s[1]!, 16) }, v, line);
          else if ((s = /^hex\((\d+)\):([0-9a-f,]*)$/.exec(data))) {
            // hivexget prints the type number in decimal.
            assert.equal(Number(s[1]), typeCodeOf(v), line);
            assert.equal(s[2], Buffer.from(encodeValue(v)).toString('hex').replace(/(..)(?!$)/g, '$1,'), line);
          } else assert.fail(`unrecognised hivexget output ${line}`);
        }
      }),
      { numRuns: 8 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
