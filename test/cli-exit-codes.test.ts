/**
 * How `check` turns verdicts into an exit code (README "Exit codes"): errors and runs that checked
 * nothing exit 2, failures at or above the threshold exit 1, everything else 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkOutcome, EXIT } from '../src/cli/exit-codes.js';
import type { RuleStatus } from '../src/evaluate/result.js';
import { SEVERITIES } from '../src/rules/model.js';
import { HOSTILE, result } from './support/report-fixtures.js';

test('every rule skipped: exit 2 with one line naming the first rule and reason; --allow-all-skipped accepts it', () => {
  const skipped = [result({ ruleId: 'a', status: 'skipped', message: 'no SYSTEM hive given' }), result({ ruleId: 'b', status: 'skipped', message: 'other' })];
  assert.deepEqual(checkOutcome(skipped), {
    exit: EXIT.INPUT,
    problem: 'every rule was skipped (2 rules), nothing was checked; first: a: no SYSTEM hive given (pass --allow-all-skipped to accept)',
  });
  assert.deepEqual(checkOutcome(skipped, { allowAllSkipped: true }), { exit: EXIT.OK });
  assert.deepEqual(checkOutcome(skipped, { allowAllSkipped: true, failOnSkipped: true }), { exit: EXIT.FAIL });
  assert.equal(checkOutcome([result({ ruleId: 'a', status: 'skipped' })]).problem!.startsWith('every rule was skipped (1 rule),'), true);
  // A reason from machine data stays on one line.
  assert.doesNotMatch(checkOutcome([result({ ruleId: 'a', status: 'skipped', message: HOSTILE })]).problem!, /[\r\n]/);
  // No rules at all checked nothing either.
  assert.deepEqual(checkOutcome([]), { exit: EXIT.INPUT, problem: 'the baselines hold no rules, so nothing was checked (pass --allow-all-skipped to accept)' });
  // One evaluated rule — even a waived one — and skips alone no longer fail the run.
  for (const status of ['pass', 'waived'] as const) assert.deepEqual(checkOutcome([...skipped, result({ ruleId: 'c', status })]), { exit: EXIT.OK });
  // An error wins, and needs no extra line: the report says which rule and why.
  assert.deepEqual(checkOutcome([...skipped, result({ ruleId: 'c', status: 'error' })]), { exit: EXIT.INPUT });
});

test('property: the exit code follows the README table for any mix of verdicts and options', () => {
  const statuses: RuleStatus[] = ['pass', 'fail', 'error', 'waived', 'skipped'];
  const results = fc.array(
    fc.record({ status: fc.constantFrom(...statuses), severity: fc.constantFrom(...SEVERITIES) }).map(({ status, severity }) => result({ ruleId: 'r', status, severity })),
    { maxLength: 8 },
  );
  const options = fc.record({ failOnSeverity: fc.option(fc.constantFrom(...SEVERITIES), { nil: undefined }), failOnSkipped: fc.boolean(), allowAllSkipped: fc.boolean() });
  fc.assert(
    fc.property(results, options, (rs, o) => {
      const out = checkOutcome(rs, o);
      const rank = (s: string) => SEVERITIES.indexOf(s as (typeof SEVERITIES)[number]);
      const gating = rs.filter((r) => rank(r.severity) <= rank(o.failOnSeverity ?? 'low'));
      const evaluated = rs.some((r) => r.status !== 'skipped');
      let expected: number = EXIT.OK;
      if (rs.some((r) => r.status === 'error') || (!evaluated && !o.allowAllSkipped)) expected = EXIT.INPUT;
      else if (gating.some((r) => r.status === 'fail' || (o.failOnSkipped && r.status === 'skipped'))) expected = EXIT.FAIL;
      assert.equal(out.exit, expected);
      // The extra stderr line appears exactly when nothing was evaluated and that is what makes it 2.
      assert.equal(out.problem !== undefined, !evaluated && !o.allowAllSkipped && !rs.some((r) => r.status === 'error'));
    }),
    { numRuns: 500 },
  );
});
