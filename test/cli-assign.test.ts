/**
 * `driftscan assign` end to end: a package compiled by `driftscan compile --content-uri-base`,
 * assigned to machines of the ARM emulator by a separate driftscan process. The emulator validates
 * every request and response against the guest configuration 2024-04-05 and Resource Graph specs,
 * logs every request (so "exactly one successful PUT per machine" and "zero writes on rerun" are
 * read from what the server saw) and counts requests in flight.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ArmEmulator, SPECS_RELATIVE, type LogEntry } from './support/arm-emulator/server.js';
import { needShared } from './support/paths.js';
import { runCli, runCliAsync, type CliResult } from './support/cli.js';
import { seedProject } from './support/compile-project.js';
import { SUB, SUB2, TOKEN, fleetState, machineRow, machineVariant } from './support/azure-fixtures.js';
import type { EmulatorState } from './support/arm-emulator/state.js';
import { findManifestPackage, parseBuildManifest } from '../src/compile/build-manifest.js';
import { DriftscanError } from '../src/core/diagnostics.js';
import { parseResourceGroupId } from '../src/azure/machines.js';
import { provisioningOutcome } from '../src/rollout/guest-assignment.js';

const skip = needShared(SPECS_RELATIVE);
const PKG = 'rdp-access-denied';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-fleet`;
const vmId = (name: string, sub = SUB, rg = 'rg-fleet') => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;
const assignmentPath = (machine: string) => `${machine}/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/${PKG}`;

let tmp: string;
/** A compiled project: `<project>/build/manifest.json` with a contentUri. */
let project: string;

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'driftscan-assign-'));
  project = seedProject(tmp, 'project');
  const r = runCli(['compile', '--content-uri-base', 'https://acct.blob.core.windows.net/gc'], { cwd: project });
  assert.equal(r.status, 0, r.stderr);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the compiled build/ with the package entry changed by `edit`; returns the build folder. */
