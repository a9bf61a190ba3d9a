import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SddlError, formatSddl, formatSddlRights, parseSddl } from '../src/windows/sddl.js';
import { SD_CONTROL } from '../src/windows/security-descriptor.js';
import { ACL_CONTROL_BITS, DOMAIN, sdArb } from './support/security-arbitraries.js';

const CAP = 'S-1-15-3-1024-1065365936-1281604716-3511738428-1654721687-432734479-3232135806-4053264122-3456934681';
/** §2.8: the hivex `minimal` root key and real Windows 10 1709 keys. */
const REAL = [
  'O:BAG:SYD:PAI(A;;KR;;;BU)(A;CIIO;GR;;;BU)(A;;KR;;;PU)(A;CIIO;GR;;;PU)(A;;KA;;;BA)(A;CIIO;GA;;;BA)(A;;KA;;;SY)(A;CIIO;GA;;;SY)(A;;KA;;;BA)(A;CIIO;GA;;;CO)',
  `O:SYG:SYD:AI(A;ID;KR;;;BU)(A;CIIOID;GR;;;BU)(A;ID;KA;;;BA)(A;CIIOID;GA;;;BA)(A;ID;KA;;;SY)(A;CIIOID;GA;;;SY)(A;CIIOID;GA;;;CO)(A;ID;KR;;;AC)(A;CIIOID;GR;;;AC)(A;ID;KR;;;${CAP})(A;CIIOID;GR;;;${CAP})`,
  `O:SYG:SYD:AI(A;ID;KA;;;SY)(A;CIIOID;GA;;;SY)(A;ID;KA;;;BA)(A;CIIOID;GA;;;BA)(A;ID;CCSWRPWPRC;;;AU)(A;OICIIOID;GXGR;;;AU)(A;ID;KA;;;MS)(A;CIIOID;GA;;;MS)(A;ID;KR;;;BU)(A;CIIOID;GR;;;BU)(A;CIIOID;GA;;;CO)(A;ID;KR;;;AC)(A;CIIOID;GR;;;AC)(A;ID;KR;;;${CAP})(A;CIIOID;GR;;;${CAP})`,
  `O:SYG:SYD:PAI(A;CI;KA;;;BA)(A;CIIO;KA;;;CO)(A;CI;KA;;;SY)(A;CI;KR;;;BU)(A;CI;KR;;;AC)(A;CI;KR;;;${CAP})`,
  `O:SYG:SYD:AI(A;CIID;KA;;;BA)(A;ID;KA;;;SY)(A;CIIOID;KA;;;CO)(A;CIIOID;KA;;;SY)(A;CIID;KR;;;BU)(A;CIID;KR;;;AC)(A;CIID;KR;;;${CAP})`,
];

test('real SDDL strings from §2.8 round-trip exactly', () => {
  for (const s of REAL) assert.equal(formatSddl(parseSddl(s)), s);
});

test('the worked example parses to the documented descriptor', () => {
  const sd = parseSddl(REAL[0]!);
  assert.equal(sd.control, 0x9404); // SELF_RELATIVE | DACL_PROTECTED | DACL_AUTO_INHERITED | DACL_PRESENT
  assert.equal(sd.owner, 'S-1-5-32-544');
  assert.equal(sd.group, 'S-1-5-18');
  assert.equal(sd.sacl, null);
  assert.equal(sd.dacl?.revision, 2);
  assert.equal(sd.dacl?.aces.length, 10);
  assert.deepEqual(sd.dacl?.aces[0], { type: 0, flags: 0, mask: 0x20019, sid: 'S-1-5-32-545' });
  assert.deepEqual(sd.dacl?.aces[1], { type: 0, flags: 0x0a, mask: 0x80000000, sid: 'S-1-5-32-545' });
  const rdp = parseSddl(REAL[2]!);
  assert.equal(rdp.dacl?.aces[4]?.mask, 0x20039);
  assert.equal(rdp.dacl?.aces[5]?.mask, 0xa0000000);
});

test('parts and ACL flags in any order, whitespace tolerated, lowercase aliases', () => {
  const canonical = 'O:BAG:SYD:PAI(A;;KA;;;SY)S:AI(AU;SAFA;KA;;;WD)';
  for (const variant of [
    'D:AIP(A;;KA;;;SY)S:AI(AU;FASA;KA;;;WD)G:SYO:BA',
    '  O: BA  G:SY\n D:PAI ( A ; ; KA ; ; ; sy )S:AI(AU;SAFA;KA;;;wd) ',
    'S:AI(AU;SAFA;KA;;;S-1-1-0)O:S-1-5-32-544G:s-1-5-18D:PAI(A;;0xF003F;;;SY)',
  ]) {
    assert.equal(formatSddl(parseSddl(variant), { includeSacl: true }), canonical, variant);
  }
  assert.equal(formatSddl(parseSddl(canonical)), 'O:BAG:SYD:PAI(A;;KA;;;SY)', 'SACL omitted by default like Get-Acl .Sddl');
});

