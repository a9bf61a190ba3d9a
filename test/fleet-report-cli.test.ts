/**
 * `driftscan report` formats and flags on a store of eight weekly scans written through the
 * store's API (test/support/report-store.ts): --since picks the scan closest to that long before the
 * latest, --limit cuts lists but never totals, CSV guards against formulas (read back by DuckDB's
 * CSV reader), Markdown escapes, a one-scan store, usage errors, and vega loaded only for html.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCli } from './support/cli.js';
import { repoRoot } from './support/paths.js';
import { findingKeys, HOSTILE_REASON, WEEKS, writeReportStore } from './support/report-store.js';
import { FLEET_REPORT_FORMATS } from '../src/fleet-report/index.js';
import { HistoryStore } from '../src/fleet/history/store.js';

const dir = mkdtempSync(join(tmpdir(), 'driftscan-report-cli-'));
const history = join(dir, 'history.duckdb');
const ready = writeReportStore(history);
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

interface Json {
  previous: { scanId: number } | null;
  latest: { scanId: number };
  totals: { newlyDrifted: number; fixed: number; stillDrifting: number };
  compliance: Array<{ scanId: number }>;
  newlyDrifted: { total: number; rows: Array<{ machineId: string; baseline: string; ruleId: string; reason: string }> };
  fixed: { total: number; rows: unknown[] };
  stillDrifting: { total: number; rows: unknown[] };
}

const report = (...args: string[]) => runCli(['report', '--history', history, ...args]);

function diff(a: Set<string>, b: Set<string>) {
  return { newlyDrifted: [...b].filter((k) => !a.has(k)).length, fixed: [...a].filter((k) => !b.has(k)).length, stillDrifting: [...b].filter((k) => a.has(k)).length };
}

test('report --since: compares with the scan closest to that long before the latest (scans start seconds apart week to week)', async () => {
  await ready;
  for (const [since, weeksBack] of [['7d', 1], ['21d', 3], ['20d', 3], ['1h', 1], ['400d', 7]] as const) {
    const r = report('--since', since, '--format', 'json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Json;
    assert.deepEqual([j.previous?.scanId, j.latest.scanId], [WEEKS - weeksBack, WEEKS], since);
    assert.deepEqual(j.totals, diff(findingKeys(WEEKS - 1 - weeksBack), findingKeys(WEEKS - 1)), since);
  }
  // The series cover every scan of the year before the latest; new vs fixed per scan (from
  // first_seen) equal the set differences of consecutive weeks.
  const full = JSON.parse(report('--format', 'json').stdout) as Json & { changes: Array<{ scanId: number; newlyDrifted: number; fixed: number }> };
  assert.deepEqual(full.compliance.map((p) => p.scanId), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(full.changes.map((c) => [c.scanId, c.newlyDrifted, c.fixed]), Array.from({ length: WEEKS - 1 }, (_, i) => {
    const d = diff(findingKeys(i), findingKeys(i + 1));
    return [i + 2, d.newlyDrifted, d.fixed];
  }));
});

test('report --limit cuts the machine lists, never the totals; markdown and table say how many are shown', async () => {
  await ready;
  const all = JSON.parse(report('--format', 'json').stdout) as Json;
  assert.ok(all.newlyDrifted.rows.length === all.newlyDrifted.total && all.newlyDrifted.total > 5, 'json keeps every row by default');
  const cut = JSON.parse(report('--format', 'json', '--limit', '5').stdout) as Json;
  assert.equal(cut.newlyDrifted.rows.length, 5);
  assert.deepEqual(cut.totals, all.totals);
  const md = report('--format', 'markdown', '--limit', '3');
  assert.equal(md.status, 0, md.stderr);
  assert.match(md.stdout, new RegExp(`showing 3 of ${all.newlyDrifted.total}`));
  const table = report('--limit', '0');
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`^NEWLY DRIFTED \\(${all.totals.newlyDrifted}\\)$`, 'm'));
  assert.match(table.stdout, /^scan 8 \(2026-02-23 06:00 UTC\) compared with scan 7 \(2026-02-16 06:00 UTC\)$/m);
});

test('report --format csv: RFC 4180 that DuckDB reads back; a formula reported by a machine is neutralised; markdown escapes it', async () => {
  await ready;
  const file = join(dir, 'out', 'report.csv');
  const r = report('--format', 'csv', '-o', file, '--since', '400d');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const rows = (await db.runAndReadAll(`SELECT change, reason, age_days FROM read_csv('${file}', header = true, all_varchar = true, quote = '"', escape = '"')`)).getRowObjects();
  db.closeSync();
  const j = JSON.parse(report('--format', 'json', '--since', '400d').stdout) as Json;
  assert.equal(rows.length, j.totals.newlyDrifted + j.totals.fixed + j.totals.stillDrifting);
  const hostile = rows.filter((x) => String(x.reason).includes('HYPERLINK'));
  assert.ok(hostile.length > 0, 'the hostile reason is in the report');
  assert.ok(hostile.every((x) => x.reason === `'${HOSTILE_REASON}`), JSON.stringify(hostile[0]));
  const md = report('--format', 'markdown', '--since', '400d', '--limit', 'all').stdout;
  assert.ok(!/(?<!\\)<img/.test(md) && md.includes('\\<img'), 'markdown escapes markup');
});

test('report on a store with one scan: nothing new or fixed, everything still drifting; every format renders', async () => {
  const one = join(dir, 'one.duckdb');
  await writeReportStore(one, 1);
  for (const format of FLEET_REPORT_FORMATS) {
    const r = runCli(['report', '--history', one, '--format', format]);
    assert.equal(r.status, 0, `${format}: ${r.stderr}`);
  }
  const j = JSON.parse(runCli(['report', '--history', one, '--format', 'json']).stdout) as Json;
  assert.equal(j.previous, null);
  assert.deepEqual(j.totals, { newlyDrifted: 0, fixed: 0, stillDrifting: findingKeys(0).size });
});

test('report: usage and input errors exit 2 with one line', async () => {
  await ready;
  const empty = join(dir, 'empty.duckdb');
  (await HistoryStore.open(empty)).close();
  for (const [args, message] of [
    [['--history', join(dir, 'nope.duckdb')], /nope\.duckdb: no history store there/],
    [['--history', empty], /empty\.duckdb: no scans recorded yet/],
    [['--history', history, '--limit', 'ten'], /--limit takes a whole number or "all", not 'ten'/],
    [['--history', history, '--since', '7'], /--since expects a duration/],
    [['--history', history, '--format', 'pdf'], /argument 'pdf' is invalid/],
  ] as const) {
    const r = runCli(['report', ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    // commander adds its '(run with --help for usage)' line to its own errors, as for every command.
    assert.equal(r.stderr.trim().split('\n').filter((l) => l !== '(run with --help for usage)').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  }
});

test('report: the --format choices are the writers\' formats; vega is loaded for html only', async () => {
  await ready;
  const help = runCli(['report', '--help']).stdout.replace(/\s+/g, ' ');
  assert.deepEqual(JSON.parse(`[${/\(choices: (.*?), default:/.exec(help)![1]}]`), [...FLEET_REPORT_FORMATS]);
  const fromSources = import.meta.url.endsWith('.ts');
  const mainModule = pathToFileURL(join(repoRoot, fromSources ? 'src' : 'dist/src', 'cli', fromSources ? 'main.ts' : 'main.js')).href;
  const loaded = (format: string) => {
    const script = `
      import { createRequire } from 'node:module';
      const { main } = await import(${JSON.stringify(mainModule)});
      const code = await main(['report', '--history', ${JSON.stringify(history)}, '--format', ${JSON.stringify(format)}, '-o', ${JSON.stringify(join(dir, `lazy.${format}`))}]);
      const names = Object.keys(createRequire(import.meta.url).cache).map((f) => /[\\\\/]node_modules[\\\\/]([^\\\\/]+)[\\\\/]/.exec(f)?.[1]).filter(Boolean);
      process.stderr.write('\\n' + JSON.stringify({ code, vega: names.filter((n) => n.startsWith('vega')).length }) + '\\n');`;
    const r = spawnSync(process.execPath, [...(fromSources ? ['--import', import.meta.resolve('tsx')] : []), '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
    const last = JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { code: number; vega: number };
    assert.equal(last.code, 0, r.stderr);
    return last.vega;
  };
  assert.equal(loaded('markdown'), 0, 'markdown loads no vega');
  assert.ok(loaded('html') > 0, 'html loads vega');
  assert.match(readFileSync(join(dir, 'lazy.html'), 'utf8'), /^<!doctype html>/);
});

test('report: a subscription the latest scan could not read is named, and its findings are neither fixed nor current', async () => {
  const path = join(dir, 'forbidden.duckdb');
  const store = await HistoryStore.open(path);
  const subs = ['00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000b2'];
  const finding = (sub: string, vm: string) => ({ machineId: `/subscriptions/${sub}/resourcegroups/rg/providers/microsoft.compute/virtualmachines/${vm}`, subscriptionId: sub, baseline: 'b', ruleId: 'r', severity: 'high', expected: 'x', reason: 'expected 1, found 0', waived: false });
  for (const [week, forbidden, findings] of [[0, false, [finding(subs[0]!, 'a'), finding(subs[1]!, 'b')]], [1, true, []]] as const) {
    const w = await store.beginScan(new Date(Date.UTC(2026, 2, 2 + 7 * week)), ['b']);
    await w.addScopes(subs.map((s, i) => ({ scopeId: s, kind: 'subscription' as const, status: forbidden && i === 1 ? 'forbidden' as const : 'ok' as const, ...(forbidden && i === 1 ? { error: '403 AuthorizationFailed' } : {}) })));
    for (const f of findings) await w.appendFinding(f);
    await w.commit({ finishedAt: new Date(), complete: !forbidden, requests: 1 });
  }
  store.close();
  const j = JSON.parse(runCli(['report', '--history', path, '--format', 'json']).stdout) as Json & { unreadInLatest: Array<{ scopeId: string; status: string }>; changes: Array<{ fixed: number }> };
  assert.deepEqual(j.unreadInLatest.map((u) => [u.scopeId, u.status]), [[subs[1], 'forbidden']]);
  assert.deepEqual(j.totals, { newlyDrifted: 0, fixed: 1, stillDrifting: 0 });
  assert.deepEqual(j.changes.map((c) => c.fixed), [1]);
  const md = runCli(['report', '--history', path, '--format', 'markdown']).stdout;
  assert.match(md, new RegExp(`^> \\*\\*Warning:\\*\\* the latest scan could not read ${subs[1]} \\(forbidden\\)`, 'm'));
});
