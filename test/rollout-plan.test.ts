/**
 * The rollout plan model shared by publish, deploy and assign: the semantic diff that makes a second
 * `--apply` write nothing, the executor's ordering/concurrency/stop-on-failure guarantees, and the
 * plan writers (JSON parsed back, Markdown escaped, secrets redacted).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { diffFields } from '../src/rollout/field-diff.js';
import { planChange, planDelete, planSummaryLine, summarizePlan, type Plan, type PlannedChange } from '../src/rollout/plan.js';
import { applyPlan, summarizeOutcome } from '../src/rollout/apply.js';
import { renderPlan, planFormatOf } from '../src/report/plan.js';
import { parseDuration } from '../src/cli/duration.js';

const DEF = '/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/policyDefinitions/rdp';

test('diff: fields ARM adds are not drift; a changed, missing or reordered field is', () => {
  const desired = { properties: { displayName: 'RDP', metadata: { contentHash: 'AA' }, policyRule: { if: { allOf: [1, 2] } } } };
  const actual = {
    id: DEF, type: 'Microsoft.Authorization/policyDefinitions', systemData: { createdBy: 'x' },
    properties: { displayName: 'RDP', policyType: 'Custom', metadata: { contentHash: 'AA', createdBy: 'someone' }, policyRule: { if: { allOf: [1, 2] } } },
  };
  assert.deepEqual(diffFields(desired, actual), []);
  assert.deepEqual(diffFields(desired, { ...actual, properties: { ...actual.properties, metadata: { contentHash: 'BB' } } }), [
    { path: 'properties.metadata.contentHash', before: 'BB', after: 'AA' },
  ]);
  assert.deepEqual(diffFields(desired, { properties: { displayName: 'RDP', metadata: { contentHash: 'AA' } } }), [
    { path: 'properties.policyRule', before: undefined, after: { if: { allOf: [1, 2] } } },
  ]);
  assert.equal(diffFields(desired, { ...actual, properties: { ...actual.properties, policyRule: { if: { allOf: [2, 1] } } } }).length, 1);
  // Order-free arrays and case-insensitive ids where ARM compares without case.
  const a = { properties: { notScopes: ['/b', '/a'], policyDefinitionId: DEF } };
  const b = { properties: { notScopes: ['/a', '/b'], policyDefinitionId: DEF.toUpperCase() } };
  assert.equal(diffFields(a, b).length, 2);
  assert.deepEqual(diffFields(a, b, { unorderedArrays: ['properties.notScopes'], caseInsensitive: ['properties.policyDefinitionId'] }), []);
});

test('diff: any JSON value equals itself inside extra read-only fields; under an exact path any difference is drift', () => {
  const canon = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
  fc.assert(fc.property(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue(), (value, extra, other) => {
    const desired = { properties: { value } };
    assert.deepEqual(diffFields(desired, { ...extra, properties: { value } }), []);
    const exact = diffFields(desired, { ...extra, properties: { value: other } }, { exactObjects: ['properties.value'] });
    assert.equal(exact.length === 0, canon(value) === canon(other));
  }));
  // A parameter driftscan no longer declares is drift under an exact path, an ARM addition elsewhere.
  assert.equal(diffFields({ properties: { parameters: {} } }, { properties: { parameters: { old: { value: 1 } } } }).length, 0);
  assert.equal(diffFields({ properties: { parameters: {} } }, { properties: { parameters: { old: { value: 1 } } } }, { exactObjects: ['properties.parameters'] }).length, 1);
});

test('planChange: create without actual, unchanged when equal (no body), update with fields and body', () => {
  const base = { kind: 'policyDefinition', id: DEF, name: 'rdp', wave: 0 };
  assert.equal(planChange({ ...base, desired: { a: 1 }, actual: undefined }).action, 'create');
  const same = planChange({ ...base, desired: { a: 1 }, actual: { a: 1, id: DEF } });
  assert.equal(same.action, 'unchanged');
  assert.equal(same.body, undefined);
  const upd = planChange({ ...base, desired: { a: 2 }, actual: { a: 1 } });
  assert.deepEqual([upd.action, upd.fields, upd.body], ['update', [{ path: 'a', before: 1, after: 2 }], { a: 2 }]);
});

function plan(changes: PlannedChange[]): Plan {
  return { command: 'deploy', target: '/subscriptions/00000000-0000-0000-0000-000000000001', changes };
}

function change(id: string, wave: number, action: 'create' | 'update' | 'unchanged' = 'create'): PlannedChange {
  return { action, kind: 'k', id, name: id, wave, fields: [] };
}

test('apply: waves in order, deletes last in reverse wave order, only writes, each once, bounded concurrency', async () => {
  const changes = [
    change('c', 1), change('a', 0), change('b', 0), change('u', 0, 'unchanged'), change('d', 2),
    planDelete({ kind: 'k', id: 'x0', name: 'x0', wave: 0, prune: true }),
    planDelete({ kind: 'k', id: 'x2', name: 'x2', wave: 2, prune: true }),
    planDelete({ kind: 'k', id: 'kept', name: 'kept', wave: 1, prune: false }),
  ];
  const order: string[] = [];
  const outcome = await applyPlan(plan(changes), async (c) => { order.push(c.id); });
  assert.deepEqual(order.slice(0, 2).sort(), ['a', 'b']);
  assert.deepEqual(order.slice(2), ['c', 'd', 'x2', 'x0']);
  assert.deepEqual(summarizeOutcome(outcome), { applied: 6, failed: 0, notAttempted: 0 });
  assert.equal(summarizePlan(plan(changes)).keep, 1);
  assert.match(planSummaryLine(plan(changes)), /1 delete candidate kept: pass --prune/);

  // 1,000 writes in one wave at concurrency 16: never more than 16 in flight, every id exactly once.
  const many = Array.from({ length: 1000 }, (_, i) => change(`m${i}`, 0));
  let inFlight = 0;
  let peak = 0;
  const seen = new Map<string, number>();
  await applyPlan(plan(many), async (c) => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    seen.set(c.id, (seen.get(c.id) ?? 0) + 1);
    await new Promise((r) => setImmediate(r));
    inFlight -= 1;
  }, { concurrency: 16 });
  assert.equal(peak, 16);
  assert.equal(seen.size, 1000);
  assert.ok([...seen.values()].every((n) => n === 1));
});

test('apply: a failure stops new writes, in-flight ones finish, later waves are not attempted, all reported', async () => {
  const changes = [...Array.from({ length: 10 }, (_, i) => change(`w${i}`, 0)), change('later', 1)];
  const boom = new Error('PUT /x: 500 InternalServerError\nsecond line');
  const outcome = await applyPlan(plan(changes), async (c) => {
    await new Promise((r) => setImmediate(r));
    if (c.id === 'w3') throw boom;
  }, { concurrency: 2 });
  const s = summarizeOutcome(outcome);
  assert.equal(outcome.firstError, boom);
  assert.equal(s.failed, 1);
  assert.equal(s.applied + s.failed + s.notAttempted, 11);
  assert.ok(s.applied >= 3 && s.applied <= 5, `applied ${s.applied}`);
  assert.equal(outcome.results.find((r) => r.change.id === 'later')!.status, 'not-attempted');
  assert.equal(outcome.results.find((r) => r.status === 'failed')!.error, 'PUT /x: 500 InternalServerError');
});

test('plan writers: JSON round-trips with outcome, Markdown escapes names, every format redacts SAS tokens', async () => {
  const sas = 'https://acct.blob.core.windows.net/gc/p.zip?sv=2025-11-05&se=2026-12-31&sr=b&sp=r&sig=c2VjcmV0c2lnbmF0dXJlc2VjcmV0c2lnbmF0dXJl';
  const p = plan([
    planChange({ kind: 'policyDefinition', id: DEF, name: 'rdp|<b>x</b>', wave: 0, desired: { properties: { metadata: { contentUri: sas } } }, actual: { properties: { metadata: { contentUri: 'old' } } } }),
    change('new', 1),
    planDelete({ kind: 'policyDefinition', id: `${DEF}-old`, name: 'old', wave: 0, prune: false }),
  ]);
  const outcome = await applyPlan(p, async () => {});
  for (const format of ['table', 'json', 'markdown'] as const) {
    for (const text of [renderPlan(p, format), renderPlan(p, format, { outcome })]) {
      assert.doesNotMatch(text, /c2VjcmV0c2lnbmF0dXJl/, `${format} leaks the SAS signature`);
    }
  }
  const doc = JSON.parse(renderPlan(p, 'json', { outcome }));
  assert.equal(doc.planVersion, 1);
  assert.deepEqual(doc.summary, { create: 1, update: 1, unchanged: 0, delete: 0, keep: 1 });
  assert.deepEqual(doc.changes.map((c: { action: string; result?: string }) => [c.action, c.result]), [['update', 'applied'], ['create', 'applied'], ['delete', undefined]]);
  assert.deepEqual(doc.outcome, { applied: 2, failed: 0, notAttempted: 0 });
  const md = renderPlan(p, 'markdown');
  assert.match(md, /rdp\\\|\\<b\\>x\\<\/b\\>/);
  assert.match(md, /\| ⏸️ keep \|/);
  const table = renderPlan(p, 'table', { width: 240 });
  assert.match(table, /│ update +│ policyDefinition/);
  assert.match(table, /properties\.metadata\.contentUri: "old" → "https:\/\/acct\.blob\.core\.windows\.net\/gc\/p\.zip\?/);
  assert.doesNotMatch(renderPlan(p, 'table', { width: 60 }), /c2VjcmV0/);
  assert.match(table, /deleted only with --prune/);
  // A big plan lists only what changes in the table and counts the rest.
  const big = plan([...Array.from({ length: 60 }, (_, i) => ({ ...change(`same${i}`, 0, 'unchanged') })), change('new', 0)]);
  const bigTable = renderPlan(big, 'table');
  assert.doesNotMatch(bigTable, /same1/);
  assert.match(bigTable, /│ create +│ k +│ new /);
  assert.match(bigTable, /^60 unchanged resources not listed \(--output plan\.json lists every one\)$/m);
  assert.match(renderPlan(plan(Array.from({ length: 60 }, (_, i) => change(`same${i}`, 0, 'unchanged'))), 'table'), /: nothing to change\n60 unchanged resources not listed/);
  assert.equal(JSON.parse(renderPlan(big, 'json')).changes.length, 61);
  assert.equal(planFormatOf('out/PLAN.MD'), 'markdown');
  assert.equal(planFormatOf('plan.json'), 'json');
  assert.equal(planFormatOf('plan.txt'), undefined);
});

test('durations: units required, sums of parts, limits enforced, garbage refused with the flag named', () => {
  assert.equal(parseDuration('--timeout', '90s'), 90_000);
  assert.equal(parseDuration('--timeout', '1h30m'), 5_400_000);
  assert.equal(parseDuration('--timeout', '1.5 h'), 5_400_000);
  assert.equal(parseDuration('--sas-expiry', '7d'), 7 * 86_400_000);
  assert.throws(() => parseDuration('--timeout', '30'), /--timeout expects a duration such as 90s/);
  assert.throws(() => parseDuration('--timeout', '10 minutes'), /--timeout expects/);
  assert.throws(() => parseDuration('--timeout', '500ms', { min: 1000 }), /too short/);
  assert.throws(() => parseDuration('--sas-expiry', '8d', { max: 7 * 86_400_000 }), /at most 7 d/);
  fc.assert(fc.property(fc.string(), (s) => {
    try {
      const ms = parseDuration('--timeout', s);
      assert.ok(Number.isInteger(ms) && ms >= 0);
    } catch (err) {
      assert.match((err as Error).message, /^--timeout /);
    }
  }));
});
