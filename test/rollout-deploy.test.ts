/** The pure parts of `deploy`: stable names, deterministic role assignment GUIDs, waiver coverage, message length. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { uuidV5 } from '../src/rollout/deploy/deterministic-uuid.js';
import { assignmentName, exemptionName, MAX_ASSIGNMENT_NAME, MAX_EXEMPTION_NAME, roleAssignmentName } from '../src/rollout/deploy/names.js';
import { waiverCoverage } from '../src/rollout/deploy/waiver-exemption.js';
import { nonComplianceMessage, MAX_NON_COMPLIANCE_MESSAGE } from '../src/rollout/deploy/non-compliance.js';
import type { Baseline, Rule, Waiver } from '../src/rules/model.js';

/** ARM's assignment/exemption name rule (REST spec pattern) plus driftscan's own character set. */
const ARM_NAME = /^[^<>*%&:\\?.+/]*[^<>*%&:\\?.+/ ]+$/;

test('uuidV5 matches the RFC 9562 vector and sets version 5 / variant bits', () => {
  // RFC 9562 appendix A.4: DNS namespace, "www.example.com".
  assert.equal(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
  fc.assert(fc.property(fc.string(), (s) => /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', s))));
});

test('role assignment names: the same for the same scope, role and assignment whatever the case; different otherwise', () => {
  const a = roleAssignmentName('/subscriptions/X', '088ab73d-1256-47ae-bea9-9de8e7131f31', '/subscriptions/X/providers/Microsoft.Authorization/policyAssignments/a');
  assert.equal(a, roleAssignmentName('/SUBSCRIPTIONS/x', '088AB73D-1256-47AE-BEA9-9DE8E7131F31', '/subscriptions/x/providers/microsoft.authorization/policyassignments/A'));
  assert.notEqual(a, roleAssignmentName('/subscriptions/X', '088ab73d-1256-47ae-bea9-9de8e7131f31', '/subscriptions/X/providers/Microsoft.Authorization/policyAssignments/b'));
});

test('assignment names fit 24 characters and ARM\'s pattern, stay distinct and stable (property)', () => {
  assert.equal(assignmentName('policies-initiative'), 'driftscan-policies');
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 80 }), fc.string({ minLength: 1, maxLength: 80 }), (x, y) => {
    const a = assignmentName(x);
    assert.ok(a.length <= MAX_ASSIGNMENT_NAME, a);
    assert.match(a, ARM_NAME);
    assert.equal(a, assignmentName(x));
    if (x !== y && assignmentName(y) === a) {
      // Only names that clean to the same short stem may collide; long ones carry a digest.
      assert.ok(`driftscan-${x}`.length <= 24 || `driftscan-${y}`.length <= 24, `${x} / ${y} → ${a}`);
    }
  }));
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 24 }), fc.string({ minLength: 1, maxLength: 120 }), (a, b) => {
    const n = exemptionName(assignmentName(a), b);
    assert.ok(n.length <= MAX_EXEMPTION_NAME, n);
    assert.match(n, ARM_NAME);
  }));
});

const rule = (id: string): Rule => ({ id, title: id, severity: 'low', tags: [], kind: 'registryKey', check: { path: { root: 'HKLM', segments: ['SOFTWARE', id] }, pathText: `HKLM\\SOFTWARE\\${id}`, ensure: 'present' }, parameters: [], location: { file: 'b.yaml', line: 1 } });
const waiver = (r: string, expires: string): Waiver => ({ rule: r, reason: 'why', owner: 'me', expires, location: { file: 'b.yaml' } });
const baseline = (rules: Rule[], waivers: Waiver[]): Baseline => ({ file: 'b.yaml', metadata: { name: 'b', version: '1.0.0', title: 'B', references: [] }, assignment: { type: 'Audit' }, parameters: [], rules, waivers });

test('waiver coverage: whole baseline only when live waivers cover every rule; earliest expiry; partial and expired ones are noted', () => {
  const b = baseline([rule('a-1'), rule('a-2'), rule('b-1')], [waiver('a-*', '2030-01-01'), waiver('b-1', '2029-06-30')]);
  const whole = waiverCoverage(b, '2026-12-02');
  assert.equal(whole.whole?.expires, '2029-06-30');
  assert.deepEqual(whole.notes, []);
  const partial = waiverCoverage(baseline(b.rules, [waiver('a-*', '2030-01-01')]), '2026-12-02');
  assert.equal(partial.whole, undefined);
  assert.deepEqual(partial.notes, ['waiver a-* covers 2 of 3 rules of b: Azure Policy exempts whole definitions, not single rules, so it is not deployed (driftscan check honours it)']);
  const expired = waiverCoverage(baseline(b.rules, [waiver('*', '2026-12-01')]), '2026-12-02');
  assert.equal(expired.whole, undefined);
  assert.deepEqual(expired.notes, ['waiver * of b expired on 2026-12-01: no exemption']);
  assert.equal(waiverCoverage(baseline(b.rules, [waiver('*', '2026-12-02')]), '2026-12-02').whole?.expires, '2026-12-02', 'valid through its last day');
});

test('non-compliance messages stay within 1,024 characters and end by pointing at driftscan check', () => {
  const many = baseline(Array.from({ length: 80 }, (_, i) => rule(`rule-${i}-${'x'.repeat(20)}`)), []);
  const m = nonComplianceMessage(many);
  assert.ok(m.length <= MAX_NON_COMPLIANCE_MESSAGE);
  assert.match(m, /^B \(b 1\.0\.0, driftscan\): rule-0-x+: expected /);
  assert.match(m, /…and \d+ more rules: run driftscan check for each$/);
});
