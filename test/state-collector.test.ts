import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { generateCollector, psString } from '../src/state/snapshot/collector.js';
import { mergeReferences, type StateReferences } from '../src/state/references.js';
import { repoRoot } from './support/paths.js';
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
  while (!script.startsWith(')', p)) {
    if (script.startsWith('\r\n', p)) { p += 2; continue; }
    expect('  @{ Path = ');
    const path = readPsString(script, p); p = path.end;
    expect('; ValueNames = ');
    let values: string[] | 'all';
    if (script.startsWith('$null', p)) { values = 'all'; p += 5; } else {
      expect('@(');
      values = [];
      while (script[p] !== ')') {
        const v = readPsString(script, p); values.push(v.value); p = v.end;
        if (script.startsWith(', ', p)) p += 2;
      }
      p++;
    }
    expect('; Acl = $');
    const acl = script.startsWith('true', p);
    p += acl ? 4 : 5;
    expect(' }');
    if (script[p] === ',') p++;
    keys.push({ path: path.value, values, acl });
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

test('the script names every referenced key, value and service exactly once, and reads them back exactly', () => {
  const refs: StateReferences = {
    keys: [
      { path: 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService', values: ['Start', 'ObjectName', ''], acl: true },
      { path: 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services', values: 'all', acl: false },
      { path: 'HKEY_USERS\\.DEFAULT\\Control Panel', values: [], acl: false },
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
    fc.property(fc.array(fc.record({ seg: nasty, values: fc.array(nasty, { maxLength: 3 }), acl: fc.boolean() }), { minLength: 1, maxLength: 4 }), fc.array(nasty, { maxLength: 3 }), (keys, services) => {
      const refs: StateReferences = { keys: keys.map((k, i) => ({ path: `HKLM\\SOFTWARE\\K${i}${k.seg}`, values: k.values, acl: k.acl })), services };
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

test('pwsh (when installed) parses the generated script without syntax errors', { skip: spawnSync('pwsh', ['-v']).error ? 'pwsh not installed (not in Debian)' : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-collector-'));
  try {
    const file = join(dir, 'collect.ps1');
    writeFileSync(file, generateCollector({ keys: [{ path: "HKLM\\SOFTWARE\\It's", values: ['$x', 'a`b'], acl: true }], services: ['W32Time'] }));
    const r = spawnSync('pwsh', ['-NoProfile', '-Command', `$e = $null; [void][System.Management.Automation.Language.Parser]::ParseFile('${file}', [ref]$null, [ref]$e); $e.Count`], { encoding: 'utf8' });
    assert.equal(r.stdout.trim(), '0', r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
