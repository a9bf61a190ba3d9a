/**
 * `driftscan scan` and `driftscan history` against the ARM emulator: the emulator evaluates every
 * Resource Graph query with its KQL evaluator over a generated fleet, and the fleet's ground truth
 * (test/support/fleet-fixtures.ts) is computed from the fleet model without KQL — so a wrong query
 * gives a wrong total here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArmEmulator, SPECS_RELATIVE } from './support/arm-emulator/server.js';
import { needShared, repoRoot } from './support/paths.js';
import { TOKEN } from './support/azure-fixtures.js';
import { runCliAsync } from './support/cli.js';
import { Fleet, subscriptionIds, type FleetSpec } from './support/fleet-fixtures.js';
import { loadBaselines } from '../src/baseline/load.js';
import { ruleKind } from '../src/rules/index.js';

const skip = needShared(SPECS_RELATIVE);
const baselines = loadBaselines([join(repoRoot, 'policies')]);
const SUBS = subscriptionIds(4);
const FORBIDDEN = SUBS[2]!;

function spec(machines: number, extra: Partial<FleetSpec> = {}): FleetSpec {
  return {
    machines,
    subscriptions: SUBS,
    baselines: baselines.map((b) => ({ name: b.metadata.name, rules: b.rules.map((r) => r.id), waived: b.waivers.map((w) => w.rule) })),
    nonCompliantPerMille: 300,
    ...extra,
  };
}

async function start(fleet: Fleet, options: Partial<Parameters<typeof ArmEmulator.start>[0]> = {}): Promise<ArmEmulator> {
  return ArmEmulator.start({
    state: { subscriptions: SUBS.map((s, i) => ({ subscriptionId: s, displayName: `Fleet ${i + 1}` })) },
    generatedTables: fleet.tables(),
    ...options,
  });
}

function env(emulator: ArmEmulator) {
  return { DRIFTSCAN_ARM_ENDPOINT: emulator.endpoint, DRIFTSCAN_ARM_TOKEN: TOKEN, NODE_EXTRA_CA_CERTS: emulator.caPath! };
}

/** One CSV line (RFC 4180: quoted cells with doubled quotes; the fleet's cells hold no line breaks). */
function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  for (let i = 0; i <= line.length; ) {
    if (line[i] === '"') {
      let cell = '';
      for (i += 1; ; ) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error(`unterminated quote in ${line}`);
        cell += line.slice(i, q);
        if (line[q + 1] === '"') { cell += '"'; i = q + 2; } else { i = q + 1; break; }
      }
      cells.push(cell);
      i += 1;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      cells.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return cells;
}

interface ScanJson {
  summary: { complete: boolean; exitCode: number; compliance: Record<string, number>; findings: number; waivedFindings: number };
  scopes: Array<{ id: string; status: string; error: string | null }>;
  totals: Array<{ subscriptionId: string; baseline: string; compliance: string; machines: number }>;
  findings: Array<{ machineId: string; subscriptionId: string; baseline: string; ruleId: string; severity: string; expected: string; reason: string; firstSeen: string; waived: boolean; waiverReason?: string }>;
}