function buildVariant(name: string, edit: (p: Record<string, unknown>) => void): string {
  const dir = join(tmp, name, 'build');
  mkdirSync(join(dir, PKG), { recursive: true });
  copyFileSync(join(project, 'build', PKG, `${PKG}.zip`), join(dir, PKG, `${PKG}.zip`));
  const manifest = JSON.parse(readFileSync(join(project, 'build', 'manifest.json'), 'utf8')) as { packages: Array<Record<string, unknown>> };
  edit(manifest.packages[0]!);
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

async function withEmulator(state: EmulatorState, body: (emu: ArmEmulator, assign: (...args: string[]) => Promise<CliResult>) => Promise<void>): Promise<void> {
  const emu = await ArmEmulator.start({ state });
  try {
    const env = { DRIFTSCAN_ARM_ENDPOINT: emu.endpoint, DRIFTSCAN_ARM_TOKEN: TOKEN, NODE_EXTRA_CA_CERTS: emu.caPath! };
    const printed: string[] = [];
    await body(emu, async (...args) => {
      const r = await runCliAsync(['assign', ...args], { cwd: project, env, timeoutMs: 300_000 });
      printed.push(r.stdout, r.stderr);
      return r;
    });
    assert.deepEqual(emu.invalidResponses, []);
    for (const piece of [TOKEN, TOKEN.split('.')[2]!]) assert.ok(!printed.join('\n').includes(piece), 'the token was printed');
  } finally {
    await emu.close();
  }
}

const isWrite = (e: LogEntry) => e.method !== 'GET' && !(e.method === 'POST' && /Microsoft\.ResourceGraph\/resources$/i.test(e.path));
const okPuts = (emu: ArmEmulator) => emu.requests.filter((e) => e.method === 'PUT' && (e.status === 200 || e.status === 201));

test('plan (the default) on 3 machines: 3 creates, a JSON and a Markdown plan, and no write', { skip, timeout: 120_000 }, async () => {
  await withEmulator(fleetState(3), async (emu, assign) => {
    const r = await assign(`build/${PKG}`, '--resource-group', RG, '--output', join(tmp, 'plan.json'), '--output', join(tmp, 'plan.md'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^assign rdp-access-denied v1\.0\.0 on resource group rg-fleet\n/);
    assert.equal(r.stdout.match(/│ create +│/g)?.length, 3, r.stdout);
    assert.match(r.stdout, /3 to create, 0 to update, 0 unchanged, 0 to delete/);
    assert.match(r.stderr, /plan only: nothing was changed; run again with --apply to make these 3 changes/);
    assert.equal(emu.requests.filter(isWrite).length, 0);
    const plan = JSON.parse(readFileSync(join(tmp, 'plan.json'), 'utf8')) as { changes: Array<{ action: string; id: string; body: { location: string; properties: { guestConfiguration: Record<string, unknown> } } }> };
    assert.deepEqual(plan.changes.map((c) => c.action), ['create', 'create', 'create']);
    assert.equal(plan.changes[0]!.id, assignmentPath(vmId('vm000')));
    const gc = plan.changes[0]!.body.properties.guestConfiguration;
    assert.deepEqual(Object.keys(gc).sort(), ['assignmentType', 'configurationParameter', 'contentHash', 'contentUri', 'name', 'version']);
    assert.equal(gc.name, PKG);
    assert.equal(gc.contentUri, `https://acct.blob.core.windows.net/gc/${PKG}/${PKG}.zip`);
    assert.deepEqual(gc.configurationParameter, [{ name: '[DriftscanRegistryValue]kerberos-max-token-size;Data', value: '65535' }]);
    assert.equal(plan.changes[0]!.body.location, 'westeurope');
    assert.match(readFileSync(join(tmp, 'plan.md'), 'utf8'), /\*\*3 to create/);
  });
});

test('apply, rerun as zero writes, then a changed package (new version and contentHash) updates only; --param sets a declared parameter', { skip, timeout: 180_000 }, async () => {
  await withEmulator(fleetState(3), async (emu, assign) => {
    const first = await assign(PKG, '--machine', vmId('vm000'), '--machine', vmId('vm002'), '--apply');
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /applied 2 of 2 writes; 0 failed; 0 not attempted/);
    assert.deepEqual(okPuts(emu).map((e) => e.path).sort(), [assignmentPath(vmId('vm000')), assignmentPath(vmId('vm002'))]);
    const stored = emu.resource(assignmentPath(vmId('vm000')))!;
    assert.equal((stored.properties as { guestConfiguration: { contentType: string } }).guestConfiguration.contentType, 'Custom');
    assert.ok(!JSON.stringify(okPuts(emu)[0]!.body).includes('contentType'), 'contentType is read-only: never sent');

    const before = emu.requests.length;
    const rerun = await assign(PKG, '--machine', vmId('vm000'), '--machine', vmId('vm002'), '--apply');
    assert.equal(rerun.status, 0, rerun.stderr);
    assert.match(rerun.stdout, /0 to create, 0 to update, 2 unchanged/);
    assert.match(rerun.stdout, /applied nothing: every resource is up to date/);
    assert.equal(emu.requests.slice(before).filter(isWrite).length, 0, 'a rerun sends no write');

    const changed = buildVariant('changed', (p) => {
      p.version = '1.0.1';
      p.contentHash = 'B'.repeat(64);
    });
    const out = join(tmp, 'changed-plan.json');
    const upd = await assign(PKG, '--build', changed, '--resource-group', RG, '--param', 'maxTokenSize=48000', '--apply', '--output', out);
    assert.equal(upd.status, 0, upd.stderr);
    assert.match(upd.stdout, /1 to create, 2 to update, 0 unchanged/);
    assert.match(upd.stdout, /v1\.0\.1 \(was 1\.0\.0\)/);
    const plan = JSON.parse(readFileSync(out, 'utf8')) as { changes: Array<{ action: string; fields: Array<{ path: string }>; result: string }> };
    assert.deepEqual(plan.changes.map((c) => [c.action, c.result]), [['update', 'applied'], ['create', 'applied'], ['update', 'applied']]);
    assert.deepEqual(plan.changes[0]!.fields.map((f) => f.path), ['properties.guestConfiguration.version', 'properties.guestConfiguration.contentHash', 'properties.guestConfiguration.configurationParameter']);
    const gc = (emu.resource(assignmentPath(vmId('vm001')))!.properties as { guestConfiguration: { version: string; configurationParameter: unknown } }).guestConfiguration;
    assert.equal(gc.version, '1.0.1');
    assert.deepEqual(gc.configurationParameter, [{ name: '[DriftscanRegistryValue]kerberos-max-token-size;Data', value: '48000' }]);

    const typo = await assign(PKG, '--machine', vmId('vm000'), '--param', 'maxTokenSiz=1');
    assert.equal(typo.status, 2);
    assert.equal(typo.stderr, "driftscan: --param maxTokenSiz: package 'rdp-access-denied' declares no such parameter (did you mean maxTokenSize?)\n");
  });
});

test('1,000 machines: --apply sends exactly one PUT per machine with at most --concurrency in flight, and the rerun writes nothing', { skip, timeout: 600_000 }, async () => {
  await withEmulator(fleetState(1000), async (emu, assign) => {
    // A little latency, as ARM has: without it the emulator answers each request before the next
    // arrives and nothing is ever in flight together, so the peak would prove nothing.
    emu.faults.add({ path: 'guestConfigurationAssignments', delayMs: 10 });
    const t0 = Date.now();
    const r = await assign(`build/${PKG}/${PKG}.zip`, '--subscription', SUB, '--apply', '--concurrency', '16');
    const applyMs = Date.now() - t0;
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /applied 1000 of 1000 writes; 0 failed; 0 not attempted/);
    const puts = okPuts(emu);
    assert.equal(puts.length, 1000);
    assert.equal(new Set(puts.map((e) => e.path.toLowerCase())).size, 1000, 'each machine once');
    assert.equal(emu.requests.filter((e) => e.method === 'PUT').length, 1000, 'no PUT sent twice');
    assert.ok(emu.inFlight.peak('PUT') <= 16, `peak PUTs in flight ${emu.inFlight.peak('PUT')}`);
    assert.ok(emu.inFlight.peak('PUT') > 1, 'the writes do run concurrently');
    assert.ok(emu.inFlight.peak('GET') <= 16 && emu.inFlight.peak('GET') > 1, `peak GETs in flight ${emu.inFlight.peak('GET')}`);
    assert.match(r.stderr, /\[1000\/1000\] applied/);
    assert.ok(r.stderr.split('\n').length < 60, 'progress is sampled, not a line per write');

    const before = emu.requests.length;
    const t1 = Date.now();
    const rerun = await assign(`build/${PKG}`, '--subscription', SUB, '--apply');
    const rerunMs = Date.now() - t1;
    assert.equal(rerun.status, 0, rerun.stderr);
    assert.match(rerun.stdout, /0 to create, 0 to update, 1000 unchanged/);
    assert.equal(emu.requests.slice(before).filter(isWrite).length, 0, 'the rerun sends no write');
    process.stderr.write(`# 1,000-machine apply ${applyMs} ms, rerun ${rerunMs} ms (in-process emulator)\n`);
  });
});

