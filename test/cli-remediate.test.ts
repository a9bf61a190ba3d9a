/**
 * `driftscan remediate` against the ARM emulator: a generated fleet whose every Windows machine has
 * drifted from rdp-hardening, three subscriptions each with a DeployIfNotExists assignment of it,
 * and rdp-access-denied assigned audit-only. The emulator enforces the tenant's limit of 100 running
 * tasks, moves tasks through their states on a clock and fails the deployments of chosen machines.
 * The expected tasks are computed from the fleet model (fleet-fixtures.ts), not from driftscan.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ArmEmulator, SPECS_RELATIVE } from './support/arm-emulator/server.js';
import type { RemediationOptions } from './support/arm-emulator/remediations.js';
import { needShared, repoRoot } from './support/paths.js';
import { TOKEN } from './support/azure-fixtures.js';
import { runCliAsync } from './support/cli.js';
import { Fleet, subscriptionIds, type FleetSpec } from './support/fleet-fixtures.js';
import { loadBaselines } from '../src/baseline/load.js';
import { HistoryStore } from '../src/fleet/history/store.js';
import { GitHubFake } from './support/github-fake.js';

const skip = needShared(SPECS_RELATIVE);
const baselines = loadBaselines([join(repoRoot, 'policies')]);
const SUBS = subscriptionIds(3);
const HARDENING = 'rdp-hardening';
const AUDITED = 'rdp-access-denied';

function spec(machines: number): FleetSpec {
  return {
    machines,
    subscriptions: SUBS,
    baselines: baselines.map((b) => ({ name: b.metadata.name, rules: b.rules.map((r) => r.id) })),
    missingPerMille: 0,
    pendingPerMille: 0,
    nonCompliantPerMille: 1000,
  };
}

const defId = (sub: string, name: string) => `/subscriptions/${sub}/providers/Microsoft.Authorization/policyDefinitions/${name}`;
const assignmentId = (sub: string, name: string) => `/subscriptions/${sub}/providers/Microsoft.Authorization/policyAssignments/${name}`;

/** Per subscription: driftscan's DINE definition of rdp-hardening assigned, and the AINE of rdp-access-denied. */
function policyRows(): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = [];
  const definition = (sub: string, baseline: string, effect: string) => ({
    id: defId(sub, `${baseline}-${effect === 'DeployIfNotExists' ? 'dine' : 'aine'}`),
    name: `${baseline}-${effect === 'DeployIfNotExists' ? 'dine' : 'aine'}`,
    type: 'microsoft.authorization/policydefinitions',
    subscriptionId: sub,
    properties: {
      policyType: 'Custom',
      mode: 'Indexed',
      metadata: { category: 'Guest Configuration', driftscan: { managedBy: 'driftscan', baseline } },
      parameters: { effect: { type: 'String', defaultValue: effect, allowedValues: [effect, 'Disabled'] } },
      policyRule: { if: { field: 'type', equals: 'Microsoft.Compute/virtualMachines' }, then: { effect: "[parameters('effect')]", details: { type: 'Microsoft.GuestConfiguration/guestConfigurationAssignments' } } },
    },
  });
  for (const sub of SUBS) {
    rows.push(definition(sub, HARDENING, 'DeployIfNotExists'), definition(sub, AUDITED, 'AuditIfNotExists'));
    for (const [name, baseline, effect] of [[`driftscan-${HARDENING}`, HARDENING, 'dine'], [`driftscan-${AUDITED}`, AUDITED, 'aine']] as const) {
      rows.push({
        id: assignmentId(sub, name),
        name,
        type: 'microsoft.authorization/policyassignments',
        subscriptionId: sub,
        location: 'westeurope',
        properties: { scope: `/subscriptions/${sub}`, notScopes: [], policyDefinitionId: defId(sub, `${baseline}-${effect}`), parameters: {}, enforcementMode: 'Default' },
      });
    }
  }
  return rows;
}