test('scan: with throttling and a forbidden subscription, totals equal the ground truth of every reachable subscription, the forbidden one is listed, exit 3', { skip, timeout: 180_000 }, async () => {
  const exempted = `/subscriptions/${SUBS[0]}/resourceGroups/rg-3`;
  const fleet = new Fleet(spec(600, {
    exemptions: [
      { scope: exempted, baseline: 'rdp-access-denied' },
      { scope: `/subscriptions/${SUBS[1]}`, baseline: 'rdp-hardening', expired: true },
    ],
  }));
  // 4 queries per 2 s: the scan must wait for the refill instead of drawing 429s.
  const emulator = await start(fleet, { graphQuota: { queries: 4, windowMs: 2000 } });
  emulator.faults.forbidSubscription(FORBIDDEN);
  // And throttling the quota headers did not foresee (another client of the same identity spent
  // the quota): two Resource Graph answers are 429 with Retry-After and the quota headers; the
  // scan sits them out and its totals stay exact.
  emulator.faults.add({ path: 'Microsoft.ResourceGraph/resources', times: 2, status: 429, code: 'RateLimiting', retryAfter: 1, headers: { 'x-ms-user-quota-remaining': '0', 'x-ms-user-quota-resets-after': '00:00:01' } });
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-scan-'));
  try {
    const history = join(dir, 'history.duckdb');
    const r = await runCliAsync(['scan', 'policies', '--subscription', ...SUBS.flatMap((s, i) => (i ? ['--subscription', s] : [s])), '--history', history, '--format', 'json', '--batch-size', '2', '--page-size', '100'], { env: env(emulator), timeoutMs: 150_000 });
    assert.equal(r.status, 3, r.stderr);
    const out = JSON.parse(r.stdout) as ScanJson;
    const reachable = new Set(SUBS.filter((s) => s !== FORBIDDEN).map((s) => s.toLowerCase()));
    const truth = fleet.truth(reachable);

    const got = new Map(out.totals.map((t) => [`${t.subscriptionId}|${t.baseline}|${t.compliance}`, t.machines]));
    assert.deepEqual(Object.fromEntries([...got].sort()), Object.fromEntries([...truth.totals].sort()));
    assert.equal(out.summary.findings, truth.findings);
    assert.equal(out.summary.waivedFindings, truth.waivedFindings);
    assert.equal(out.findings.length, truth.findings + truth.waivedFindings);
    assert.ok(truth.totals.get(`${SUBS[0]!.toLowerCase()}|rdp-hardening|Missing`)! > 0 && truth.totals.get(`${SUBS[0]!.toLowerCase()}|rdp-hardening|Pending`)! > 0, 'the fleet has missing and pending assignments');
    assert.ok(truth.waivedFindings > 0 && [...truth.totals.keys()].some((k) => k.endsWith('|Waived')), 'the fleet has waived findings and waived-only machines');
    assert.ok(out.findings.some((f) => f.waiverReason === 'Azure Policy exemption exempt-0 (Waiver)'), 'an exemption waived findings');
    assert.ok(!out.findings.some((f) => f.waiverReason?.includes('exempt-1')), 'an expired exemption waives nothing');

    assert.equal(out.summary.complete, false);
    const forbidden = out.scopes.find((s) => s.id === FORBIDDEN.toLowerCase());
    assert.equal(forbidden?.status, 'forbidden');
    assert.match(forbidden!.error!, /403 AuthorizationFailed/);
    assert.deepEqual(out.scopes.filter((s) => s.status === 'ok').map((s) => s.id).sort(), [...reachable].sort());
    assert.ok(!out.totals.some((t) => t.subscriptionId === FORBIDDEN.toLowerCase()));
    assert.match(r.stderr, new RegExp(`^driftscan: subscription ${FORBIDDEN} not scanned \\(forbidden\\): .*403 AuthorizationFailed`, 'm'));
    assert.doesNotMatch(r.stderr, /Warning/);

    // Every finding maps back to its rule: severity, expected text (as check describes it), waiver.
    const rules = new Map(baselines.flatMap((b) => b.rules.map((rule) => [`${b.metadata.name}|${rule.id}`, { rule, waived: b.waivers.some((w) => w.rule === rule.id) }])));
    for (const f of out.findings) {
      const known = rules.get(`${f.baseline}|${f.ruleId}`);
      assert.ok(known, `${f.baseline}/${f.ruleId} is a baseline rule`);
      assert.equal(f.severity, known.rule.severity);
      assert.equal(f.expected, ruleKind(known.rule.kind)!.describe(known.rule.check));
      const exempt = f.baseline === 'rdp-access-denied' && f.machineId.startsWith(`${exempted.toLowerCase()}/`);
      assert.equal(f.waived, known.waived || exempt, `${f.machineId} ${f.ruleId}`);
      if (exempt && !known.waived) assert.equal(f.waiverReason, 'Azure Policy exemption exempt-0 (Waiver)');
      assert.match(f.reason, /^expected \d+, found /);
      assert.match(f.firstSeen, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }

    // The two injected 429s were answered and retried after their Retry-After; otherwise the quota
    // headers were honoured: the scan drew no 429 of its own (graphThrottled counts the emulator's
    // quota refusals), though the quota was short enough that waits happened.
    const throttled = emulator.requests.filter((e) => /ResourceGraph/i.test(e.path) && e.status === 429);
    assert.equal(throttled.length, 2);
    assert.equal(emulator.graphThrottled, 0);
    assert.match(r.stderr, /quota waits/);
    assert.deepEqual(emulator.invalidResponses, []);
    // Uniform scale sets and Arc machines are counted (the fleet's every 40th / 10th machine).
    assert.ok(out.findings.some((f) => /virtualmachinescalesets/.test(f.machineId)) && out.findings.some((f) => /hybridcompute\/machines/.test(f.machineId)));
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scan: exemptions of initiative assignments waive the driftscan members of the set (all, or those their reference ids name); Flexible scale sets count through their VMs', { skip, timeout: 180_000 }, async () => {
  const initiative = { name: 'corp-security', members: [{ referenceId: 'RDP-Hardening', baseline: 'rdp-hardening' }, { referenceId: 'rdp-access-denied', baseline: 'rdp-access-denied' }, { referenceId: 'tags' }] };
  const fleet = new Fleet(spec(400, {
    initiatives: [initiative],
    exemptions: [
      { scope: `/subscriptions/${SUBS[0]}/resourceGroups/rg-2`, initiative: 'corp-security' }, // every member
      { scope: `/subscriptions/${SUBS[1]}`, initiative: 'corp-security', referenceIds: ['rdp-hardening'] }, // one member (reference ids ignore case)
      { scope: `/subscriptions/${SUBS[2]}`, initiative: 'corp-security', referenceIds: ['tags'] }, // not driftscan's member: nothing
      { scope: `/subscriptions/${SUBS[3]}/resourceGroups/rg-4`, initiative: 'corp-security', expired: true }, // expired: nothing
    ],
  }));
  const emulator = await start(fleet);
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-scan-initiative-'));
  try {
    const r = await runCliAsync(['scan', 'policies', '--all-subscriptions', '--history', join(dir, 'h.duckdb'), '--format', 'json', '--quiet'], { env: env(emulator), timeoutMs: 150_000 });
    assert.equal(r.status, 1, r.stderr);
    const out = JSON.parse(r.stdout) as ScanJson;
    const all = new Set(SUBS.map((s) => s.toLowerCase()));
    const truth = fleet.truth(all);
    const got = new Map(out.totals.map((t) => [`${t.subscriptionId}|${t.baseline}|${t.compliance}`, t.machines]));
    assert.deepEqual(Object.fromEntries([...got].sort()), Object.fromEntries([...truth.totals].sort()));
    assert.equal(out.summary.findings, truth.findings);
    assert.equal(out.summary.waivedFindings, truth.waivedFindings);
    assert.deepEqual(new Set(out.findings.filter((f) => !f.waived).map((f) => `${f.machineId}|${f.baseline}|${f.ruleId}`)), fleet.unwaivedFindings(all));

    // Which exemption waived what, machine by machine (independent of the model's own rule).
    const reason = (k: number) => `Azure Policy exemption exempt-${k} (Waiver)`;
    const byExemption = (k: number) => out.findings.filter((f) => f.waiverReason === reason(k));
    const under = (scope: string) => (f: { machineId: string }) => f.machineId.startsWith(`${scope.toLowerCase()}/`);
    assert.deepEqual(new Set(byExemption(0).map((f) => f.baseline)), new Set(['rdp-hardening', 'rdp-access-denied']), 'an exemption without reference ids covers every driftscan member');
    assert.ok(byExemption(0).every(under(`/subscriptions/${SUBS[0]}/resourceGroups/rg-2`)));
    assert.deepEqual(new Set(byExemption(1).map((f) => f.baseline)), new Set(['rdp-hardening']), 'reference ids narrow the exemption to their members');
    assert.ok(byExemption(1).every(under(`/subscriptions/${SUBS[1]}`)));
    assert.ok(out.findings.some((f) => under(`/subscriptions/${SUBS[1]}`)(f) && f.baseline === 'rdp-access-denied' && !f.waived), 'the member the reference ids leave out still drifts');
    assert.equal(byExemption(2).length, 0, 'an exemption of a non-driftscan member waives nothing');
    assert.equal(byExemption(3).length, 0, 'an expired exemption waives nothing');
    assert.ok(out.findings.some((f) => under(`/subscriptions/${SUBS[3]}/resourceGroups/rg-4`)(f) && !f.waived));

    // Flexible scale sets: never a machine of their own (no Missing forever); their instance VMs are
    // counted and reported. Machines per subscription = the model's Windows VMs, Uniform sets and Arc servers.
    const flexible = new Set(Array.from({ length: 400 }, (_, i) => i).filter((i) => fleet.kind(i) === 'flex').map((i) => fleet.machineId(i).toLowerCase()));
    assert.ok(!out.findings.some((f) => flexible.has(f.machineId)));
    const instances = new Set(Array.from({ length: 400 }, (_, i) => i).filter((i) => fleet.scaleSetOf(i) !== undefined).map((i) => fleet.machineId(i).toLowerCase()));
    assert.ok(out.findings.some((f) => instances.has(f.machineId)), 'instances of Flexible sets report findings');
    assert.ok(out.findings.some((f) => /virtualmachinescalesets/.test(f.machineId)), 'Uniform sets report findings');
    for (const sub of all) {
      const expected = Array.from({ length: 400 }, (_, i) => i).filter((i) => fleet.subscription(i).toLowerCase() === sub && fleet.windows(i) && fleet.kind(i) !== 'flex').length;
      const counted = out.totals.filter((t) => t.subscriptionId === sub && t.baseline === 'rdp-hardening').reduce((n, t) => n + t.machines, 0);
      assert.equal(counted, expected, `${sub}: machines counted once each`);
    }
    assert.ok(Array.from({ length: 400 }, (_, i) => i).some((i) => fleet.kind(i) === 'flex' && fleet.windows(i)), 'the fleet has Windows Flexible sets');
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scan: a subscription whose queries keep failing is isolated by halving its batch; the others stay exact; history lists both scans and trends compare them', { skip, timeout: 180_000 }, async () => {
  const fleet = new Fleet(spec(300));
  const emulator = await start(fleet);
  const failing = SUBS[1]!;
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-scan-fail-'));
  try {
    const history = join(dir, 'h', 'history.duckdb');
    const first = await runCliAsync(['scan', 'policies', '--all-subscriptions', '--history', history, '--format', 'json', '--quiet'], { env: env(emulator), timeoutMs: 120_000 });
    assert.equal(first.status, 1, first.stderr);
    assert.equal(first.stderr, '', '--quiet prints nothing on stderr');
    // 400 is not retried: the batch fails at once, then its halves, until the subscription stands alone.
    emulator.faults.add({ path: 'Microsoft.ResourceGraph/resources', subscription: failing, status: 400, code: 'BadRequest', message: 'injected failure' });
    const second = await runCliAsync(['scan', 'policies', '--all-subscriptions', '--history', history, '--format', 'json'], { env: env(emulator), timeoutMs: 120_000 });
    assert.equal(second.status, 3, second.stderr);
    const out = JSON.parse(second.stdout) as ScanJson;
    const reachable = new Set(SUBS.filter((s) => s !== failing).map((s) => s.toLowerCase()));
    const truth = fleet.truth(reachable);
    const got = new Map(out.totals.map((t) => [`${t.subscriptionId}|${t.baseline}|${t.compliance}`, t.machines]));
    assert.deepEqual(Object.fromEntries([...got].sort()), Object.fromEntries([...truth.totals].sort()));
    assert.equal(out.findings.length, truth.findings + truth.waivedFindings);
    const bad = out.scopes.find((s) => s.id === failing.toLowerCase());
    assert.equal(bad?.status, 'failed');
    assert.match(bad!.error!, /injected failure/);
    // The second scan's findings were present in the first: first_seen carried over.
    const firstOut = JSON.parse(first.stdout) as ScanJson;
    const firstSeen = new Set(firstOut.findings.map((f) => f.firstSeen));
    assert.equal(firstSeen.size, 1);
    assert.ok(out.findings.every((f) => firstSeen.has(f.firstSeen)), 'unbroken drift keeps its first_seen');

    const list = await runCliAsync(['history', '--history', history, '--format', 'json']);
    assert.equal(list.status, 0, list.stderr);
    const scans = (JSON.parse(list.stdout) as { scans: Array<{ scanId: number; complete: boolean; exitCode: number }> }).scans;
    assert.deepEqual(scans.map((s) => [s.scanId, s.complete, s.exitCode]), [[1, true, 1], [2, false, 3]]);
    const table = await runCliAsync(['history', '--history', history]);
    assert.match(table.stdout, /^SCAN\s+STARTED\s+COMPLETE/);

    const trends = await runCliAsync(['history', '--history', history, '--trends', '--format', 'json']);
    assert.equal(trends.status, 0, trends.stderr);
    const t = JSON.parse(trends.stdout) as { rules: Array<{ newlyDrifted: number; fixed: number; stillDrifting: number }> };
    // Nothing changed on the machines: nothing new, nothing fixed (the failed subscription is not "fixed").
    assert.equal(t.rules.reduce((a, r) => a + r.newlyDrifted + r.fixed, 0), 0);
    assert.equal(t.rules.reduce((a, r) => a + r.stillDrifting, 0), truth.findings);

    const exportDir = join(dir, 'parquet');
    const exp = await runCliAsync(['history', '--history', history, '--export', 'parquet', exportDir]);
    assert.equal(exp.status, 0, exp.stderr);
    for (const f of ['scans', 'scan_scopes', 'compliance_totals', 'findings', 'driftscan_schema']) assert.ok(existsSync(join(exportDir, `${f}.parquet`)), f);
    // An independent reader (DuckDB's Parquet scanner on a fresh in-memory database) sees the rows.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const n = await db.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${join(exportDir, 'findings.parquet')}') WHERE scan_id = 2`);
    assert.equal(Number(n.getRowObjects()[0]!.n), out.findings.length);
    db.closeSync();
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scan: a page too large for Resource Graph is asked again with half the $top; --management-group finds its subscriptions', { skip, timeout: 120_000 }, async () => {
  const fleet = new Fleet(spec(200, { managementGroup: 'corp' }));
  const emulator = await start(fleet, { graphMaxPayloadBytes: 40_000 });
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-scan-mg-'));
  try {
    const r = await runCliAsync(['scan', 'policies', '--management-group', 'corp', '--history', join(dir, 'h.duckdb'), '--format', 'json'], { env: env(emulator), timeoutMs: 100_000 });
    assert.equal(r.status, 1, r.stderr);
    const out = JSON.parse(r.stdout) as ScanJson;
    const truth = fleet.truth(new Set(SUBS.map((s) => s.toLowerCase())));
    assert.equal(out.findings.length, truth.findings + truth.waivedFindings);
    assert.match(r.stderr, /asking again with \$top 500/);
    const rejected = emulator.requests.filter((e) => e.status === 400);
    assert.ok(rejected.length > 0, 'some pages were too large');
    assert.ok(out.scopes.some((s) => s.id === 'corp' && s.status === 'ok'));

    // The CSV report (written by DuckDB's CSV writer): a header, one RFC 4180 line per finding, in
    // the JSON report's order, the same cells.
    const csvFile = join(dir, 'scan.csv');
    const c = await runCliAsync(['scan', 'policies', '--management-group', 'corp', '--history', join(dir, 'h.duckdb'), '--format', 'csv', '-o', csvFile, '--quiet'], { env: env(emulator), timeoutMs: 100_000 });
    assert.equal(c.status, 1, c.stderr);
    const lines = readFileSync(csvFile, 'utf8').split('\n');
    assert.equal(lines[0], 'machineId,subscriptionId,baseline,ruleId,severity,expected,reason,firstSeen,waived,waiverReason');
    assert.equal(lines.at(-1), '', 'ends with a line break');
    const rows = lines.slice(1, -1).map(parseCsvLine);
    assert.equal(rows.length, out.findings.length);
    for (const [i, f] of out.findings.entries()) {
      assert.deepEqual(rows[i], [f.machineId, f.subscriptionId, f.baseline, f.ruleId, f.severity, f.expected, f.reason, f.firstSeen, String(f.waived), f.waiverReason ?? '']);
    }
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scan: --management-group takes its subscriptions from the descendants API, so a forbidden one under the group is reported (exit 3), not silently left out', { skip, timeout: 120_000 }, async () => {
  const fleet = new Fleet(spec(200, { managementGroup: 'corp' }));
  const emulator = await start(fleet);
  emulator.faults.forbidSubscription(FORBIDDEN);
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-scan-mg-forbidden-'));
  try {
    const r = await runCliAsync(['scan', 'policies', '--management-group', 'corp', '--history', join(dir, 'h.duckdb'), '--format', 'json'], { env: env(emulator), timeoutMs: 100_000 });
    assert.equal(r.status, 3, r.stderr);
    const out = JSON.parse(r.stdout) as ScanJson;
    const reachable = new Set(SUBS.filter((s) => s !== FORBIDDEN).map((s) => s.toLowerCase()));
    const truth = fleet.truth(reachable);
    const got = new Map(out.totals.map((t) => [`${t.subscriptionId}|${t.baseline}|${t.compliance}`, t.machines]));
    assert.deepEqual(Object.fromEntries([...got].sort()), Object.fromEntries([...truth.totals].sort()));
    assert.equal(out.findings.length, truth.findings + truth.waivedFindings);
    const forbidden = out.scopes.find((s) => s.id === FORBIDDEN.toLowerCase());
    assert.equal(forbidden?.status, 'forbidden');
    assert.match(forbidden!.error!, /403 AuthorizationFailed/);
    assert.ok(out.scopes.some((s) => s.id === 'corp' && s.status === 'ok'));
    assert.match(r.stderr, new RegExp(`subscription ${FORBIDDEN} \\(sub-${FORBIDDEN.slice(-4)}\\) not scanned \\(forbidden\\)`));
    assert.ok(emulator.requests.some((e) => /managementGroups\/corp\/descendants$/i.test(e.path) && e.status === 200), 'the descendants API was asked');
    assert.deepEqual(emulator.invalidResponses, []);

    // A group the caller cannot read (or that does not exist) is itself listed as not scanned.
    const none = await runCliAsync(['scan', 'policies', '--management-group', 'no-such-group', '--history', join(dir, 'h.duckdb'), '--format', 'json', '--quiet'], { env: env(emulator), timeoutMs: 60_000 });
    assert.equal(none.status, 3, none.stderr);
    const noneOut = JSON.parse(none.stdout) as ScanJson;
    assert.equal(noneOut.scopes.find((s) => s.id === 'no-such-group')?.status, 'failed');
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scan: usage errors exit 2 with one line', async () => {
  const both = await runCliAsync(['scan', '--all-subscriptions', '--management-group', 'x']);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /^driftscan: give one scope/);
  const unknown = await runCliAsync(['scan', '--baseline', 'rdp-hardenin', '--subscription', SUBS[0]!]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /--baseline rdp-hardenin: no loaded baseline has that name \(did you mean rdp-hardening\?\)/);
  const missing = await runCliAsync(['history', '--history', join(tmpdir(), 'driftscan-no-such-store.duckdb')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no history store there/);
});

test('scan: on a terminal, progress is drawn by listr2 (through the redacting console) and the report still goes to stdout', { skip: skip || !existsSync('/usr/bin/script'), timeout: 120_000 }, async () => {
  const fleet = new Fleet(spec(100));
  const emulator = await start(fleet);
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-scan-tty-'));
  try {
    const { spawn } = await import('node:child_process');
    // script's pseudo-terminal starts 0 columns wide: give it a size, as a real terminal has.
    const cli = `stty cols 120 rows 40; ${JSON.stringify(process.execPath)} ${JSON.stringify(join(repoRoot, 'bin', 'driftscan.js'))} scan policies --all-subscriptions --history ${JSON.stringify(join(dir, 'h.duckdb'))} --format markdown`;
    // `script` gives the CLI a pseudo-terminal for stdin, stdout and stderr alike.
    const child = spawn('/usr/bin/script', ['-qefc', cli, '/dev/null'], { cwd: repoRoot, env: { ...process.env, ...env(emulator), CI: '', TERM: 'xterm-256color', COLUMNS: '120' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const status = await new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? -1)));
    assert.equal(status, 1, out);
    assert.match(out, /Fleet scan recorded/, 'listr2 drew the task');
    assert.match(out, /\u001b\[/, 'with terminal control sequences');
    assert.match(out, /## driftscan fleet scan 1/);
    assert.doesNotMatch(out, /^driftscan: batch 1\/1/m, 'no plain CI lines on a terminal');
    assert.ok(!out.includes(TOKEN.split('.')[2]!), 'the token never reaches the terminal');
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
