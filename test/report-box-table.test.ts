import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import tableLibrary from 'table';
import { drawBoxTable, isPrintableAscii } from '../src/report/box-table.js';
import { renderReport } from '../src/report/index.js';
import { report, result } from './support/report-fixtures.js';

/** The oracle: the `table` package with the verdict table's configuration, a rule around every row. */
function packageTable(rows: string[][][], widths: number[]): string {
  const { getBorderCharacters, table } = tableLibrary;
  return table(rows.map((row) => row.map((lines) => lines.join('\n'))), {
    border: getBorderCharacters('norc'),
    columns: widths.map((w) => ({ width: w, wrapWord: true })),
    drawHorizontalLine: () => true,
  }).trimEnd();
}

// Words, runs of spaces and every character the package breaks after, so wrapping is exercised.
const asciiLine = fc.string({ unit: fc.constantFrom('a', 'b', 'Z', '0', ' ', ' ', '-', '/', '\\', '_', '.', ',', ';', ':', '(', '~'), maxLength: 50 });

test('property: printable-ASCII tables are drawn exactly as the table package draws them', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }).chain((columns) =>
        fc.tuple(
          // From 2: at width 1 the package itself fails on "a-" (it breaks after the hyphen, 2 columns).
          fc.array(fc.integer({ min: 2, max: 30 }), { minLength: columns, maxLength: columns }),
          fc.array(fc.array(fc.array(asciiLine, { maxLength: 4 }), { minLength: columns, maxLength: columns }), { minLength: 1, maxLength: 4 }),
        ),
      ),
      ([widths, rows]) => {
        assert.equal(drawBoxTable(rows, widths), packageTable(rows, widths));
      },
    ),
    { numRuns: 400 },
  );
});

test('box table: the verdict table of a plain report matches the package, lines and all', () => {
  const rows = [
    [['Status'], ['Rule'], ['Expected / found']],
    [['FAIL'], ['kerberos-max-token-size', 'policies/rdp-access-denied.yaml:66:7'], ['expected DWORD 65535', 'found no value']],
    [['PASS'], ['termservice-runs-as-network-service'], []],
    [['SKIPPED'], ['x'], ['no SOFTWARE hive given (use --hive SOFTWARE=FILE, --windows-dir or --image)']],
  ];
  const widths = [7, 20, 24];
  const drawn = drawBoxTable(rows, widths);
  assert.equal(drawn, packageTable(rows, widths));
  const lines = drawn.split('\n');
  assert.ok(lines.every((l) => l.length === lines[0]!.length), 'every line as wide as the border');
  assert.match(drawn, /│ termservice-runs-as- │/);
});

test('box table: only printable ASCII qualifies', () => {
  assert.ok(isPrintableAscii(' az~AZ09'));
  assert.ok(isPrintableAscii(''));
  for (const s of ['\t', '\u001b[1m', '\u007f', 'é', '漢', '\u{1f600}', 'a\nb']) assert.ok(!isPrintableAscii(s), JSON.stringify(s));
});

test('table: a report beyond ASCII is still drawn (by the package) with aligned borders', () => {
  const out = renderReport(report([result({ ruleId: 'wide', title: '漢字の規則 は 幅が 二倍', status: 'fail' })]), 'table', { width: 60 });
  const lines = out.split('\n').filter((l) => /^[┌│├└]/.test(l));
  // Every table line is as wide in terminal columns as the border (a wide character counts two).
  const columns = (l: string) => [...l].reduce((n, ch) => n + (/[\u3000-\u9fff]/.test(ch) ? 2 : 1), 0);
  assert.ok(lines.length > 3);
  for (const l of lines) assert.equal(columns(l), columns(lines[0]!), l);
});
