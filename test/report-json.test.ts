import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { REPORT_FORMATS, renderReport } from '../src/report/index.js';
import { HOSTILE, mixedReport, report, result } from './support/report-fixtures.js';

test('JSON: the documented key order, 2-space indent, summary and run metadata', () => {
  const text = renderReport(mixedReport(), 'json');
  assert.ok(text.endsWith('}\n'));
  assert.match(text, /^\{\n {2}"results": \[\n {4}\{\n {6}"baseline": "rdp-access-denied",\n {6}"ruleId"/);
  const doc = JSON.parse(text);
  assert.deepEqual(Object.keys(doc), ['results', 'summary', 'tool', 'sources', 'notices']);
  for (const r of doc.results) assert.deepEqual(Object.keys(r).slice(0, 7), ['baseline', 'ruleId', 'status', 'severity', 'expected', 'actual', 'message']);
  assert.deepEqual(doc.summary, { total: 6, pass: 1, fail: 2, error: 1, waived: 1, skipped: 1 });
  assert.deepEqual(doc.tool, { name: 'driftscan', version: '0.1.0' });
  assert.deepEqual(doc.sources, ['examples/drifted.reg']);
  assert.equal(doc.notices.length, 1);
  const k = doc.results[0];
  assert.deepEqual(k, {
    baseline: 'rdp-access-denied',
    ruleId: 'kerberos-max-token-size',
    status: 'fail',
    severity: 'critical',
    expected: 'DWORD 65535',
    actual: 'DWORD 12000 (0x00002ee0)',
    message: 'expected DWORD 65535, found DWORD 12000 (0x00002ee0)',
    title: 'Title of kerberos-max-token-size',
    kind: 'registryValue',
    location: { file: 'policies/rdp-access-denied.yaml', line: 58, col: 7 },
    target: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\Kerberos\\Parameters',
    tags: ['rdp'],
  });
  const waived = doc.results.find((r: { status: string }) => r.status === 'waived');
  assert.deepEqual(Object.keys(waived.waiver), ['reason', 'owner', 'expires']);
});

test('JSON: machine data round-trips exactly, hostile characters included (JSON can carry them)', () => {
  const doc = JSON.parse(renderReport(mixedReport(), 'json'));
  const w = doc.results.find((r: { ruleId: string }) => r.ruleId === 'nla-required');
  assert.equal(w.expected, HOSTILE);
  assert.equal(w.title, HOSTILE);
});

test('JSON: the output is the same for the same report (stable across runs)', () => {
  assert.equal(renderReport(mixedReport(), 'json'), renderReport(mixedReport(), 'json'));
});

test('property: JSON round-trips arbitrary strings and omits absent optional fields', () => {
  const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 30 });
  fc.assert(
    fc.property(anyText, anyText, fc.boolean(), (id, data, withTarget) => {
      const r = result({ ruleId: id, status: 'fail', actual: data, message: data, target: withTarget ? data : undefined, location: { file: data } });
      if (!withTarget) delete r.target;
      const doc = JSON.parse(renderReport(report([r]), 'json'));
      const out = doc.results[0];
      assert.equal(out.ruleId, id);
      assert.equal(out.actual, data);
      assert.deepEqual(out.location, { file: data });
      assert.equal('target' in out, withTarget);
      assert.equal('waiver' in out, false);
    }),
    { numRuns: 200 },
  );
});

test('every advertised format renders every status without throwing and ends with a newline', () => {
  assert.deepEqual([...REPORT_FORMATS], ['table', 'json', 'sarif', 'junit', 'markdown']);
  for (const f of REPORT_FORMATS) {
    for (const r of [mixedReport(), report([])]) {
      const out = renderReport(r, f, { cwd: '/work/repo', width: 80 });
      assert.ok(out.endsWith('\n') && out.length > 10, f);
    }
  }
});