test('Created: accepted without polling; --wait polls with backoff until Succeeded; a wait that ends leaves them pending, bounded', { skip, timeout: 120_000 }, async () => {
  await withEmulator(fleetState(3), async (emu, assign) => {
    emu.guestProvisioning.sequence = ['Created', 'Created', 'Succeeded'];
    const r = await assign(`build/${PKG}`, '--machine', vmId('vm000'), '--apply');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /1 assignment accepted \(provisioningState Created\): the machine's agent applies it within about 15 minutes; pass --wait DURATION/);
    const afterPut = emu.requests.slice(emu.requests.findIndex((e) => e.method === 'PUT') + 1);
    assert.equal(afterPut.length, 0, 'no polling without --wait');

    const w = await assign(`build/${PKG}`, '--machine', vmId('vm001'), '--machine', vmId('vm002'), '--apply', '--wait', '30s');
    assert.equal(w.status, 0, w.stderr);
    assert.match(w.stdout, /provisioning: 2 succeeded, 0 failed, 0 still pending after the wait/);
    const polls = emu.requests.filter((e) => e.method === 'GET' && e.path === assignmentPath(vmId('vm001')));
    assert.equal(polls.length, 3, 'one plan read and two polls');

    emu.guestProvisioning.sequence = ['Created'];
    const t0 = Date.now();
    const stuck = await assign(`build/${PKG}`, '--resource-group', RG, '--param', 'maxTokenSize=1', '--apply', '--wait', '2s');
    assert.equal(stuck.status, 0, stuck.stderr);
    assert.match(stuck.stdout, /provisioning: 0 succeeded, 0 failed, 3 still pending after the wait/);
    assert.ok(Date.now() - t0 < 20_000, 'the wait is bounded');

    emu.guestProvisioning.sequence = ['Created', 'Failed'];
    const failed = await assign(`build/${PKG}`, '--machine', vmId('vm000'), '--param', 'maxTokenSize=2', '--apply', '--wait', '10s');
    assert.equal(failed.status, 3, failed.stdout + failed.stderr);
    assert.match(failed.stdout, /provisioning: 0 succeeded, 1 failed/);
    assert.match(failed.stderr, /driftscan: provisioning of 1 assignment ended Failed, first \/subscriptions\/.*vm000\/providers\/Microsoft\.GuestConfiguration\/guestConfigurationAssignments\/rdp-access-denied\n$/);
  });
});