async function start(fleet: Fleet, remediations: RemediationOptions): Promise<ArmEmulator> {
  return ArmEmulator.start({
    state: { subscriptions: SUBS.map((s, i) => ({ subscriptionId: s, displayName: `Fleet ${i + 1}` })), tables: { policyresources: policyRows() } },
    generatedTables: fleet.tables(),
    remediations,
  });
}

function env(emulator: ArmEmulator) {
  return { DRIFTSCAN_ARM_ENDPOINT: emulator.endpoint, DRIFTSCAN_ARM_TOKEN: TOKEN, NODE_EXTRA_CA_CERTS: emulator.caPath! };
}

/** Is machine i drifted from rdp-hardening: non-compliant on at least one rule the baseline does not waive (the fleet model). */
function drifted(fleet: Fleet, i: number): boolean {
  const j = fleet.spec.baselines.findIndex((b) => b.name === HARDENING);
  const b = baselines.find((x) => x.metadata.name === HARDENING)!;
  const waived = new Set(b.waivers.map((w) => w.rule));
  return fleet.counted(i) && fleet.state(i, j) === 'noncompliant' && fleet.failing(i, j).some((k) => !waived.has(fleet.spec.baselines[j]!.rules[k]!));
}

/** Drifted machines of rdp-hardening per subscription, from the fleet model. */
function driftedPerSubscription(fleet: Fleet): Map<string, string[]> {
  const out = new Map<string, string[]>(SUBS.map((s) => [s, []]));
  for (let i = 0; i < fleet.spec.machines; i++) if (drifted(fleet, i)) out.get(fleet.subscription(i))!.push(fleet.machineId(i).toLowerCase());
  return out;
}

/** The smallest fleet with exactly `n` machines drifted from rdp-hardening. */
function fleetWithDrift(n: number): Fleet {
  const probe = new Fleet(spec(4 * n));
  let count = 0;
  for (let i = 0; ; i++) {
    if (drifted(probe, i)) count += 1;
    if (count === n) return new Fleet(spec(i + 1));
  }
}

const remediationPuts = (e: ArmEmulator) => e.requests.filter((r) => r.method === 'PUT' && /Microsoft\.PolicyInsights\/remediations\//i.test(r.path));

/** The tasks the emulator holds: name → sorted resource ids. */
function tasksIn(e: ArmEmulator): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of e.store.values()) {
    if (String(r.type).toLowerCase() !== 'microsoft.policyinsights/remediations') continue;
    const ids = (((r.properties as Record<string, unknown>).filters as Record<string, unknown>).resourceIds as string[]).map((x) => x.toLowerCase()).sort();
    out.set(String(r.name), ids);
  }
  return out;
}

async function scan(emulator: ArmEmulator, history: string): Promise<void> {
  const r = await runCliAsync(['scan', 'policies', '--all-subscriptions', '--history', history, '--format', 'json', '--quiet', '-o', join(history, '..', 'scan.json')], { env: env(emulator), timeoutMs: 240_000 });
  assert.equal(r.status, 1, r.stderr);
}

