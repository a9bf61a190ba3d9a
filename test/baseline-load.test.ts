import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBaselineText, loadBaselines, BaselineErrors } from '../src/baseline/load.js';
import { runCli } from './support/cli.js';
import { RULES_HEAD, loadErrors } from './support/baseline-yaml.js';

const errorsOf = (text: string, today?: string): string[] => loadErrors(text, today ? { today } : {});

const VALUE_RULE = `    - id: r1
      title: One
      severity: high
      registryValue:
        path: HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa
        name: LmCompatibilityLevel
        type: DWord
        equals: 5
`;


test('the shipped baselines load', () => {
  const bs = loadBaselines(['policies']);
  const names = bs.map((b) => b.metadata.name).sort();
  assert.deepEqual(names, ['rdp-access-denied', 'rdp-hardening']);
  const seed = bs.find((b) => b.metadata.name === 'rdp-access-denied')!;
  assert.deepEqual(seed.rules.map((r) => r.kind), ['registryAcl', 'registryValue', 'registryValue', 'service']);
  const token = seed.rules.find((r) => r.id === 'kerberos-max-token-size')!;
  assert.deepEqual(token.parameters, [{ property: 'equals', param: 'maxTokenSize' }]);
  assert.equal((token.check as { expect: { value: number } }).expect.value, 65535);
});

test('a YAML syntax error names file:line:col', () => {
  const [msg] = errorsOf(`${RULES_HEAD}    - id: r1\n      title: [unclosed\n`);
  assert.match(msg!, /^b\.yaml:\d+:\d+: YAML syntax error/);
});

test('an unknown key is located and a close name suggested', () => {
  const [msg] = errorsOf(RULES_HEAD + VALUE_RULE.replace('equals: 5', 'equal: 5'));
  assert.equal(msg, 'b.yaml:16:9: unknown key "equal"; did you mean "equals"?');
});

test('a duplicate rule id is an error at the second id', () => {
  const msgs = errorsOf(RULES_HEAD + VALUE_RULE + VALUE_RULE);
  assert.equal(msgs.length, 1);
  assert.match(msgs[0]!, /^b\.yaml:17:11: duplicate rule id "r1" \(also rule 1 at line 9\)/);
});

test('a path with an unknown root or hive is rejected', () => {
  assert.match(errorsOf(RULES_HEAD + VALUE_RULE.replace('HKLM\\SYSTEM', 'HKXX\\SYSTEM'))[0]!, /^b\.yaml:13:15: registry path "HKXX\\SYSTEM\\CurrentControlSet\\Control\\Lsa" must start with a root key/);
  assert.match(errorsOf(RULES_HEAD + VALUE_RULE.replace('HKLM\\SYSTEM', 'HKLM\\SYTEM'))[0]!, /^b\.yaml:13:15: "SYTEM" is not a hive under HKLM .*did you mean SYSTEM\?/);
});

test('a bad regular expression is rejected with the engine message', () => {
  const rule = VALUE_RULE.replace('type: DWord', 'type: String').replace('equals: 5', 'matches: "([a-z]+"');
  assert.match(errorsOf(RULES_HEAD + rule)[0]!, /^b\.yaml:16:18: invalid regular expression: .*Unterminated group/);
});

test('an expired waiver is an error, not silence', () => {
  const text = `${RULES_HEAD}${VALUE_RULE}  waivers:\n    - rule: r1\n      reason: legacy\n      owner: me\n      expires: "2020-01-31"\n`;
  assert.equal(errorsOf(text, '2026-11-24')[0], 'b.yaml:21:16: waiver for "r1" (owner me) expired on 2020-01-31; renew it with a new date or remove it');
});

test('a waiver that matches no rule is an error', () => {
  const text = `${RULES_HEAD}${VALUE_RULE}  waivers:\n    - rule: r2\n      reason: legacy\n      owner: me\n      expires: "2099-01-31"\n`;
  assert.match(errorsOf(text)[0]!, /^b\.yaml:18:13: waiver rule "r2" matches no rule in this baseline; did you mean "r1"\?/);
});

test('a version that is not semver is rejected', () => {
  assert.match(errorsOf((RULES_HEAD + VALUE_RULE).replace('version: 1.0.0', 'version: "1.0"'))[0]!, /^b\.yaml:5:12: version "1\.0" is not a semantic version/);
});

test('an unknown identity gets a hint and the SID form', () => {
  const rule = `    - id: acl
      title: Acl
      severity: low
      registryAcl:
        path: HKLM\\SOFTWARE\\Test
        access:
          - identity: Remote Desktop User
            rights: ReadKey
`;
  const msg = errorsOf(RULES_HEAD + rule)[0]!;
  assert.match(msg, /^b\.yaml:15:23: unknown identity "Remote Desktop User"/);
  assert.match(msg, /Remote Desktop Users/);
  assert.match(msg, /\{ sid: "S-1-5-21-…"/);
});

test('wrong types and enum values are explained', () => {
  const msgs = errorsOf((RULES_HEAD + VALUE_RULE).replace('severity: high', 'severity: hgih'));
  assert.match(msgs[0]!, /^b\.yaml:11:17: "severity" must be one of critical, high, medium, low \(found "hgih"\); did you mean "high"\?/);
  const dword = errorsOf((RULES_HEAD + VALUE_RULE).replace('equals: 5', 'equals: 4294967296'));
  assert.match(dword[0]!, /DWord data must be between 0 and 4294967295/);
});

test('parameters: unknown names and unused declarations are errors', () => {
  const withParam = (RULES_HEAD + VALUE_RULE).replace('equals: 5', 'equals: { param: level }');
  assert.match(errorsOf(withParam)[0]!, /unknown parameter "level"/);
  const declared = withParam.replace('spec:\n', 'spec:\n  parameters:\n    level: { type: integer, default: 5 }\n    unused: { type: string, default: x }\n');
  const msgs = errorsOf(declared);
  assert.equal(msgs.length, 1);
  assert.match(msgs[0]!, /parameter "unused" is declared but no rule uses it/);
});

test('validate: each broken file exits 2 with one line per problem naming file:line:col', () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-validate-'));
  try {
    const cases: Record<string, string> = {
      'syntax.yaml': `${RULES_HEAD}    - id: r1\n      title: [unclosed\n`,
      'unknown-key.yaml': RULES_HEAD + VALUE_RULE.replace('equals: 5', 'equal: 5'),
      'duplicate.yaml': RULES_HEAD + VALUE_RULE + VALUE_RULE,
      'bad-path.yaml': RULES_HEAD + VALUE_RULE.replace('HKLM\\SYSTEM', 'HKXX\\SYSTEM'),
      'bad-regex.yaml': RULES_HEAD + VALUE_RULE.replace('type: DWord', 'type: String').replace('equals: 5', 'matches: "(["'),
      'expired.yaml': `${RULES_HEAD}${VALUE_RULE}  waivers:\n    - rule: r1\n      reason: legacy\n      owner: me\n      expires: "2020-01-31"\n`,
    };
    for (const [name, text] of Object.entries(cases)) {
      writeFileSync(join(dir, name), text);
      const r = runCli(['validate', join(dir, name)]);
      assert.equal(r.status, 2, `${name}: exit ${r.status}\n${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${name}: ${r.stderr}`);
      assert.match(lines[0]!, new RegExp(`^driftscan: ${join(dir, name).replace(/[.\\]/g, '\\$&')}:\\d+:\\d+: \\S`), name);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    const ok = runCli(['validate', 'policies']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /ok {2}policies\/rdp-access-denied\.yaml: rdp-access-denied 1\.0\.0, 4 rules/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
