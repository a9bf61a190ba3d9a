/**
 * The history store (docs/history.md): migrations, one transaction per scan (a SIGKILLed writer
 * leaves the store as it was), Waived totals, first_seen carried over only across unbroken drift.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { HistoryStore, type FindingRecord } from '../src/fleet/history/store.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/fleet/history/schema.js';
import { compareScans, complianceOverTime, findingsOverTime } from '../src/fleet/history/trends.js';

const SUB = '00000000-0000-0000-0000-00000000000a';

function finding(machine: string, rule: string, waived = false): FindingRecord {
  return { machineId: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/${machine}`, subscriptionId: SUB, baseline: 'b1', ruleId: rule, severity: 'high', expected: 'x', reason: 'expected 1, found 0', waived };
}

async function scan(store: HistoryStore, at: string, findings: FindingRecord[], totals: Array<[string, number]>, status: 'ok' | 'forbidden' = 'ok'): Promise<void> {
  const w = await store.beginScan(new Date(at), ['b1']);
  await w.addScopes([{ scopeId: SUB, kind: 'subscription', status, ...(status === 'ok' ? {} : { error: '403' }) }]);
  await w.addTotals(totals.map(([c, n]) => ({ subscriptionId: SUB, baseline: 'b1', compliance: c as 'Compliant', machines: n })));
  for (const f of findings) await w.appendFinding(f);
  await w.commit({ finishedAt: new Date(at), complete: status === 'ok', requests: 2 });
}

test('history store: a store written at schema version 2 keeps every finding, word for word, through migration 3 (findings split into finding_rows + scan_rules behind a view)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-history-v2-'));
  try {
    const path = join(dir, 'history.duckdb');
    // Built as driftscan at schema version 2 built it: migrations 1 and 2 only, findings in the table.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(path);
    const c = await instance.connect();
    const { SCHEMA_TABLE } = await import('../src/fleet/history/schema.js');
    await c.run(SCHEMA_TABLE);
    for (const m of MIGRATIONS.filter((x) => x.version <= 2)) {
      for (const sql of m.statements) await c.run(sql);
      await c.run('INSERT INTO driftscan_schema VALUES ($1, $2, now(), $3)', [m.version, m.summary, '0.1.0']);
    }
    await c.run(`INSERT INTO scans VALUES (1, TIMESTAMPTZ '2026-01-05 00:00:00+00', TIMESTAMPTZ '2026-01-05 00:10:00+00', true, 1, '0.1.0', ['b1', 'b2'], 6, 2, 3, 4)`);
    await c.run(`INSERT INTO scan_scopes VALUES (1, '${SUB}', 'subscription', NULL, 'ok', NULL)`);
    await c.run(`INSERT INTO findings VALUES
      (1, '/subscriptions/${SUB}/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1', '${SUB}', 'b1', 'r1', 'high', 'HKLM\\SOFTWARE\\X → V: DWORD 1', 'expected 1, found 0', false, NULL, TIMESTAMPTZ '2026-01-05 00:00:00+00'),
      (1, '/subscriptions/${SUB}/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm2', '${SUB}', 'b1', 'r1', 'high', 'HKLM\\SOFTWARE\\X → V: DWORD 1', 'expected 1, found 2', false, NULL, TIMESTAMPTZ '2026-01-05 00:00:00+00'),
      (1, '/subscriptions/${SUB}/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm2', '${SUB}', 'b2', 'r1', 'low', 'another rule with the same id', 'found nothing', true, 'change window', TIMESTAMPTZ '2025-12-29 00:00:00+00'),
      (1, '/subscriptions/${SUB}/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm3', '${SUB}', 'b2', 'gone', 'unknown', '(rule gone is not in the loaded baselines)', '', false, NULL, TIMESTAMPTZ '2026-01-05 00:00:00+00')`);
    const before = (await c.runAndReadAll('SELECT * FROM findings ORDER BY ALL')).getRowObjectsJson();
    c.closeSync();
    instance.closeSync();

    const store = await HistoryStore.open(path);
    try {
      assert.equal(await store.schemaVersion(), 3);
      const after = (await store.connection.runAndReadAll('SELECT * FROM findings ORDER BY ALL')).getRowObjectsJson();
      assert.deepEqual(after, before);
      assert.deepEqual(await store.query('SELECT scan_id, baseline, rule_id, severity FROM scan_rules ORDER BY ALL'), [
        { scan_id: 1, baseline: 'b1', rule_id: 'r1', severity: 'high' },
        { scan_id: 1, baseline: 'b2', rule_id: 'gone', severity: 'unknown' },
        { scan_id: 1, baseline: 'b2', rule_id: 'r1', severity: 'low' },
      ]);
      // Each machine once, under its own key.
      assert.deepEqual(await store.query('SELECT count(*) AS n, count(DISTINCT machine_id) AS ids, count(DISTINCT machine_key) AS keys FROM machines'), [{ n: 3, ids: 3, keys: 3 }]);
      // A scan written after the migration joins the same view, its rules stored once, its one new machine added.
      await scan(store, '2026-01-12T00:00:00Z', [finding('vm1', 'r1'), finding('vm2', 'r1'), finding('vm4', 'r2')], [['NonCompliant', 3]]);
      assert.deepEqual(await store.query('SELECT rule_id, count(*) AS n FROM scan_rules WHERE scan_id = 2 GROUP BY rule_id ORDER BY rule_id'), [{ rule_id: 'r1', n: 1 }, { rule_id: 'r2', n: 1 }]);
      assert.deepEqual(await store.query('SELECT count(*) AS n, count(DISTINCT machine_id) AS ids FROM machines'), [{ n: 4, ids: 4 }]);
      assert.deepEqual(await store.query(`SELECT right(machine_id, 3) AS vm, severity, expected, strftime(first_seen AT TIME ZONE 'UTC', '%Y-%m-%d') AS d FROM findings WHERE scan_id = 2 ORDER BY machine_id`), [
        { vm: 'vm1', severity: 'high', expected: 'x', d: '2026-01-05' },
        { vm: 'vm2', severity: 'high', expected: 'x', d: '2026-01-05' },
        { vm: 'vm4', severity: 'high', expected: 'x', d: '2026-01-12' },
      ]);
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('history store: migrations recorded, scans listed, waived-only machines counted Waived, first_seen kept across unbroken drift only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-history-'));
  try {
    const path = join(dir, 'nested', 'history.duckdb');
    let store = await HistoryStore.open(path);
    assert.equal(await store.schemaVersion(), SCHEMA_VERSION);
    await scan(store, '2026-01-05T00:00:00Z', [finding('vm1', 'r1'), finding('vm2', 'r1', true)], [['Compliant', 3], ['NonCompliant', 2]]);
    await scan(store, '2026-01-12T00:00:00Z', [finding('vm1', 'r1')], [['Compliant', 4], ['NonCompliant', 1]]);
    await scan(store, '2026-01-19T00:00:00Z', [], [['Compliant', 5]]);
    await scan(store, '2026-01-26T00:00:00Z', [finding('vm1', 'r1')], [['Compliant', 4], ['NonCompliant', 1]]);
    store.close();
    store = await HistoryStore.open(path); // reopening migrates nothing twice
    const scans = await store.listScans();
    assert.deepEqual(scans.map((s) => [s.scanId, s.startedAt, s.noncompliantMachines, s.findings, s.exitCode]), [
      [1, '2026-01-05T00:00:00Z', 1, 1, 1],
      [2, '2026-01-12T00:00:00Z', 1, 1, 1],
      [3, '2026-01-19T00:00:00Z', 0, 0, 0],
      [4, '2026-01-26T00:00:00Z', 1, 1, 1],
    ]);
    assert.deepEqual(scans[0]!.baselines, ['b1']);
    const totals = await store.query(`SELECT compliance, machines FROM compliance_totals WHERE scan_id = 1 ORDER BY compliance`);
    assert.deepEqual(totals, [{ compliance: 'Compliant', machines: 3 }, { compliance: 'NonCompliant', machines: 1 }, { compliance: 'Waived', machines: 1 }]);
    const seen = await store.query(`SELECT scan_id, strftime(first_seen AT TIME ZONE 'UTC', '%Y-%m-%d') AS d FROM findings WHERE machine_id LIKE '%vm1' ORDER BY scan_id`);
    assert.deepEqual(seen, [{ scan_id: 1, d: '2026-01-05' }, { scan_id: 2, d: '2026-01-05' }, { scan_id: 4, d: '2026-01-26' }]);
    assert.deepEqual(await store.query('SELECT version FROM driftscan_schema ORDER BY version'), MIGRATIONS.map((m) => ({ version: m.version })));
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('history store: a scan killed (SIGKILL) before commit leaves the store as it was', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-history-kill-'));
  try {
    const path = join(dir, 'history.duckdb');
    const store = await HistoryStore.open(path);
    await scan(store, '2026-01-05T00:00:00Z', [finding('vm1', 'r1')], [['NonCompliant', 1]]);
    store.close();
    const script = join(dir, 'writer.mjs');
    writeFileSync(script, `
      const { HistoryStore } = await import(${JSON.stringify(new URL('../src/fleet/history/store.js', import.meta.url).href)});
      const s = await HistoryStore.open(${JSON.stringify(path)});
      const w = await s.beginScan(new Date(), ['b1']);
      await w.addScopes([{ scopeId: 'x', kind: 'subscription', status: 'ok' }]);
      await w.addTotals([{ subscriptionId: 'x', baseline: 'b1', compliance: 'NonCompliant', machines: 50000 }]);
      for (let i = 0; i < 50000; i++) await w.appendFinding({ machineId: 'm' + i, subscriptionId: 'x', baseline: 'b1', ruleId: 'r', severity: 'high', expected: 'e', reason: 'r', waived: false });
      await s.connection.run('CHECKPOINT').catch(() => {});
      console.log('ready');
      setInterval(() => {}, 1000);
    `);
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', () => resolve());
      child.once('exit', (code) => reject(new Error(`writer exited ${code}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // The killed scan's findings were staged beside the store, never in it.
    assert.ok(existsSync(`${path}.staging`), 'the killed scan left its staging folder');
    const after = await HistoryStore.open(path);
    assert.deepEqual((await after.listScans()).map((s) => s.scanId), [1]);
    assert.deepEqual(await after.query('SELECT count(*) AS n FROM findings'), [{ n: 1 }]);
    assert.deepEqual(await after.query('SELECT count(*) AS n FROM compliance_totals'), [{ n: 1 }]);
    // The next scan clears the stale staging folder, records itself, and leaves no folder behind.
    await scan(after, '2026-01-12T00:00:00Z', [finding('vm1', 'r1')], [['NonCompliant', 1]]);
    assert.ok(!existsSync(`${path}.staging`), 'the staging folder is gone after a commit');
    assert.deepEqual((await after.listScans()).map((s) => s.scanId), [1, 2]);
    assert.deepEqual(await after.query(`SELECT strftime(first_seen AT TIME ZONE 'UTC', '%Y-%m-%d') AS d FROM findings WHERE scan_id = 2`), [{ d: '2026-01-05' }]);
    after.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('history store: a file that is not a DuckDB database is refused with one line naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-history-bad-'));
  try {
    const path = join(dir, 'history.duckdb');
    writeFileSync(path, 'not a database\n'.repeat(100));
    await assert.rejects(HistoryStore.open(path), (err: Error) => err.message.startsWith(`${path}: cannot open the history store: `) && !err.message.includes('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('trends: newly drifted, fixed and still drifting (with age) per rule; a subscription not read is not "fixed"; series per baseline, subscription and rule', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-trends-'));
  try {
    const store = await HistoryStore.open(join(dir, 'h.duckdb'));
    await scan(store, '2026-03-02T00:00:00Z', [finding('vm1', 'r1'), finding('vm2', 'r1'), finding('vm4', 'r2')], [['NonCompliant', 3], ['Compliant', 1]]);
    await scan(store, '2026-03-09T00:00:00Z', [finding('vm1', 'r1'), finding('vm3', 'r1'), finding('vm4', 'r2')], [['NonCompliant', 3], ['Compliant', 1]]);
    await scan(store, '2026-03-16T00:00:00Z', [], [], 'forbidden');
    assert.deepEqual(await compareScans(store, 1, 2), [
      { baseline: 'b1', ruleId: 'r1', severity: 'high', newlyDrifted: 1, fixed: 1, stillDrifting: 1, oldestFirstSeen: '2026-03-02T00:00:00Z', maxAgeDays: 7 },
      { baseline: 'b1', ruleId: 'r2', severity: 'high', newlyDrifted: 0, fixed: 0, stillDrifting: 1, oldestFirstSeen: '2026-03-02T00:00:00Z', maxAgeDays: 7 },
    ]);
    // Scan 3 could not read the subscription: its absent findings are not fixes.
    assert.deepEqual((await compareScans(store, 2, 3)).map((r) => [r.ruleId, r.newlyDrifted, r.fixed, r.stillDrifting]), [['r1', 0, 0, 0], ['r2', 0, 0, 0]]);
    assert.deepEqual((await findingsOverTime(store, 'rule')).map((r) => [r.scanId, r.key, r.findings]), [[1, 'b1/r1', 2], [1, 'b1/r2', 1], [2, 'b1/r1', 2], [2, 'b1/r2', 1]]);
    assert.deepEqual((await findingsOverTime(store, 'subscription')).map((r) => [r.scanId, r.findings]), [[1, 3], [2, 3]]);
    assert.deepEqual((await complianceOverTime(store, 'baseline')).map((r) => [r.scanId, r.compliance, r.machines]), [[1, 'Compliant', 1], [1, 'NonCompliant', 3], [2, 'Compliant', 1], [2, 'NonCompliant', 3]]);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
