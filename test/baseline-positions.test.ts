/**
 * Property tests for error positions: whatever the layout of a baseline (indentation, flow or
 * block style, comments, blank lines, key order), an injected mistake is reported at the exact
 * line and column where it sits in the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadBaselineText, BaselineErrors } from '../src/baseline/load.js';

interface Layout {
  indent: number;
  comments: boolean[];
  blanks: number[];
  ruleCount: number;
  badRule: number;
  mistake: 'unknownKey' | 'badSeverity' | 'duplicateId' | 'badPath';
}

const layout = fc.record({
  indent: fc.integer({ min: 2, max: 6 }),
  comments: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
  blanks: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 12, maxLength: 12 }),
  ruleCount: fc.integer({ min: 1, max: 5 }),
  badRule: fc.nat(),
  mistake: fc.constantFrom('unknownKey', 'badSeverity', 'duplicateId', 'badPath'),
}) as fc.Arbitrary<Layout>;

/** Builds the YAML text line by line and records where the mistake's token starts. */
function render(l: Layout): { text: string; line: number; col: number; pattern: RegExp } {
  const lines: string[] = [];
  let at = { line: 0, col: 0 };
  let n = 0;
  const pad = (depth: number) => ' '.repeat(l.indent * depth);
  const push = (s: string) => {
    if (l.comments[n % 12]) lines.push(`${pad(0)}# note ${n}`);
    for (let i = 0; i < l.blanks[n % 12]!; i++) lines.push('');
    n++;
    lines.push(s);
  };
  push('apiVersion: driftscan/v1');
  push('kind: Baseline');
  push('metadata:');
  push(`${pad(1)}name: sample`);
  push(`${pad(1)}version: 1.0.0`);
  push(`${pad(1)}title: Sample`);
  push('spec:');
  push(`${pad(1)}rules:`);
  const bad = l.badRule % l.ruleCount;
  for (let r = 0; r < l.ruleCount; r++) {
    const id = l.mistake === 'duplicateId' && r === bad && r > 0 ? 'rule-0' : `rule-${r}`;
    const idLine = `${pad(1)}- id: ${id}`;
    push(idLine);
    if (l.mistake === 'duplicateId' && r === bad && r > 0) at = { line: lines.length, col: idLine.indexOf('rule-0') + 1 };
    push(`${pad(1)}  title: Rule ${r}`);
    const sev = `${pad(1)}  severity: ${l.mistake === 'badSeverity' && r === bad ? 'urgent' : 'low'}`;
    push(sev);
    if (l.mistake === 'badSeverity' && r === bad) at = { line: lines.length, col: sev.indexOf('urgent') + 1 };
    push(`${pad(1)}  registryValue:`);
    const path = `${pad(1)}${pad(1)}  path: ${l.mistake === 'badPath' && r === bad ? 'HKQQ' : 'HKLM'}\\SOFTWARE\\Test`;
    push(path);
    if (l.mistake === 'badPath' && r === bad) at = { line: lines.length, col: path.indexOf('HK') + 1 };
    push(`${pad(1)}${pad(1)}  name: V${r}`);
    push(`${pad(1)}${pad(1)}  type: DWord`);
    const eq = `${pad(1)}${pad(1)}  ${l.mistake === 'unknownKey' && r === bad ? 'equls' : 'equals'}: ${r}`;
    push(eq);
    if (l.mistake === 'unknownKey' && r === bad) at = { line: lines.length, col: eq.indexOf('equ') + 1 };
  }
  if (l.mistake === 'duplicateId' && (bad === 0 || l.ruleCount === 1)) {
    // Need a second rule to duplicate: add one that repeats rule-0.
    const idLine = `${pad(1)}- id: rule-0`;
    push(idLine);
    at = { line: lines.length, col: idLine.indexOf('rule-0') + 1 };
    push(`${pad(1)}  title: Again`);
    push(`${pad(1)}  severity: low`);
    push(`${pad(1)}  registryKey: { path: HKLM\\SOFTWARE\\Again }`);
  }
  const pattern = {
    unknownKey: /unknown key "equls"; did you mean "equals"\?/,
    badSeverity: /"severity" must be one of/,
    duplicateId: /duplicate rule id "rule-0"/,
    badPath: /must start with a root key/,
  }[l.mistake];
  return { text: `${lines.join('\n')}\n`, line: at.line, col: at.col, pattern };
}

test('errors point at the exact line and column of the mistake, whatever the layout', () => {
  fc.assert(
    fc.property(layout, (l) => {
      const { text, line, col, pattern } = render(l);
      try {
        loadBaselineText(text, 'p.yaml');
      } catch (err) {
        assert.ok(err instanceof BaselineErrors, String(err));
        const e = err.errors[0]!;
        assert.match(e.message, pattern, text);
        assert.deepEqual({ line: e.location?.line, col: e.location?.col }, { line, col }, `${e.message}\n${text}`);
        return;
      }
      assert.fail(`accepted:\n${text}`);
    }),
    { numRuns: 300 },
  );
});

test('arbitrary text never crashes the loader: it loads or raises a located error', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (junk) => {
      try {
        loadBaselineText(`apiVersion: driftscan/v1\nkind: Baseline\n${junk}`, 'j.yaml');
      } catch (err) {
        assert.ok(err instanceof BaselineErrors || (err as Error).name === 'DriftscanError', String(err));
        const loc = (err as BaselineErrors).location;
        assert.ok(loc && loc.file === 'j.yaml' && (loc.line ?? 0) >= 1, (err as Error).message);
      }
    }),
    { numRuns: 500 },
  );
});