test('NO_ACCESS_CONTROL, empty D: and missing D: are three different things', () => {
  const nullDacl = parseSddl('D:NO_ACCESS_CONTROL');
  assert.equal(nullDacl.dacl, null);
  assert.equal(nullDacl.control & SD_CONTROL.DACL_PRESENT, SD_CONTROL.DACL_PRESENT);
  assert.equal(formatSddl(nullDacl), 'D:NO_ACCESS_CONTROL');
  const empty = parseSddl('O:SYD:');
  assert.deepEqual(empty.dacl, { revision: 2, aces: [] });
  assert.equal(formatSddl(empty), 'O:SYD:');
  const none = parseSddl('O:SY');
  assert.equal(none.dacl, null);
  assert.equal(none.control & SD_CONTROL.DACL_PRESENT, 0);
  assert.equal(formatSddl(none), 'O:SY');
  assert.equal(formatSddl(parseSddl('D:PNO_ACCESS_CONTROL')), 'D:PNO_ACCESS_CONTROL');
  assert.equal(parseSddl('').control, SD_CONTROL.SELF_RELATIVE);
});

test('traps: two-letter tokens are positional', () => {
  const [wd] = parseSddl('D:(A;;WD;;;WD)').dacl!.aces;
  assert.deepEqual(wd, { type: 0, flags: 0, mask: 0x40000, sid: 'S-1-1-0' });
  const [rc] = parseSddl('D:(A;;RC;;;RC)').dacl!.aces;
  assert.deepEqual(rc, { type: 0, flags: 0, mask: 0x20000, sid: 'S-1-5-12' });
  const [ka] = parseSddl('D:(A;;KA;;;KA)', { domainSid: 'S-1-5-21-1-2-3' }).dacl!.aces;
  assert.deepEqual(ka, { type: 0, flags: 0, mask: 0xf003f, sid: 'S-1-5-21-1-2-3-526' });
  assert.throws(() => parseSddl('D:(A;;KA;;;KA)'), (e: unknown) => e instanceof SddlError && e.column === 12 && /'KA'.*machine or domain SID/.test(e.message));
  const [cr] = parseSddl('D:(XA;CR;CR;;;SY)').dacl!.aces;
  assert.equal(cr!.flags, 0x20);
  assert.equal(cr!.mask, 0x100);
  const [au] = parseSddl('S:(AU;SAFA;FA;;;AU)').sacl!.aces;
  assert.deepEqual(au, { type: 2, flags: 0xc0, mask: 0x1f01ff, sid: 'S-1-5-11' });
  const [ra] = parseSddl('D:(A;;DC;;;RA)').dacl!.aces;
  assert.deepEqual(ra, { type: 0, flags: 0, mask: 2, sid: 'S-1-5-32-575' });
  assert.equal(formatSddl(parseSddl('D:(A;;KX;;;SY)')), 'D:(A;;KR;;;SY)', 'KX is KR on output');
  assert.equal(formatSddl(parseSddl('O:LAD:(A;;KA;;;DU)', { domainSid: 'S-1-5-21-1-2-3' })), 'O:S-1-5-21-1-2-3-500D:(A;;KA;;;S-1-5-21-1-2-3-513)');
  assert.equal(formatSddl(parseSddl('O:LA', { domainSid: 'S-1-5-21-1-2-3' }), { domainSid: 'S-1-5-21-1-2-3' }), 'O:LA');
});

test('rights generation follows §3.4', () => {
  assert.equal(formatSddlRights(0x20019), 'KR');
  assert.equal(formatSddlRights(0xf003f), 'KA');
  assert.equal(formatSddlRights(0x1f01ff), 'FA');
  assert.equal(formatSddlRights(0xa0000000), 'GXGR');
  assert.equal(formatSddlRights(0x20039), 'CCSWRPWPRC');
  assert.equal(formatSddlRights(0x3001f), 'CCDCLCSWRPSDRC');
  assert.equal(formatSddlRights(0x1200a9), '0x1200a9');
  assert.equal(formatSddlRights(0), '');
  assert.equal(formatSddl(parseSddl('S:(ML;;NWNR;;;HI)'), { includeSacl: true }), 'S:(ML;;NWNR;;;HI)');
});

