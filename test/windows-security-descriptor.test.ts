import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  ACE_FLAG, aceAppliesToKey, aceInheritedBySubkeys, aceTypeName, describeAce, encodeSecurityDescriptor, parseSecurityDescriptor,
  type Ace, type SecurityDescriptor,
} from '../src/windows/security-descriptor.js';
import { formatSddl, parseSddl } from '../src/windows/sddl.js';
import { needShared, sharedData } from './support/paths.js';
import { sdArb } from './support/security-arbitraries.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/[\s|]/g, ''), 'hex'));
const MINIMAL_SDDL =
  'O:BAG:SYD:PAI(A;;KR;;;BU)(A;CIIO;GR;;;BU)(A;;KR;;;PU)(A;CIIO;GR;;;PU)(A;;KA;;;BA)(A;CIIO;GA;;;BA)(A;;KA;;;SY)(A;CIIO;GA;;;SY)(A;;KA;;;BA)(A;CIIO;GA;;;CO)';

/** The §2.8 descriptor written out by hand from the layout in windows-formats.md (not by the encoder). */
function workedExampleBytes(): Uint8Array {
  const sid = { BU: '0102000000000005 20000000 21020000', PU: '0102000000000005 20000000 23020000', BA: '0102000000000005 20000000 20020000', SY: '0101000000000005 12000000', CO: '0101000000000003 00000000' };
  const ace = (flags: string, mask: string, s: string): string => {
    const body = `${mask}${s.replace(/\s/g, '')}`;
    return `00${flags}${(4 + body.length / 2).toString(16).padStart(2, '0')}00${body}`;
  };
  const KR = '19000200', GR = '00000080', KA = '3f000f00', GA = '00000010';
  const aces = [
    ace('00', KR, sid.BU), ace('0a', GR, sid.BU), ace('00', KR, sid.PU), ace('0a', GR, sid.PU), ace('00', KA, sid.BA),
    ace('0a', GA, sid.BA), ace('00', KA, sid.SY), ace('0a', GA, sid.SY), ace('00', KA, sid.BA), ace('0a', GA, sid.CO),
  ].join('');
  return hex(`01000494 00010000 10010000 00000000 14000000 | 0200ec00 0a000000 | ${aces} | ${sid.BA} | ${sid.SY}`);
}

test('the §2.8 worked example decodes to the documented SDDL and re-encodes byte for byte', () => {
  const bytes = workedExampleBytes();
  assert.equal(bytes.length, 0x11c);
  assert.deepEqual(bytes.subarray(0x14, 0x14 + 32), hex('02 00 ec 00 0a 00 00 00 00 00 18 00 19 00 02 00 01 02 00 00 00 00 00 05 20 00 00 00 21 02 00 00'));
  const sd = parseSecurityDescriptor(bytes);
  assert.equal(sd.control, 0x9404);
  assert.equal(formatSddl(sd), MINIMAL_SDDL);
  assert.deepEqual(encodeSecurityDescriptor(sd), bytes);
  assert.deepEqual(encodeSecurityDescriptor(parseSddl(MINIMAL_SDDL)), bytes);
});

// --- real hives ------------------------------------------------------------------------------------

/** Payloads of allocated `sk` cells, found by walking hbins and cells (windows-formats.md §1.4–1.5, §1.11). */
function skPayloads(hive: Uint8Array): Uint8Array[] {
  const v = new DataView(hive.buffer, hive.byteOffset, hive.byteLength);
  const out: Uint8Array[] = [];
  for (let bin = 4096; bin + 32 <= hive.length; ) {
    if (Buffer.from(hive.subarray(bin, bin + 4)).toString('latin1') !== 'hbin') break;
    const binSize = v.getUint32(bin + 8, true);
    for (let cell = bin + 32; cell + 4 <= bin + binSize; ) {
      const raw = v.getInt32(cell, true);
      const size = Math.abs(raw);
      if (size < 8) break;
      if (raw < 0 && hive[cell + 4] === 0x73 && hive[cell + 5] === 0x6b) {
        const sdSize = v.getUint32(cell + 20, true);
        out.push(hive.subarray(cell + 24, cell + 24 + sdSize));
      }
      cell += size;
    }
    bin += binSize;
  }
  return out;
}

