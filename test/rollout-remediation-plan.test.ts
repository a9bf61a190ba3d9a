/**
 * The remediation plan (rollout/remediation/): grouping, batching, naming, queueing and the effect
 * an assignment really has, checked on generated fleets against properties an independent count
 * can state (every drifted machine in exactly one task, batches ≤ 100, ⌈n/100⌉ per group, names
 * stable when tasks already exist, never more than the limit opened).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planRemediation, taskName, type DriftFinding, type ExistingTask } from '../src/rollout/remediation/plan.js';
import { covers, resolveTargets, type PolicyResourceRow, type RemediationTarget } from '../src/rollout/remediation/targets.js';

const SUB = (k: number) => `00000000-0000-0000-0000-${String(k).padStart(12, '0')}`;
const machine = (sub: number, i: number) => `/subscriptions/${SUB(sub)}/resourceGroups/rg-${i % 3}/providers/Microsoft.Compute/virtualMachines/vm${i}`;
const target = (sub: number, baseline = 'b1', effect = 'DeployIfNotExists', referenceId?: string): RemediationTarget => ({
  assignmentId: `/subscriptions/${SUB(sub)}/providers/Microsoft.Authorization/policyAssignments/a-${baseline}`,
  assignmentName: `a-${baseline}`,
  scope: `/subscriptions/${SUB(sub)}`,
  notScopes: [],
  referenceId,
  definitionId: `/subscriptions/${SUB(sub)}/providers/Microsoft.Authorization/policyDefinitions/${baseline}`,
  baseline,
  effect,
});
const settings = { parallelDeployments: 10, failureThreshold: 1 };

function findings(perSub: number[], baseline = 'b1'): DriftFinding[] {
  return perSub.flatMap((n, s) => Array.from({ length: n }, (_, i) => [
    { machineId: machine(s + 1, i), subscriptionId: SUB(s + 1), baseline, ruleId: 'r1', reason: `expected 1, found ${i}` },
    { machineId: machine(s + 1, i), subscriptionId: SUB(s + 1), baseline, ruleId: 'r2', reason: 'expected 2, found 0' },
  ]).flat());
}

test('plan: every drifted machine lands in exactly one task of its subscription\'s assignment, ⌈n/100⌉ tasks of ≤ 100 each, at most the free slots opened', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 450 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 100 }), (perSub, running) => {
    const targets = perSub.map((_, s) => target(s + 1));
    const existing: ExistingTask[] = Array.from({ length: running }, (_, k) => ({ id: `/subscriptions/x/providers/Microsoft.PolicyInsights/remediations/o${k}`, name: `o${k}`, assignmentId: 'other', state: 'Evaluating', running: true, resourceIds: ['x'] }));
    const plan = planRemediation({ scanId: 7, findings: findings(perSub), targets, existing, settings, limit: 100 });
    for (const [s, n] of perSub.entries()) {
      const mine = plan.tasks.filter((t) => t.assignmentId === targets[s]!.assignmentId);
      assert.equal(mine.length, Math.ceil(n / 100));
      assert.deepEqual(mine.flatMap((t) => t.machines.map((m) => m.machineId)).sort(), Array.from({ length: n }, (_, i) => machine(s + 1, i)).sort());
      for (const t of mine) {
        assert.ok(t.machines.length >= 1 && t.machines.length <= 100);
        assert.deepEqual(t.body.properties.filters.resourceIds, t.machines.map((m) => m.machineId));
        assert.ok(t.machines.every((m) => m.rules.length === 2));
      }
    }
    const total = plan.tasks.length;
    assert.equal(plan.tasks.filter((t) => t.status === 'open').length, Math.min(total, 100 - running));
    assert.equal(plan.tasks.filter((t) => t.status === 'queued').length, total - Math.min(total, 100 - running));
    assert.equal(new Set(plan.tasks.map((t) => t.name)).size, total);
    assert.ok(plan.tasks.every((t) => t.name.length <= 64 && /^[A-Za-z0-9-]+$/.test(t.name)));
  }), { numRuns: 60 });
});

test('plan: with any subset of its tasks already in Azure (a killed run), the rerun plans the same names and machines and opens exactly the rest', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 700 }), fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }), (n, made) => {
    const targets = [target(1)];
    const first = planRemediation({ scanId: 3, findings: findings([n]), targets, existing: [], settings, limit: 100 });
    const existing: ExistingTask[] = first.tasks.filter((_, k) => made[k]).map((t) => ({ id: t.id, name: t.name, assignmentId: t.assignmentId, state: 'Accepted', running: true, resourceIds: t.body.properties.filters.resourceIds }));
    const again = planRemediation({ scanId: 3, findings: findings([n]).reverse(), targets, existing, settings, limit: 100 });
    assert.deepEqual(again.tasks.map((t) => [t.name, t.machines.map((m) => m.machineId)]), first.tasks.map((t) => [t.name, t.machines.map((m) => m.machineId)]));
    assert.deepEqual(again.tasks.filter((t) => t.status === 'exists').map((t) => t.name), existing.map((t) => t.name));
    assert.equal(again.tasks.filter((t) => t.status === 'open').length, first.tasks.length - existing.length);
  }), { numRuns: 60 });
});

test('plan: machines inside a running task of someone else are left out; a batch left empty is not opened; a terminal task holds nothing', () => {
  const targets = [target(1)];
  const ids = Array.from({ length: 150 }, (_, i) => machine(1, i)).sort();
  const other = (running: boolean, resourceIds: string[]): ExistingTask => ({ id: 'x/o', name: 'someone', assignmentId: targets[0]!.assignmentId.toUpperCase(), state: running ? 'Evaluating' : 'Succeeded', running, resourceIds });
  const plan = planRemediation({ scanId: 1, findings: findings([150]), targets, existing: [other(true, ids.slice(100))], settings, limit: 100 });
  assert.deepEqual(plan.tasks.map((t) => [t.batch, t.status, t.machines.length, t.skipped.length]), [[1, 'open', 100, 0], [2, 'covered', 0, 50]]);
  const done = planRemediation({ scanId: 1, findings: findings([150]), targets, existing: [other(false, ids.slice(100))], settings, limit: 100 });
  assert.deepEqual(done.tasks.map((t) => t.machines.length), [100, 50]);
  const all = planRemediation({ scanId: 1, findings: findings([150]), targets, existing: [other(true, [])], settings, limit: 100 });
  assert.ok(all.tasks.every((t) => t.status === 'covered'));
});

test('plan: audit-only assignments are reported, not remediated; uncovered drift is reported; the most specific DINE scope wins', () => {
  const rg = { ...target(1), assignmentId: `/subscriptions/${SUB(1)}/resourceGroups/rg-1/providers/Microsoft.Authorization/policyAssignments/a-rg`, scope: `/subscriptions/${SUB(1)}/resourceGroups/rg-1` };
  const plan = planRemediation({ scanId: 1, findings: [...findings([6]), ...findings([0, 2], 'b2'), ...findings([0, 0, 1], 'b3')], targets: [target(1), rg, target(2, 'b2', 'AuditIfNotExists')], existing: [], settings, limit: 100 });
  assert.deepEqual(plan.tasks.map((t) => [t.assignmentId.split('/').pop(), t.machines.length]).sort(), [['a-b1', 4], ['a-rg', 2]]);
  assert.deepEqual(plan.auditOnly.map((a) => [a.baseline, a.effect, a.machines]), [['b2', 'AuditIfNotExists', 2]]);
  assert.deepEqual(plan.uncovered.map((u) => [u.baseline, u.machines]), [['b3', 1]]);
});

test('targets: effects resolve through assignment, initiative and definition parameters; notScopes and management groups', () => {
  const def = (name: string, effect: string): PolicyResourceRow => ({ id: `/subscriptions/${SUB(1)}/providers/Microsoft.Authorization/policyDefinitions/${name}`, type: 'microsoft.authorization/policydefinitions',
    properties: { metadata: { driftscan: { baseline: 'b1' } }, parameters: { effect: { type: 'String', defaultValue: effect } }, policyRule: { then: { effect: "[parameters('effect')]" } } } });
  const set: PolicyResourceRow = { id: `/subscriptions/${SUB(1)}/providers/Microsoft.Authorization/policySetDefinitions/s`, type: 'microsoft.authorization/policysetdefinitions', properties: {
    parameters: { 'b1-dine_effect': { type: 'String', defaultValue: 'DeployIfNotExists' }, 'b1-aine_effect': { type: 'String', defaultValue: 'AuditIfNotExists' } },
    policyDefinitions: [
      { policyDefinitionReferenceId: 'b1-dine', policyDefinitionId: def('b1-dine', 'DeployIfNotExists').id, parameters: { effect: { value: "[parameters('b1-dine_effect')]" } } },
      { policyDefinitionReferenceId: 'b1-aine', policyDefinitionId: def('b1-aine', 'AuditIfNotExists').id, parameters: { effect: { value: "[parameters('b1-aine_effect')]" } } },
    ] } };
  const assignment = (name: string, defId: string, parameters: object, scope = `/subscriptions/${SUB(1)}`): PolicyResourceRow => ({ id: `${scope}/providers/Microsoft.Authorization/policyAssignments/${name}`, type: 'microsoft.authorization/policyassignments', properties: { scope, notScopes: [`/subscriptions/${SUB(1)}/resourceGroups/rg-2`], policyDefinitionId: defId, parameters } });
  const targets = resolveTargets([def('b1-dine', 'DeployIfNotExists'), def('b1-aine', 'AuditIfNotExists'), set,
    assignment('initiative', set.id, {}), assignment('disabled', set.id, { 'B1-DINE_EFFECT': { value: 'Disabled' } }), assignment('direct', def('b1-dine', 'x').id, { effect: { value: 'AuditIfNotExists' } }),
    assignment('mg', set.id, {}, '/providers/Microsoft.Management/managementGroups/corp'),
    { id: 'builtin', type: 'microsoft.authorization/policydefinitions', properties: {} }]);
  assert.deepEqual(targets.map((t) => [t.assignmentName, t.referenceId ?? '', t.effect]), [
    ['mg', 'b1-aine', 'AuditIfNotExists'], ['mg', 'b1-dine', 'DeployIfNotExists'],
    ['direct', '', 'AuditIfNotExists'],
    ['disabled', 'b1-aine', 'AuditIfNotExists'], ['disabled', 'b1-dine', 'Disabled'],
    ['initiative', 'b1-aine', 'AuditIfNotExists'], ['initiative', 'b1-dine', 'DeployIfNotExists'],
  ]);
  const t = targets.find((x) => x.assignmentName === 'initiative' && x.referenceId === 'b1-dine')!;
  assert.equal(covers(t, machine(1, 0)), true);
  assert.equal(covers(t, machine(1, 2)), false, 'rg-2 is a notScope');
  assert.equal(covers(t, machine(2, 0)), false);
  const mg = targets.find((x) => x.assignmentName === 'mg' && x.referenceId === 'b1-dine')!;
  assert.equal(covers(mg, machine(1, 0)), false, 'unknown group members: nothing');
  assert.equal(covers(mg, machine(1, 0), () => new Set([SUB(1)])), true);
});

test('taskName: deterministic, case-insensitive in the assignment id, distinct per scan, member and batch', () => {
  const a = '/subscriptions/x/providers/Microsoft.Authorization/policyAssignments/A';
  assert.equal(taskName(1, a, 'm', 2), taskName(1, a.toLowerCase(), 'M', 2));
  assert.equal(new Set([taskName(1, a, 'm', 2), taskName(2, a, 'm', 2), taskName(1, a, 'n', 2), taskName(1, a, 'm', 3), taskName(1, a, undefined, 2)]).size, 5);
  assert.match(taskName(12, a, undefined, 7), /^driftscan-s12-[0-9a-f]{12}-b007$/);
});
