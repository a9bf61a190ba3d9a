/**
 * User-chosen text in places where JavaScript would misread it: a waiver glob that a regular
 * expression would backtrack on for ever, and registry path roots named after Object.prototype
 * members (a plain-object lookup found `constructor` there and took it for a root key).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { waiverFor } from '../src/rules/waiver.js';
import type { Rule, Waiver } from '../src/rules/model.js';
import { DWORD_RULE, RULES_HEAD, loadErrors } from './support/baseline-yaml.js';


test('a waiver glob cannot make the loader backtrack for ever', () => {
  const id = 'a'.repeat(100);
  const rules = `    - { id: ${id}, title: T, severity: low, registryKey: { path: HKLM\\SOFTWARE\\X } }\n`;
  const glob = `${'*a'.repeat(30)}*b`;
  const text = `${RULES_HEAD}${rules}  waivers:\n    - { rule: "${glob}", reason: x, owner: y, expires: "2999-01-01" }\n`;
  const started = Date.now();
  assert.match(loadErrors(text)[0]!, /waiver rule ".*" matches no rule in this baseline/);
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
});

test('property: waiver globs match exactly what the anchored regular expression matches', () => {
  const text = fc.string({ unit: fc.constantFrom('a', 'B', 'b', '-', '.', '*'), maxLength: 8 });
  fc.assert(
    fc.property(text, fc.string({ unit: fc.constantFrom('a', 'A', 'b', '-', '.'), maxLength: 8 }), (glob, id) => {
      const oracle = new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i').test(id);
      const w = { rule: glob } as Waiver;
      assert.equal(waiverFor([w], { id } as Rule) === w, oracle, `${glob} vs ${id}`);
    }),
    { numRuns: 2000 },
  );
});

test('a registry path whose root is an Object.prototype member name is rejected at its line', () => {
  for (const root of ['constructor', 'toString', '__proto__']) {
    const msgs = loadErrors((RULES_HEAD + DWORD_RULE).replace('HKLM\\SOFTWARE\\Test', `${root}\\SOFTWARE\\Test`));
    assert.deepEqual(msgs, [`b.yaml:13:15: registry path "${root}\\SOFTWARE\\Test" must start with a root key such as HKLM\\ or HKEY_LOCAL_MACHINE\\ (found "${root}")`]);
  }
});