test('429 with Retry-After and a dropped connection are retried; each machine still gets exactly one successful PUT', { skip, timeout: 120_000 }, async () => {
  await withEmulator(fleetState(3), async (emu, assign) => {
    emu.faults.add({ method: 'PUT', path: '/vm000/', status: 429, retryAfter: 1, times: 2 });
    emu.faults.add({ method: 'PUT', path: '/vm001/', drop: true, times: 1 });
    const r = await assign(`build/${PKG}`, '--resource-group', RG, '--apply');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /applied 3 of 3 writes/);
    const byPath = (p: string) => emu.requests.filter((e) => e.method === 'PUT' && e.path === p).map((e) => e.status);
    assert.deepEqual(byPath(assignmentPath(vmId('vm000'))), [429, 429, 201]);
    assert.deepEqual(byPath(assignmentPath(vmId('vm001'))), [0, 201]);
    assert.deepEqual(byPath(assignmentPath(vmId('vm002'))), [201]);
    assert.equal(okPuts(emu).length, 3);
  });
});

test('a PUT that keeps failing: exit 3, one line naming that assignment, and the outcome lists applied / FAILED / not attempted', { skip, timeout: 120_000 }, async () => {
  await withEmulator(fleetState(3), async (emu, assign) => {
    emu.faults.add({ method: 'PUT', path: '/vm001/', status: 500, retryAfterMs: 10 });
    const r = await assign(`build/${PKG}`, '--resource-group', RG, '--apply', '--concurrency', '1');
    assert.equal(r.status, 3, r.stdout + r.stderr);
    const last = r.stderr.trimEnd().split('\n').at(-1)!;
    assert.match(last, new RegExp(`^driftscan: Azure kept failing PUT ${assignmentPath(vmId('vm001')).replace(/[.]/g, '\\.')}: 500 ServiceUnavailable: .* \\(6 attempts\\)$`));
    assert.match(r.stdout, /Not applied:\n {2}FAILED {7} create guestConfigurationAssignment \S+vm001\S+: Azure kept failing/);
    assert.match(r.stdout, /\n {2}not attempted create guestConfigurationAssignment \S+vm002\S+\n/);
    assert.match(r.stdout, /applied 1 of 3 writes; 1 failed; 1 not attempted\n$/);
    assert.equal(emu.requests.filter((e) => e.method === 'PUT' && e.path.includes('/vm002/')).length, 0, 'nothing new starts after a failure');
  });
});

test('403 on one subscription: the writes there fail naming the subscription, exit 3', { skip, timeout: 120_000 }, async () => {
  const state = fleetState(2);
  state.tables!.resources!.push(machineRow(SUB2, 'rg-prod', 'prod1'));
  await withEmulator(state, async (emu, assign) => {
    emu.faults.add({ method: 'PUT', subscription: SUB2, forbid: true });
    const r = await assign(`build/${PKG}`, '--subscription', SUB, '--subscription', SUB2, '--apply', '--concurrency', '1');
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stderr.trimEnd().split('\n').at(-1)!, new RegExp(`^driftscan: no permission in subscription ${SUB2} for PUT /subscriptions/${SUB2}/resourceGroups/rg-prod/.*/prod1/providers/Microsoft\\.GuestConfiguration/guestConfigurationAssignments/rdp-access-denied: 403 AuthorizationFailed`));
    assert.match(r.stdout, /applied 2 of 3 writes; 1 failed; 0 not attempted/);
  });
});

