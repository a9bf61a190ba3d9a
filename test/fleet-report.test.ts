/**
 * `driftscan report` through the CLI. The done-when: two scans a week apart, with drift
 * changed in between, recorded by `driftscan scan` against the ARM emulator — the report lists the
 * newly drifted and fixed machines exactly (the oracle is the fleet model's own set difference,
 * test/support/fleet-fixtures.ts, not a query) and its HTML renders in Chromium with its charts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ArmEmulator, SPECS_RELATIVE } from './support/arm-emulator/server.js';
import { needShared, repoRoot } from './support/paths.js';
import { TOKEN } from './support/azure-fixtures.js';
import { runCli, runCliAsync } from './support/cli.js';
import { Fleet, subscriptionIds, type FleetSpec } from './support/fleet-fixtures.js';
import { chromiumSkip, launch, openReport, shownMachines } from './support/browser.js';
import { loadBaselines } from '../src/baseline/load.js';

const skip = needShared(SPECS_RELATIVE);
const baselines = loadBaselines([join(repoRoot, 'policies')]);
const SUBS = subscriptionIds(3);
const WEEK_MS = 7 * 86_400_000;
const fromSources = import.meta.url.endsWith('.ts');
const shiftedClock = pathToFileURL(join(repoRoot, fromSources ? 'test' : 'dist/test', 'support', fromSources ? 'shifted-clock.ts' : 'shifted-clock.js')).href;

function spec(extra: Partial<FleetSpec> = {}): FleetSpec {
  return {
    machines: 240,
    subscriptions: SUBS,
    baselines: baselines.map((b) => ({ name: b.metadata.name, rules: b.rules.map((r) => r.id), waived: b.waivers.map((w) => w.rule) })),
    nonCompliantPerMille: 300,
    ...extra,
  };
}

interface ReportJson {
  previous: { scanId: number; startedAt: string } | null;
  latest: { scanId: number; startedAt: string };
  totals: { newlyDrifted: number; fixed: number; stillDrifting: number };
  rules: Array<{ baseline: string; ruleId: string; newlyDrifted: number; fixed: number; stillDrifting: number; maxAgeDays: number | null }>;
  changes: Array<{ scanId: number; newlyDrifted: number; fixed: number }>;
  compliance: Array<{ scanId: number; compliant: number; nonCompliant: number }>;
  newlyDrifted: { total: number; rows: Row[] };
  fixed: { total: number; rows: Row[] };
  stillDrifting: { total: number; rows: Row[] };
}
interface Row { machineId: string; baseline: string; ruleId: string; expected: string; reason: string; firstSeen: string; ageDays: number }

const keys = (rows: readonly Row[]) => rows.map((r) => `${r.machineId}|${r.baseline}|${r.ruleId}`).sort();
const sorted = (s: Set<string>) => [...s].sort();

async function scanFleet(fleet: Fleet, history: string, clockShiftMs: number): Promise<void> {
  const emulator = await ArmEmulator.start({
    state: { subscriptions: SUBS.map((s, i) => ({ subscriptionId: s, displayName: `Fleet ${i + 1}` })) },
    generatedTables: fleet.tables(),
  });
  try {
    const env = {
      DRIFTSCAN_ARM_ENDPOINT: emulator.endpoint, DRIFTSCAN_ARM_TOKEN: TOKEN, NODE_EXTRA_CA_CERTS: emulator.caPath!,
      DRIFTSCAN_TEST_CLOCK_SHIFT_MS: String(clockShiftMs),
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${shiftedClock}`.trim(),
    };
    const r = await runCliAsync(['scan', 'policies', '--all-subscriptions', '--history', history, '--format', 'json', '--quiet'], { env, timeoutMs: 150_000 });
    assert.equal(r.status, 1, r.stderr);
  } finally {
    await emulator.close();
  }
}

test('report: two scans a week apart with drift changed in between list newly drifted, fixed and still drifting exactly; every format agrees; the HTML renders in Chromium with its charts', { skip, timeout: 300_000 }, async () => {
  const before = new Fleet(spec());
  // A week later: fewer machines non-compliant (some fixed outright), and for a third of the pairs
  // the failing rules picked again (fixed and newly drifted on the same machines).
  const after = new Fleet(spec({ nonCompliantPerMille: 250, redrift: { seed: 7, perMille: 330 } }));
  const all = new Set(SUBS.map((s) => s.toLowerCase()));
  const a = before.unwaivedFindings(all);
  const b = after.unwaivedFindings(all);
  const newly = new Set([...b].filter((k) => !a.has(k)));
  const fixed = new Set([...a].filter((k) => !b.has(k)));
  const still = new Set([...b].filter((k) => a.has(k)));
  assert.ok(newly.size > 10 && fixed.size > 10 && still.size > 10, `the fleets differ both ways (${newly.size} new, ${fixed.size} fixed, ${still.size} still)`);

  const dir = mkdtempSync(join(tmpdir(), 'driftscan-report-'));
  try {
    const history = join(dir, 'history.duckdb');
    await scanFleet(before, history, -WEEK_MS);
    await scanFleet(after, history, 0);

    const r = runCli(['report', '--history', history, '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as ReportJson;
    assert.deepEqual([report.previous?.scanId, report.latest.scanId], [1, 2]);
    const days = (Date.parse(report.latest.startedAt) - Date.parse(report.previous!.startedAt)) / 86_400_000;
    assert.ok(days > 6.99 && days < 7.01, `the scans are a week apart (${days} days)`);
    assert.deepEqual(keys(report.newlyDrifted.rows), sorted(newly));
    assert.deepEqual(keys(report.fixed.rows), sorted(fixed));
    assert.deepEqual(keys(report.stillDrifting.rows), sorted(still));
    assert.deepEqual(report.totals, { newlyDrifted: newly.size, fixed: fixed.size, stillDrifting: still.size });
    // Still drifting since the first scan: a week old; newly drifted: first seen now.
    assert.ok(report.stillDrifting.rows.every((f) => f.ageDays === 7 && f.firstSeen === report.previous!.startedAt));
    assert.ok(report.newlyDrifted.rows.every((f) => f.ageDays === 0 && f.firstSeen === report.latest.startedAt));
    // Expected and reason per machine: the rule's expected state, the phrase the machine reported.
    assert.ok([...report.newlyDrifted.rows, ...report.fixed.rows].every((f) => f.expected.length > 0 && /^expected \d+, found /.test(f.reason)), 'expected/reason per machine');
    // Per rule, the counts add up to the lists.
    const sum = (k: 'newlyDrifted' | 'fixed' | 'stillDrifting') => report.rules.reduce((n, x) => n + x[k], 0);
    assert.deepEqual([sum('newlyDrifted'), sum('fixed'), sum('stillDrifting')], [newly.size, fixed.size, still.size]);
    assert.deepEqual(report.changes.map((c) => [c.scanId, c.newlyDrifted, c.fixed]), [[2, newly.size, fixed.size]]);

    // CSV, read back by DuckDB's CSV reader (an independent parser): the same rows.
    const csvFile = join(dir, 'report.csv');
    assert.equal(runCli(['report', '--history', history, '--format', 'csv', '-o', csvFile]).status, 0);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const csvRows = (await db.runAndReadAll(`SELECT change, machine_id || '|' || baseline || '|' || rule_id AS k FROM read_csv('${csvFile}', header = true, all_varchar = true) ORDER BY k`)).getRowObjects();
    db.closeSync();
    for (const [change, set] of [['newly-drifted', newly], ['fixed', fixed], ['still-drifting', still]] as const) {
      assert.deepEqual(csvRows.filter((x) => x.change === change).map((x) => x.k), sorted(set), `csv ${change}`);
    }

    // Markdown (step summary): the headings carry the exact totals; the lists are cut at 100 rows.
    const md = runCli(['report', '--history', history, '--format', 'markdown']);
    assert.equal(md.status, 0, md.stderr);
    assert.match(md.stdout, new RegExp(`^## Newly drifted \\(${newly.size}\\)$`, 'm'));
    assert.match(md.stdout, new RegExp(`^## Fixed \\(${fixed.size}\\)$`, 'm'));
    assert.match(md.stdout, new RegExp(`^## Still drifting \\(${still.size}\\)$`, 'm'));

    const htmlFile = join(dir, 'report.html');
    const h = runCli(['report', '--history', history, '--format', 'html', '-o', htmlFile]);
    assert.equal(h.status, 0, h.stderr);
    const html = readFileSync(htmlFile, 'utf8');
    for (const id of [...newly, ...fixed].map((k) => k.split('|')[0]!)) assert.ok(html.includes(`title="${id}"`), `${id} listed in the HTML`);
    if (chromiumSkip) {
      process.stdout.write(`# SKIPPED browser check: ${chromiumSkip}\n`);
      return;
    }
    const browser = await launch();
    try {
      const view = await openReport(browser, htmlFile, 1280);
      assert.deepEqual(view.consoleErrors, []);
      assert.deepEqual(view.requests, [pathToFileURL(htmlFile).href]);
      for (const id of ['chart-compliance', 'chart-rules', 'chart-subscriptions', 'chart-changes']) assert.ok(view.charts[id]?.visible && view.charts[id]!.marks > 0, `${id} drawn: ${JSON.stringify(view.charts[id])}`);
      assert.equal(view.cards['Newly drifted'], String(newly.size));
      assert.equal(view.cards.Fixed, String(fixed.size));
      assert.equal(view.cards['Still drifting'], String(still.size));
      const shown = (id: string) => shownMachines(view.page, id);
      assert.deepEqual((await shown('list-newly-drifted')).sort(), [...newly].map((k) => k.split('|')[0]!).sort());
      assert.deepEqual((await shown('list-fixed')).sort(), [...fixed].map((k) => k.split('|')[0]!).sort());
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