test('hivex minimal hive: its sk record is the worked example', { skip: needShared('hives/hivex-minimal.hive') }, () => {
  const sks = skPayloads(new Uint8Array(readFileSync(join(sharedData, 'hives/hivex-minimal.hive'))));
  assert.equal(sks.length, 1);
  assert.deepEqual(sks[0], workedExampleBytes());
  assert.equal(formatSddl(parseSecurityDescriptor(sks[0]!)), MINIMAL_SDDL);
});

/**
 * Renders an ACL the way reglookup 1.0.1 (Debian) does in regfi_get_acl: SID:TYPE:PERMS:FLAGS joined
 * by `|`. Its *2str helpers print leftover bits as `0x… ` and then chop the last character of the
 * names written so far, so the hex survives (with its trailing space) only when no name precedes it.
 */
function reglookupBits(value: number, names: readonly string[], width: number): string {
  const named = names.filter((n, i) => n && value & (2 ** i));
  let rest = value;
  names.forEach((n, i) => {
    if (n && rest & (2 ** i)) rest = (rest & ~(2 ** i)) >>> 0;
  });
  if (named.length) return named.join(' ');
  return rest ? `0x${rest.toString(16).toUpperCase().padStart(width, '0')} ` : '';
}

function reglookupAcl(aces: Ace[] | undefined): string {
  if (!aces) return '';
  const perm = ['QRY_VAL', 'SET_VAL', 'CREATE_KEY', 'ENUM_KEYS', 'NOTIFY', 'CREATE_LNK', '', '', 'WOW64_64', 'WOW64_32', '', '', '', '', '', '',
    'DELETE', 'R_CONT', 'W_DAC', 'W_OWNER', 'SYNC', '', '', '', 'SYS_SEC', 'MAX_ALLWD', '', '', 'GEN_A', 'GEN_X', 'GEN_W', 'GEN_R'];
  const type = ['ALLOW', 'DENY', 'AUDIT', 'ALARM', 'ALLOW CPD', 'OBJ ALLOW', 'OBJ DENY'];
  const flag = ['OI', 'CI', 'NP', 'IO', 'IA', '', '', ''];
  return aces.map((a) => `${a.sid}:${type[a.type] ?? 'UNKNOWN'}:${reglookupBits(a.mask, perm, 8)}:${reglookupBits(a.flags, flag, 2)}`).join('|');
}