test('only Windows machines: Linux VMs and Arc machines are skipped with the reason, scale sets and Windows Arc machines are assigned', { skip, timeout: 120_000 }, async () => {
  const state = fleetState(1);
  state.tables!.resources!.push(
    machineVariant(SUB, 'rg-fleet', 'lin1', 'linux-vm'),
    machineVariant(SUB, 'rg-fleet', 'ss1', 'vmss'),
    machineVariant(SUB, 'rg-fleet', 'arc1', 'arc-windows'),
    machineVariant(SUB, 'rg-fleet', 'arc2', 'arc-linux'),
  );
  await withEmulator(state, async (emu, assign) => {
    const empty = `/subscriptions/${SUB2}/resourceGroups/empty`;
    const r = await assign(`build/${PKG}`, '--resource-group', RG, '--resource-group', empty, '--apply', '--output', join(tmp, 'skipped.json'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /applied 3 of 3 writes/);
    assert.match(r.stdout, /\nskipped 3:\n/);
    assert.match(r.stdout, /Microsoft\.Compute\/virtualMachines\/lin1: not Windows \(the machine reports Linux\)/);
    assert.match(r.stdout, /Microsoft\.HybridCompute\/machines\/arc2: not Windows \(the machine reports linux\)/);
    assert.match(r.stdout, /resourceGroups\/empty: no machines found in this resource group/);
    assert.deepEqual(okPuts(emu).map((e) => e.path.split('/')[8]).sort(), ['arc1', 'ss1', 'vm000']);
    const plan = JSON.parse(readFileSync(join(tmp, 'skipped.json'), 'utf8')) as { skipped: Array<{ id: string }> };
    assert.equal(plan.skipped.length, 3);

    // Selectors that match no Windows machine, or a --machine Resource Graph does not know, do not pass a pipeline.
    const before = okPuts(emu).length;
    const none = await assign(`build/${PKG}`, '--resource-group', empty, '--apply');
    assert.equal(none.status, 2, none.stderr);
    assert.match(none.stderr, /^driftscan: no Windows machine matched .*: the skipped list above says why$/m);
    const typo = `/subscriptions/${SUB}/resourceGroups/rg-fleet/providers/Microsoft.Compute/virtualMachines/vm00O`;
    const partly = await assign(`build/${PKG}`, '--machine', typo, '--resource-group', RG);
    assert.equal(partly.status, 2, partly.stderr);
    assert.match(partly.stdout, /vm00O: not found: Resource Graph has no such machine/);
    assert.match(partly.stderr, /^driftscan: --machine \/subscriptions\/.*\/vm00O: not found in Resource Graph \(the others were planned\)$/m);
    assert.equal(okPuts(emu).length, before, 'neither run wrote anything');
  });
});

test('bad input: a malformed --machine, no selector, no contentUri, an unknown package: one line, exit 2, nothing sent', { skip, timeout: 120_000 }, async () => {
  await withEmulator(fleetState(1), async (emu, assign) => {
    const bad = await assign(`build/${PKG}`, '--machine', `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/x`);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^driftscan: --machine '\/subscriptions\/.*storageAccounts\/x' is not a machine id: expected .*\n$/);

    const none = await assign(`build/${PKG}`);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /^driftscan: name the machines to assign to: --machine ID, --resource-group .*\n$/);

    const noUri = buildVariant('no-uri', (p) => delete p.contentUri);
    const nu = await assign(PKG, '--build', noUri, '--machine', vmId('vm000'), '--apply');
    assert.equal(nu.status, 2);
    assert.equal(nu.stderr, `driftscan: ${join(noUri, 'manifest.json')}: package 'rdp-access-denied' has no contentUri: machines need a URL to download it from — run driftscan publish, or compile --content-uri-base URL\n`);

    const unknown = await assign('rdp-acess-denied', '--machine', vmId('vm000'));
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^driftscan: build\/manifest\.json:\d+:\d+: no package 'rdp-acess-denied' in the manifest \(did you mean 'rdp-access-denied'\?\)\n$/);
    assert.equal(emu.requests.length, 0, 'nothing was sent');
  });
});

