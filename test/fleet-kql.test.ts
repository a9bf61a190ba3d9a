/**
 * Every KQL query driftscan sends, checked by Microsoft's Kusto parser against a declared schema of
 * the Resource Graph tables (no diagnostics), with controls showing the oracle does reject; and
 * property tests of what the scan parses (DSC resource ids, quota headers, baseline names in KQL
 * literals, evaluated by the emulator's KQL evaluator).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { allScanQueries, assignmentTotalsQuery, kqlString } from '../src/fleet/queries.js';
import { reasonText, ruleIdOfResource } from '../src/fleet/findings.js';
import { parseQuotaReset } from '../src/azure/resource-graph-quota.js';
import { resourceId } from '../src/dsc/resources.js';
import { runKql } from './support/arm-emulator/kql.js';
import { kustoDiagnostics } from './support/kusto.js';

test("Kusto's parser accepts every query a scan sends, and rejects broken ones (the oracle can fail)", { timeout: 120_000 }, () => {
  for (const q of allScanQueries(['rdp-hardening', 'rdp-access-denied', "it's \\ odd"])) {
    assert.deepEqual(kustoDiagnostics(q), [], q);
  }
  assert.ok(kustoDiagnostics('guestconfigurationresources | where propertes.complianceStatus == 1').some((d) => d.code === 'KS142'), 'an unknown column is reported');
  assert.ok(kustoDiagnostics('guestconfigurationresources | summarize machines = count() bye subscriptionId').length > 0, 'a syntax error is reported');
  assert.ok(kustoDiagnostics(assignmentTotalsQuery(['x']).replace("'x'", "'x")).length > 0, 'an unterminated literal is reported');
});

/** Names with every character that needs escaping, plus ordinary and non-ASCII ones. */
const nameArb = fc.string({ minLength: 1, maxLength: 20, unit: fc.constantFrom("'", '"', '\\', '|', ',', ')', '\n', '\t', 'a', 'B', '0', ' ', '-', '_', '.', 'é', '字') });

test('property: any baseline name survives kqlString — Kusto parses it clean and the emulator matches exactly that name', { timeout: 120_000 }, () => {
  fc.assert(
    fc.property(nameArb, nameArb, (name, other) => {
      const q = assignmentTotalsQuery([name]);
      assert.deepEqual(kustoDiagnostics(q), [], q);
      const row = (baseline: string) => ({ type: 'microsoft.guestconfiguration/guestconfigurationassignments', subscriptionId: 's', properties: { complianceStatus: 'Compliant', guestConfiguration: { name: baseline } } });
      const rows = runKql(q, new Map([['guestconfigurationresources', [row(name), row(other)]]]));
      const expected = name.toLowerCase() === other.toLowerCase() ? 2 : 1;
      assert.equal(rows.reduce((a, r) => a + Number(r.machines), 0), expected);
    }),
    { numRuns: 60 },
  );
});

test('property: a compiled ResourceID maps back to its rule id; reasons join their phrases', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,20}$/), fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,40}$/), (cls, rule) => {
      assert.equal(ruleIdOfResource(resourceId(cls, rule)), rule);
    }),
  );
  assert.equal(reasonText([{ code: 'a', phrase: 'expected 1, found 0' }, { code: 'b', phrase: 'expected  x,\nfound y' }]), 'expected 1, found 0; expected x, found y');
  assert.equal(reasonText([]), 'no reason reported');
  assert.equal(reasonText(null), 'no reason reported');
  assert.equal(reasonText([{ code: 'only:code' }]), 'only:code');
});

test('property: x-ms-user-quota-resets-after hh:mm:ss parses to milliseconds; anything else is undefined', () => {
  fc.assert(
    fc.property(fc.nat(99), fc.nat(59), fc.nat(59), (h, m, s) => {
      const text = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
      assert.equal(parseQuotaReset(text), ((h * 60 + m) * 60 + s) * 1000);
    }),
  );
  fc.assert(fc.property(fc.string(), (t) => {
    const v = parseQuotaReset(t);
    assert.ok(v === undefined || (Number.isFinite(v) && v >= 0));
  }));
  for (const bad of ['', '5', '00:61:00', 'aa:bb:cc', undefined]) assert.equal(parseQuotaReset(bad), undefined, String(bad));
});

test('kqlString escapes quotes and backslashes', () => {
  assert.equal(kqlString("a'b\\c"), "'a\\'b\\\\c'");
  assert.equal(kqlString('a\nb\tc\rd'), "'a\\nb\\tc\\rd'");
});
