/** Minimal baseline YAML for tests: headers, rule entries, and the loader's errors for a text. */
import assert from 'node:assert/strict';
import { BaselineErrors, loadBaselineText, type LoadOptions } from '../../src/baseline/load.js';

/** Everything up to `rules:`; `extra` is appended to the assignment block (`\n    unsupportedRules: omit`). */
export function baselineHeader(name: string, extra = ''): string {
  return `apiVersion: driftscan/v1
kind: Baseline
metadata:
  name: ${name}
  version: 1.0.0
  title: t
spec:
  assignment:
    type: Audit${extra}
  rules:
`;
}

/** One rule list entry with the check `body` (e.g. `registryKey:\n  path: …`) indented under it. */
export function ruleYaml(id: string, body: string): string {
  return `    - id: ${JSON.stringify(id)}\n      title: t\n      severity: low\n${body.split('\n').map((l) => `      ${l}`).join('\n')}\n`;
}

/** A small baseline named `sample` up to and including `spec:` (for tests that add parameters first). */
export const SPEC_HEAD = `apiVersion: driftscan/v1
kind: Baseline
metadata:
  name: sample
  version: 1.0.0
  title: Sample
spec:
`;

/** `SPEC_HEAD` with the `rules:` line: append rule entries. */
export const RULES_HEAD = `${SPEC_HEAD}  rules:
`;

/** One rule, `r1`: a DWORD that must equal 5 under HKLM\SOFTWARE\Test. */
export const DWORD_RULE = `    - id: r1
      title: One
      severity: high
      registryValue:
        path: HKLM\\SOFTWARE\\Test
        name: V
        type: DWord
        equals: 5
`;

/** Loads `text` as `b.yaml` and returns its error messages; fails the test when it loads. */
export function loadErrors(text: string, options: LoadOptions = {}): string[] {
  try {
    loadBaselineText(text, 'b.yaml', options);
  } catch (err) {
    assert.ok(err instanceof BaselineErrors, `expected BaselineErrors, got ${(err as Error).stack ?? String(err)}`);
    return err.errors.map((e) => e.message);
  }
  assert.fail('expected the baseline to be rejected');
}