test('a SAS in the contentUri is sent but never printed; contentManagedIdentity is sent and compared without case', { skip, timeout: 120_000 }, async () => {
  const identity = `/subscriptions/${SUB}/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/gc-reader`;
  const sas = buildVariant('sas', (p) => {
    p.contentUri = `${String(p.contentUri)}?sv=2022-11-02&sp=r&se=2027-01-01T00%3A00%3A00Z&sig=SAS-SIGNATURE-SECRET%3D`;
    p.contentManagedIdentity = identity;
  });
  await withEmulator(fleetState(1), async (emu, assign) => {
    const out = join(tmp, 'sas-plan.json');
    const r = await assign(PKG, '--build', sas, '--machine', vmId('vm000'), '--apply', '--verbose', '--output', out);
    assert.equal(r.status, 0, r.stderr);
    const put = okPuts(emu)[0]!.body as { properties: { guestConfiguration: { contentUri: string; contentManagedIdentity: string } } };
    assert.match(put.properties.guestConfiguration.contentUri, /sig=SAS-SIGNATURE-SECRET/, 'the machine needs the SAS');
    assert.equal(put.properties.guestConfiguration.contentManagedIdentity, identity);
    assert.ok(!(r.stdout + r.stderr + readFileSync(out, 'utf8')).includes('SAS-SIGNATURE-SECRET'), 'the SAS signature was printed or written');

    // ARM may echo the identity's id in another case: that is not drift.
    const stored = emu.resource(assignmentPath(vmId('vm000')))!;
    (stored.properties as { guestConfiguration: { contentManagedIdentity: string } }).guestConfiguration.contentManagedIdentity = identity.toUpperCase();
    const before = emu.requests.length;
    const rerun = await assign(PKG, '--build', sas, '--machine', vmId('vm000'), '--apply');
    assert.equal(rerun.status, 0, rerun.stderr);
    assert.match(rerun.stdout, /0 to create, 0 to update, 1 unchanged/);
    assert.equal(emu.requests.slice(before).filter(isWrite).length, 0);
  });
});

test('provisioning states: Succeeded is done, Failed and Canceled failed, Created, Updating and unknown values still pending', () => {
  assert.deepEqual(['Succeeded', 'succeeded', 'Failed', 'Canceled', 'Created', 'Updating', 'Provisioning', undefined].map(provisioningOutcome),
    ['succeeded', 'succeeded', 'failed', 'failed', 'pending', 'pending', 'pending', 'pending']);
});

test('manifest reading: any text gives a package or one located DriftscanError, never another exception', () => {
  const entry = fc.record({
    name: fc.oneof(fc.constant(PKG), fc.string()),
    version: fc.oneof(fc.constant('1.0.0'), fc.string(), fc.integer()),
    contentHash: fc.oneof(fc.constant('A'.repeat(64)), fc.string()),
    assignmentType: fc.oneof(fc.constant('Audit'), fc.string()),
    file: fc.oneof(fc.constant('x/x.zip'), fc.constant('')),
    contentUri: fc.option(fc.oneof(fc.constant('https://a.blob.core.windows.net/gc/x.zip'), fc.string()), { nil: undefined }),
    configurationParameters: fc.oneof(fc.constant([]), fc.array(fc.record({ name: fc.string(), reference: fc.string(), defaultValue: fc.oneof(fc.string(), fc.integer()) }), { maxLength: 3 }), fc.string()),
  }, { requiredKeys: [] });
  const doc = fc.oneof(fc.json(), fc.record({ packages: fc.array(entry, { maxLength: 3 }) }).map((d) => JSON.stringify(d, null, 2)), fc.string());
  fc.assert(fc.property(doc, (text) => {
    try {
      const p = findManifestPackage(parseBuildManifest(text, 'build/manifest.json'), PKG, text, 'build/manifest.json');
      assert.equal(p.name, PKG);
      assert.match(p.contentHash, /^[0-9A-Fa-f]{64}$/);
    } catch (err) {
      assert.ok(err instanceof DriftscanError, String(err));
      assert.match(err.message, /^build\/manifest\.json(:\d+:\d+)?: /);
      assert.equal(err.message.split('\n').length, 1);
    }
  }), { numRuns: 500 });
});

test('--resource-group ids: every well-formed id parses back to its parts; other text is refused, never thrown', () => {
  const guid = fc.uuid();
  const name = fc.stringMatching(/^[-\w._()]{1,90}$/);
  fc.assert(fc.property(guid, name, (sub, group) => {
    assert.deepEqual(parseResourceGroupId(`/subscriptions/${sub}/resourceGroups/${group}`), { subscription: sub.toLowerCase(), group });
  }));
  fc.assert(fc.property(fc.string(), (s) => {
    const r = parseResourceGroupId(s);
    if (r) assert.match(s, /resourceGroups/i);
  }));
});
