/**
 * Every KQL query driftscan sends, checked by Microsoft's Kusto parser against a declared schema of
 * the Resource Graph tables (no diagnostics), with controls showing the oracle does reject; and
 * property tests of what the scan parses (DSC resource ids, quota headers, baseline names in KQL
 * literals, evaluated by the emulator's KQL evaluator).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { allScanQueries, assignmentTotalsQuery, exemptionsQuery, kqlString, machinesQuery } from '../src/fleet/queries.js';
import { Exemptions, type ExemptionRow } from '../src/fleet/exemptions.js';
import { reasonText, ruleIdOfResource } from '../src/fleet/findings.js';
import { GraphQuota, parseQuotaReset } from '../src/azure/resource-graph-quota.js';
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

/** Virtual time: `sleep` registers a timer; `run` advances to the next timer whenever every task is blocked. */
class VirtualClock {
  now = 0;
  private timers: Array<{ at: number; wake: () => void }> = [];
  sleep = (ms: number): Promise<void> => new Promise((wake) => this.timers.push({ at: this.now + Math.max(0, ms), wake }));
  async run(done: Promise<unknown>): Promise<void> {
    let finished = false;
    void done.then(() => (finished = true));
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (finished) return;
      if (this.timers.length === 0) throw new Error('deadlock: no task can move');
      this.timers.sort((a, b) => a.at - b.at);
      const t = this.timers.shift()!;
      this.now = Math.max(this.now, t.at);
      t.wake();
    }
  }
}

test('property: GraphQuota keeps concurrent queries inside the quota the answers report (queries in flight count)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 400 }), async (queries, windowS, workers, total, latency) => {
      const clock = new VirtualClock();
      const quota = new GraphQuota(() => clock.now, clock.sleep);
      // Resource Graph's window, as the emulator keeps it: `queries` per `windowS` seconds from the window's first query.
      let window = { start: -Infinity, used: 0 };
      let refused = 0;
      const serve = () => {
        if (clock.now - window.start >= windowS * 1000) window = { start: clock.now, used: 0 };
        window.used += 1;
        if (window.used > queries) refused += 1;
        const secs = Math.ceil((windowS * 1000 - (clock.now - window.start)) / 1000);
        return { 'x-ms-user-quota-remaining': String(Math.max(0, queries - window.used)), 'x-ms-user-quota-resets-after': `00:00:${String(secs).padStart(2, '0')}` };
      };
      let sent = 0;
      const worker = async () => {
        while (sent < total) {
          sent += 1;
          await quota.beforeQuery();
          const headers = serve();
          await clock.sleep(latency);
          quota.observe(headers);
        }
      };
      await clock.run(Promise.all(Array.from({ length: workers }, worker)));
      assert.equal(refused, 0, `${refused} queries over the quota`);
    }),
    { numRuns: 200 },
  );
});

test('kqlString escapes quotes and backslashes', () => {
  assert.equal(kqlString("a'b\\c"), "'a\\'b\\\\c'");
  assert.equal(kqlString('a\nb\tc\rd'), "'a\\nb\\tc\\rd'");
});

