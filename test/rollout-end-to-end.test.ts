/**
 * The rollout as a platform team runs it, every step a separate CLI process: `compile` the shipped
 * baselines, `publish --apply` the packages to Blob Storage (Azurite), `deploy --apply` the published
 * definitions through Azure Policy (the ARM emulator, which validates every body against the specs
 * and logs every request). Issue #10's "done when": every resource created with spec-valid bodies;
 * a second deploy writes nothing; a re-publish with nothing changed changes no definition (the SAS
 * is kept while it is young), so a deploy after it writes nothing either; one changed rule is exactly
 * one package upload and one definition update showing the new contentHash.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { ArmEmulator, SPECS_RELATIVE, type LogEntry } from './support/arm-emulator/server.js';
import { AZURITE_ACCOUNT, startAzurite, storageToken, type Azurite } from './support/azurite.js';
import { TOKEN, TOKEN_SHA256 } from './support/azure-fixtures.js';
import { runCli, runCliAsync } from './support/cli.js';
import { needShared, repoRoot } from './support/paths.js';

const started = await startAzurite();
const azurite: Azurite | undefined = typeof started === 'string' ? undefined : started;
const skip: string | false = needShared(SPECS_RELATIVE) || (typeof started === 'string' ? started : false);
if (skip) process.stderr.write(`rollout-end-to-end: skipped: ${skip}\n`);

const SUB = '00000000-0000-0000-0000-000000000e2e';
const SCOPE = `/subscriptions/${SUB}`;
const CONTAINER = 'guestconfig';

let emu: ArmEmulator;
let dir: string;
let caBundle: string;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'driftscan-e2e-'));
  emu = await ArmEmulator.start({ state: { subscriptions: [{ subscriptionId: SUB, displayName: 'Rollout' }] }, tokenSha256: TOKEN_SHA256 });
  // One CA file for both local servers, as NODE_EXTRA_CA_CERTS takes one file.
  caBundle = join(dir, 'ca.pem');
  writeFileSync(caBundle, `${readFileSync(emu.caPath!, 'utf8')}\n${azurite!.cert.certPem}`);
  const credential = { getToken: async () => ({ token: storageToken(), expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const service = new BlobServiceClient(azurite!.accountUrl, credential, { tlsOptions: { ca: azurite!.cert.certPem } } as ConstructorParameters<typeof BlobServiceClient>[2]);
  await service.getContainerClient(CONTAINER).create();
  mkdirSync(join(dir, 'policies'));
  for (const f of ['rdp-access-denied.yaml', 'rdp-hardening.yaml']) writeFileSync(join(dir, 'policies', f), readFileSync(join(repoRoot, 'policies', f), 'utf8'));
});

after(async () => {
  if (skip) return;
  await emu.close();
  await azurite?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const env = (): NodeJS.ProcessEnv => ({
  DRIFTSCAN_ARM_ENDPOINT: emu.endpoint, DRIFTSCAN_ARM_TOKEN: TOKEN, DRIFTSCAN_STORAGE_TOKEN: storageToken(), NODE_EXTRA_CA_CERTS: caBundle,
});

function compile(): void {
  // A fresh lock: the test changes content without bumping the version, as a reviewer's edit would before --bump.
  rmSync(join(dir, 'policies', 'modules.lock.json'), { force: true });
  const r = runCli(['compile', 'policies', '--out', 'build', '--content-uri-base', 'https://compile.example/gc'], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
}

const publish = (...args: string[]) => runCliAsync(['publish', 'build', '--storage-account', AZURITE_ACCOUNT, '--container', CONTAINER, '--blob-endpoint', azurite!.accountUrl, '--out', 'published', ...args], { cwd: dir, env: env(), timeoutMs: 120_000 });
const deploy = (...args: string[]) => runCliAsync(['deploy', 'published', '--scope', SCOPE, ...args], { cwd: dir, env: env(), timeoutMs: 120_000 });

async function logged<T>(fn: () => Promise<T>): Promise<{ result: T; writes: LogEntry[] }> {
  const from = emu.requests.length;
  const result = await fn();
  return { result, writes: emu.requests.slice(from).filter((e) => e.method !== 'GET') };
}

function get(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca: azurite!.cert.certPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) })).on('error', reject);
    }).on('error', reject);
  });
}

const definitionFiles = (): Map<string, string> => new Map(
  readdirSync(join(dir, 'published'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json') && f !== 'manifest.json').map((f) => [f, readFileSync(join(dir, 'published', f), 'utf8')]),
);

test('compile → publish --apply → deploy --apply creates everything; reruns write nothing; one changed rule is one upload and one definition update', { skip, timeout: 600_000 }, async () => {
  compile();
  const published = await publish('--apply');
  assert.equal(published.status, 0, published.stderr);
  assert.doesNotMatch(published.stdout + published.stderr, /sig=(?!\*)/i, 'no SAS signature printed');

  // The contentUri of each published definition downloads its package, whose SHA-256 is the contentHash; without the SAS: refused.
  const manifest = JSON.parse(readFileSync(join(dir, 'published', 'manifest.json'), 'utf8')) as { packages: Array<{ name: string; contentHash: string; contentUri: string; policies: string[] }> };
  for (const p of manifest.packages) {
    const def = JSON.parse(readFileSync(join(dir, 'published', p.policies[0]!), 'utf8')) as { properties: { metadata: { guestConfiguration: { contentUri: string; contentHash: string } } } };
    const gc = def.properties.metadata.guestConfiguration;
    assert.equal(gc.contentHash, p.contentHash);
    const got = await get(gc.contentUri);
    assert.equal(got.status, 200);
    assert.equal(createHash('sha256').update(got.body).digest('hex').toUpperCase(), gc.contentHash);
    assert.equal((await get(gc.contentUri.split('?')[0]!)).status, 403);
  }

  const first = await logged(() => deploy('--apply'));
  assert.equal(first.result.status, 0, first.result.stderr);
  assert.deepEqual(emu.invalidResponses, []);
  const puts = first.writes.map((e) => `${e.method} ${e.path}`);
  assert.equal(new Set(puts).size, puts.length, 'each resource written once');
  assert.ok(first.writes.length >= 4 && first.writes.every((e) => e.method === 'PUT'), puts.join('\n'));
  assert.match(first.result.stdout, /applied (\d+) of \1 writes; 0 failed; 0 not attempted/);

  const second = await logged(() => deploy('--apply'));
  assert.equal(second.result.status, 0, second.result.stderr);
  assert.deepEqual(second.writes, [], 'a second deploy --apply makes zero write calls');

  // Re-publishing an unchanged build uploads nothing and keeps every definition byte for byte (the SAS is still young).
  const definitionsBefore = definitionFiles();
  const republish = await publish('--apply');
  assert.equal(republish.status, 0, republish.stderr);
  assert.match(republish.stdout, /0 to create, 0 to update, 2 unchanged/);
  assert.deepEqual(definitionFiles(), definitionsBefore);
  const afterRepublish = await logged(() => deploy('--apply'));
  assert.equal(afterRepublish.result.status, 0, afterRepublish.result.stderr);
  assert.deepEqual(afterRepublish.writes, []);

  // One changed rule: a longer rationale moves the later rules' MOF source lines, so rdp-hardening's package changes.
  const beforeHash = manifest.packages.find((p) => p.name === 'rdp-hardening')!.contentHash;
  writeFileSync(join(dir, 'policies', 'rdp-hardening.yaml'), readFileSync(join(dir, 'policies', 'rdp-hardening.yaml'), 'utf8')
    .replace('      rationale: NLA authenticates', '      rationale: >-\n        Checked by the CIS benchmark too.\n        NLA authenticates'));
  compile();
  const uploadPlan = await publish('--output', join(dir, 'publish-plan.json'));
  assert.equal(uploadPlan.status, 0, uploadPlan.stderr);
  const uploads = JSON.parse(readFileSync(join(dir, 'publish-plan.json'), 'utf8')) as { summary: Record<string, number>; changes: Array<{ action: string; name: string }> };
  assert.deepEqual(uploads.summary, { create: 1, update: 0, unchanged: 1, delete: 0, keep: 0 });
  assert.match(uploads.changes.find((c) => c.action === 'create')!.name, /^rdp-hardening\//);
  assert.equal((await publish('--apply')).status, 0);

  const plan = await logged(() => deploy('--output', join(dir, 'deploy-plan.json')));
  assert.equal(plan.result.status, 0, plan.result.stderr);
  assert.deepEqual(plan.writes, []);
  const deployPlan = JSON.parse(readFileSync(join(dir, 'deploy-plan.json'), 'utf8')) as { changes: Array<{ action: string; kind: string; name: string; fields: Array<{ path: string; before: unknown; after: unknown }> }> };
  const updates = deployPlan.changes.filter((c) => c.action !== 'unchanged');
  assert.deepEqual(updates.map((c) => [c.action, c.kind, c.name]), [['update', 'policyDefinition', 'rdp-hardening-aine']]);
  const afterHash = JSON.parse(readFileSync(join(dir, 'build', 'manifest.json'), 'utf8')).packages.find((p: { name: string }) => p.name === 'rdp-hardening').contentHash as string;
  assert.notEqual(afterHash, beforeHash);
  assert.deepEqual(updates[0]!.fields.find((f) => f.path === 'properties.metadata.guestConfiguration.contentHash'), { path: 'properties.metadata.guestConfiguration.contentHash', before: beforeHash, after: afterHash });
  const applied = await logged(() => deploy('--apply'));
  assert.equal(applied.result.status, 0, applied.result.stderr);
  assert.deepEqual(applied.writes.map((e) => e.method), ['PUT']);
  assert.deepEqual(emu.invalidResponses, []);

  // A shorter --sas-expiry than the SAS in use takes effect at once: every definition gets a new contentUri.
  const kept = definitionFiles();
  assert.equal((await publish('--apply', '--sas-expiry', '2h')).status, 0);
  const renewed = definitionFiles();
  const withUri = [...renewed].filter(([, text]) => text.includes('"contentUri"'));
  assert.equal(withUri.length, 2);
  assert.ok(withUri.every(([f, text]) => kept.get(f) !== text), 'both definitions carry a new SAS');
  const expiries = (JSON.parse(readFileSync(join(dir, 'published', 'manifest.json'), 'utf8')) as { packages: Array<{ sasExpiresOn: string }> }).packages.map((p) => Date.parse(p.sasExpiresOn) - Date.now());
  assert.ok(expiries.every((ms) => ms > 1.9 * 3_600_000 && ms <= 2 * 3_600_000), String(expiries));
});