test('SYSTEM hive: every sk record decodes, and agrees with reglookup (independent oracle)', { skip: needShared('hives/SYSTEM.xz') }, () => {
  const hive = new Uint8Array(execFileSync('xz', ['-dc', join(sharedData, 'hives/SYSTEM.xz')], { maxBuffer: 64 << 20 }));
  const mine = new Set<string>();
  const sks = skPayloads(hive);
  assert.ok(sks.length > 100, `found ${sks.length} sk records`);
  for (const bytes of sks) {
    const sd = parseSecurityDescriptor(bytes);
    mine.add([sd.owner, sd.group, reglookupAcl(sd.sacl?.aces), reglookupAcl(sd.dacl?.aces)].join(','));
    assert.deepEqual(parseSecurityDescriptor(encodeSecurityDescriptor(sd)), sd);
    assert.deepEqual(parseSddl(formatSddl(sd, { includeSacl: true })), { ...sd, control: sd.control & 0xff14 | 0x8000 });
  }
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-sd-'));
  try {
    const file = join(dir, 'SYSTEM');
    writeFileSync(file, hive);
    const csv = execFileSync('reglookup', ['-s', '-t', 'KEY', file], { maxBuffer: 256 << 20 }).toString('latin1');
    const theirs = new Set<string>();
    for (const line of csv.split('\n').slice(1)) {
      if (!line) continue;
      const f = line.split(',');
      theirs.add(f.slice(-5, -1).join(','));
    }
    const missing = [...theirs].filter((t) => !mine.has(t));
    assert.deepEqual(missing.slice(0, 3), [], `${missing.length} of reglookup's ${theirs.size} descriptors differ from ours`);
    assert.ok(theirs.size > 50, `reglookup reported ${theirs.size} distinct descriptors`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- corruption ----------------------------------------------------------------------------------

test('corrupt descriptors give an Error naming the SD byte offset', () => {
  const good = workedExampleBytes();
  const patched = (at: number, bytes: number[], len = good.length): Uint8Array => {
    const b = Uint8Array.from(good.subarray(0, len));
    b.set(bytes, at);
    return b;
  };
  const cases: [Uint8Array, RegExp][] = [
    [good.subarray(0, 12), /security descriptor is 12 bytes; its header alone needs 20/],
    [patched(0, [2]), /revision at SD byte 0x0 is 2/],
    [patched(2, [0x04, 0x14]), /lacks SELF_RELATIVE/],
    [patched(0x16, [0, 0]), /AceSize|AclSize 0/],
    [patched(0x16, [0x00, 0x10]), /DACL at SD byte 0x14 has AclSize 4096, past the end of the 284-byte security descriptor/],
    [patched(0x16, [0xe8, 0x00]), /ACE 10 of the DACL at SD byte 0xec \(AceSize 20\) runs past the ACL end at SD byte 0xfc/],
    [patched(0x18, [0x0b, 0]), /DACL at SD byte 0x14 claims 11 ACEs but AclSize 236 ends at SD byte 0x100 before ACE 11/],
    [patched(0x1e, [0, 0]), /ACE 1 of the DACL at SD byte 0x1c has invalid AceSize 0/],
    [patched(0x1e, [0x16, 0]), /ACE 1 of the DACL at SD byte 0x1c has invalid AceSize 22/],
    [patched(0x1e, [0x0c, 0]), /SID of ACE 1 \(type 0x0\) at SD byte 0x1c at SD byte 0x24: is truncated/],
    [patched(0x25, [9]), /SID of ACE 1 .* claims 9 sub-authorities|truncated/],
    [patched(4, [0x00, 0x20, 0, 0]), /owner SID offset 0x2000 .* outside the 284-byte security descriptor/],
    [good.subarray(0, 0x118), /group SID at SD byte 0x110: is truncated/],
    [patched(16, [0xf0, 0xff, 0, 0]), /DACL offset 0xfff0 is outside/],
  ];
  for (const [bytes, re] of cases) {
    assert.throws(() => parseSecurityDescriptor(bytes), (e: unknown) => (e as Error).constructor === Error && re.test((e as Error).message), re.source);
  }
});

test('NULL DACL: DACL_PRESENT clear, or present with offset 0', () => {
  const clear = parseSecurityDescriptor(hex('01 00 00 80 00000000 00000000 00000000 14000000 0200 0800 0000 0000'));
  assert.equal(clear.dacl, null);
  const zero = parseSecurityDescriptor(hex('01 00 04 80 00000000 00000000 00000000 00000000'));
  assert.equal(zero.dacl, null);
  assert.equal(formatSddl(zero), 'D:NO_ACCESS_CONTROL');
  assert.deepEqual(encodeSecurityDescriptor(zero), hex('01 00 04 80 00000000 00000000 00000000 00000000'));
  const empty = parseSecurityDescriptor(hex('01 00 04 80 00000000 00000000 00000000 14000000 0200 0800 0000 0000'));
  assert.deepEqual(empty.dacl, { revision: 2, aces: [] });
});

test('unknown and object ACE types are kept and skipped by AceSize', () => {
  // DACL: a compound ACE (type 4, layout unknown to us), an object ACE with one GUID, then a plain allow.
  const compound = '04 02 0c00 01000000 deadbeef';
  const object = '05 00 2800 10000000 01000000 14cc2848 3714 bc45 9b07ad6f015e5f28 0101000000000005 12000000';
  const allow = '00 00 1400 3f000f00 0101000000000005 12000000';
  const acl = `04 00 ${(8 + 12 + 40 + 20).toString(16)}00 0300 0000 ${compound} ${object} ${allow}`;
  const bytes = hex(`01 00 04 80 00000000 00000000 00000000 14000000 ${acl}`);
  const sd = parseSecurityDescriptor(bytes);
  const [c, o, a] = sd.dacl!.aces;
  assert.deepEqual(c, { type: 4, flags: 2, mask: 1, sid: '', extra: { applicationData: hex('deadbeef') } });
  assert.deepEqual(o, { type: 5, flags: 0, mask: 0x10, sid: 'S-1-5-18', extra: { objectType: '4828cc14-1437-45bc-9b07-ad6f015e5f28' } });
  assert.deepEqual(a, { type: 0, flags: 0, mask: 0xf003f, sid: 'S-1-5-18' });
  assert.deepEqual(encodeSecurityDescriptor(sd), bytes);
  // SDDL has no string for type 4; driftscan prints the code so the ACE is not silently lost.
  assert.equal(formatSddl(sd), 'D:(0x04;CI;CC;;;)(OA;;RP;4828cc14-1437-45bc-9b07-ad6f015e5f28;;SY)(A;;KA;;;SY)');
});

test('property: encodeSecurityDescriptor → parseSecurityDescriptor round-trips', () => {
  fc.assert(
    fc.property(sdArb, (sd: SecurityDescriptor) => {
      assert.deepEqual(parseSecurityDescriptor(encodeSecurityDescriptor(sd)), sd);
    }),
    { numRuns: 300 },
  );
});

test('property: truncation and bit flips only ever raise Error (never RangeError)', () => {
  const seeds = fc.oneof(fc.constant(workedExampleBytes()), sdArb.map(encodeSecurityDescriptor));
  fc.assert(
    fc.property(seeds, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 6 }), fc.option(fc.nat(), { nil: undefined }), (seed, flips, cut) => {
      const b = Uint8Array.from(seed);
      for (const [at, bit] of flips) if (b.length) b[at % b.length]! ^= 1 << bit;
      const input = cut === undefined ? b : b.subarray(0, cut % (b.length + 1));
      try {
        parseSecurityDescriptor(input);
      } catch (e) {
        assert.equal((e as Error).constructor, Error, (e as Error).stack);
        assert.match((e as Error).message, /SD byte|security descriptor|offset/);
      }
    }),
    { numRuns: 2000 },
  );
});

test('describeAce, aceTypeName and key applicability', () => {
  const [kr, gr] = parseSddl('D:(A;ID;KR;;;BU)(A;CIIOID;GR;;;BU)').dacl!.aces as [Ace, Ace];
  assert.equal(describeAce(kr), 'BUILTIN\\Users (S-1-5-32-545) Allow ReadKey (inherited)');
  assert.equal(describeAce(gr), 'BUILTIN\\Users (S-1-5-32-545) Allow GenericRead (inherited; container-inherit, inherit-only)');
  assert.equal(describeAce({ type: 1, flags: ACE_FLAG.CONTAINER_INHERIT, mask: 0x40000, sid: 'S-1-5-21-1-2-3-1001' }), 'S-1-5-21-1-2-3-1001 Deny ChangePermissions (container-inherit)');
  assert.equal(aceTypeName(0x11), 'MandatoryLabel');
  assert.equal(aceTypeName(0x40), 'type 0x40');
  assert.equal(aceAppliesToKey(kr), true);
  assert.equal(aceAppliesToKey(gr), false);
  assert.equal(aceInheritedBySubkeys(gr), true);
  assert.equal(aceInheritedBySubkeys(kr), false);
});