test('exemptions query + matcher: an initiative assignment\'s exemption waives its driftscan members, narrowed by reference ids; built-in sets never leave the query', () => {
  const mg = '/providers/Microsoft.Management/managementGroups/corp/providers/Microsoft.Authorization';
  const sub = '/subscriptions/00000000-0000-0000-0000-000000000001';
  const def = (baseline: string) => ({ id: `${mg}/policyDefinitions/ds-${baseline}`, name: `ds-${baseline}`, type: 'microsoft.authorization/policydefinitions', properties: { policyType: 'Custom', metadata: { driftscan: { baseline } } } });
  const set = (name: string, policyType: string, members: Array<[string, string]>) => ({
    id: `${mg}/policySetDefinitions/${name}`, name, type: 'microsoft.authorization/policysetdefinitions',
    properties: { policyType, policyDefinitions: members.map(([id, ref]) => ({ policyDefinitionId: id, policyDefinitionReferenceId: ref, parameters: {} })) },
  });
  const assignment = (name: string, definitionId: string) => ({ id: `${sub}/providers/Microsoft.Authorization/policyAssignments/${name}`, name, type: 'microsoft.authorization/policyassignments', properties: { policyDefinitionId: definitionId } });
  const exemption = (name: string, scope: string, assignmentName: string, refs?: string[]) => ({
    id: `${scope}/providers/Microsoft.Authorization/policyExemptions/${name}`, name, type: 'microsoft.authorization/policyexemptions',
    properties: { policyAssignmentId: `${sub}/providers/Microsoft.Authorization/policyAssignments/${assignmentName}`, exemptionCategory: 'Mitigated', ...(refs ? { policyDefinitionReferenceIds: refs } : {}) },
  });
  const members: Array<[string, string]> = [[`${mg}/policyDefinitions/ds-a`.toUpperCase(), 'ref-a'], [`${mg}/policyDefinitions/ds-b`, 'ref-b'], ['/providers/Microsoft.Authorization/policyDefinitions/builtin', 'tags']];
  const rows = [
    def('a'), def('b'),
    { id: '/providers/Microsoft.Authorization/policyDefinitions/builtin', name: 'builtin', type: 'microsoft.authorization/policydefinitions', properties: { policyType: 'BuiltIn' } },
    set('corp', 'Custom', members),
    set('nottyped', '', [[`${mg}/policyDefinitions/ds-b`, 'b']]),
    // A built-in set naming driftscan's definition cannot exist in Azure; here it shows the query leaves built-ins out.
    set('builtin-set', 'BuiltIn', members),
    assignment('corp', `${mg}/policySetDefinitions/corp`), assignment('nottyped', `${mg}/policySetDefinitions/nottyped`),
    assignment('builtin-set', `${mg}/policySetDefinitions/builtin-set`), assignment('gone', `${mg}/policySetDefinitions/deleted`),
    exemption('all', `${sub}/resourceGroups/rg-all`, 'corp'),
    exemption('only-b', `${sub}/resourceGroups/rg-b`, 'corp', ['REF-B']),
    exemption('tags', `${sub}/resourceGroups/rg-tags`, 'corp', ['tags']),
    exemption('empty-list', `${sub}/resourceGroups/rg-empty`, 'corp', []),
    exemption('nottyped', `${sub}/resourceGroups/rg-nottyped`, 'nottyped'),
    exemption('builtin', `${sub}/resourceGroups/rg-builtin`, 'builtin-set'),
    exemption('gone', `${sub}/resourceGroups/rg-gone`, 'gone'),
  ];
  const out = runKql(exemptionsQuery(), new Map([['policyresources', rows]]));
  assert.deepEqual(out.filter((r) => /definitions$/.test(String(r.type))).map((r) => r.name).sort(), ['corp', 'ds-a', 'ds-b', 'nottyped'], 'built-in sets and definitions are left out');
  assert.ok(out.every((r) => !('properties' in r)), 'rows carry the projected columns only');
  const e = new Exemptions(out as unknown as ExemptionRow[]);
  const vm = (rg: string) => `${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/vm1`;
  const waived = (rg: string) => ['a', 'b'].filter((b) => e.reasonFor(vm(rg), b));
  assert.deepEqual(waived('rg-all'), ['a', 'b'], 'no reference ids: every driftscan member (ids matched ignoring case)');
  assert.equal(e.reasonFor(vm('rg-all'), 'a'), 'Azure Policy exemption all (Mitigated)');
  assert.deepEqual(waived('rg-b'), ['b'], 'reference ids narrow it (ignoring case)');
  assert.deepEqual(waived('rg-tags'), [], 'a member that is not driftscan\'s waives nothing');
  assert.deepEqual(waived('rg-empty'), ['a', 'b'], 'an empty list is no narrowing');
  assert.deepEqual(waived('rg-nottyped'), ['b'], 'a set without policyType is read');
  assert.deepEqual(waived('rg-builtin'), []);
  assert.deepEqual(waived('rg-gone'), [], 'an assignment of a set not in the answer waives nothing');
  assert.deepEqual(waived('rg-other'), []);
});

test('machines query: a Flexible scale set is not a machine; a Uniform one (named or by default) counts once; its VMs count as VMs', () => {
  const sub = '00000000-0000-0000-0000-000000000001';
  const windows = { storageProfile: { osDisk: { osType: 'Windows' } } };
  const setProfile = { virtualMachineProfile: { storageProfile: { osDisk: { osType: 'Windows' } } } };
  const rows = [
    { type: 'microsoft.compute/virtualmachinescalesets', subscriptionId: sub, properties: { orchestrationMode: 'Flexible', ...setProfile } },
    { type: 'microsoft.compute/virtualmachinescalesets', subscriptionId: sub, properties: { orchestrationMode: 'Uniform', ...setProfile } },
    { type: 'microsoft.compute/virtualmachinescalesets', subscriptionId: sub, properties: setProfile },
    { type: 'microsoft.compute/virtualmachines', subscriptionId: sub, properties: { ...windows, virtualMachineScaleSet: { id: '/subscriptions/x/resourceGroups/r/providers/Microsoft.Compute/virtualMachineScaleSets/flex' } } },
    { type: 'microsoft.compute/virtualmachines', subscriptionId: sub, properties: windows },
  ];
  assert.deepEqual(runKql(machinesQuery(), new Map([['resources', rows]])), [{ subscriptionId: sub, machines: 4 }]);
});
