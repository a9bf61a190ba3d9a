/**
 * `driftscan deploy` end to end: the shipped baselines compiled into a temp folder, deployed by the
 * CLI (a separate process) into the ARM emulator, which validates every request body and response
 * against the REST specs and logs every request — so "spec-valid", "each resource PUT once" and
 * "a second --apply writes nothing" are read off the emulator's request log, not assumed.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArmEmulator, SPECS_RELATIVE, type LogEntry } from './support/arm-emulator/server.js';
import { needShared, repoRoot } from './support/paths.js';
import { runCli, runCliAsync } from './support/cli.js';
import { TOKEN, TOKEN_SHA256, policyDefinition } from './support/azure-fixtures.js';

const skip = needShared(SPECS_RELATIVE);
const BASE = 'https://example.blob.core.windows.net/packages/';
const sub = (n: number) => `00000000-0000-0000-0000-0000000001${String(n).padStart(2, '0')}`;
const scopeOf = (n: number) => `/subscriptions/${sub(n)}`;

let emu: ArmEmulator;
let root: string;

before(async () => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'driftscan-deploy-'));
  emu = await ArmEmulator.start({
    state: { subscriptions: Array.from({ length: 20 }, (_, i) => ({ subscriptionId: sub(i), displayName: `Deploy ${i}` })) },
    tokenSha256: TOKEN_SHA256,
  });
});

afterEach(() => {
  if (skip) return;
  emu.faults.clear();
  assert.deepEqual(emu.invalidResponses, [], 'the emulator sent a response its spec does not allow');
});

after(async () => {
  if (skip) return;
  await emu.close();
  rmSync(root, { recursive: true, force: true });
});

/** A project folder `<root>/<name>` with `policies/` holding copies of the shipped baselines (edited by `edit`). */
function project(name: string, edit: (file: string, text: string) => string = (_f, t) => t, files = ['rdp-access-denied.yaml', 'rdp-hardening.yaml']): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'policies'), { recursive: true });
  for (const f of files) writeFileSync(join(dir, 'policies', f), edit(f, readFileSync(join(repoRoot, 'policies', f), 'utf8')));
  return dir;
}

