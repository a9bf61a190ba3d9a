import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  TRUSTED_INSTALLER_SID, WELL_KNOWN_IDENTITIES, describeSid, resolveIdentity, sddlAliasToSid, serviceSid, sidDisplayName,
  sidToSddlAlias, suggestIdentities,
} from '../src/windows/identity.js';
import { isSid } from '../src/windows/sid.js';

test('resolveIdentity accepts every spelling Windows emits, case-insensitively', () => {
  const cases: [string, string, string][] = [
    ['BUILTIN\\Remote Desktop Users', 'S-1-5-32-555', 'BUILTIN\\Remote Desktop Users'],
    ['remote desktop users', 'S-1-5-32-555', 'BUILTIN\\Remote Desktop Users'],
    ['NT AUTHORITY\\NETWORK SERVICE', 'S-1-5-20', 'NT AUTHORITY\\NETWORK SERVICE'],
    ['NT Authority\\NetworkService', 'S-1-5-20', 'NT AUTHORITY\\NETWORK SERVICE'],
    ['NetworkService', 'S-1-5-20', 'NT AUTHORITY\\NETWORK SERVICE'],
    ['NT AUTHORITY\\LocalService', 'S-1-5-19', 'NT AUTHORITY\\LOCAL SERVICE'],
    ['LocalSystem', 'S-1-5-18', 'NT AUTHORITY\\SYSTEM'],
    ['.\\LocalSystem', 'S-1-5-18', 'NT AUTHORITY\\SYSTEM'],
    ['NT AUTHORITY\\SYSTEM', 'S-1-5-18', 'NT AUTHORITY\\SYSTEM'],
    ['SYSTEM', 'S-1-5-18', 'NT AUTHORITY\\SYSTEM'],
    ['everyone', 'S-1-1-0', 'Everyone'],
    ['CREATOR OWNER', 'S-1-3-0', 'CREATOR OWNER'],
    ['Authenticated Users', 'S-1-5-11', 'NT AUTHORITY\\Authenticated Users'],
    ['NT SERVICE\\TrustedInstaller', TRUSTED_INSTALLER_SID, 'NT SERVICE\\TrustedInstaller'],
    ['nt service\\trustedinstaller', TRUSTED_INSTALLER_SID, 'NT SERVICE\\TrustedInstaller'],
    ['NT SERVICE\\ALL SERVICES', 'S-1-5-80-0', 'NT SERVICE\\ALL SERVICES'],
    ['APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES', 'S-1-15-2-1', 'APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES'],
    ['ALL RESTRICTED APPLICATION PACKAGES', 'S-1-15-2-2', 'APPLICATION PACKAGE AUTHORITY\\ALL RESTRICTED APPLICATION PACKAGES'],
    ['Mandatory Label\\High Mandatory Level', 'S-1-16-12288', 'Mandatory Label\\High Mandatory Level'],
    ['NT AUTHORITY\\Local account', 'S-1-5-113', 'NT AUTHORITY\\Local account'],
    ['BATCH', 'S-1-5-3', 'NT AUTHORITY\\BATCH'],
    ['IUSR', 'S-1-5-17', 'NT AUTHORITY\\IUSR'],
    ['CONSOLE LOGON', 'S-1-2-1', 'CONSOLE LOGON'],
    ['NULL SID', 'S-1-0-0', 'NULL SID'],
    ['  BUILTIN\\Administrators ', 'S-1-5-32-544', 'BUILTIN\\Administrators'],
  ];
  for (const [text, sid, name] of cases) assert.deepEqual(resolveIdentity(text), { sid, name }, text);
});

test('resolveIdentity takes SID strings and refuses what cannot be resolved offline', () => {
  assert.deepEqual(resolveIdentity('s-1-5-32-555'), { sid: 'S-1-5-32-555', name: 'BUILTIN\\Remote Desktop Users' });
  assert.deepEqual(resolveIdentity('S-1-5-21-1-2-3-1001'), { sid: 'S-1-5-21-1-2-3-1001' });
  for (const t of ['CONTOSO\\alice', 'Administrator', 'BA', 'SY', 'BUILTIN\\SYSTEM', 'S-1-5-x', '', 'NT SERVICE\\', 'Remote Desktop User']) {
    assert.equal(resolveIdentity(t), undefined, t);
  }
});

test('serviceSid hashes the upper-cased UTF-16LE name (TrustedInstaller known SID)', () => {
  assert.equal(serviceSid('TrustedInstaller'), TRUSTED_INSTALLER_SID);
  assert.equal(serviceSid('trustedinstaller'), TRUSTED_INSTALLER_SID);
  assert.equal(resolveIdentity('NT SERVICE\\wuauserv')?.sid, serviceSid('WUAUSERV'));
  assert.match(serviceSid('MSSQLSERVER'), /^S-1-5-80(-\d+){5}$/);
  assert.throws(() => serviceSid(''), /empty/);
});

