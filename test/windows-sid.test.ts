import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { domainPrefix, encodeSid, isSid, parseSid, readSid, rid } from '../src/windows/sid.js';

test('parseSid canonicalises case, hex authorities and leading zeros', () => {
  assert.equal(parseSid('s-1-5-32-544'), 'S-1-5-32-544');
  assert.equal(parseSid('S-1-0x000000000005-18'), 'S-1-5-18');
  assert.equal(parseSid('S-1-0X5-018'), 'S-1-5-18');
  assert.equal(parseSid('S-1-5'), 'S-1-5');
  // Authorities ≥ 2^32 print as 0x + 12 hex digits (MS-DTYP 2.4.2.1).
  assert.equal(parseSid('S-1-0x123456789abc-1'), 'S-1-0x123456789ABC-1');
  assert.equal(parseSid('S-1-4294967296-1'), 'S-1-0x000100000000-1');
  assert.equal(parseSid('S-1-5-4294967295'), 'S-1-5-4294967295');
});

test('parseSid rejects malformed SIDs with a plain message', () => {
  for (const [bad, re] of [
    ['S-2-5-18', /revision/],
    ['S-1-5-4294967296', /sub-authority 1 4294967296 is larger/],
    [`S-1-5${'-1'.repeat(16)}`, /16 sub-authorities; at most 15/],
    ['S-1-5-', /not a decimal/],
    ['S-1-5-1a', /not a decimal/],
    ['S-1-0x1234567890abc-1', /hex authority/],
    ['X-1-5', /not a SID/],
    ['S-1', /not a SID/],
    ['S-1-5--1', /not a decimal/],
    ['', /not a SID/],
  ] as const) {
    assert.throws(() => parseSid(bad), (e: Error) => e.constructor === Error && re.test(e.message), bad);
    assert.equal(isSid(bad), false, bad);
  }
  assert.equal(isSid('S-1-5-80-0'), true);
});

test('readSid decodes the §2.8 example bytes (authority big-endian, sub-authorities little-endian)', () => {
  const bytes = Uint8Array.from([0xff, 0x01, 0x02, 0, 0, 0, 0, 0, 0x05, 0x20, 0, 0, 0, 0x21, 0x02, 0, 0, 0xee]);
  assert.deepEqual(readSid(bytes, 1), { sid: 'S-1-5-32-545', length: 16 });
});

test('readSid names the offset on truncation and bad counts, never RangeError', () => {
  const sid = encodeSid('S-1-5-21-1-2-3-500');
  assert.throws(() => readSid(sid.subarray(0, sid.length - 1), 0), /SID at offset 0 is truncated/);
  assert.throws(() => readSid(sid, 30), /SID at offset 30 is truncated/);
  const bad = Uint8Array.from(sid);
  bad[1] = 16;
  assert.throws(() => readSid(bad, 0), /claims 16 sub-authorities/);
  bad[0] = 2;
  assert.throws(() => readSid(bad, 0), /revision 2/);
});

const sidArb = fc
  .tuple(fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 48 - 1 })), fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 15 }))
  .map(([a, subs]) => parseSid(`S-1-${a}${subs.map((s) => `-${s}`).join('')}`));

test('property: encodeSid/readSid round-trip and parseSid is idempotent', () => {
  fc.assert(
    fc.property(sidArb, fc.nat({ max: 8 }), (sid, pad) => {
      const enc = encodeSid(sid);
      const buf = new Uint8Array(pad + enc.length);
      buf.set(enc, pad);
      assert.deepEqual(readSid(buf, pad), { sid, length: enc.length });
      assert.equal(parseSid(sid.toLowerCase()), sid);
    }),
  );
});

test('property: readSid on arbitrary bytes returns or throws Error, never RangeError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: -2, max: 90 }), (bytes, off) => {
      try {
        const r = readSid(bytes, off);
        assert.ok(isSid(r.sid));
      } catch (e) {
        assert.equal((e as Error).constructor, Error);
      }
    }),
  );
});

test('domainPrefix and rid split the relative identifier', () => {
  assert.equal(domainPrefix('S-1-5-21-1-2-3-500'), 'S-1-5-21-1-2-3');
  assert.equal(rid('S-1-5-21-1-2-3-500'), 500);
  assert.equal(domainPrefix('S-1-5'), undefined);
  assert.equal(rid('S-1-5'), undefined);
});
