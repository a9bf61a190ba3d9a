import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { renderReport } from '../src/report/index.js';
import { mixedReport, report, result } from './support/report-fixtures.js';

const ANSI = /\u001b\[[0-9;]*m/g;

function asciiReport() {
  return report(
    [
      result({ ruleId: 'kerberos-max-token-size', status: 'fail', title: 'Kerberos tokens of users in many groups fit: MaxTokenSize is at least 65535 bytes on every session host' }),
      result({ ruleId: 'rdp-ignore-user-config-errors', status: 'pass', severity: 'medium' }),
      result({ ruleId: 'rdp-cert-store-readable', status: 'skipped', message: 'a .reg export carries no ACLs: give the SOFTWARE hive (--hive SOFTWARE=FILE) or a collector snapshot' }),
      result({ ruleId: 'nla', status: 'waived', waiver: { reason: 'thin clients without CredSSP until the Q3 refresh', owner: 'team-vdi@example.com', expires: '2026-12-31' } }),
      result({ ruleId: 'svc', status: 'error', severity: 'low', message: 'could not evaluate: SYSTEM @ byte 0x1a2b: value list cell points outside the hive bins' }),
    ],
    { notices: ['SYSTEM hive is dirty: primary and secondary sequence numbers differ (12 != 13); 3 log entries replayed'] },
  );
}

test('table: notices above, one row per rule, expected/found for non-pass rows, summary and waivers below', () => {
  const out = renderReport(asciiReport(), 'table', { width: 120 });
  const lines = out.split('\n');
  assert.match(lines[0]!, /^warning: SYSTEM hive is dirty/);
  const top = lines.findIndex((l) => l.startsWith('┌'));
  const bottom = lines.findIndex((l) => l.startsWith('└'));
  assert.ok(top > 0 && bottom > top);
  assert.match(lines[top + 1]!, /│ Status +│ Severity │ Rule +│ Title +│ Expected \/ found +│/);
  const body = lines.slice(top, bottom + 1).join('\n');
  for (const status of ['FAIL', 'PASS', 'SKIPPED', 'WAIVED', 'ERROR']) assert.match(body, new RegExp(`│ ${status} `));
  assert.match(body, /│ expected DWORD 65535 +│\n.*│ found DWORD 12000 \(0x00002ee0\) +│/);
  assert.match(body, /policies\/rdp-access-denied\.yaml:30:7/);
  assert.match(body, /waived until 2026-12-31 by/);
  assert.equal(lines[bottom + 1], '1 passed, 1 failed, 1 errors, 1 waived, 1 skipped');
  assert.deepEqual(lines.slice(bottom + 2, bottom + 5), ['', 'Waivers:', '  rdp-access-denied/nla: thin clients without CredSSP until the Q3 refresh (owner team-vdi@example.com, expires 2026-12-31)']);
  assert.doesNotMatch(out, /\u001b/, 'no colour unless asked');
});

test('table: fits the terminal width and keeps every table line the same width', () => {
  for (const width of [80, 100, 120, 200]) {
    const lines = renderReport(asciiReport(), 'table', { width }).split('\n').filter((l) => /^[┌│├└]/.test(l));
    const widths = new Set(lines.map((l) => [...l].length));
    assert.equal(widths.size, 1, `width ${width}: ragged table`);
    assert.ok([...widths][0]! <= width, `width ${width}: table is ${[...widths][0]} wide`);
  }
  // Long titles are wrapped, not cut off.
  const narrow = renderReport(asciiReport(), 'table', { width: 80 }).replace(/[│\s]+/g, ' ');
  assert.match(narrow, /every session host/);
});

test('table: colour only when asked, and the same layout once colour codes are removed', () => {
  const plain = renderReport(mixedReport(), 'table', { width: 100 });
  const coloured = renderReport(mixedReport(), 'table', { width: 100, color: true });
  assert.match(coloured, /\u001b\[31m\u001b\[1mFAIL/);
  assert.match(coloured, /\u001b\[32mPASS/);
  assert.equal(coloured.replace(ANSI, ''), plain);
});

test('table: escape sequences and controls in machine data are shown, never sent to the terminal', () => {
  const out = renderReport(mixedReport(), 'table', { width: 120 });
  assert.doesNotMatch(out, /[\u0000-\u0008\u000b-\u001f\u007f]/);
  assert.match(out, /\\x1b\[31mred/);
  assert.match(out, /\\x1b\[2J/, 'notices too');
  assert.match(out, /\u{1f512}/u);
});

test('table: an empty report says so', () => {
  const out = renderReport(report([]), 'table', { width: 80 });
  assert.match(out, /no rules evaluated\n0 passed, 0 failed, 0 errors, 0 waived, 0 skipped\n$/);
});

test('property: the table renders any text without throwing or emitting raw controls', () => {
  const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 60 });
  fc.assert(
    fc.property(anyText, anyText, fc.integer({ min: 20, max: 200 }), fc.boolean(), (title, data, width, color) => {
      const out = renderReport(report([result({ ruleId: title, title, actual: data, message: data, status: 'fail' }), result({ ruleId: 'w', status: 'waived', waiver: { reason: data, owner: title, expires: '2030-01-01' } })]), 'table', { width, color });
      assert.doesNotMatch(out.replace(ANSI, ''), /[\u0000-\u0008\u000b-\u001f\u007f]/);
      assert.match(out, /1 failed, 0 errors, 1 waived/);
    }),
    { numRuns: 150 },
  );
});