/** `compile` in `dir` into `dir/build` (a fresh lock each time: tests change content without bumping versions). */
function compile(dir: string, extra: string[] = ['--content-uri-base', BASE]): void {
  rmSync(join(dir, 'policies', 'modules.lock.json'), { force: true });
  const r = runCli(['compile', 'policies', '--out', 'build', ...extra], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
}

function deploy(dir: string, args: string[]) {
  return runCliAsync(['deploy', 'build', ...args], {
    cwd: dir,
    env: { DRIFTSCAN_ARM_ENDPOINT: emu.endpoint, DRIFTSCAN_ARM_TOKEN: TOKEN, NODE_EXTRA_CA_CERTS: emu.caPath! },
  });
}

/** The requests of `fn`'s run that were for `scope` (each test deploys to its own subscription). */
async function logged<T>(scope: string, fn: () => Promise<T>): Promise<{ result: T; requests: LogEntry[] }> {
  const from = emu.requests.length;
  const result = await fn();
  return { result, requests: emu.requests.slice(from).filter((e) => e.path.toLowerCase().startsWith(scope.toLowerCase())) };
}

const writes = (requests: LogEntry[]) => requests.filter((e) => e.method !== 'GET');

/** The plan table's text without borders and line wraps, for phrases that a narrow Changes column splits. */
const flat = (table: string) => table.replace(/[│┌┐└┘├┤┬┴┼─]/g, ' ').replace(/\s+/g, ' ');

test('deploy --plan, --apply, and a second --apply with zero writes: both shipped baselines', { skip, timeout: 180_000 }, async () => {
  const scope = scopeOf(1);
  const dir = project('shipped');
  compile(dir, ['--content-uri-base', BASE, '--policy-scope', scope]);

  const plan = await logged(scope, () => deploy(dir, ['--scope', scope]));
  assert.equal(plan.result.status, 0, plan.result.stderr);
  assert.deepEqual(writes(plan.requests), [], '--plan (the default) sends no write');
  for (const name of ['rdp-access-denied-aine', 'rdp-hardening-aine', 'policies-initiative', 'driftscan-policies']) {
    assert.match(plan.result.stdout, new RegExp(`│ create +│ \\w+ +│ ${name} `), `${name} planned as create`);
  }
  assert.match(plan.result.stdout, /4 to create, 0 to update, 0 unchanged, 0 to delete\n$/);
  assert.match(flat(plan.result.stdout), /waiver rdp-prompt-for-password covers 1 of 7 rules of rdp-hardening: Azure Policy exempts whole definitions/);
  assert.match(plan.result.stderr, /plan only: nothing was changed; run again with --apply to make these 4 changes/);

  const applied = await logged(scope, () => deploy(dir, ['--scope', scope, '--apply']));
  assert.equal(applied.result.status, 0, applied.result.stderr);
  const puts = writes(applied.requests);
  assert.deepEqual(puts.map((e) => `${e.method} ${e.status} ${e.path.split('/').slice(-2).join('/')}`), [
    'PUT 201 policyDefinitions/rdp-access-denied-aine',
    'PUT 201 policyDefinitions/rdp-hardening-aine',
    'PUT 201 policySetDefinitions/policies-initiative',
    'PUT 201 policyAssignments/driftscan-policies',
  ], 'each resource PUT once, in wave order');
  assert.match(applied.result.stdout, /applied 4 of 4 writes; 0 failed; 0 not attempted\n$/);

  // What Azure holds is what build/ says, marked as driftscan's.
  const def = emu.store.get(`${scope}/providers/Microsoft.Authorization/policyDefinitions/rdp-hardening-aine`.toLowerCase())!;
  const file = JSON.parse(readFileSync(join(dir, 'build', 'rdp-hardening', 'rdp-hardening_AuditIfNotExists.json'), 'utf8'));
  assert.deepEqual((def.properties as { policyRule: unknown }).policyRule, file.properties.policyRule);
  assert.deepEqual((def.properties as { metadata: { driftscan: unknown } }).metadata.driftscan, { managedBy: 'driftscan' });
  const assignment = emu.store.get(`${scope}/providers/Microsoft.Authorization/policyAssignments/driftscan-policies`.toLowerCase())!;
  const props = assignment.properties as { policyDefinitionId: string; nonComplianceMessages: Array<{ message: string; policyDefinitionReferenceId: string }>; parameters: Record<string, { value: unknown }> };
  assert.equal(props.policyDefinitionId, `${scope}/providers/Microsoft.Authorization/policySetDefinitions/policies-initiative`);
  assert.deepEqual(props.nonComplianceMessages.map((m) => m.policyDefinitionReferenceId), ['rdp-access-denied-aine', 'rdp-hardening-aine']);
  assert.match(props.nonComplianceMessages[1]!.message, /^Remote Desktop hardening \(rdp-hardening 1\.0\.0, driftscan\): rdp-nla-required: expected HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp → UserAuthentication: DWORD 1; /);
  assert.ok(props.nonComplianceMessages.every((m) => m.message.length <= 1024));
  assert.deepEqual(props.parameters['rdp-hardening_minEncryptionLevel'], { value: '3' });
  assert.equal(assignment.identity, undefined, 'Audit only: no identity, no role assignment');

  const again = await logged(scope, () => deploy(dir, ['--scope', scope, '--apply']));
  assert.equal(again.result.status, 0, again.result.stderr);
  assert.deepEqual(writes(again.requests), [], 'a second --apply makes zero write calls');
  assert.match(again.result.stdout, /0 to create, 0 to update, 4 unchanged, 0 to delete\napplied nothing: every resource is up to date\n$/);
});

test('one changed rule: exactly one definition update whose field diff is the new contentHash; --output plan.json and plan.md', { skip, timeout: 180_000 }, async () => {
  const scope = scopeOf(2);
  const dir = project('changed');
  compile(dir);
  assert.equal((await deploy(dir, ['--scope', scope, '--apply'])).status, 0);
  const before = JSON.parse(readFileSync(join(dir, 'build', 'manifest.json'), 'utf8')).packages[1].contentHash as string;
  // A longer rationale for the first rule moves every later rule down a line: their MOF SourceInfo, and so the package, change.
  writeFileSync(join(dir, 'policies', 'rdp-hardening.yaml'), readFileSync(join(dir, 'policies', 'rdp-hardening.yaml'), 'utf8')
    .replace('      rationale: NLA authenticates', '      rationale: >-\n        Checked by the CIS benchmark too.\n        NLA authenticates'));
  compile(dir);
  const after = JSON.parse(readFileSync(join(dir, 'build', 'manifest.json'), 'utf8')).packages[1].contentHash as string;
  assert.notEqual(after, before);

  const r = await logged(scope, () => deploy(dir, ['--scope', scope, '--output', join(dir, 'plan.json'), '--output', join(dir, 'plan.md')]));
  assert.equal(r.result.status, 0, r.result.stderr);
  assert.deepEqual(writes(r.requests), []);
  const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as { command: string; target: string; summary: Record<string, number>; changes: Array<{ action: string; kind: string; name: string; fields: Array<{ path: string; before: unknown; after: unknown }> }> };
  assert.equal(plan.command, 'deploy');
  assert.equal(plan.target, scope);
  assert.deepEqual(plan.summary, { create: 0, update: 1, unchanged: 3, delete: 0, keep: 0 });
  const updates = plan.changes.filter((c) => c.action === 'update');
  assert.deepEqual(updates.map((c) => [c.kind, c.name]), [['policyDefinition', 'rdp-hardening-aine']]);
  assert.deepEqual(updates[0]!.fields, [{ path: 'properties.metadata.guestConfiguration.contentHash', before, after }]);
  assert.deepEqual(plan.changes.filter((c) => c.kind !== 'policyDefinition').map((c) => c.action), ['unchanged', 'unchanged'], 'initiative and assignment unchanged');
  const md = readFileSync(join(dir, 'plan.md'), 'utf8');
  assert.ok(md.includes('rdp-hardening-aine') && md.includes(after.slice(0, 20)), md);
  // The table wraps with the terminal width: compare its cells with the borders and white space taken out.
  const cells = r.result.stdout.replace(/[│\s]/g, '');
  assert.ok(cells.includes('updatepolicyDefinitionrdp-hardening-ainerdp-hardening1.0.0properties.metadata.guestConfiguration.contentHash:'), r.result.stdout);
  assert.ok(cells.includes(`contentHash:"${before}"→"${after}"`), r.result.stdout);
});

test('delete candidates: kept without --prune, deleted with it; resources driftscan did not create are never candidates', { skip, timeout: 180_000 }, async () => {
  const scope = scopeOf(3);
  const dir = project('prune');
  compile(dir);
  assert.equal((await deploy(dir, ['--scope', scope, '--apply'])).status, 0);
  // Someone else's definition at the same scope.
  const foreign = `${scope}/providers/Microsoft.Authorization/policyDefinitions/team-other`;
  emu.store.set(foreign.toLowerCase(), { id: foreign, name: 'team-other', type: 'Microsoft.Authorization/policyDefinitions', properties: policyDefinition('team-other') });
  rmSync(join(dir, 'policies', 'rdp-hardening.yaml'));
  rmSync(join(dir, 'build'), { recursive: true });
  compile(dir);

  const kept = await logged(scope, () => deploy(dir, ['--scope', scope, '--apply']));
  assert.equal(kept.result.status, 0, kept.result.stderr);
  assert.match(kept.result.stdout, /│ keep +│ policyDefinition +│ rdp-hardening-aine +│ no longer produced; deleted only with --prune/);
  assert.doesNotMatch(kept.result.stdout, /team-other/);
  assert.deepEqual(writes(kept.requests).map((e) => `${e.method} ${e.path.split('/').pop()}`), ['PUT policies-initiative', 'PUT driftscan-policies']);
  assert.ok(emu.store.has(`${scope}/providers/Microsoft.Authorization/policyDefinitions/rdp-hardening-aine`.toLowerCase()));

  const pruned = await logged(scope, () => deploy(dir, ['--scope', scope, '--apply', '--prune']));
  assert.equal(pruned.result.status, 0, pruned.result.stderr);
  assert.deepEqual(writes(pruned.requests).map((e) => `${e.method} ${e.path.split('/').pop()}`), ['DELETE rdp-hardening-aine']);
  assert.equal(emu.store.has(`${scope}/providers/Microsoft.Authorization/policyDefinitions/rdp-hardening-aine`.toLowerCase()), false);
  assert.ok(emu.store.has(foreign.toLowerCase()), 'never touch what driftscan did not create');
});

test('an enforcing baseline: --location required; identity, role assignment for its principal, rerun finds the same role assignment', { skip, timeout: 180_000 }, async () => {
  const scope = scopeOf(4);
  const dir = project('enforce', (_f, t) => t.replace(/^    type: Audit$/m, '    type: ApplyAndAutoCorrect\n    remoteAccessAcknowledgement: "CHG-9: tested with serial console access"'), ['rdp-hardening.yaml']);
  compile(dir);
  const noLocation = await logged(scope, () => deploy(dir, ['--scope', scope, '--apply']));
  assert.equal(noLocation.result.status, 2);
  assert.equal(noLocation.result.stderr, 'driftscan: --location is required: rdp-hardening-dine deploys guest configuration assignments, so the policy assignment needs a managed identity, and Azure keeps an identity in a region (e.g. --location westeurope)\n');
  assert.deepEqual(noLocation.requests, [], 'refused before any Azure call');

  const plan = await deploy(dir, ['--scope', scope, '--location', 'westeurope', '--output', join(dir, 'plan.json')]);
  assert.equal(plan.status, 0, plan.stderr);
  const planned = (JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as { changes: Array<{ action: string; kind: string; note?: string; body?: { properties: Record<string, unknown> } }> }).changes.filter((c) => c.kind === 'roleAssignment');
  assert.deepEqual(planned.map((c) => [c.action, c.note, c.body?.properties.principalId]), [['create', 'role 088ab73d-1256-47ae-bea9-9de8e7131f31; principal id known after apply', undefined]]);

  const applied = await logged(scope, () => deploy(dir, ['--scope', scope, '--location', 'westeurope', '--apply']));
  assert.equal(applied.result.status, 0, applied.result.stderr);
  const assignment = emu.store.get(`${scope}/providers/Microsoft.Authorization/policyAssignments/driftscan-policies`.toLowerCase())!;
  const principal = (assignment.identity as { principalId: string }).principalId;
  const roles = [...emu.store.values()].filter((r) => String(r.type) === 'Microsoft.Authorization/roleAssignments' && String(r.id).toLowerCase().startsWith(scope.toLowerCase()));
  assert.equal(roles.length, 1);
  const role = roles[0]!.properties as Record<string, string>;
  assert.equal(role.principalId, principal);
  assert.equal(role.roleDefinitionId, `${scope}/providers/Microsoft.Authorization/roleDefinitions/088ab73d-1256-47ae-bea9-9de8e7131f31`);
  assert.equal(role.principalType, 'ServicePrincipal');
  assert.match(role.description!, /\(managed by driftscan deploy\)$/);
  const order = writes(applied.requests).map((e) => e.path.split('/').slice(-2)[0]);
  assert.deepEqual(order, ['policyDefinitions', 'policyDefinitions', 'policySetDefinitions', 'policyAssignments', 'roleAssignments'], 'waves: definitions, initiative, assignment, role');

  const again = await logged(scope, () => deploy(dir, ['--scope', scope, '--location', 'westeurope', '--apply']));
  assert.equal(again.result.status, 0, again.result.stderr);
  assert.deepEqual(writes(again.requests), []);

  // The assignment is deleted behind driftscan's back: the new one has a new identity, and the role
  // assignment (same deterministic name) is replaced for it — ARM cannot change a role assignment's principal.
  emu.store.delete(`${scope}/providers/Microsoft.Authorization/policyAssignments/driftscan-policies`.toLowerCase());
  const recreated = await logged(scope, () => deploy(dir, ['--scope', scope, '--location', 'westeurope', '--apply']));
  assert.equal(recreated.result.status, 0, recreated.result.stderr);
  const newPrincipal = ((emu.store.get(`${scope}/providers/Microsoft.Authorization/policyAssignments/driftscan-policies`.toLowerCase())!.identity) as { principalId: string }).principalId;
  assert.notEqual(newPrincipal, principal);
  assert.deepEqual(writes(recreated.requests).map((e) => `${e.method} ${e.path.split('/').slice(-2)[0]}`), ['PUT policyAssignments', 'DELETE roleAssignments', 'PUT roleAssignments']);
  assert.equal((emu.store.get(String(roles[0]!.id).toLowerCase())!.properties as Record<string, string>).principalId, newPrincipal);
  assert.deepEqual(writes((await logged(scope, () => deploy(dir, ['--scope', scope, '--location', 'westeurope', '--apply']))).requests), []);
});

test('the lock-out guard at deploy time: an enforcing remote-access baseline without its acknowledgement is refused, exit 2, nothing sent', { skip, timeout: 120_000 }, async () => {
  const scope = scopeOf(5);
  const dir = project('guard', (_f, t) => t.replace(/^    type: Audit$/m, '    type: ApplyAndAutoCorrect\n    remoteAccessAcknowledgement: "CHG-9: tested with serial console access"'), ['rdp-hardening.yaml']);
  compile(dir);
  // The acknowledgement is withdrawn after compile; build/ still enforces.
  const file = join(dir, 'policies', 'rdp-hardening.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/\n    remoteAccessAcknowledgement: .*/, ''));
  const r = await logged(scope, () => deploy(dir, ['--scope', scope, '--location', 'westeurope', '--apply']));
  assert.equal(r.result.status, 2);
  assert.deepEqual(r.requests, []);
  const lines = r.result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 7, r.result.stderr);
  assert.match(lines[0]!, /^driftscan: .*rdp-hardening\.yaml:\d+:\d+: rule rdp-nla-required touches Remote Desktop listener settings \(Terminal Server key\); enforcing it \(ApplyAndAutoCorrect\) can lock every administrator out of the VM, so the compiler requires spec\.assignment\.remoteAccessAcknowledgement/);
  // The same wording as compile.
  const c = runCli(['compile', 'policies', '--out', 'build2', '--content-uri-base', BASE], { cwd: dir });
  assert.equal(c.status, 2);
  assert.equal(c.stderr.split('\n')[0]!.replace(/^driftscan: /, ''), lines[0]!.replace(/^driftscan: /, ''));
});

test('a baseline waived in full becomes a Waiver exemption with the waiver\'s expiry, owner and reason', { skip, timeout: 120_000 }, async () => {
  const scope = scopeOf(6);
  const dir = project('waived', (f, t) => (f === 'rdp-access-denied.yaml'
    ? `${t.trimEnd()}\n  waivers:\n    - rule: "*"\n      reason: Session hosts are being rebuilt under CHG-5150.\n      owner: platform-windows@example.com\n      expires: "2099-03-31"\n`
    : t));
  compile(dir);
  const r = await logged(scope, () => deploy(dir, ['--scope', scope, '--apply']));
  assert.equal(r.result.status, 0, r.result.stderr);
  const id = `${scope}/providers/Microsoft.Authorization/policyExemptions/driftscan-policies-rdp-access-denied-waiver`;
  const put = writes(r.requests).find((e) => e.path === id);
  assert.ok(put, 'the exemption was PUT');
  assert.equal(put.status, 201);
  const props = (emu.store.get(id.toLowerCase())!.properties) as Record<string, unknown>;
  assert.equal(props.exemptionCategory, 'Waiver');
  assert.equal(props.expiresOn, '2099-03-31T23:59:59Z');
  assert.deepEqual(props.policyDefinitionReferenceIds, ['rdp-access-denied-aine']);
  assert.equal(props.policyAssignmentId, `${scope}/providers/Microsoft.Authorization/policyAssignments/driftscan-policies`);
  assert.match(String(props.description), /\*: Session hosts are being rebuilt under CHG-5150\. \(owner platform-windows@example\.com, until 2099-03-31\)/);
  const again = await logged(scope, () => deploy(dir, ['--scope', scope, '--apply']));
  assert.deepEqual(writes(again.requests), []);
});

test('throttled: a 429 with Retry-After is retried as the header says and the run succeeds', { skip, timeout: 120_000 }, async () => {
  const scope = scopeOf(7);
  const dir = project('throttled');
  compile(dir);
  emu.faults.add({ method: 'PUT', path: 'policySetDefinitions', subscription: sub(7), status: 429, retryAfter: 1, times: 1 });
  const started = Date.now();
  const r = await logged(scope, () => deploy(dir, ['--scope', scope, '--apply']));
  assert.equal(r.result.status, 0, r.result.stderr);
  assert.deepEqual(writes(r.requests).filter((e) => e.path.includes('policySetDefinitions')).map((e) => e.status), [429, 201]);
  assert.ok(Date.now() - started >= 1000, 'waited the Retry-After second');
  assert.match(r.result.stdout, /applied 4 of 4 writes; 0 failed; 0 not attempted\n$/);
});

test('a write that keeps failing: exit 3, one line naming the resource, applied / FAILED / not attempted listed, later waves not attempted', { skip, timeout: 120_000 }, async () => {
  const scope = scopeOf(8);
  const dir = project('failing');
  compile(dir);
  emu.faults.add({ method: 'PUT', path: 'policySetDefinitions', subscription: sub(8), status: 500, code: 'InternalServerError', message: 'Something went wrong.', retryAfterMs: 1 });
  const r = await logged(scope, () => deploy(dir, ['--scope', scope, '--apply', '--output', join(dir, 'result.json')]));
  assert.equal(r.result.status, 3, r.result.stderr);
  const setId = `${scope}/providers/Microsoft.Authorization/policySetDefinitions/policies-initiative`;
  assert.equal(r.result.stderr.trimEnd().split('\n').at(-1), `driftscan: Azure kept failing PUT ${setId}: 500 InternalServerError: Something went wrong. (6 attempts)`);
  assert.match(r.result.stdout, new RegExp(`Not applied:\\n  FAILED        create policySetDefinition ${setId}: Azure kept failing .*\\n  not attempted create policyAssignment ${scope}/providers/Microsoft.Authorization/policyAssignments/driftscan-policies\\n`));
  assert.match(r.result.stdout, /applied 2 of 4 writes; 1 failed; 1 not attempted\n$/);
  assert.equal(writes(r.requests).filter((e) => e.path.includes('policyAssignments')).length, 0, 'the assignment wave never started');
  const saved = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { changes: Array<{ kind: string; result?: string }> };
  assert.deepEqual(saved.changes.map((c) => `${c.kind} ${c.result}`), ['policyDefinition applied', 'policyDefinition applied', 'policySetDefinition failed', 'policyAssignment not-attempted']);
  emu.faults.clear();
  // A rerun picks up where it stopped: the definitions are unchanged now.
  const rerun = await logged(scope, () => deploy(dir, ['--scope', scope, '--apply']));
  assert.equal(rerun.result.status, 0, rerun.result.stderr);
  assert.deepEqual(writes(rerun.requests).map((e) => e.path.split('/').pop()), ['policies-initiative', 'driftscan-policies']);
});

test('403 on the subscription: exit 3 naming the subscription, nothing written', { skip, timeout: 120_000 }, async () => {
  const scope = scopeOf(9);
  const dir = project('forbidden');
  compile(dir);
  emu.faults.forbidSubscription(sub(9));
  const r = await logged(scope, () => deploy(dir, ['--scope', scope, '--apply']));
  assert.equal(r.result.status, 3, r.result.stderr);
  assert.match(r.result.stderr, new RegExp(`^driftscan: no permission in subscription ${sub(9)} for GET ${scope}/providers/Microsoft\\.Authorization/\\w+: 403 AuthorizationFailed`, 'm'));
  assert.deepEqual(writes(r.requests), []);
  assert.equal(r.result.stdout, '');
});

test('build/ problems: no definitions (run publish), a damaged manifest or definition with file:line:col, members at another scope — exit 2, no Azure call', { skip, timeout: 120_000 }, async () => {
  const scope = scopeOf(10);
  const dir = project('badbuild');
  compile(dir, []);
  const before = emu.requests.length;
  const none = await deploy(dir, ['--scope', scope]);
  assert.equal(none.status, 2);
  assert.equal(none.stderr, `driftscan: ${join('build', 'manifest.json')}: build holds no Azure Policy definitions (compiled without --content-uri-base and not published): run driftscan publish build … to upload the packages and write their definitions, or compile with --content-uri-base\n`);

  compile(dir, ['--content-uri-base', BASE, '--policy-scope', scopeOf(11)]);
  const elsewhere = await deploy(dir, ['--scope', scope]);
  assert.equal(elsewhere.status, 2);
  assert.match(elsewhere.stderr, new RegExp(`^driftscan: build/initiatives/policies\\.json:\\d+:\\d+: policyDefinitionId is at ${scopeOf(11)}, not at --scope ${scope}: compile with --policy-scope ${scope}`));

  compile(dir);
  const defFile = join(dir, 'build', 'rdp-hardening', 'rdp-hardening_AuditIfNotExists.json');
  const good = readFileSync(defFile, 'utf8');
  writeFileSync(defFile, good.replace(/"contentHash": "[0-9A-F]{64}"/, '"contentHash": "abc"'));
  const bad = await deploy(dir, ['--scope', scope]);
  assert.equal(bad.status, 2);
  const line = good.split('\n').findIndex((l) => l.includes('"contentHash"')) + 1;
  assert.match(bad.stderr, new RegExp(`^driftscan: build/rdp-hardening/rdp-hardening_AuditIfNotExists\\.json:${line}:\\d+: not a driftscan policy definition: properties\\.metadata\\.guestConfiguration\\.contentHash must match pattern`));
  writeFileSync(defFile, good);

  const manifest = join(dir, 'build', 'manifest.json');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('"assignmentType": "Audit"', '"assignmentType": "Enforce"'));
  const badManifest = await deploy(dir, ['--scope', scope]);
  assert.equal(badManifest.status, 2);
  assert.match(badManifest.stderr, /^driftscan: build\/manifest\.json:\d+:\d+: not a driftscan build manifest: packages\.0\.assignmentType must be one of "Audit", "ApplyAndMonitor", "ApplyAndAutoCorrect"\n$/);

  const badScope = await deploy(dir, ['--scope', '/subscriptions/nope']);
  assert.equal(badScope.status, 2);
  assert.match(badScope.stderr, /--scope must be \/subscriptions\/<subscription id> or \/providers\/Microsoft\.Management\/managementGroups\/<group id>, not \/subscriptions\/nope/);
  assert.equal(emu.requests.length, before, 'no Azure call for a bad build/');
  assert.equal(existsSync(join(dir, 'plan.json')), false);
});

