import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { generateCollector, psString } from '../src/state/snapshot/collector.js';
import { mergeReferences, type StateReferences, type SubtreeReference } from '../src/state/references.js';
import { repoRoot } from './support/paths.js';
import { needPwsh, pwshParseErrors, runCollector, type FakeRegistry } from './support/pwsh.js';
import { parseSnapshot, snapshotSource } from '../src/state/snapshot/source.js';
import { parseRegistryPath } from '../src/windows/registry-path.js';
import { SAMPLE_SNAPSHOT } from './support/snapshot-sample.js';

const Ajv = AjvModule as unknown as typeof AjvModule.default;
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/**
 * Reads a PowerShell string expression as the collector writes it — a single-quoted literal or a
 * parenthesised `+` chain of literals and `[string][char]0xNNNN` — following PowerShell's rules
 * (a quote character, ASCII or typographic, is escaped by doubling). Returns the string and the
 * index after the expression, or throws when the text is anything else.
 */
function readPsString(code: string, at: number): { value: string; end: number } {
  const quote = /['\u2018\u2019\u201a\u201b]/;
  const literal = (p: number): { value: string; end: number } => {
    assert.ok(quote.test(code[p] ?? ''), `expected a quote at ${p}: ${code.slice(p, p + 20)}`);
    let out = '';
    for (let i = p + 1; i < code.length; i++) {
      const c = code[i]!;
      if (quote.test(c)) {
        if (quote.test(code[i + 1] ?? '')) { out += c; i++; continue; }
        return { value: out, end: i + 1 };
      }
      out += c;
    }
    assert.fail('unterminated literal');
  };
  if (code[at] !== '(') return literal(at);
  let p = at + 1;
  let value = '';
  for (;;) {
    const ch = /^\[string\]\[char\]0x([0-9a-f]{4})/.exec(code.slice(p));
    if (ch) { value += String.fromCharCode(parseInt(ch[1]!, 16)); p += ch[0].length; }
    else { const l = literal(p); value += l.value; p = l.end; }
    if (code.startsWith(' + ', p)) { p += 3; continue; }
    assert.equal(code[p], ')', `expected ) at ${p}`);
    return { value, end: p + 1 };
  }
}

/** Parses the generated `$Keys = @(…)` and `$Services = @(…)` tables back, strictly. */
function readTables(script: string): StateReferences {
  const keysAt = script.indexOf('$Keys = @(');
  const servicesAt = script.indexOf('$Services = @(');
  assert.ok(keysAt > 0 && servicesAt > keysAt);
  const keys: StateReferences['keys'] = [];
  let p = keysAt + '$Keys = @('.length;
  const expect = (s: string) => { assert.ok(script.startsWith(s, p), `expected ${JSON.stringify(s)} at ${JSON.stringify(script.slice(p, p + 40))}`); p += s.length; };
  const readNames = (): string[] | 'all' => {
    if (script.startsWith('$null', p)) { p += 5; return 'all'; }
    expect('@(');
    const names: string[] = [];
    while (script[p] !== ')') {
      const v = readPsString(script, p); names.push(v.value); p = v.end;
      if (script.startsWith(', ', p)) p += 2;
    }
    p++;
    return names;
  };
  while (!script.startsWith(')', p)) {
    if (script.startsWith('\r\n', p)) { p += 2; continue; }
    expect('  @{ Path = ');
    const path = readPsString(script, p); p = path.end;
    expect('; ValueNames = ');
    const values = readNames();
    expect('; Acl = $');
    const acl = script.startsWith('true', p);
    p += acl ? 4 : 5;
    let subtree: SubtreeReference | undefined;
    if (script.startsWith('; Subtree = @{ Depth = ', p)) {
      p += '; Subtree = @{ Depth = '.length;
      const depth = /^\d+/.exec(script.slice(p))![0];
      p += depth.length;
      expect('; ValueNames = ');
      const subValues = readNames();
      expect('; Acl = $');
      const subAcl = script.startsWith('true', p);
      p += subAcl ? 4 : 5;
      expect(' }');
      subtree = { depth: Number(depth), values: subValues, acl: subAcl };
    }
    expect(' }');
    if (script[p] === ',') p++;
    keys.push(subtree ? { path: path.value, values, acl, subtree } : { path: path.value, values, acl });
  }
  const services: string[] = [];
  p = servicesAt + '$Services = @('.length;
  while (!script.startsWith(')', p)) {
    if (script.startsWith('\r\n', p)) { p += 2; continue; }
    if (script.startsWith('  ', p)) { p += 2; continue; }
    const s = readPsString(script, p); services.push(s.value); p = s.end;
    if (script[p] === ',') p++;
  }
  return { keys, services };
}

test('mergeReferences dedupes keys case-insensitively, unions values, ORs acl, absorbs into all', () => {
  const merged = mergeReferences(
    { keys: [{ path: 'HKLM\\SOFTWARE\\A', values: ['X'], acl: false }, { path: 'HKLM\\SYSTEM\\B', values: [], acl: false }], services: ['TermService'] },
    { keys: [{ path: 'HKEY_LOCAL_MACHINE\\software\\a', values: ['x', 'Y'], acl: true }], services: ['termservice', 'W32Time'] },
    { keys: [{ path: 'HKLM:\\SYSTEM\\B', values: 'all', acl: false }, { path: 'HKLM\\SYSTEM\\B', values: ['Z'], acl: false }], services: [] },
  );
  assert.deepEqual(merged, {
    keys: [{ path: 'HKLM\\SOFTWARE\\A', values: ['X', 'Y'], acl: true }, { path: 'HKLM\\SYSTEM\\B', values: 'all', acl: false }],
    services: ['TermService', 'W32Time'],
  });
});

test('mergeReferences: subtrees take the deepest depth and all values; keys a subtree reaches fold into it, until nothing changes', () => {
  const sub = (depth: number, values: string[] | 'all', acl = false): SubtreeReference => ({ depth, values, acl });
  // Same key twice: depth max, values union.
  assert.deepEqual(mergeReferences(
    { keys: [{ path: 'HKLM\\SECURITY\\Policy\\Accounts', values: [], acl: false, subtree: sub(2, ['']) }], services: [] },
    { keys: [{ path: 'hklm\\security\\policy\\accounts', values: ['X'], acl: false, subtree: sub(1, ['A', '']) }], services: [] },
  ).keys, [{ path: 'HKLM\\SECURITY\\Policy\\Accounts', values: ['X'], acl: false, subtree: sub(2, ['', 'A']) }]);

  // A key the subtree reaches (2 levels down) folds in with its values and ACL; one 3 levels down stays,
  // and so do keys above or beside the subtree.
  assert.deepEqual(mergeReferences({
    keys: [
      { path: 'HKLM\\SOFTWARE\\A\\x\\y', values: ['V'], acl: true },
      { path: 'HKLM\\SOFTWARE\\A', values: [], acl: false, subtree: sub(2, ['']) },
      { path: 'HKLM\\SOFTWARE\\A\\x\\y\\z', values: ['W'], acl: false },
      { path: 'HKLM\\SOFTWARE', values: ['S'], acl: false },
      { path: 'HKLM\\SOFTWARE\\B\\x', values: ['B'], acl: false },
    ],
    services: [],
  }).keys, [
    { path: 'HKLM\\SOFTWARE\\A', values: [], acl: false, subtree: sub(2, ['', 'V'], true) },
    { path: 'HKLM\\SOFTWARE\\A\\x\\y\\z', values: ['W'], acl: false },
    { path: 'HKLM\\SOFTWARE', values: ['S'], acl: false },
    { path: 'HKLM\\SOFTWARE\\B\\x', values: ['B'], acl: false },
  ]);

  // Folding deepens: B\q (depth 3) folds into B (depth 1) → depth 4, which now reaches B\x\y (and its subtree).
  assert.deepEqual(mergeReferences({
    keys: [
      { path: 'HKLM\\SOFTWARE\\B', values: [], acl: false, subtree: sub(1, []) },
      { path: 'HKLM\\SOFTWARE\\B\\x\\y', values: ['Y'], acl: false, subtree: sub(1, 'all') },
      { path: 'HKLM\\SOFTWARE\\B\\q', values: [], acl: false, subtree: sub(3, ['Q']) },
    ],
    services: [],
  }).keys, [{ path: 'HKLM\\SOFTWARE\\B', values: [], acl: false, subtree: sub(4, 'all') }]);
});

test('the script names every referenced key, value and service exactly once, and reads them back exactly', () => {
  const refs: StateReferences = {
    keys: [
      { path: 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService', values: ['Start', 'ObjectName', ''], acl: true },
      { path: 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services', values: 'all', acl: false },
      { path: 'HKEY_USERS\\.DEFAULT\\Control Panel', values: [], acl: false },
      { path: 'HKLM\\SECURITY\\Policy\\Accounts', values: [], acl: false, subtree: { depth: 2, values: [''], acl: false } },
    ],
    services: ['TermService', 'W32Time'],
  };
  const script = generateCollector(refs, { version: '9.8.7' });
  const code = script.split('\r\n').filter((l) => !l.trimStart().startsWith('#')).join('\r\n');
  for (const k of refs.keys) {
    const p = k.path.replace('HKEY_USERS', 'HKU');
    assert.equal(code.split(`'${p}'`).length - 1, 1, p);
    if (k.values !== 'all') for (const v of k.values) if (v) assert.equal(code.split(`'${v}'`).length - 1, 1, v);
  }
  for (const s of refs.services) assert.equal(code.split(`'${s}'`).length - 1, 1, s);
  assert.deepEqual(readTables(script), mergeReferences(refs));
  // What the header promises and what §5 requires of the reads.
  assert.match(script, /^#Requires -Version 5\.1\r\n/);
  assert.match(script, /driftscan 9\.8\.7/);
  assert.match(script, /\$CollectorVersion = '9\.8\.7'/);
  assert.match(script, /#   key HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService: values Start, ObjectName, \(default\); ACL \(SDDL\)/);
  assert.match(script, /#   service W32Time \(run state\)/);
  assert.match(script, /#   key HKLM\\SECURITY\\Policy\\Accounts: existence; subkeys 2 levels down, each with values \(default\) and its subkey names\r\n/);
  // Reading HKLM\SECURITY needs SYSTEM: the help block says so.
  assert.match(script, /It reads HKLM\\SECURITY, which only SYSTEM can read: run it as SYSTEM/);
  assert.doesNotMatch(generateCollector({ keys: [{ path: 'HKLM\\SOFTWARE\\X', values: [], acl: false }], services: [] }), /only SYSTEM/);
  for (const needle of ['[Microsoft.Win32.RegistryView]::Registry64', 'DoNotExpandEnvironmentNames', 'ConvertTo-Json -InputObject $snapshot -Depth 10',
    "GetSecurityDescriptorSddlForm($DriftscanAclSections)", "'Access, Owner, Group'", 'Get-CimInstance -ClassName Win32_Service', '[string]$OutFile',
    "'driftscan-snapshot.json'", "$OutFile -eq '-'", 'UTF8Encoding $false', "schema       = 'driftscan-snapshot/v1'"]) {
    assert.ok(script.includes(needle), needle);
  }
  assert.ok(!/\t/.test(script) && script.split('\r\n').every((l) => !l.includes('\n')), 'CRLF only');
});

test('no injection: quotes, $, backticks, typographic quotes and line breaks stay inside literals (property)', () => {
  const nasty = fc.string({ unit: fc.constantFrom(...["'", '"', '$', '`', '\n', '\r', '\u2018', '\u2019', '\u201a', '\u201b', '(', ')', '#', '<#', '#>', '@', ';', '\u2028', '\0', 'a', ' ', '\\', '\u00e9', '\ud83d\ude00', '\ud800']), minLength: 1, maxLength: 12 });
  fc.assert(
    fc.property(fc.array(fc.record({
      seg: nasty, values: fc.array(nasty, { maxLength: 3 }), acl: fc.boolean(),
      subtree: fc.option(fc.record({ depth: fc.integer({ min: 1, max: 3 }), values: fc.oneof(fc.constant('all' as const), fc.array(nasty, { maxLength: 3 })), acl: fc.boolean() }), { nil: undefined }),
    }), { minLength: 1, maxLength: 4 }), fc.array(nasty, { maxLength: 3 }), (keys, services) => {
      const refs: StateReferences = {
        keys: keys.map((k, i) => ({ path: `HKLM\\SOFTWARE\\K${i}${k.seg}`, values: k.values, acl: k.acl, ...(k.subtree ? { subtree: k.subtree } : {}) })),
        services,
      };
      const script = generateCollector(refs);
      assert.deepEqual(readTables(script), mergeReferences(refs));
      // Windows PowerShell 5.1 reads BOM-less scripts as ANSI: the script must be pure ASCII.
      assert.ok(/^[\x20-\x7e\r\n]*$/.test(script), 'ASCII only');
      // Comment lines in the header cannot carry a line break out of the comment.
      const header = script.slice(0, script.indexOf('[CmdletBinding()]'));
      const afterHelp = header.slice(header.indexOf('#>\r\n') + 4);
      for (const line of afterHelp.split('\r\n').filter(Boolean)) assert.match(line, /^#   /);
      assert.ok(!header.slice(0, header.indexOf('#>\r\n')).includes('#>'), 'nothing closes the help block early');
    }),
    { numRuns: 300 },
  );
  assert.equal(psString("it's"), "'it''s'");
  assert.equal(psString('a\u2019b'), "('a' + [string][char]0x2019 + 'b')");
  assert.equal(psString('Caf\u00e9 \u{1f600}'), "('Caf' + [string][char]0x00e9 + ' ' + [string][char]0xd83d + [string][char]0xde00)");
  assert.equal(psString('$env:x `n'), "'$env:x `n'");
  assert.equal(psString('a\nb'), "('a' + [string][char]0x000a + 'b')");
});

test('no references: a valid script that reads nothing', () => {
  const script = generateCollector({ keys: [], services: [] });
  assert.match(script, /\$Keys = @\(\)\r\n\$Services = @\(\)/);
  assert.match(script, /#   nothing/);
});

test('a snapshot in the documented format validates against schema/snapshot.schema.json; wrong data does not', () => {
  const schema = JSON.parse(readFileSync(join(repoRoot, 'schema', 'snapshot.schema.json'), 'utf8')) as object;
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  assert.ok(validate(SAMPLE_SNAPSHOT), JSON.stringify(validate.errors));
  const bad = (mutate: (s: typeof SAMPLE_SNAPSHOT & Record<string, unknown>) => void) => {
    const copy = structuredClone(SAMPLE_SNAPSHOT) as typeof SAMPLE_SNAPSHOT & Record<string, unknown>;
    mutate(copy);
    return validate(copy);
  };
  assert.equal(bad((s) => { s.keys[0]!.values![0]!.data = -1; }), false, 'signed DWORD');
  assert.equal(bad((s) => { s.keys[1]!.values![4]!.data = 1 as unknown as string; }), false, 'QWORD as a number');
  assert.equal(bad((s) => { s.keys[1]!.values![5]!.data = 'abc'; }), false, 'odd hex');
  assert.equal(bad((s) => { s.schema = 'driftscan-snapshot/v2'; }), false, 'schema id');
  assert.equal(bad((s) => { s.extra = 1; }), false, 'unknown property');
  assert.equal(bad((s) => { (s.services[0] as { state: string }).state = 'Start Pending'; }), false, 'WMI spelling');
});

test('PowerShell\'s own parser accepts the generated script', { skip: needPwsh() }, () => {
  assert.deepEqual(pwshParseErrors(generateCollector({ keys: [{ path: "HKLM\\SOFTWARE\\It's", values: ['$x', 'a`b'], acl: true }], services: ['W32Time'] })), []);
});

test('issue #8: 20,000 references to values of one key merge and generate in linear time', () => {
  // Quadratic merging took ~23 s for this on the 2-core build machine; linear takes ~50 ms.
  const refs: StateReferences[] = Array.from({ length: 20_000 }, (_, i) => ({ keys: [{ path: 'HKLM\\SOFTWARE\\Big', values: [`V${i}`, `v${i}`], acl: false }], services: [] }));
  const started = performance.now();
  const merged = mergeReferences(...refs);
  const script = generateCollector(merged);
  const elapsed = performance.now() - started;
  assert.equal(merged.keys.length, 1);
  assert.equal((merged.keys[0]!.values as string[]).length, 20_000, 'case-insensitive: V1 and v1 are one name');
  assert.equal((merged.keys[0]!.values as string[])[19_999], 'V19999', 'first spelling and order kept');
  assert.ok(script.includes("'V19999'"));
  assert.ok(elapsed < 5_000, `took ${Math.round(elapsed)} ms`);
});

test('the script runs under pwsh against a fake registry; driftscan reads its snapshot back exactly', { skip: needPwsh() }, () => {
  // 3,000 wanted values on one key: the old per-name array scans took ~100 s under pwsh here, the map ~5 s.
  const many = Array.from({ length: 3_000 }, (_, i) => `N${i}`);
  const refs: StateReferences = {
    keys: [
      { path: 'HKLM\\SOFTWARE\\A', values: ['dw', 'QW', 'missing', ''], acl: true },
      { path: 'HKLM\\SOFTWARE\\B', values: 'all', acl: true },
      { path: 'HKLM\\SOFTWARE\\Many', values: many, acl: false },
      { path: 'HKLM\\SOFTWARE\\Nope', values: [], acl: false },
      { path: 'HKLM\\SECURITY\\Policy', values: [], acl: false },
    ],
    services: [],
  };
  const registry: FakeRegistry = {
    'HKLM\\SOFTWARE\\A': {
      values: [{ name: 'DW', kind: 'DWord', data: 4294967295 }, { name: 'qw', kind: 'QWord', data: '18446744073709551615' }, { name: '', kind: 'String', data: 'default' }, { name: 'unasked', kind: 'String', data: 'x' }],
      sddl: 'O:SYG:SYD:(A;;KA;;;SY)(A;CI;KR;;;BU)',
    },
    'HKLM\\SOFTWARE\\B': {
      values: [
        { name: 'multi', kind: 'MultiString', data: ['a', '', 'b'] }, { name: 'bin', kind: 'Binary', data: '0aff' },
        { name: 'none', kind: 'None', data: '' }, { name: 'path', kind: 'ExpandString', data: '%SystemRoot%\\x' },
      ],
      aclDenied: 'Attempted to perform an unauthorized operation.',
    },
    'HKLM\\SOFTWARE\\Many': { values: many.map((n, i) => ({ name: n.toLowerCase(), kind: 'DWord' as const, data: i })) },
    'HKLM\\SECURITY': { denied: 'Requested registry access is not allowed.' },
  };
  const started = performance.now();
  const run = runCollector(generateCollector(refs, { version: '9.8.7' }), registry);
  const elapsed = performance.now() - started;
  assert.equal(run.status, 0, run.stderr);
  assert.ok(elapsed < 40_000, `took ${Math.round(elapsed)} ms`);
  const doc = parseSnapshot(Buffer.from(run.stdout), 'fake.json');
  assert.equal(doc.collector?.version, '9.8.7');
  const s = snapshotSource(doc, 'fake.json');
  const key = (p: string) => s.key(parseRegistryPath(p));
  const a = key('HKLM\\SOFTWARE\\A');
  assert.equal(a.status, 'present');
  if (a.status !== 'present') return;
  assert.deepEqual(a.value.value('dw'), { type: 'DWord', data: 4294967295 });
  assert.deepEqual(a.value.value('QW'), { type: 'QWord', data: 18446744073709551615n });
  assert.deepEqual(a.value.value(''), { type: 'String', data: 'default' });
  assert.equal(a.value.value('missing'), undefined);
  assert.throws(() => a.value.value('unasked'), /the collector did not read it/);
  assert.equal(a.value.security().status, 'present');
  const b = key('HKLM\\SOFTWARE\\B');
  assert.equal(b.status, 'present');
  if (b.status !== 'present') return;
  assert.deepEqual(b.value.valueNames(), ['multi', 'bin', 'none', 'path']);
  assert.deepEqual(b.value.value('MULTI'), { type: 'MultiString', data: ['a', '', 'b'] });
  assert.deepEqual(b.value.value('bin'), { type: 'Binary', data: Buffer.from([0x0a, 0xff]) });
  assert.deepEqual(b.value.value('none'), { type: 'Other', typeCode: 0, data: Buffer.alloc(0) });
  assert.deepEqual(b.value.value('path'), { type: 'ExpandString', data: '%SystemRoot%\\x' });
  assert.match((b.value.security() as { reason: string }).reason, /could not read the ACL of HKLM\\SOFTWARE\\B: .*unauthorized operation/);
  const m = key('HKLM\\SOFTWARE\\Many');
  assert.equal(m.status, 'present');
  if (m.status !== 'present') return;
  assert.equal(m.value.valueNames().length, 3_000);
  assert.deepEqual(m.value.value('N2999'), { type: 'DWord', data: 2999 });
  assert.deepEqual(key('HKLM\\SOFTWARE\\Nope'), { status: 'absent' });
  const denied = key('HKLM\\SECURITY\\Policy');
  assert.equal(denied.status, 'unknown');
  assert.match((denied as { reason: string }).reason, /could not read HKLM\\SECURITY\\Policy: .*Requested registry access is not allowed/);
});

test('subtrees under pwsh: every key to the depth asked, with subkey lists; errors stay local; SECURITY says to run as SYSTEM', { skip: needPwsh() }, () => {
  const refs: StateReferences = {
    keys: [
      { path: 'HKLM\\SOFTWARE\\Tree', values: [], acl: false, subtree: { depth: 2, values: [''], acl: false } },
      // Inside the subtree: folded into it, so its value is read at that level and the key is recorded once.
      { path: 'HKLM\\SOFTWARE\\Tree\\a', values: ['Other'], acl: false },
      { path: 'HKLM\\SECURITY\\Policy\\Accounts', values: [], acl: false, subtree: { depth: 2, values: [''], acl: false } },
    ],
    services: [],
  };
  const registry: FakeRegistry = {
    'HKLM\\SOFTWARE\\Tree\\a': { values: [{ name: '', kind: 'Binary', data: '07040000' }, { name: 'other', kind: 'String', data: 'o' }, { name: 'unasked', kind: 'String', data: 'u' }] },
    'HKLM\\SOFTWARE\\Tree\\a\\deep': { values: [{ name: '', kind: 'None', data: '0102' }] },
    'HKLM\\SOFTWARE\\Tree\\a\\deep\\deeper': { values: [{ name: '', kind: 'String', data: 'too deep' }] },
    'HKLM\\SOFTWARE\\Tree\\b': {},
    'HKLM\\SOFTWARE\\Tree\\locked': { denied: 'Requested registry access is not allowed.' },
    'HKLM\\SOFTWARE\\Tree\\locked\\inside': {},
    'HKLM\\SECURITY': { denied: 'Requested registry access is not allowed.' },
  };
  const run = runCollector(generateCollector(refs), registry);
  assert.equal(run.status, 0, run.stderr);
  const doc = parseSnapshot(Buffer.from(run.stdout), 'fake.json');
  assert.deepEqual(doc.keys.map((k) => k.path), [
    'HKLM\\SOFTWARE\\Tree', 'HKLM\\SOFTWARE\\Tree\\a', 'HKLM\\SOFTWARE\\Tree\\a\\deep', 'HKLM\\SOFTWARE\\Tree\\b',
    'HKLM\\SOFTWARE\\Tree\\locked', 'HKLM\\SECURITY\\Policy\\Accounts',
  ], 'parents before children, each key once, nothing below the depth or below an unreadable key');
  const s = snapshotSource(doc, 'fake.json');
  const present = (p: string) => {
    const k = s.key(parseRegistryPath(p));
    assert.equal(k.status, 'present', `${p}: ${JSON.stringify(k)}`);
    return (k as { value: import('../src/state/source.js').KeyState }).value;
  };
  assert.deepEqual(present('HKLM\\SOFTWARE\\Tree').subkeyNames(), { status: 'present', value: ['a', 'b', 'locked'] });
  const a = present('hklm\\software\\tree\\A');
  assert.deepEqual(a.value(''), { type: 'Binary', data: Buffer.from([7, 4, 0, 0]) });
  assert.deepEqual(a.value('other'), { type: 'String', data: 'o' });
  assert.throws(() => a.value('unasked'), /the collector did not read it/);
  assert.deepEqual(a.subkeyNames(), { status: 'present', value: ['deep'] });
  const deep = present('HKLM\\SOFTWARE\\Tree\\a\\deep');
  assert.deepEqual(deep.value(''), { type: 'Other', typeCode: 0, data: Buffer.from([1, 2]) });
  assert.deepEqual(deep.subkeyNames(), { status: 'present', value: ['deeper'] });
  assert.deepEqual(present('HKLM\\SOFTWARE\\Tree\\b').subkeyNames(), { status: 'present', value: [] });
  assert.equal(s.key(parseRegistryPath('HKLM\\SOFTWARE\\Tree\\a\\deep\\deeper')).status, 'unknown', 'listed but below the depth read');
  assert.deepEqual(s.key(parseRegistryPath('HKLM\\SOFTWARE\\Tree\\c')), { status: 'absent' }, 'not in the subkey list');
  assert.deepEqual(s.key(parseRegistryPath('HKLM\\SOFTWARE\\Tree\\c\\x')), { status: 'absent' });
  assert.deepEqual(s.key(parseRegistryPath('HKLM\\SOFTWARE\\Tree\\b\\x')), { status: 'absent' });
  const locked = s.key(parseRegistryPath('HKLM\\SOFTWARE\\Tree\\locked'));
  assert.equal(locked.status, 'unknown');
  assert.match((locked as { reason: string }).reason, /could not read HKLM\\SOFTWARE\\Tree\\locked: .*Requested registry access is not allowed/);
  assert.equal(s.key(parseRegistryPath('HKLM\\SOFTWARE\\Tree\\locked\\inside')).status, 'unknown');
  const security = s.key(parseRegistryPath('HKLM\\SECURITY\\Policy\\Accounts'));
  assert.equal(security.status, 'unknown');
  assert.match((security as { reason: string }).reason,
    /could not read HKLM\\SECURITY\\Policy\\Accounts: .*not allowed\. \(only SYSTEM can read HKLM\\SECURITY: run the collector as SYSTEM/);
});