test('conditional and resource-attribute ACEs keep their extra field', () => {
  const cond = 'D:(XA;;FX;;;S-1-1-0;(@User.Title == "PM" && (@User.Division == "Finance" || @User.Division == " Sales")))';
  const sd = parseSddl(cond);
  assert.equal(sd.dacl!.aces[0]!.extra?.condition, '(@User.Title == "PM" && (@User.Division == "Finance" || @User.Division == " Sales"))');
  assert.equal(formatSddl(sd), 'D:(XA;;FX;;;WD;(@User.Title == "PM" && (@User.Division == "Finance" || @User.Division == " Sales")))');
  const ra = parseSddl('S:(RA;CI;;;;S-1-1-0;("Project",TS,0,"Windows","SQL"))');
  assert.equal(ra.sacl!.aces[0]!.type, 0x12);
  assert.equal(formatSddl(ra, { includeSacl: true }), 'S:(RA;CI;;;;WD;("Project",TS,0,"Windows","SQL"))');
  const obj = parseSddl('D:(OA;CI;RP;4828cc14-1437-45bc-9b07-ad6f015e5f28;BF967ABA-0DE6-11D0-A285-00AA003049E2;AU)');
  assert.equal(obj.dacl!.revision, 4);
  assert.deepEqual(obj.dacl!.aces[0]!.extra, { objectType: '4828cc14-1437-45bc-9b07-ad6f015e5f28', inheritedObjectType: 'bf967aba-0de6-11d0-a285-00aa003049e2' });
});

test('errors say what and where (1-based column)', () => {
  const cases: [string, RegExp, number][] = [
    ['O:BAG:SYD:PAI(A;;XX;;;BU)', /^unknown right 'XX' in ACE 1 at column 18$/, 18],
    ['D:(A;;KA;;;SY)(A;;KR;;;BU)(A;;KA;;;ZZ)', /^unknown SID alias 'ZZ' in ACE 3 at column 36$/, 36],
    ['D:(A;;KA;;;SY', /unterminated ACE 1 starting at column 3/, 3],
    ['D:(Q;;KA;;;SY)', /unknown ACE type 'Q' in ACE 1 at column 4/, 4],
    ['D:(A;XY;KA;;;SY)', /unknown ACE flag 'XY' in ACE 1 at column 6/, 6],
    ['D:(A;;KA;;SY)', /has 5 fields/, 3],
    ['D:ZZ(A;;KA;;;SY)', /unknown DACL flag at column 3/, 3],
    ['O:BAO:SY', /duplicate O: part at column 5/, 5],
    ['O:S-1-5-x', /invalid SID 'S-1-5-x' for the owner at column 3/, 3],
    ['D:(A;;KA;;;SY)junk', /unexpected 'j' at column 15/, 15],
    ['D:(A;;KA;;;SY;(x))', /7th field/, 15],
    ['D:(A;;KA;abc;;SY)', /invalid GUID 'abc'/, 10],
    ['D:(A;;0x1FFFFFFFF;;;SY)', /do not fit in 32 bits/, 7],
    ['  D:(A;;K;;;SY)', /unknown right 'K' in ACE 1 at column 9/, 9],
  ];
  for (const [text, re, column] of cases) {
    assert.throws(() => parseSddl(text), (e: unknown) => e instanceof SddlError && re.test(e.message) && e.column === column, text);
  }
});

// --- property tests -----------------------------------------------------------------------------

test('property: formatSddl → parseSddl gives back the same descriptor', () => {
  fc.assert(
    fc.property(sdArb, fc.boolean(), (sd, withDomain) => {
      const opts = withDomain ? { domainSid: DOMAIN } : {};
      const text = formatSddl(sd, { includeSacl: true, ...opts });
      const back = parseSddl(text, opts);
      assert.equal(back.control & (ACL_CONTROL_BITS | 0x8014), sd.control, text);
      assert.deepEqual(back, sd, text);
      assert.equal(formatSddl(back, { includeSacl: true, ...opts }), text);
    }),
    { numRuns: 400 },
  );
});

test('property: parseSddl throws nothing but SddlError, with a column inside the text', () => {
  const sddlish = fc.array(fc.constantFrom('O:', 'G:', 'D:', 'S:', '(', ')', ';', 'A', 'AU', 'KA', 'SY', 'BA', 'P', 'AI', 'CI', 'ID', 'S-1-5-', '18', '0x', 'ff', ' ', '"', 'NO_ACCESS_CONTROL', 'XA'), { maxLength: 30 }).map((a) => a.join(''));
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 60 }), sddlish, sdArb.map((sd) => formatSddl(sd, { includeSacl: true }))), fc.nat(), (text, cut) => {
      const t = cut % 3 === 0 ? text.slice(0, cut % (text.length + 1)) : text;
      try {
        parseSddl(t);
      } catch (e) {
        assert.ok(e instanceof SddlError, `${t}: ${(e as Error).stack}`);
        assert.ok(e.column >= 1 && e.column <= t.length + 1, `${t}: column ${e.column}`);
      }
    }),
    { numRuns: 1500 },
  );
});
