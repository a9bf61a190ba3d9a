import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { renderReport } from '../src/report/index.js';
import { mixedReport, report, result } from './support/report-fixtures.js';

/** Splits a GFM table row on pipes not escaped by an odd run of backslashes. */
function cells(row: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < row.length; i++) {
    const c = row[i]!;
    if (c === '\\') {
      cur += c + (row[i + 1] ?? '');
      i++;
    } else if (c === '|') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.slice(1, -1).map((s) => s.trim());
}

/** Characters that would start Markdown/HTML constructs when not backslash-escaped (our own tags removed first). */
function unescapedSpecials(md: string): string[] {
  const stripped = md.replace(/<br>|<\/?details>|<\/?summary>/g, '').replace(/^#+ |^> \[!WARNING\]$|^> |^- |^\*\*|\*\* ·|\*\*$|^\| (?:--- \| )*---? ?\|$/gm, '');
  const found: string[] = [];
  for (let i = 0; i < stripped.length; i++) {
    const c = stripped[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if ('`*_[]<>~&'.includes(c)) found.push(c);
  }
  return found;
}

test('markdown: headline, counts, notices as a GitHub alert, a row per rule needing attention, passes folded away', () => {
  const md = renderReport(mixedReport(), 'markdown');
  const lines = md.split('\n');
  assert.equal(lines[0], '## ⚠️ driftscan: 1 rule could not be evaluated');
  assert.ok(lines.includes('**1 passed, 2 failed, 1 errors, 1 waived, 1 skipped** · driftscan 0.1.0'));
  assert.ok(lines.includes('> [!WARNING]'));
  const rows = lines.filter((l) => l.startsWith('|'));
  const header = rows.findIndex((r) => r.startsWith('| Status |'));
  assert.deepEqual(cells(rows[header]!), ['Status', 'Severity', 'Rule', 'Title', 'Expected', 'Found / reason']);
  const attention = rows.slice(header + 2, header + 7).map(cells);
  assert.deepEqual(attention.map((c) => c[0]), ['❌ fail', '❌ fail', '⚠️ error', '🔕 waived', '⏭️ skipped'], 'failures first, then in evaluation order');
  for (const c of attention) assert.equal(c.length, 6);
  assert.deepEqual(attention[0], ['❌ fail', 'critical', 'rdp-access-denied/kerberos-max-token-size<br>policies/rdp-access-denied.yaml:58:7', 'Title of kerberos-max-token-size', 'DWORD 65535', 'DWORD 12000 (0x00002ee0)']);
  assert.equal(attention[1]![2], 'rdp-hardening/weird\\|id\\`x<br>policies/rdp-hardening.yaml:20:5');
  assert.equal(attention[2]![5], 'could not evaluate: SYSTEM @ byte 0x1a2b: cell size 0 in hbin');
  assert.match(md, /### Waivers\n\n- rdp-hardening\/nla-required: legacy thin clients \\<until\\> "Q3" \\\]\\\]\\>/);
  assert.match(md, /<details><summary>1 passing rule<\/summary>\n\n\| Severity \| Rule \| Title \| Found \|/);
  assert.ok(md.trimEnd().endsWith('</details>'));
});

test('markdown: pipes, backticks, HTML and line breaks in data cannot break the table', () => {
  const md = renderReport(mixedReport(), 'markdown');
  for (const row of md.split('\n').filter((l) => l.startsWith('|'))) {
    const n = cells(row).length;
    assert.ok(n === 6 || n === 4, `row has ${n} cells: ${row}`);
  }
  assert.deepEqual(unescapedSpecials(md), []);
  assert.match(md, /weird\\\|id\\`x/);
  assert.match(md, /string "a<br>b"/);
  assert.match(md, /\\x1b\\\[31mred/);
  assert.doesNotMatch(md, /[\u0000-\u0008\u000b-\u001f]/);
});

test('markdown: a clean run says so and lists passing rules only in the fold', () => {
  const md = renderReport(report([result({ ruleId: 'a', status: 'pass' }), result({ ruleId: 'b', status: 'pass' })]), 'markdown');
  assert.match(md, /^## ✅ driftscan: no failing rules \(2 evaluated\)\n/);
  assert.doesNotMatch(md, /\| Status \|/);
  assert.match(md, /<summary>2 passing rules<\/summary>/);
  const failing = renderReport(report([result({ ruleId: 'a', status: 'fail' }), result({ ruleId: 'b', status: 'pass' })]), 'markdown');
  assert.match(failing, /^## ❌ driftscan: 1 of 2 rules failed\n/);
});

test('property: any text keeps every table row at its column count with specials escaped', () => {
  const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 });
  fc.assert(
    fc.property(anyText, anyText, anyText, (id, title, data) => {
      const md = renderReport(
        report([
          result({ ruleId: id, title, expected: data, actual: data, message: data, status: 'fail', location: { file: data, line: 1 } }),
          result({ ruleId: 'p', title, actual: data, status: 'pass' }),
        ], { notices: [data], sources: [title] }),
        'markdown',
      );
      const rows = md.split('\n').filter((l) => l.startsWith('|'));
      assert.equal(rows.length, 6);
      assert.deepEqual(rows.map((r) => cells(r).length), [6, 6, 6, 4, 4, 4]);
      assert.deepEqual(unescapedSpecials(md), []);
    }),
    { numRuns: 200 },
  );
});
