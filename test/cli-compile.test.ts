/** `driftscan compile` and `driftscan package inspect` as a user runs them. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/cli.js';
import { repoRoot } from './support/paths.js';
import { seedProject } from './support/compile-project.js';

let tmp: string;
let env: NodeJS.ProcessEnv;

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'driftscan-cli-compile-'));
  // No network: compile needs nothing but driftscan itself (proxies pointed nowhere make any attempt fail).
  env = { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9' };
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const project = (name: string): string => seedProject(tmp, name);

const compile = (cwd: string, ...args: string[]) => runCli(['compile', ...args], { cwd, env });

test('compile writes the package, manifest and lock; --check is 0 when fresh and 1 when stale', () => {
  const dir = project('fresh');
  const r = compile(dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /compiled rdp-access-denied 1\.0\.0 .* sha256 [0-9A-F]{64}/);
  const zip = join(dir, 'build', 'rdp-access-denied', 'rdp-access-denied.zip');
  assert.ok(existsSync(zip));
  const manifest = JSON.parse(readFileSync(join(dir, 'build', 'manifest.json'), 'utf8'));
  const pkg = manifest.packages[0];
  assert.equal(pkg.name, 'rdp-access-denied');
  assert.equal(pkg.size, readFileSync(zip).length);
  assert.deepEqual(pkg.configurationParameters, [{ name: 'maxTokenSize', reference: '[DriftscanRegistryValue]kerberos-max-token-size;Data', defaultValue: '65535' }]);
  assert.deepEqual(pkg.rules.find((x: { ruleId: string }) => x.ruleId === 'rdp-cert-store-readable').resources, ['[DriftscanRegistryAcl]rdp-cert-store-readable']);
  assert.deepEqual(pkg.modules, [{ name: 'DriftscanDsc', version: '0.1.0' }]);
  const lock = JSON.parse(readFileSync(join(dir, 'policies', 'modules.lock.json'), 'utf8'));
  assert.deepEqual(lock.packages['rdp-access-denied'], { version: '1.0.0', contentHash: pkg.contentHash });

  const fresh = compile(dir, '--check');
  assert.equal(fresh.status, 0, fresh.stdout + fresh.stderr);
  assert.match(fresh.stdout, /up to date/);

  writeFileSync(zip, 'tampered');
  const stale = compile(dir, '--check');
  assert.equal(stale.status, 1);
  assert.match(stale.stdout, /stale .*rdp-access-denied\.zip/);
  assert.equal(readFileSync(zip, 'utf8'), 'tampered', '--check writes nothing');

  const inspect = runCli(['package', 'inspect', join(dir, 'build', 'rdp-access-denied', 'rdp-access-denied.zip')], { env });
  assert.equal(inspect.status, 2);
  assert.match(inspect.stderr, /not a readable zip/);
  assert.equal(inspect.stderr.trim().split('\n').length, 1);
});

test('changed content without a version bump is an error at the version line; --bump fixes the YAML in place', () => {
  const dir = project('bump');
  assert.equal(compile(dir).status, 0);
  const file = join(dir, 'policies', 'rdp-access-denied.yaml');
  const original = readFileSync(file, 'utf8');
  writeFileSync(file, original.replace('equals: 1', 'equals: 2'));
  const r = compile(dir);
  assert.equal(r.status, 2);
  const line = original.split('\n').findIndex((l) => l.includes('version: 1.0.0')) + 1;
  assert.match(r.stderr, new RegExp(`^driftscan: policies/rdp-access-denied\\.yaml:${line}:\\d+: package rdp-access-denied changed .* --bump`));
  assert.equal(r.stderr.trim().split('\n').length, 1);
  const stale = compile(dir, '--check');
  assert.equal(stale.status, 2, 'a check of an unbumped change is an input error, not just stale');

  const bumped = compile(dir, '--bump');
  assert.equal(bumped.status, 0, bumped.stderr);
  assert.match(bumped.stdout, /bumped .*version 1\.0\.1/);
  const text = readFileSync(file, 'utf8');
  assert.equal(text, original.replace('equals: 1', 'equals: 2').replace('version: 1.0.0', 'version: 1.0.1'), 'only the version scalar changed');
  const lock = JSON.parse(readFileSync(join(dir, 'policies', 'modules.lock.json'), 'utf8'));
  assert.equal(lock.packages['rdp-access-denied'].version, '1.0.1');
  assert.equal(compile(dir, '--check').status, 0);
  const meta = JSON.parse(readFileSync(join(dir, 'build', 'manifest.json'), 'utf8'));
  assert.equal(meta.packages[0].version, '1.0.1');
});

test('input errors exit 2 with one line naming file:line; package inspect shows layout and resources', () => {
  const dir = project('errors');
  // The shipped baseline, enforced, with a range check: Set() has no single value to write for it.
  const shipped = readFileSync(join(repoRoot, 'policies', 'rdp-hardening.yaml'), 'utf8');
  const range = shipped.replace('equals: { param: minEncryptionLevel }', 'atLeast: { param: minEncryptionLevel }')
    .replace('type: Audit', 'type: ApplyAndMonitor\n    remoteAccessAcknowledgement: "CHG-7: tested with console access"');
  assert.notEqual(range, shipped);
  writeFileSync(join(dir, 'policies', 'range.yaml'), range);
  const r = compile(dir);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /policies\/range\.yaml:\d+:\d+: rule rdp-min-encryption-high cannot be applied \(ApplyAndMonitor\): atLeast\/atMost/);
  assert.ok(!r.stderr.includes('    at '), 'no stack trace');
  assert.ok(!existsSync(join(dir, 'build')), 'nothing written');
  assert.equal(compile(dir, '--assignment-type', 'Sometimes').status, 2);
  const skipped = compile(dir, '--skip-unsupported', '--out', 'skipped');
  assert.equal(skipped.status, 0, skipped.stderr);
  assert.match(skipped.stderr, /range\.yaml:\d+:\d+: warning: rule rdp-min-encryption-high left out of package rdp-hardening \(--skip-unsupported; audited by driftscan check only\): cannot be applied \(ApplyAndMonitor\): atLeast/);
  const hardening = JSON.parse(readFileSync(join(dir, 'skipped', 'manifest.json'), 'utf8')).packages.find((p: { name: string }) => p.name === 'rdp-hardening');
  assert.deepEqual(hardening.rules.filter((r: { omitted?: string }) => r.omitted).map((r: { ruleId: string }) => r.ruleId), ['rdp-min-encryption-high']);
  rmSync(join(dir, 'skipped'), { recursive: true });
  rmSync(join(dir, 'policies', 'modules.lock.json'));
  assert.equal(compile(dir, '--check', '--bump').status, 2);

  rmSync(join(dir, 'policies', 'range.yaml'));
  assert.equal(compile(dir, '--content-uri-base', 'https://stg.blob.core.windows.net/gc/').status, 0);
  const manifest = JSON.parse(readFileSync(join(dir, 'build', 'manifest.json'), 'utf8'));
  const pkg = manifest.packages[0];
  assert.equal(pkg.contentUri, 'https://stg.blob.core.windows.net/gc/rdp-access-denied/rdp-access-denied.zip');
  assert.deepEqual(pkg.policies, ['rdp-access-denied/rdp-access-denied_AuditIfNotExists.json'], 'an Audit package gets no DeployIfNotExists policy');
  assert.deepEqual(manifest.initiatives, ['initiatives/policies.json']);
  const aine = JSON.parse(readFileSync(join(dir, 'build', 'rdp-access-denied', 'rdp-access-denied_AuditIfNotExists.json'), 'utf8'));
  const gc = aine.properties.metadata.guestConfiguration;
  assert.equal(gc.contentHash, pkg.contentHash);
  assert.equal(gc.contentUri, pkg.contentUri);
  assert.equal(gc.name, 'rdp-access-denied');
  assert.deepEqual(Object.values(gc.configurationParameter), ['[DriftscanRegistryValue]kerberos-max-token-size;Data']);
  assert.ok(existsSync(join(dir, 'build', 'initiatives', 'policies.json')));

  // Same baseline elsewhere, given by absolute path from another working folder: same bytes.
  const other = project('elsewhere');
  const again = runCli(['compile', join(other, 'policies'), '--out', join(other, 'out')], { env });
  assert.equal(again.status, 0, again.stderr);
  assert.ok(readFileSync(join(other, 'out', 'rdp-access-denied', 'rdp-access-denied.zip')).equals(readFileSync(join(dir, 'build', 'rdp-access-denied', 'rdp-access-denied.zip'))));
  assert.ok(existsSync(join(other, 'policies', 'modules.lock.json')), 'lock beside the baselines, not in the working folder');
  const inspect = runCli(['package', 'inspect', join(dir, 'build', 'rdp-access-denied', 'rdp-access-denied.zip')], { env });
  assert.equal(inspect.status, 0, inspect.stderr);
  assert.match(inspect.stdout, /\[DriftscanRegistryAcl\]rdp-cert-store-readable\s+DriftscanRegistryAcl\s+DriftscanDsc 0\.1\.0/);
  assert.match(inspect.stdout, /\[DriftscanService\]termservice-runs-as-network-service/);
  assert.match(inspect.stdout, /modules: DriftscanDsc 0\.1\.0/);
  assert.match(inspect.stdout, /ok: Machine Configuration would accept/);
});

test('the shipped policies/ compile as they are: both packages, manifest, policies, initiative; twice gives the same bytes', () => {
  const scope = '/providers/Microsoft.Management/managementGroups/platform';
  // --lock keeps the run from writing policies/modules.lock.json into the repository.
  const run = (out: string) => compile(repoRoot, 'policies/', '--out', join(tmp, out), '--lock', join(tmp, 'shipped.lock.json'),
    '--content-uri-base', 'https://stg.blob.core.windows.net/gc', '--policy-scope', scope);
  const first = run('shipped1');
  assert.equal(first.status, 0, first.stderr);
  assert.doesNotMatch(first.stderr, /warning/, 'every rule of both baselines is in the packages');
  const files = (out: string) => {
    const m = JSON.parse(readFileSync(join(tmp, out, 'manifest.json'), 'utf8'));
    return ['manifest.json', ...m.packages.flatMap((p: { file: string; policies: string[] }) => [p.file, ...p.policies]), ...m.initiatives] as string[];
  };
  const listed = files('shipped1');
  assert.deepEqual(listed, ['manifest.json',
    'rdp-access-denied/rdp-access-denied.zip', 'rdp-access-denied/rdp-access-denied_AuditIfNotExists.json',
    'rdp-hardening/rdp-hardening.zip', 'rdp-hardening/rdp-hardening_AuditIfNotExists.json',
    'initiatives/policies.json']);
  const manifest = JSON.parse(readFileSync(join(tmp, 'shipped1', 'manifest.json'), 'utf8'));
  const hardening = manifest.packages.find((p: { name: string }) => p.name === 'rdp-hardening');
  for (const p of manifest.packages) assert.deepEqual(p.rules.filter((r: { omitted?: string }) => r.omitted), [], `${p.name} omits nothing`);
  assert.equal(hardening.rules.length, 7);
  assert.equal(manifest.packages.find((p: { name: string }) => p.name === 'rdp-access-denied').rules.length, 4);
  assert.deepEqual(hardening.configurationParameters, [{ name: 'minEncryptionLevel', reference: '[DriftscanRegistryValue]rdp-min-encryption-high;Data', defaultValue: '3' }]);
  const initiative = JSON.parse(readFileSync(join(tmp, 'shipped1', 'initiatives', 'policies.json'), 'utf8'));
  const ids = initiative.properties.policyDefinitions.map((d: { policyDefinitionId: string }) => d.policyDefinitionId);
  assert.equal(ids.length, 2);
  for (const id of ids) assert.match(id, /^\/providers\/Microsoft\.Management\/managementGroups\/platform\/providers\/Microsoft\.Authorization\/policyDefinitions\/[^/]+$/);

  const second = run('shipped2');
  assert.equal(second.status, 0, second.stderr);
  assert.deepEqual(files('shipped2'), listed);
  for (const f of listed) assert.ok(readFileSync(join(tmp, 'shipped1', f)).equals(readFileSync(join(tmp, 'shipped2', f))), `${f} is byte-identical`);

  const badScope = compile(repoRoot, 'policies/', '--out', join(tmp, 'shipped3'), '--lock', join(tmp, 'shipped.lock.json'), '--policy-scope', 'platform');
  assert.equal(badScope.status, 2);
  assert.match(badScope.stderr, /--policy-scope must be \/subscriptions\/<subscription id> or \/providers\/Microsoft\.Management\/managementGroups\/<group id>/);
  const help = runCli(['compile', '--help'], { env });
  assert.match(help.stdout.replace(/\s+/g, ' '), /Without it member ids start at \/providers\/Microsoft\.Authorization\/policyDefinitions\/<name>/);
});
