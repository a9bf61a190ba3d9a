/** Minimal baseline YAML for compiler tests: a header with an Audit assignment, and rule entries. */

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