test('deploy to a management group scope: plan reads the management group and names the assignment within 24 characters', { skip, timeout: 120_000 }, async () => {
  const scope = '/providers/Microsoft.Management/managementGroups/platform-root';
  const dir = project('mg');
  compile(dir);
  const r = await logged(scope, () => deploy(dir, ['--scope', scope, '--apply']));
  assert.equal(r.result.status, 0, r.result.stderr);
  assert.deepEqual(writes(r.requests).map((e) => `${e.method} ${e.status} ${e.path.split('/').pop()}`), [
    'PUT 201 rdp-access-denied-aine', 'PUT 201 rdp-hardening-aine', 'PUT 201 policies-initiative', 'PUT 201 driftscan-policies',
  ]);
  const again = await logged(scope, () => deploy(dir, ['--scope', scope, '--apply']));
  assert.equal(again.result.status, 0, again.result.stderr);
  assert.deepEqual(writes(again.requests), []);
});

test('a resource of the same name that driftscan did not create is never taken over: exit 2 naming it, nothing written', { skip, timeout: 120_000 }, async () => {
  const scope = scopeOf(12);
  const dir = project('conflict');
  compile(dir);
  const theirs = `${scope}/providers/Microsoft.Authorization/policyDefinitions/rdp-hardening-aine`;
  emu.store.set(theirs.toLowerCase(), { id: theirs, name: 'rdp-hardening-aine', type: 'Microsoft.Authorization/policyDefinitions', properties: policyDefinition('rdp-hardening-aine') });
  const r = await logged(scope, () => deploy(dir, ['--scope', scope, '--apply']));
  assert.equal(r.result.status, 2, r.result.stderr);
  assert.equal(r.result.stderr, `driftscan: policyDefinition ${theirs} exists but was not created by driftscan (no metadata.driftscan.managedBy mark): deploy will not overwrite it; delete or rename it, or add metadata.driftscan = {"managedBy": "driftscan"} to hand it to driftscan\n`);
  assert.deepEqual(writes(r.requests), []);
  assert.deepEqual(emu.store.get(theirs.toLowerCase())!.properties, policyDefinition('rdp-hardening-aine'));
});