test('every alias of §3.6 maps to its SID and back', () => {
  const expected: Record<string, string> = {
    AA: 'S-1-5-32-579', AO: 'S-1-5-32-548', BA: 'S-1-5-32-544', BG: 'S-1-5-32-546', BO: 'S-1-5-32-551', BU: 'S-1-5-32-545',
    CD: 'S-1-5-32-574', CY: 'S-1-5-32-569', ER: 'S-1-5-32-573', ES: 'S-1-5-32-576', HA: 'S-1-5-32-578', HO: 'S-1-5-32-584',
    IS: 'S-1-5-32-568', LU: 'S-1-5-32-559', MS: 'S-1-5-32-577', MU: 'S-1-5-32-558', NO: 'S-1-5-32-556', PO: 'S-1-5-32-550',
    PU: 'S-1-5-32-547', RA: 'S-1-5-32-575', RD: 'S-1-5-32-555', RE: 'S-1-5-32-552', RM: 'S-1-5-32-580', RU: 'S-1-5-32-554',
    SH: 'S-1-5-32-585', SO: 'S-1-5-32-549', AN: 'S-1-5-7', AU: 'S-1-5-11', ED: 'S-1-5-9', IU: 'S-1-5-4', LS: 'S-1-5-19',
    NS: 'S-1-5-20', NU: 'S-1-5-2', PS: 'S-1-5-10', RC: 'S-1-5-12', SU: 'S-1-5-6', SY: 'S-1-5-18', WR: 'S-1-5-33',
    UD: 'S-1-5-84-0-0-0-0-0', WD: 'S-1-1-0', CO: 'S-1-3-0', CG: 'S-1-3-1', OW: 'S-1-3-4', AC: 'S-1-15-2-1', AS: 'S-1-18-1',
    SS: 'S-1-18-2', LW: 'S-1-16-4096', ME: 'S-1-16-8192', MP: 'S-1-16-8448', HI: 'S-1-16-12288', SI: 'S-1-16-16384',
  };
  for (const [alias, sid] of Object.entries(expected)) {
    assert.equal(sddlAliasToSid(alias), sid, alias);
    assert.equal(sddlAliasToSid(alias.toLowerCase()), sid, alias);
    assert.equal(sidToSddlAlias(sid), alias, sid);
    assert.ok(sidDisplayName(sid), sid);
  }
  assert.equal(WELL_KNOWN_IDENTITIES.filter((i) => i.sddlAlias).length, Object.keys(expected).length);
});

test('domain-relative aliases need the domain SID', () => {
  const dom = 'S-1-5-21-1-2-3';
  const rids: Record<string, number> = { LA: 500, LG: 501, DA: 512, DU: 513, DG: 514, DC: 515, DD: 516, CA: 517, PA: 520, CN: 522, AP: 525, KA: 526, RS: 553, RO: 498, SA: 518, EA: 519, EK: 527 };
  for (const [alias, r] of Object.entries(rids)) {
    assert.equal(sddlAliasToSid(alias), undefined, alias);
    assert.equal(sddlAliasToSid(alias, dom), `${dom}-${r}`, alias);
    assert.equal(sidToSddlAlias(`${dom}-${r}`, dom), alias);
    assert.equal(sidToSddlAlias(`${dom}-${r}`), undefined);
  }
  assert.equal(sidToSddlAlias('S-1-5-21-9-9-9-500', dom), undefined);
  assert.equal(sddlAliasToSid('ZZ'), undefined);
});

test('describeSid and sidDisplayName', () => {
  assert.equal(describeSid('S-1-5-32-555'), 'BUILTIN\\Remote Desktop Users (S-1-5-32-555)');
  assert.equal(describeSid('s-1-1-0'), 'Everyone (S-1-1-0)');
  assert.equal(describeSid(TRUSTED_INSTALLER_SID), `NT SERVICE\\TrustedInstaller (${TRUSTED_INSTALLER_SID})`);
  assert.equal(describeSid('S-1-5-21-1-2-3-500'), 'S-1-5-21-1-2-3-500');
  assert.equal(sidDisplayName('S-1-5-20'), 'NT AUTHORITY\\NETWORK SERVICE');
  assert.equal(sidDisplayName('garbage'), undefined);
});

test('suggestIdentities proposes the closest known names', () => {
  assert.equal(suggestIdentities('Remote Desktop User')[0], 'BUILTIN\\Remote Desktop Users');
  assert.equal(suggestIdentities('BUILTIN\\Adminstrators')[0], 'BUILTIN\\Administrators');
  assert.equal(suggestIdentities('Network Servic')[0], 'NT AUTHORITY\\NETWORK SERVICE');
  assert.equal(suggestIdentities('Everybody')[0], 'Everyone');
  assert.deepEqual(suggestIdentities('qqqqqqqqqqqqq'), []);
  assert.ok(suggestIdentities('Users', 2).length <= 2);
});

test('property: table entries resolve to themselves by name and by SID', () => {
  fc.assert(
    fc.property(fc.constantFrom(...WELL_KNOWN_IDENTITIES), fc.boolean(), (id, upper) => {
      assert.ok(isSid(id.sid));
      const text = upper ? id.name.toUpperCase() : id.name.toLowerCase();
      assert.deepEqual(resolveIdentity(text), { sid: id.sid, name: id.name });
      assert.deepEqual(resolveIdentity(id.sid), { sid: id.sid, name: id.name });
    }),
  );
});