/** PUTs a task at `scope` that driftscan did not open (someone else's), straight to the emulator. */
function foreignTask(e: ArmEmulator, sub: string, name: string, machines: string[]): Promise<number> {
  // One deployment at a time over 100 machines: it runs for 101 steps of the clock, longer than the whole run.
  const body = JSON.stringify({ properties: { policyAssignmentId: assignmentId(sub, `driftscan-${HARDENING}`), filters: { resourceIds: machines }, parallelDeployments: 1 } });
  return new Promise((resolve, reject) => {
    const req = request(`${e.endpoint}/subscriptions/${sub}/providers/Microsoft.PolicyInsights/remediations/${name}?api-version=2024-10-01`, {
      method: 'PUT', ca: e.caPem, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('remediate: 10,000 drifted VMs over 3 assignments — plan shows ⌈n/100⌉ tasks each; apply --wait opens exactly those within the limit (others\' tasks counted), reports failures; a rerun opens nothing', { skip, timeout: 600_000 }, async () => {
  const fleet = fleetWithDrift(10_000);
  const expected = driftedPerSubscription(fleet);
  assert.equal([...expected.values()].reduce((n, l) => n + l.length, 0), 10_000);
  const taskCount = [...expected.values()].reduce((n, l) => n + Math.ceil(l.length / 100), 0);
  assert.ok(taskCount > 100, 'the fleet must need more tasks than the limit, so some queue');
  const failing = new Set([...expected.values()].flatMap((l) => l.filter((_, k) => k % 997 === 3)));
  const emulator = await start(fleet, { stepMs: 300, failDeployment: (id) => (failing.has(id.toLowerCase()) ? `The deployment of the guest assignment to ${id.split('/').pop()} failed: the VM is deallocated` : undefined) });
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-remediate-'));
  try {
    const history = join(dir, 'h.duckdb');
    await scan(emulator, history);

    // Plan: ⌈n/100⌉ tasks per assignment, each machine once, and the audit-only assignment explained.
    const plan = await runCliAsync(['remediate', 'policies', '--history', history, '--output', join(dir, 'plan.json'), '--output', join(dir, 'plan.md')], { env: env(emulator), timeoutMs: 120_000 });
    assert.equal(plan.status, 0, plan.stderr);
    const doc = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as { tasks: Array<{ name: string; assignmentId: string; status: string; machines: Array<{ machineId: string; rules: Array<{ ruleId: string; reason: string }> }>; body: { properties: Record<string, unknown> } }>; auditOnly: Array<{ assignmentId: string; advice: string }> };
    for (const sub of SUBS) {
      const mine = doc.tasks.filter((t) => t.assignmentId.toLowerCase() === assignmentId(sub, `driftscan-${HARDENING}`).toLowerCase());
      assert.equal(mine.length, Math.ceil(expected.get(sub)!.length / 100), sub);
      assert.deepEqual(mine.flatMap((t) => t.machines.map((m) => m.machineId.toLowerCase())).sort(), [...expected.get(sub)!].sort());
      assert.ok(mine.every((t) => t.machines.length <= 100 && t.machines.every((m) => m.rules.length > 0 && m.rules.every((r) => r.reason !== ''))));
    }
    assert.equal(doc.tasks.length, taskCount);
    assert.equal(doc.tasks.filter((t) => t.status === 'queued').length, taskCount - 100);
    assert.equal(doc.tasks[0]!.body.properties.resourceDiscoveryMode, 'ExistingNonCompliant');
    assert.equal(doc.auditOnly.length, 3);
    assert.match(plan.stdout, /not remediable: assignment .*driftscan-rdp-access-denied only AuditIfNotExists baseline rdp-access-denied: \d+ drifted machines cannot be remediated by it\. To remediate, set spec\.assignment\.type: ApplyAndMonitor/);
    assert.match(readFileSync(join(dir, 'plan.md'), 'utf8'), /\| driftscan-s1-[0-9a-f]{12}-b001 \| open \| rdp-hardening \|/);
    assert.equal(remediationPuts(emulator).length, 0);

    // The lock-out guard: rdp-hardening touches RDP and carries no acknowledgement.
    const refused = await runCliAsync(['remediate', 'policies', '--history', history, '--apply'], { env: env(emulator), timeoutMs: 120_000 });
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /rdp-hardening\.yaml:\d+:\d+: rule .* touches .*--i-understand-lockout-risk/s);
    assert.equal(remediationPuts(emulator).length, 0);

    // Someone else runs 5 tasks: the limit leaves 95 slots at first.
    for (let k = 0; k < 5; k++) assert.equal(await foreignTask(emulator, SUBS[0]!, `someone-else-${k}`, Array.from({ length: 100 }, (_, m) => `/subscriptions/${SUBS[0]}/resourceGroups/rg-0/providers/Microsoft.Compute/virtualMachines/other${k}-${m}`)), 201);
    const applied = await runCliAsync(['remediate', 'policies', '--history', history, '--apply', '--wait', '--i-understand-lockout-risk', '--poll-interval', '200ms', '--parallel-deployments', '5', '--output', join(dir, 'applied.json')], { env: env(emulator), timeoutMs: 300_000 });
    assert.equal(applied.status, 1, applied.stderr);
    assert.equal(emulator.invalidResponses.length, 0, emulator.invalidResponses.join('\n'));
    const tasks = tasksIn(emulator);
    const ours = [...tasks.keys()].filter((n) => n.startsWith('driftscan-'));
    assert.deepEqual(ours.sort(), doc.tasks.map((t) => t.name).sort());
    assert.equal(remediationPuts(emulator).filter((r) => r.status === 201).length, 5 + taskCount);
    assert.ok(emulator.remediations.peakRunning <= 100, `peak ${emulator.remediations.peakRunning}`);
    assert.ok(emulator.remediations.peakRunning >= 95, `peak ${emulator.remediations.peakRunning}: the limit was not used`);
    assert.equal(emulator.remediations.refusedForLimit, 0);
    assert.match(applied.stdout, new RegExp(`opened ${taskCount} tasks, 0 already open;`));
    assert.match(applied.stdout, / peak 100 running at once \(limit 100\); \d+ succeeded, \d+ with failures/);
    for (const id of failing) assert.ok(applied.stdout.includes(id) || /… \d+ more/.test(applied.stdout), id);
    assert.match(applied.stdout, /FAILED driftscan-s1-[0-9a-f]{12}-b\d{3} \(Succeeded\): 1 deployment failed\n {2}\/subscriptions\/.*: Failed: The deployment of the guest assignment to vm\d+ failed: the VM is deallocated/);

    // The history store: every task and per-machine result.
    const store = await HistoryStore.open(history, { readOnly: true });
    try {
      const t = await store.query('SELECT count(*) AS n, count(DISTINCT state) AS states, min(state) AS state FROM remediation_tasks');
      assert.deepEqual(t, [{ n: taskCount, states: 1, state: 'Succeeded' }]);
      const m = await store.query(`SELECT result, count(DISTINCT machine_id) AS n FROM remediation_machines GROUP BY result ORDER BY result`);
      assert.deepEqual(m, [{ result: 'Failed', n: failing.size }, { result: 'Succeeded', n: 10_000 - failing.size }]);
      const err = await store.query(`SELECT error FROM remediation_machines WHERE result = 'Failed' LIMIT 1`);
      assert.match(String(err[0]!.error), /the VM is deallocated/);
    } finally {
      store.close();
    }

    // The plan written after --apply --wait carries each task's end state; history --remediation counts per rule and result.
    const appliedDoc = JSON.parse(readFileSync(join(dir, 'applied.json'), 'utf8')) as { tasks: Array<{ result?: { state: string; opened: boolean } }> };
    assert.ok(appliedDoc.tasks.every((t) => t.result?.state === 'Succeeded' && t.result.opened));
    const report = await runCliAsync(['history', '--history', history, '--remediation', '--format', 'json']);
    assert.equal(report.status, 0, report.stderr);
    const byResult = (JSON.parse(report.stdout) as { remediation: Array<{ result: string; machines: number }> }).remediation.reduce<Record<string, number>>((a, r) => ({ ...a, [r.result]: (a[r.result] ?? 0) + r.machines }), {});
    const store2 = await HistoryStore.open(history, { readOnly: true });
    try {
      const perRule = await store2.query(`SELECT result, count(*) AS n FROM (SELECT DISTINCT rule_id, machine_id, result FROM remediation_machines) GROUP BY result`);
      assert.deepEqual(byResult, Object.fromEntries(perRule.map((r) => [r.result, r.n])));
    } finally {
      store2.close();
    }

    // A rerun opens nothing.
    const before = remediationPuts(emulator).length;
    const rerun = await runCliAsync(['remediate', 'policies', '--history', history, '--apply', '--i-understand-lockout-risk'], { env: env(emulator), timeoutMs: 120_000 });
    assert.equal(rerun.status, 0, rerun.stderr);
    assert.equal(remediationPuts(emulator).length, before);
    assert.match(rerun.stdout, new RegExp(`opened 0 tasks, ${taskCount} already open`));
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs `remediate --apply` and SIGKILLs it once `n` task PUTs were answered (0: at its first task listing). */
function killedRun(emulator: ArmEmulator, history: string, n: number): Promise<void> {
  const args = [join(repoRoot, 'bin', 'driftscan.js'), 'remediate', 'policies', '--history', history, '--apply', '--i-understand-lockout-risk', '--quiet'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, ...env(emulator), NO_COLOR: '1' }, stdio: 'ignore' });
    const seen = emulator.requests.length;
    const timer = setInterval(() => {
      const since = emulator.requests.slice(seen);
      const puts = since.filter((r) => r.method === 'PUT' && /remediations\//i.test(r.path) && r.status > 0).length;
      const listed = since.some((r) => r.method === 'GET' && /remediations$/i.test(r.path));
      if ((n === 0 && listed) || (n > 0 && puts >= n)) child.kill('SIGKILL');
    }, 1);
    child.once('error', reject);
    child.once('exit', () => {
      clearInterval(timer);
      resolve();
    });
  });
}

test('remediate: a run SIGKILLed after N task PUTs (0, some, all) and rerun ends with exactly the tasks of an uninterrupted run', { skip, timeout: 600_000 }, async () => {
  const fleet = new Fleet({ ...spec(2_000), managementGroup: 'corp' });
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-remediate-kill-'));
  try {
    const scanned = join(dir, 'scanned.duckdb');
    let reference: Map<string, string[]>;
    {
      const emulator = await start(fleet, { stepMs: 60_000 });
      try {
        await scan(emulator, scanned);
        // --management-group narrows the drift to the group's subscriptions: all of them under corp, none under another group.
        const group = (name: string) => runCliAsync(['remediate', 'policies', '--history', scanned, '--management-group', name, '--output', join(dir, `${name}.json`)], { env: env(emulator), timeoutMs: 120_000 });
        const corp = await group('corp');
        assert.equal(corp.status, 0, corp.stderr);
        // A group Azure does not know (a typo, or no read on it) is an error naming it, as for scan — never an empty plan.
        const none = await group('nowhere');
        assert.equal(none.status, 3, none.stderr);
        assert.match(none.stderr, /managementGroups\/nowhere\/descendants: 404/);
        const planned = (name: string) => (JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { tasks: unknown[] }).tasks.length;
        assert.equal(planned('corp'), [...driftedPerSubscription(fleet).values()].reduce((n, l) => n + Math.ceil(l.length / 100), 0));
        assert.ok(!existsSync(join(dir, 'nowhere.json')), 'no plan is written for an unknown group');
        const copy = join(dir, 'reference.duckdb');
        copyFileSync(scanned, copy);
        const r = await runCliAsync(['remediate', 'policies', '--history', copy, '--apply', '--i-understand-lockout-risk'], { env: env(emulator), timeoutMs: 120_000 });
        assert.equal(r.status, 0, r.stderr);
        reference = tasksIn(emulator);
      } finally {
        await emulator.close();
      }
    }
    const total = reference.size;
    assert.equal(total, [...driftedPerSubscription(fleet).values()].reduce((n, l) => n + Math.ceil(l.length / 100), 0));
    for (const n of [0, 1, 7, total]) {
      const emulator = await start(fleet, { stepMs: 60_000 });
      try {
        const history = join(dir, `killed-${n}.duckdb`);
        copyFileSync(scanned, history);
        await killedRun(emulator, history, n);
        const afterKill = tasksIn(emulator).size;
        assert.ok(n === 0 ? afterKill === 0 : afterKill >= n, `n=${n}: ${afterKill} tasks after the kill`);
        // The kill really interrupted the run (the rerun has tasks left to open).
        if (n > 0 && n < total) assert.ok(afterKill < total, `n=${n}: the run finished before it was killed`);
        const r = await runCliAsync(['remediate', 'policies', '--history', history, '--apply', '--i-understand-lockout-risk'], { env: env(emulator), timeoutMs: 120_000 });
        assert.equal(r.status, 0, `n=${n}: ${r.stderr}`);
        assert.deepEqual(tasksIn(emulator), reference, `n=${n}`);
        assert.equal(remediationPuts(emulator).filter((p) => p.status === 201).length, total, `n=${n}: a task was created twice`);
        const store = await HistoryStore.open(history, { readOnly: true });
        try {
          assert.deepEqual(await store.query('SELECT count(*) AS n FROM remediation_tasks'), [{ n: total }]);
        } finally {
          store.close();
        }
      } finally {
        await emulator.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('remediate, direct mode: guest assignments made by assign (no Azure Policy) are re-PUT for ApplyAndMonitor, audit ones explained; a rerun re-applies nothing', { skip, timeout: 300_000 }, async () => {
  const sub = '00000000-0000-0000-0000-000000000009';
  const rule = baselines.find((b) => b.metadata.name === HARDENING)!.rules[0]!.id;
  const vm = (n: string) => `/subscriptions/${sub}/resourceGroups/rg-direct/providers/Microsoft.Compute/virtualMachines/${n}`;
  const machines = ['vm-a', 'vm-b', 'vm-c'].map((n) => ({ id: vm(n), name: n, type: 'microsoft.compute/virtualmachines', subscriptionId: sub, resourceGroup: 'rg-direct', location: 'westeurope', properties: { storageProfile: { osDisk: { osType: 'Windows' } } } }));
  // The ARM resource (what the GET and the re-PUT see) has no report; Resource Graph's row has one, with the
  // boolean per-resource complianceStatus the fleet fixtures use (machine-configuration.md §9 lists that type as uncertain).
  const assignment = (n: string, assignmentType: string, report: boolean) => ({
    id: `${vm(n)}/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/${HARDENING}`, name: HARDENING, type: 'microsoft.guestconfiguration/guestconfigurationassignments', subscriptionId: sub, location: 'westeurope',
    properties: {
      complianceStatus: 'NonCompliant', targetResourceId: vm(n), provisioningState: 'Succeeded',
      guestConfiguration: { name: HARDENING, version: '1.0.0', contentUri: 'https://example.blob.core.windows.net/packages/rdp-hardening-1.0.0.zip', contentHash: 'A'.repeat(64), assignmentType },
      ...(report ? { latestAssignmentReport: { complianceStatus: 'NonCompliant', resources: [{ resourceId: `[DriftscanRegistryValue]${rule}`, complianceStatus: false, properties: {}, reasons: [{ code: 'x', phrase: 'expected 1, found 0' }] }] } } : {}),
    },
  });
  const kinds = [['vm-a', 'ApplyAndMonitor'], ['vm-b', 'ApplyAndMonitor'], ['vm-c', 'Audit']] as const;
  const emulator = await ArmEmulator.start({
    state: { subscriptions: [{ subscriptionId: sub, displayName: 'Direct' }], tables: { resources: machines, guestconfigurationresources: kinds.map(([n, t]) => assignment(n, t, false)) } },
    generatedTables: { guestconfigurationresources: () => kinds.map(([n, t]) => ({ ...assignment(n, t, true), id: `${vm(n)}/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/${HARDENING}-report` })) },
  });
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-remediate-direct-'));
  try {
    const history = join(dir, 'h.duckdb');
    // --scan-now: the scan is recorded first (scan 1), then planned from.
    const plan = await runCliAsync(['remediate', 'policies', '--scan-now', '--subscription', sub, '--history', history, '--output', join(dir, 'plan.json')], { env: env(emulator), timeoutMs: 120_000 });
    assert.equal(plan.status, 0, plan.stderr);
    assert.match(plan.stderr, /scan 1 recorded in /);
    assert.equal((plan.stdout.match(/re-apply \(PUT the guest assignment again\)/g) ?? []).length, 2, plan.stdout);
    assert.match(plan.stdout, /not remediable: the assignment only audits/);
    assert.doesNotMatch(plan.stdout, /not covered:/);
    const doc = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as { direct: Array<{ status: string; machine: { machineId: string } }> };
    assert.deepEqual(doc.direct.map((d) => [d.machine.machineId.split('/').pop(), d.status]), [['vm-a', 'reapply'], ['vm-b', 'reapply'], ['vm-c', 'audit']]);
    const puts = () => emulator.requests.filter((r) => r.method === 'PUT' && /guestConfigurationAssignments/i.test(r.path));
    assert.equal(puts().length, 0);
    const applied = await runCliAsync(['remediate', 'policies', '--history', history, '--apply', '--wait', '--poll-interval', '100ms', '--i-understand-lockout-risk'], { env: env(emulator), timeoutMs: 120_000 });
    assert.equal(applied.status, 0, applied.stderr);
    assert.deepEqual(puts().map((p) => p.path.split('/')[8]).sort(), ['vm-a', 'vm-b']);
    for (const p of puts()) assert.equal((p.body as { properties: { guestConfiguration: { assignmentType: string; contentHash: string } } }).properties.guestConfiguration.contentHash, 'A'.repeat(64));
    assert.match(applied.stdout, /re-applied 2 direct-mode guest assignments \(0 already re-applied for this scan\)/);
    assert.deepEqual(emulator.invalidResponses, []);
    const rerun = await runCliAsync(['remediate', 'policies', '--history', history, '--apply', '--i-understand-lockout-risk'], { env: env(emulator), timeoutMs: 120_000 });
    assert.equal(rerun.status, 0, rerun.stderr);
    assert.equal(puts().length, 2);
    assert.match(rerun.stdout, /re-applied 0 direct-mode guest assignments \(2 already re-applied for this scan\)/);
    const store = await HistoryStore.open(history, { readOnly: true });
    try {
      assert.deepEqual(await store.query(`SELECT mode, state, count(*) AS n FROM remediation_tasks GROUP BY ALL`), [{ mode: 'direct', state: 'Succeeded', n: 2 }]);
      assert.deepEqual(await store.query(`SELECT result, count(*) AS n FROM remediation_machines GROUP BY ALL`), [{ result: 'Succeeded', n: 2 }]);
    } finally {
      store.close();
    }
    const exported = await runCliAsync(['history', '--history', history, '--export', 'parquet', join(dir, 'parquet')]);
    assert.equal(exported.status, 0, exported.stderr);
    for (const t of ['remediation_tasks', 'remediation_machines']) assert.ok(existsSync(join(dir, 'parquet', `${t}.parquet`)), t);
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('remediate --apply --wait --notify github: one issue per failed task (machines, rules, Azure\'s error), a rerun comments instead of opening another; a missing token or --wait fails before any Azure call', { skip, timeout: 300_000 }, async () => {
  const fleet = fleetWithDrift(600);
  const expected = driftedPerSubscription(fleet);
  // One machine per subscription fails: three failed tasks (one per assignment), the others succeed.
  const failing = new Set(SUBS.map((s) => expected.get(s)![0]!));
  const emulator = await start(fleet, { stepMs: 50, failDeployment: (id) => (failing.has(id.toLowerCase()) ? `Deployment to ${id.split('/').pop()} failed: @octocat fixes #1` : undefined) });
  const token = `ghp_${'Q7w8E9r0T1'.repeat(3)}zZz111`;
  const github = await new GitHubFake({ token, owner: 'contoso', repo: 'fleet' }).start();
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-remediate-notify-'));
  try {
    const history = join(dir, 'h.duckdb');
    await scan(emulator, history);
    const notifyEnv = { ...env(emulator), GITHUB_REPOSITORY: 'contoso/fleet', GITHUB_API_URL: github.apiUrl };
    const args = ['remediate', 'policies', '--history', history, '--apply', '--wait', '--i-understand-lockout-risk', '--poll-interval', '100ms', '--notify', 'github'];

    // Checked before any Azure call: no token, or --notify without --wait.
    const before = emulator.requests.length;
    const noToken = await runCliAsync(args, { env: notifyEnv, timeoutMs: 60_000 });
    assert.equal(noToken.status, 2, noToken.stderr);
    assert.match(noToken.stderr, /GITHUB_TOKEN/);
    const noWait = await runCliAsync(args.filter((a) => a !== '--wait'), { env: { ...notifyEnv, GITHUB_TOKEN: token }, timeoutMs: 60_000 });
    assert.equal(noWait.status, 2, noWait.stderr);
    assert.match(noWait.stderr, /--notify .*--wait/);
    assert.equal(emulator.requests.length, before, 'a usage error must come before any Azure call');

    const first = await runCliAsync(args, { env: { ...notifyEnv, GITHUB_TOKEN: token }, timeoutMs: 240_000 });
    assert.equal(first.status, 1, first.stderr);
    const failedTasks = [...first.stdout.matchAll(/^FAILED (driftscan-s1-[0-9a-f]{12}-b\d{3}) /gm)].map((m) => m[1]!).sort();
    assert.equal(failedTasks.length, 3, first.stdout);
    assert.equal(github.issues.length, 3);
    for (const name of failedTasks) {
      const issue = github.issues.find((i) => i.body.includes(`<!-- driftscan-remediation: ${name} -->`));
      assert.ok(issue, `no issue for ${name}`);
      assert.ok([...failing].some((id) => issue.body.toLowerCase().includes(id.split('/').pop()!)), issue.body);
      assert.doesNotMatch(issue.body, /(^|[^\\])@octocat|fixes #1/i, 'machine text must not mention or close anything');
    }
    assert.match(first.stdout, /notify github \(contoso\/fleet\): 3 created, 0 updated, 0 reopened, 0 failed/);
    assert.ok(!`${first.stdout}${first.stderr}`.includes(token), 'the token was printed');

    // A rerun follows the same tasks to the same end: the issues get a comment, none is opened twice.
    const second = await runCliAsync(args, { env: { ...notifyEnv, GITHUB_TOKEN: token }, timeoutMs: 240_000 });
    assert.equal(second.status, 1, second.stderr);
    assert.equal(github.issues.length, 3);
    assert.ok(github.issues.every((i) => i.comments.length === 1));
    assert.match(second.stdout, /notify github \(contoso\/fleet\): 0 created, 3 updated, 0 reopened, 0 failed/);

    // The next report shows what remediation did, per task, rule and machine, from the history store.
    const report = await runCliAsync(['report', '--history', history, '--format', 'json'], { timeoutMs: 60_000 });
    assert.equal(report.status, 0, report.stderr);
    const section = (JSON.parse(report.stdout) as { remediation?: { tasks: Array<{ taskName: string; state: string }>; byRule: Array<{ result: string; machines: number }>; failed: { total: number; rows: Array<{ machineId: string; error: string | null }> } } }).remediation;
    assert.ok(section, 'the report has no remediation section');
    const store = await HistoryStore.open(history, { readOnly: true });
    try {
      const tasks = await store.query('SELECT task_name FROM remediation_tasks ORDER BY task_name');
      assert.deepEqual(section.tasks.map((t) => t.taskName).sort(), tasks.map((t) => t.task_name));
      const failedRows = await store.query(`SELECT count(*) AS n FROM remediation_machines WHERE result = 'Failed'`);
      assert.equal(section.failed.total, Number(failedRows[0]!.n));
    } finally {
      store.close();
    }
    assert.deepEqual([...new Set(section.failed.rows.map((r) => r.machineId.toLowerCase()))].sort(), [...failing].sort());
    assert.ok(section.failed.rows.every((r) => /failed/.test(r.error ?? '')));
    assert.equal(section.byRule.filter((r) => r.result === 'Failed').reduce((n, r) => n + r.machines, 0), section.failed.total);
    const md = await runCliAsync(['report', '--history', history, '--format', 'markdown'], { timeoutMs: 60_000 });
    assert.equal(md.status, 0, md.stderr);
    assert.match(md.stdout, new RegExp(`## Remediation\\n\\nremediation of scan 1: ${section.tasks.length} tasks \\(\\d+ Succeeded\\); machine × rule results: ${section.failed.total} Failed, \\d+ Succeeded`));
    assert.match(md.stdout, new RegExp(`### Failed \\(${section.failed.total}\\)`));
  } finally {
    await github.close();
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