test('a SAS in a published contentUri and the bearer token never reach stdout, stderr or the plan files', { skip, timeout: 120_000 }, async () => {
  const scope = scopeOf(13);
  const dir = project('sas', undefined, ['rdp-access-denied.yaml']);
  compile(dir);
  // What publish writes: the final URL with a SAS token.
  const signature = 'c2VjcmV0LXNpZ25hdHVyZS1kby1ub3QtcHJpbnQ%3D';
  const defFile = join(dir, 'build', 'rdp-access-denied', 'rdp-access-denied_AuditIfNotExists.json');
  writeFileSync(defFile, readFileSync(defFile, 'utf8').replace(/("contentUri": "[^"]+)"/, `$1?sv=2025-01-05&se=2099-01-01T00%3A00%3A00Z&sr=b&sp=r&sig=${signature}"`));
  const r = await deploy(dir, ['--scope', scope, '--apply', '--verbose', '--output', join(dir, 'plan.json'), '--output', join(dir, 'plan.md')]);
  assert.equal(r.status, 0, r.stderr);
  const everything = [r.stdout, r.stderr, readFileSync(join(dir, 'plan.json'), 'utf8'), readFileSync(join(dir, 'plan.md'), 'utf8')].join('\n');
  assert.ok(!everything.includes(signature) && !everything.includes(decodeURIComponent(signature)), 'the SAS signature leaked');
  for (const piece of [TOKEN, TOKEN.split('.')[1]!, TOKEN.split('.')[2]!]) assert.ok(!everything.includes(piece), 'the token leaked');
  assert.match(r.stderr, /PUT .*policyDefinitions\/rdp-access-denied-aine/, '--verbose printed the requests');
  // Azure got the real URL.
  const stored = emu.store.get(`${scope}/providers/Microsoft.Authorization/policyDefinitions/rdp-access-denied-aine`.toLowerCase())!;
  assert.ok(JSON.stringify(stored).includes(signature));
});
