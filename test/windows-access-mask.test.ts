import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  GENERIC_ALL, GENERIC_EXECUTE, GENERIC_READ, GENERIC_WRITE, KEY_ALL_ACCESS, KEY_EXECUTE, KEY_READ, KEY_WRITE, REGISTRY_RIGHT_NAMES,
  formatRights, mapGenericKeyRights, parseRights,
} from '../src/windows/access-mask.js';

test('constants match winnt.h / §3.5', () => {
  assert.equal(KEY_READ, 0x20019);
  assert.equal(KEY_EXECUTE, 0x20019);
  assert.equal(KEY_WRITE, 0x20006);
  assert.equal(KEY_ALL_ACCESS, 0xf003f);
  assert.equal(GENERIC_READ, 0x80000000);
  assert.ok(GENERIC_READ > 0, 'unsigned');
});

test('.NET RegistryRights names parse to their documented values', () => {
  const dotnet: Record<string, number> = {
    QueryValues: 1, SetValue: 2, CreateSubKey: 4, EnumerateSubKeys: 8, Notify: 16, CreateLink: 32, Delete: 65536,
    ReadPermissions: 131072, ChangePermissions: 262144, TakeOwnership: 524288, ReadKey: 131097, ExecuteKey: 131097,
    WriteKey: 131078, FullControl: 983103, GenericRead: 0x80000000, GenericWrite: 0x40000000, GenericExecute: 0x20000000,
    GenericAll: 0x10000000,
  };
  assert.deepEqual([...REGISTRY_RIGHT_NAMES].sort(), Object.keys(dotnet).sort());
  for (const [name, value] of Object.entries(dotnet)) {
    assert.equal(parseRights(name), value, name);
    assert.equal(parseRights(name.toUpperCase()), value, name);
  }
});

test('parseRights accepts lists, hex, numbers, signed Int32 views and arrays', () => {
  assert.equal(parseRights('QueryValues, EnumerateSubKeys'), 9);
  assert.equal(parseRights('ReadKey|SetValue'), 0x2001b);
  assert.equal(parseRights('0x20019'), 0x20019);
  assert.equal(parseRights('0xF003F'), 0xf003f);
  assert.equal(parseRights(131097), 0x20019);
  assert.equal(parseRights('131097'), 0x20019);
  assert.equal(parseRights(-2147483648), 0x80000000); // how Get-Acl prints GENERIC_READ
  assert.equal(parseRights('-1610612736'), 0xa0000000);
  assert.equal(parseRights(['ReadKey', 'Delete', 0x40000]), 0x70019);
  assert.equal(parseRights('KEY_ALL_ACCESS'), 0xf003f);
  assert.equal(parseRights('None'), 0);
});

test('parseRights errors suggest the right name', () => {
  assert.throws(() => parseRights('ReadKeys'), { message: "unknown right 'ReadKeys'; did you mean ReadKey?" });
  assert.throws(() => parseRights('QueryValues, Notfy'), /unknown right 'Notfy'; did you mean Notify\?/);
  assert.throws(() => parseRights('Banana split'), /unknown right 'Banana split'; expected one of QueryValues/);
  assert.throws(() => parseRights('ReadKey,'), /empty right/);
  assert.throws(() => parseRights([]), /no rights/);
  assert.throws(() => parseRights(2 ** 32), /not a 32-bit/);
  assert.throws(() => parseRights('0x100000000'), /larger than 32 bits/);
  assert.throws(() => parseRights(1.5), /not a 32-bit/);
});

test('mapGenericKeyRights maps GR/GW/GX/GA to key rights and drops the generic bits', () => {
  assert.equal(mapGenericKeyRights(GENERIC_READ), KEY_READ);
  assert.equal(mapGenericKeyRights(GENERIC_WRITE), KEY_WRITE);
  assert.equal(mapGenericKeyRights(GENERIC_EXECUTE), KEY_EXECUTE);
  assert.equal(mapGenericKeyRights(GENERIC_ALL), KEY_ALL_ACCESS);
  assert.equal(mapGenericKeyRights((GENERIC_READ | GENERIC_EXECUTE | 0x10000) >>> 0), 0x30019);
  assert.equal(mapGenericKeyRights(KEY_READ), KEY_READ);
});

test('formatRights prints like .NET: composites, then members in bit order, generics, leftovers', () => {
  assert.equal(formatRights(0x20019), 'ReadKey');
  assert.equal(formatRights(0xf003f), 'FullControl');
  assert.equal(formatRights(0x20006), 'WriteKey');
  assert.equal(formatRights(3), 'QueryValues, SetValue');
  assert.equal(formatRights(0x2001f), 'ReadKey, WriteKey');
  assert.equal(formatRights(0x60019), 'ReadKey, ChangePermissions');
  assert.equal(formatRights(0x80000000), 'GenericRead');
  assert.equal(formatRights(0xa0000000), 'GenericExecute, GenericRead');
  assert.equal(formatRights(0x120089), 'QueryValues, EnumerateSubKeys, ReadPermissions, 0x100080');
  assert.equal(formatRights(0), 'None');
});

test('property: parseRights(formatRights(m)) === m for every 32-bit mask', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (m) => {
      assert.equal(parseRights(formatRights(m)), m);
    }),
    { numRuns: 2000 },
  );
});

test('property: mapGenericKeyRights never leaves generic bits and only adds rights', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (m) => {
      const mapped = mapGenericKeyRights(m);
      assert.equal(mapped & 0xf0000000, 0);
      assert.equal((mapped & m & 0x0fffffff) >>> 0, (m & 0x0fffffff) >>> 0);
      assert.ok(mapped >= 0);
    }),
  );
});
