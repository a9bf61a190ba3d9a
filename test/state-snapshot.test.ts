import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DriftscanError } from '../src/core/diagnostics.js';
import { loadSnapshot } from '../src/state/snapshot/source.js';
import type { KeyState, Lookup, StateSource } from '../src/state/source.js';
import { parseRegistryPath } from '../src/windows/registry-path.js';
import type { RegistryValue } from '../src/windows/value.js';
import { SAMPLE_SNAPSHOT } from './support/snapshot-sample.js';

const FILE = 'snap/vm.json';
const load = (doc: unknown, file = FILE): StateSource => loadSnapshot(Buffer.from(JSON.stringify(doc, null, 2)), file);
const lookup = (s: StateSource, p: string) => s.key(parseRegistryPath(p));
const present = (r: Lookup<KeyState>): KeyState => {
  assert.equal(r.status, 'present', JSON.stringify(r));
  return (r as { value: KeyState }).value;
};
function loadError(bytes: Uint8Array | unknown): DriftscanError {
  try {
    loadSnapshot(bytes instanceof Uint8Array ? bytes : Buffer.from(JSON.stringify(bytes)), FILE);
  } catch (err) {
    assert.ok(err instanceof DriftscanError, `expected DriftscanError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}
const clone = () => structuredClone(SAMPLE_SNAPSHOT) as unknown as { keys: Array<Record<string, unknown> & { values?: Array<Record<string, unknown>> }>; services: Array<Record<string, unknown>> } & Record<string, unknown>;

test('sample snapshot: exact value types, names case-insensitive, present/absent/unknown', () => {
  const s = load(SAMPLE_SNAPSHOT);
  assert.equal(s.name, 'snapshot snap/vm.json (VM-WEB-01 at 2026-11-24T20:49:14Z)');
  assert.deepEqual(s.notices, ['snap/vm.json: collector could not read HKLM\\SECURITY\\Policy: Requested registry access is not allowed.']);
  const k = present(lookup(s, 'hklm\\software\\sample'));
  assert.equal(k.path, 'HKLM\\SOFTWARE\\Sample');
  const expected: Record<string, RegistryValue> = {
    '': { type: 'String', data: 'default' },
    path: { type: 'ExpandString', data: '%SystemRoot%\\system32' },
    MULTI: { type: 'MultiString', data: ['a', '', 'b'] },
    big: { type: 'DWord', data: 4294967295 },
    q: { type: 'QWord', data: 18446744073709551615n },
    bin: { type: 'Binary', data: Buffer.from([0x0a, 0xff]) },
    nothing: { type: 'Other', typeCode: 0, data: Buffer.alloc(0) },
    weird: { type: 'Other', typeCode: 0, data: new Uint8Array(0) },
  };
  for (const [name, value] of Object.entries(expected)) assert.deepEqual(k.value(name), value, name);
  assert.equal(k.value('missing'), undefined, 'no valuesRead: every value is listed, so a missing one is absent');
  assert.deepEqual(k.valueNames(), ['', 'Path', 'Multi', 'Big', 'Q', 'Bin', 'Nothing', 'Weird']);

  assert.deepEqual(lookup(s, 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services'), { status: 'absent' });
  assert.deepEqual(lookup(s, 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services\\Client'), { status: 'absent' });
  assert.deepEqual(lookup(s, 'HKLM\\SECURITY\\Policy'), {
    status: 'unknown',
    reason: 'snap/vm.json: the collector could not read HKLM\\SECURITY\\Policy: Requested registry access is not allowed. ' +
      '(only SYSTEM can read HKLM\\SECURITY: run the collector as SYSTEM, e.g. from a scheduled task running as SYSTEM or with psexec -s)',
  });
  const missing = lookup(s, 'HKLM\\SOFTWARE\\Other');
  assert.equal(missing.status, 'unknown');
  assert.match((missing as { reason: string }).reason, /^snap\/vm\.json: snapshot has no data for HKLM\\SOFTWARE\\Other; regenerate the collector/);
});

test('valuesRead: a value the collector did not look for is an error, not "absent"', () => {
  const ts = present(lookup(load(SAMPLE_SNAPSHOT), 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService'));
  assert.deepEqual(ts.value('start'), { type: 'DWord', data: 3 });
  assert.equal(ts.value('DelayedAutostart'), undefined, 'looked for and not found: absent');
  assert.throws(() => ts.value('ImagePath'), (err: unknown) => err instanceof DriftscanError && /^snap\/vm\.json: snapshot has no data for value "ImagePath" of HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService/.test(err.message));
});

test('security from SDDL; unknown when not collected or unreadable; bad SDDL names file and key', () => {
  const s = load(SAMPLE_SNAPSHOT);
  const sec = present(lookup(s, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService')).security();
  assert.equal(sec.status, 'present');
  const sd = (sec as { value: { owner?: string; dacl: { aces: Array<{ sid: string; mask: number }> } | null } }).value;
  assert.equal(sd.owner, 'S-1-5-18');
  assert.deepEqual(sd.dacl!.aces.map((a) => [a.sid, a.mask]), [['S-1-5-32-545', 0x20019], ['S-1-5-32-544', 0xf003f], ['S-1-5-18', 0xf003f]]);
  const noAcl = present(lookup(s, 'HKLM\\SOFTWARE\\Sample')).security();
  assert.equal(noAcl.status, 'unknown');
  assert.match((noAcl as { reason: string }).reason, /snapshot has no ACL for HKLM\\SOFTWARE\\Sample/);
  const denied = present(lookup(s, 'HKLM\\SOFTWARE\\NoAcl')).security();
  assert.deepEqual(denied, { status: 'unknown', reason: 'snap/vm.json: the collector could not read the ACL of HKLM\\SOFTWARE\\NoAcl: Attempted to perform an unauthorized operation.' });

  const doc = clone();
  doc.keys[0]!.sddl = 'O:SYG:SYD:(A;;KR;;;NOT-A-SID)';
  const bad = present(lookup(load(doc), 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService'));
  assert.throws(() => bad.security(), (err: unknown) => err instanceof DriftscanError && /^snap\/vm\.json: key HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService: invalid SDDL/.test(err.message));
});

test('service run state', () => {
  const s = load(SAMPLE_SNAPSHOT);
  assert.deepEqual(s.serviceState('termservice'), { status: 'present', value: 'Running' });
  assert.deepEqual(s.serviceState('Fax'), { status: 'absent' });
  assert.equal(s.serviceState('W32Time').status, 'unknown');
  const doc = clone();
  doc.services.push({ name: 'Spooler', exists: false, error: 'WMI is broken' }, { name: 'Odd', exists: true, state: 'Unknown' });
  const s2 = load(doc);
  assert.deepEqual(s2.serviceState('Spooler'), { status: 'unknown', reason: 'snap/vm.json: the collector could not query service Spooler: WMI is broken' });
  assert.equal(s2.serviceState('Odd').status, 'unknown');
});

test('CurrentControlSet: listed as read live, else mapped through Select\\Current', () => {
  const doc = {
    schema: 'driftscan-snapshot/v1',
    keys: [
      { path: 'HKLM\\SYSTEM\\Select', exists: true, values: [{ name: 'Current', kind: 'DWord', data: 2 }] },
      { path: 'HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\W32Time', exists: true, values: [{ name: 'Start', kind: 'DWord', data: 3 }] },
      { path: 'HKLM\\SYSTEM\\ControlSet002\\Services\\Gone', exists: false },
    ],
  };
  const s = load(doc);
  const w = present(lookup(s, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\W32Time'));
  assert.equal(w.path, 'HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\W32Time');
  assert.deepEqual(lookup(s, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\Gone\\Parameters'), { status: 'absent' });
  assert.equal(lookup(s, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\Other').status, 'unknown');
});

test('CurrentControlSet: a Select\\Current that is there but unusable is an error naming its JSON path; a missing one is unknown', () => {
  const doc = (current: Record<string, unknown> | undefined) => ({
    schema: 'driftscan-snapshot/v1',
    keys: [
      { path: 'HKLM\\SYSTEM\\ControlSet001\\Services\\W32Time', exists: true, values: [{ name: 'Start', kind: 'DWord', data: 3 }] },
      { path: 'HKLM\\SYSTEM\\Select', exists: true, values: [{ name: 'Default', kind: 'DWord', data: 1 }, ...(current ? [current] : [])] },
    ],
  });
  const ccs = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\W32Time';
  for (const [current, problem] of [
    [{ name: 'current', kind: 'String', data: '1' }, 'is REG_SZ, not a REG_DWORD'],
    [{ name: 'Current', kind: 'QWord', data: '1' }, 'is REG_QWORD, not a REG_DWORD'],
    [{ name: 'Current', kind: 'DWord', data: 0 }, 'is 0, which names no ControlSet00n key'],
  ] as const) {
    assert.throws(() => lookup(load(doc(current)), ccs), (err: unknown) => {
      assert.ok(err instanceof DriftscanError, String(err));
      assert.equal(err.message, `${FILE}: $.keys[1].values[1]: HKLM\\SYSTEM\\Select value Current ${problem}, so CurrentControlSet cannot be mapped to a ControlSet00n key`);
      return true;
    });
  }
  assert.equal(lookup(load(doc(undefined)), ccs).status, 'unknown');
  assert.equal(present(lookup(load(doc({ name: 'Current', kind: 'DWord', data: 1 })), ccs)).path, 'HKLM\\SYSTEM\\ControlSet001\\Services\\W32Time');
});

test('encodings: UTF-8 BOM and UTF-16LE BOM (PowerShell 5.1 redirection) load; invalid UTF-8 does not', () => {
  const json = JSON.stringify(SAMPLE_SNAPSHOT);
  present(lookup(loadSnapshot(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]), FILE), 'HKLM\\SOFTWARE\\Sample'));
  present(lookup(loadSnapshot(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')]), FILE), 'HKLM\\SOFTWARE\\Sample'));
  assert.match(loadError(Buffer.from([0x7b, 0xff, 0x7d])).message, /^snap\/vm\.json: snapshot is not valid UTF-8/);
});

test('errors: JSON syntax at line:col, schema problems at a JSON path, semantic problems', () => {
  assert.equal(loadError(Buffer.from('{\n  "schema": "driftscan-snapshot/v1",\n  "keys": [,]\n}')).message.split(': ')[0], 'snap/vm.json:3:12');
  assert.match(loadError(Buffer.from('{"schema": "driftscan-snapshot/v1", "keys": [')).message, /^snap\/vm\.json:1:46: invalid JSON: unexpected end of JSON/);
  assert.match(loadError(Buffer.from('['.repeat(100000))).message, /^snap\/vm\.json:1:513: invalid JSON: nesting deeper than 512 levels$/);
  assert.match(loadError(Buffer.from('{"schema": "driftscan-snapshot/v1", "keys": []}\n}')).message, /^snap\/vm\.json:2:1: invalid JSON: unexpected "}" after the JSON document$/);
  const cases: Array<[(d: ReturnType<typeof clone>) => void, RegExp]> = [
    [(d) => { d.schema = 'other'; }, /^snap\/vm\.json:\d+:\d+: \$\.schema: must be "driftscan-snapshot\/v1"$/],
    [(d) => { delete (d as Record<string, unknown>).keys; }, /^snap\/vm\.json:\d+:\d+: \$: missing required property "keys"$/],
    [(d) => { d.keys[0]!.values![0]!.data = -1; }, /^snap\/vm\.json:\d+:\d+: \$\.keys\[0\]\.values\[0\]\.data: must be >= 0$/],
    [(d) => { d.keys[1]!.values![5]!.data = 'xyz'; }, /^snap\/vm\.json:\d+:\d+: \$\.keys\[1\]\.values\[5\]\.data: must be hexadecimal digits/],
    [(d) => { d.keys[1]!.values![0]!.kind = 'Text'; }, /^snap\/vm\.json:\d+:\d+: \$\.keys\[1\]\.values\[0\]\.kind: must be one of "String", /],
    [(d) => { d.keys[1]!.colour = 'red'; }, /^snap\/vm\.json:\d+:\d+: \$\.keys\[1\]: unknown property "colour"$/],
    [(d) => { d.keys[1]!.values![4]!.data = '18446744073709551616'; }, /^snap\/vm\.json: \$\.keys\[1\]\.values\[4\]\.data: QWORD 18446744073709551616 is larger than 2\^64-1$/],
    [(d) => { d.keys.push({ path: 'hklm\\software\\SAMPLE', exists: false }); }, /^snap\/vm\.json: \$\.keys\[5\]\.path: key hklm\\software\\SAMPLE is listed twice \(also at \$\.keys\[1\]\)$/],
    [(d) => { d.keys[0]!.path = 'HKXX\\A'; }, /^snap\/vm\.json: \$\.keys\[0\]\.path: registry path "HKXX\\+A" must start with a root key/],
    [(d) => { d.collectedAt = 'yesterday'; }, /^snap\/vm\.json:\d+:\d+: \$\.collectedAt: must match format "date-time"$/],
  ];
  for (const [mutate, message] of cases) {
    const doc = clone();
    mutate(doc);
    assert.match(loadError(doc).message, message);
  }
});

// ---- properties ------------------------------------------------------------------------------

/** The documented encoding, written independently of the loader. */
function toJson(v: RegistryValue): { kind: string; data: unknown } {
  switch (v.type) {
    case 'DWord': return { kind: 'DWord', data: v.data };
    case 'QWord': return { kind: 'QWord', data: v.data.toString(10) };
    case 'Binary': return { kind: 'Binary', data: Buffer.from(v.data).toString('hex') };
    case 'Other': return { kind: 'None', data: Buffer.from(v.data).toString('hex') };
    default: return { kind: v.type, data: v.data };
  }
}

test('property: values written in the documented encoding load back exactly', () => {
  const value: fc.Arbitrary<RegistryValue> = fc.oneof(
    fc.string().map((data): RegistryValue => ({ type: 'String', data })),
    fc.string().map((data): RegistryValue => ({ type: 'ExpandString', data })),
    fc.array(fc.string(), { maxLength: 4 }).map((data): RegistryValue => ({ type: 'MultiString', data })),
    fc.integer({ min: 0, max: 0xffffffff }).map((data): RegistryValue => ({ type: 'DWord', data })),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((data): RegistryValue => ({ type: 'QWord', data })),
    fc.uint8Array({ maxLength: 64 }).map((data): RegistryValue => ({ type: 'Binary', data })),
    fc.uint8Array({ maxLength: 16 }).map((data): RegistryValue => ({ type: 'Other', typeCode: 0, data })),
  );
  const norm = (v: RegistryValue | undefined) => (v && v.data instanceof Uint8Array ? { ...v, data: Buffer.from(v.data).toString('hex') } : v);
  fc.assert(
    fc.property(fc.uniqueArray(fc.record({ name: fc.string({ maxLength: 8 }), value }), { selector: (e) => e.name.toLowerCase(), maxLength: 6 }), (entries) => {
      const doc = { schema: 'driftscan-snapshot/v1', keys: [{ path: 'HKLM\\SOFTWARE\\P', exists: true, values: entries.map((e) => ({ name: e.name, ...toJson(e.value) })) }] };
      const k = present(lookup(load(doc), 'HKLM\\SOFTWARE\\P'));
      for (const e of entries) assert.deepEqual(norm(k.value(e.name.toUpperCase())), norm(e.value));
      assert.deepEqual(k.valueNames(), entries.map((e) => e.name));
    }),
    { numRuns: 200 },
  );
});

test('fuzz: arbitrary bytes and mangled snapshots only ever raise DriftscanError', () => {
  const json = JSON.stringify(SAMPLE_SNAPSHOT);
  const check = (bytes: Uint8Array) => {
    try {
      const s = loadSnapshot(bytes, 'fuzz.json');
      for (const k of ['HKLM\\SOFTWARE\\Sample', 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService']) {
        const r = s.key(parseRegistryPath(k));
        if (r.status === 'present') { r.value.valueNames(); try { r.value.security(); } catch (err) { if (!(err instanceof DriftscanError)) throw err; } }
      }
    } catch (err) {
      if (!(err instanceof DriftscanError)) throw err;
      assert.match(err.message, /^fuzz\.json(:\d+:\d+)?: /);
      // The syntax scanner must agree with JSON.parse: it finds an error whenever JSON.parse does.
      assert.ok(!err.message.includes('invalid JSON: not valid JSON'), err.message);
    }
  };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(json.length), fc.nat(json.length), fc.string({ maxLength: 5 }), (raw, at, to, insert) => {
      check(raw);
      const [a, b] = at <= to ? [at, to] : [to, at];
      check(Buffer.from(json.slice(0, a) + insert + json.slice(b)));
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.json(), fc.nat(), fc.constantFrom('', ',', '"', '\\', '}', ']', ':', '\n', 'tru', '-', '0', '\u0001'), (doc, at, insert) => {
      const i = at % (doc.length + 1);
      check(Buffer.from(doc.slice(0, i) + insert + doc.slice(i + 1)));
    }),
    { numRuns: 500 },
  );
});

test('schema errors point at the line and column of the offending value', () => {
  const text = '{\n  "schema": "driftscan-snapshot/v1",\n  "keys": [\n    { "path": "HKLM\\\\SOFTWARE\\\\X", "exists": true,\n      "values": [ { "name": "V", "kind": "DWord", "data": -1 } ] }\n  ]\n}\n';
  assert.equal(loadError(Buffer.from(text)).message, 'snap/vm.json:5:59: $.keys[0].values[0].data: must be >= 0');
});

test('subkeys: a recorded list answers subkeyNames and makes names missing from it absent; no list = unknown', () => {
  const doc = clone();
  doc.keys.push(
    { path: 'HKLM\\SOFTWARE\\Tree', exists: true, valuesRead: [], values: [], subkeys: ['A', 'b'] },
    { path: 'HKLM\\SOFTWARE\\Tree\\a', exists: true, valuesRead: [''], values: [], subkeys: [] },
  );
  const s = load(doc);
  const tree = present(lookup(s, 'hklm\\software\\TREE'));
  assert.deepEqual(tree.subkeyNames(), { status: 'present', value: ['A', 'b'] });
  assert.deepEqual(present(lookup(s, 'HKLM\\SOFTWARE\\Tree\\A')).subkeyNames(), { status: 'present', value: [] });
  // Compared case-insensitively; a listed key with no record of its own is unknown, an unlisted one absent.
  assert.equal(lookup(s, 'HKLM\\SOFTWARE\\Tree\\B').status, 'unknown');
  assert.deepEqual(lookup(s, 'HKLM\\SOFTWARE\\Tree\\c'), { status: 'absent' });
  assert.deepEqual(lookup(s, 'HKLM\\SOFTWARE\\Tree\\c\\d'), { status: 'absent' });
  assert.deepEqual(lookup(s, 'HKLM\\SOFTWARE\\Tree\\a\\x'), { status: 'absent' });
  assert.equal(lookup(s, 'HKLM\\SOFTWARE\\Tree\\b\\x').status, 'unknown');
  // Snapshots without subkey lists (older collectors, or keys read for their values only) still load.
  const old = present(lookup(s, 'HKLM\\SOFTWARE\\Sample')).subkeyNames();
  assert.equal(old.status, 'unknown');
  assert.match((old as { reason: string }).reason, /^snap\/vm\.json: snapshot has no subkey list for HKLM\\SOFTWARE\\Sample; regenerate the collector/);
  // CurrentControlSet is a link, not a stored subkey: SYSTEM's list (as a hive export writes it) says nothing about it.
  const hive = load({ schema: 'driftscan-snapshot/v1', keys: [
    { path: 'HKLM\\SYSTEM', exists: true, values: [], subkeys: ['ControlSet001', 'Select'] },
    { path: 'HKLM\\SYSTEM\\Select', exists: true, values: [{ name: 'Current', kind: 'DWord', data: 1 }], subkeys: [] },
    { path: 'HKLM\\SYSTEM\\ControlSet001', exists: true, values: [], subkeys: ['Control'] },
    { path: 'HKLM\\SYSTEM\\ControlSet001\\Control', exists: true, values: [], subkeys: [] },
  ] });
  assert.equal(lookup(hive, 'HKLM\\SYSTEM\\CurrentControlSet\\Control').status, 'present');
  assert.deepEqual(lookup(hive, 'HKLM\\SYSTEM\\CurrentControlSet\\Services'), { status: 'absent' });
  assert.deepEqual(lookup(hive, 'HKLM\\SYSTEM\\ControlSet002'), { status: 'absent' });
  // The schema checks the list.
  const bad = clone();
  bad.keys.push({ path: 'HKLM\\SOFTWARE\\Tree', exists: true, subkeys: ['ok', ''] });
  assert.match(loadError(bad).message, /^snap\/vm\.json:\d+:\d+: \$\.keys\[\d+\]\.subkeys\[1\]: /);
});
