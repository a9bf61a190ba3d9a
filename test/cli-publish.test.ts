/**
 * `driftscan publish` end to end against Azurite (test/support/azurite.ts: HTTPS, OAuth, on
 * 127.0.0.1), run as a user runs it: a compiled project, DRIFTSCAN_STORAGE_TOKEN, NODE_EXTRA_CA_CERTS.
 * The uploaded blob's SHA-256 equals the definition's contentHash and its contentUri downloads it,
 * while the same URL without the SAS is refused; a second --apply uploads nothing; one changed
 * package is exactly one upload; a blob with other bytes under a package's name stops the run;
 * 503/500 from storage are retried; no SAS reaches stdout or stderr.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { runCli, runCliAsync } from './support/cli.js';
import { seedProject } from './support/compile-project.js';
import { repoRoot } from './support/paths.js';
import { AZURITE_ACCOUNT, startAzurite, storageToken, type Azurite } from './support/azurite.js';
import { startFaultProxy } from './support/storage-fault-proxy.js';
import { openAzureConnection } from '../src/azure/connection.js';
import { openBlobContainer } from '../src/azure/blob-container.js';
import { blobSha256, probeBlob, uploadBlobIfAbsent } from '../src/azure/package-blobs.js';

// Started at load time, not in before(): a test's `skip` is read when test() is called.
const started = await startAzurite();
const azurite: Azurite | undefined = typeof started === 'string' ? undefined : started;
const skip: string | false = typeof started === 'string' ? started : false;
if (skip) process.stderr.write(`cli-publish: ${skip}\n`);
let tmp: string;
let service: BlobServiceClient;

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'driftscan-publish-'));
  if (!azurite) return;
  const credential = { getToken: async () => ({ token: storageToken(), expiresOnTimestamp: Date.now() + 3_600_000 }) };
  service = new BlobServiceClient(azurite.accountUrl, credential, { tlsOptions: { ca: azurite.cert.certPem } } as ConstructorParameters<typeof BlobServiceClient>[2]);
});
after(async () => {
  await azurite?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const MI = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-gc/providers/Microsoft.ManagedIdentity/userAssignedIdentities/gc-reader';

/** A project with two baselines, compiled with a content URI base (so build/ has definitions). */
function compiledProject(name: string): string {
  const dir = seedProject(tmp, name);
  copyFileSync(join(repoRoot, 'policies', 'rdp-hardening.yaml'), join(dir, 'policies', 'rdp-hardening.yaml'));
  const r = runCli(['compile', '--content-uri-base', 'https://compile.example/gc'], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  return dir;
}

async function container(name: string): Promise<string> {
  await service.getContainerClient(name).create();
  return name;
}

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { DRIFTSCAN_STORAGE_TOKEN: storageToken(), NODE_EXTRA_CA_CERTS: azurite!.cert.certPath, DRIFTSCAN_ARM_TOKEN: '', ...extra };
}

function publish(dir: string, containerName: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  return runCli(['publish', '--storage-account', AZURITE_ACCOUNT, '--container', containerName, '--blob-endpoint', azurite!.accountUrl, ...args], { cwd: dir, env: env(extraEnv), timeoutMs: 120_000 });
}

async function blobs(containerName: string): Promise<Map<string, { etag: string; sha256: string }>> {
  const out = new Map<string, { etag: string; sha256: string }>();
  const c = service.getContainerClient(containerName);
  for await (const b of c.listBlobsFlat()) {
    const bytes = await c.getBlobClient(b.name).downloadToBuffer();
    out.set(b.name, { etag: b.properties.etag!, sha256: createHash('sha256').update(bytes).digest('hex').toUpperCase() });
  }
  return out;
}

function get(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca: azurite!.cert.certPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    }).once('error', reject);
  });
}

interface Manifest { packages: Array<{ name: string; version: string; contentHash: string; contentUri: string; blob: string; file: string; policies: string[]; contentManagedIdentity?: string }>; published: Record<string, string> }
const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

test('--plan (the default) lists one upload per package, writes the JSON plan and uploads nothing', { skip }, async () => {
  const dir = compiledProject('plan');
  const gc = await container('plan');
  const r = publish(dir, gc, ['--output', 'plan.json']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^publish https:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/plan\n/);
  assert.match(r.stdout, /create +│ blob/);
  assert.match(r.stdout, /2 to create, 0 to update, 0 unchanged, 0 to delete/);
  assert.match(r.stderr, /plan only: nothing was changed; run again with --apply to make these 2 changes/);
  const plan = readJson<{ changes: Array<{ action: string; kind: string; name: string; body: { contentHash: string } }> }>(join(dir, 'plan.json'));
  const manifest = readJson<Manifest>(join(dir, 'build', 'manifest.json'));
  assert.deepEqual(plan.changes.map((c) => [c.action, c.kind, c.name]).sort(),
    manifest.packages.map((p) => ['create', 'blob', `${p.name}/${p.version}/${p.contentHash.toLowerCase()}/${p.name}.zip`]).sort());
  assert.equal((await blobs(gc)).size, 0, 'nothing uploaded');
  assert.equal(existsSync(join(dir, 'published')), false, 'no --out folder');
});

test('--apply uploads each package, the blob\'s SHA-256 is the contentHash, the SAS contentUri downloads it and the bare URL is refused; a second --apply uploads nothing', { skip }, async () => {
  const dir = compiledProject('apply');
  const gc = await container('apply');
  const r = publish(dir, gc, ['--apply', '--verbose', '--sas-expiry', '2d'], { AZURE_LOG_LEVEL: 'info' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^applied 2 of 2 writes; 0 failed; 0 not attempted$/m);
  const definitions = readJson<Manifest>(join(dir, 'build', 'manifest.json')).packages.reduce((n, p) => n + p.policies.length, 0);
  assert.ok(definitions >= 2);
  assert.match(r.stdout, new RegExp(`wrote published: manifest\\.json, ${definitions} policy definitions, 1 initiative \\(contentUri carries a read-only SAS until .*: do not commit published/\\)`));
  assert.match(r.stderr, /storage: PUT https:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/apply\/rdp-hardening\/.*\.zip → ok/);

  const build = readJson<Manifest>(join(dir, 'build', 'manifest.json'));
  const published = readJson<Manifest>(join(dir, 'published', 'manifest.json'));
  const stored = await blobs(gc);
  assert.equal(stored.size, 2);
  const expires = Date.parse(published.published.sasExpiresOn!);
  assert.ok(Math.abs(expires - (Date.now() + 2 * 86_400_000)) < 120_000, published.published.sasExpiresOn);
  for (const p of published.packages) {
    const compiled = build.packages.find((b) => b.name === p.name)!;
    assert.equal(stored.get(p.blob)?.sha256, compiled.contentHash, `${p.blob}: uploaded SHA-256 = contentHash`);
    const zip = readFileSync(join(dir, 'build', ...compiled.file.split('/')));
    const withSas = await get(p.contentUri);
    assert.equal(withSas.status, 200, p.contentUri.split('?')[0]);
    assert.ok(withSas.body.equals(zip), 'the contentUri downloads the package');
    const url = new URL(p.contentUri);
    assert.equal(url.searchParams.get('sp'), 'r', 'read-only');
    assert.equal(url.searchParams.get('sr'), 'b', 'one blob');
    assert.equal(url.searchParams.get('spr'), 'https');
    assert.equal((await get(p.contentUri.split('?')[0]!)).status, 403, 'without the SAS it is refused');
    // Every definition of the package carries the same contentUri and the package's contentHash, in both places.
    for (const f of p.policies) {
      const text = readFileSync(join(dir, 'published', ...f.split('/')), 'utf8');
      const def = JSON.parse(text);
      assert.equal(def.properties.metadata.guestConfiguration.contentUri, p.contentUri);
      assert.equal(def.properties.metadata.guestConfiguration.contentHash, stored.get(p.blob)!.sha256);
      assert.equal(text.split(p.contentUri).length - 1, f.endsWith('_DeployIfNotExists.json') ? 2 : 1, f);
      assert.ok(!text.includes('compile.example'), f);
    }
  }
  assert.ok(existsSync(join(dir, 'published', 'initiatives', 'policies.json')));
  // No SAS signature on stdout/stderr (--verbose and SDK logging on), and build/ is untouched: compile --check stays green.
  const sigs = published.packages.map((p) => new URL(p.contentUri).searchParams.get('sig')!);
  for (const s of sigs) for (const form of [s, encodeURIComponent(s)]) assert.ok(!(r.stdout + r.stderr).includes(form), 'a SAS signature was printed');
  assert.doesNotMatch(r.stdout + r.stderr, /eyJ[A-Za-z0-9_-]{4,}\.eyJ/, 'no bearer token printed');
  assert.equal(runCli(['compile', '--check', '--content-uri-base', 'https://compile.example/gc'], { cwd: dir }).status, 0, 'compile --check');

  const again = publish(dir, gc, ['--apply', '--output', 'again.json']);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /0 to create, 0 to update, 2 unchanged, 0 to delete/);
  const plan = readJson<{ changes: Array<{ action: string }> }>(join(dir, 'again.json'));
  assert.deepEqual(plan.changes.map((c) => c.action), ['unchanged', 'unchanged']);
  assert.doesNotMatch(readFileSync(join(dir, 'again.json'), 'utf8'), /sig=|skoid=/, 'the plan file holds no SAS');
  assert.deepEqual(await blobs(gc), stored, 'same blobs, same etags: nothing was uploaded');
  // The fresh SAS still downloads.
  const renewed = readJson<Manifest>(join(dir, 'published', 'manifest.json'));
  assert.equal((await get(renewed.packages[0]!.contentUri)).status, 200);
  for (const s of renewed.packages.map((p) => new URL(p.contentUri).searchParams.get('sig')!)) assert.ok(!(again.stdout + again.stderr).includes(s));
});

test('one changed baseline is exactly one upload', { skip }, async () => {
  const dir = compiledProject('change');
  const gc = await container('change');
  assert.equal(publish(dir, gc, ['--apply']).status, 0);
  const before = await blobs(gc);
  const file = join(dir, 'policies', 'rdp-hardening.yaml');
  const text = readFileSync(file, 'utf8');
  // One rule's expected value: the package's MOF changes, so its content and (with --bump) its version do.
  const changed = text.replace('        name: UserAuthentication\n        type: DWord\n        equals: 1\n', '        name: UserAuthentication\n        type: DWord\n        equals: 2\n');
  assert.notEqual(changed, text);
  writeFileSync(file, changed);
  const compiled = runCli(['compile', '--bump', '--content-uri-base', 'https://compile.example/gc'], { cwd: dir });
  assert.equal(compiled.status, 0, compiled.stderr);
  const r = publish(dir, gc, ['--apply', '--output', 'plan.json']);
  assert.equal(r.status, 0, r.stderr);
  const plan = readJson<{ changes: Array<{ action: string; name: string }> }>(join(dir, 'plan.json'));
  const creates = plan.changes.filter((c) => c.action === 'create');
  assert.equal(creates.length, 1, JSON.stringify(plan.changes));
  assert.match(creates[0]!.name, /^rdp-hardening\//);
  assert.equal(plan.changes.filter((c) => c.action === 'unchanged').length, 1);
  const after = await blobs(gc);
  assert.equal(after.size, before.size + 1);
  for (const [name, b] of before) assert.deepEqual(after.get(name), b, `${name} was left alone`);
});

test('--content-managed-identity: no SAS anywhere, the plain blob URL and contentManagedIdentity in the definitions', { skip }, async () => {
  const dir = compiledProject('identity');
  const gc = await container('identity');
  const r = publish(dir, gc, ['--apply', '--content-managed-identity', MI, '--out', 'out']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\(contentManagedIdentity, no SAS\)/);
  const published = readJson<Manifest>(join(dir, 'out', 'manifest.json'));
  assert.equal(published.published.contentManagedIdentity, MI);
  for (const p of published.packages) {
    assert.equal(new URL(p.contentUri).search, '');
    assert.equal(p.contentManagedIdentity, MI);
    for (const f of p.policies) {
      const def = JSON.parse(readFileSync(join(dir, 'out', ...f.split('/')), 'utf8'));
      assert.equal(def.properties.metadata.guestConfiguration.contentManagedIdentity, MI);
      if (f.endsWith('_DeployIfNotExists.json')) {
        for (const res of def.properties.policyRule.then.details.deployment.properties.template.resources) {
          assert.equal(res.properties.guestConfiguration.contentManagedIdentity, MI);
          assert.equal(res.properties.guestConfiguration.contentUri, p.contentUri);
        }
      }
    }
    assert.equal((await get(p.contentUri)).status, 403, 'the bare URL needs the identity');
  }
  const everything = readdirSync(join(dir, 'out'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => readFileSync(join(e.parentPath, e.name), 'utf8')).join('\n');
  assert.doesNotMatch(everything, /[?&]sig=/);
});

test('a blob holding other bytes under a package\'s name stops the run with one line naming it; nothing is uploaded or written', { skip }, async () => {
  const dir = compiledProject('conflict');
  const gc = await container('conflict');
  const m = readJson<Manifest>(join(dir, 'build', 'manifest.json'));
  const p = m.packages[0]!;
  const name = `${p.name}/${p.version}/${p.contentHash.toLowerCase()}/${p.name}.zip`;
  await service.getContainerClient(gc).getBlockBlobClient(name).uploadData(Buffer.from('not the package'));
  for (const args of [[], ['--apply']]) {
    const r = publish(dir, gc, args);
    assert.equal(r.status, 3, r.stdout + r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`^driftscan: blob https://127\\.0\\.0\\.1:\\d+/devstoreaccount1/conflict/${name.replace(/[.]/g, '\\.')} holds 15 bytes with SHA-256 [0-9A-F]{64}, but package ${p.name} ${p.version} is \\d+ bytes with contentHash ${p.contentHash}: a content-addressed blob must never change`));
  }
  assert.equal((await blobs(gc)).size, 1, 'the other package was not uploaded either');
  assert.equal(existsSync(join(dir, 'published')), false);
});

test('503 ServerBusy and 500 from storage are retried (a fault-injecting proxy in front of Azurite)', { skip }, async () => {
  const dir = compiledProject('retry');
  const gc = await container('retry');
  const proxy = await startFaultProxy(azurite!.port, AZURITE_ACCOUNT, azurite!.cert, [
    { method: 'HEAD', path: '/retry/rdp-access-denied/', status: 500, code: 'InternalError', times: 1 },
    { method: 'PUT', path: '/retry/rdp-hardening/', status: 503, code: 'ServerBusy', times: 2 },
  ]);
  try {
    const r = await runCliAsync(['publish', '--storage-account', AZURITE_ACCOUNT, '--container', gc, '--blob-endpoint', proxy.accountUrl, '--apply'], { cwd: dir, env: env(), timeoutMs: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const puts = proxy.log.filter((l) => l.method === 'PUT' && l.path.includes('/rdp-hardening/'));
    assert.deepEqual(puts.map((l) => l.status), [503, 503, 201]);
    const heads = proxy.log.filter((l) => l.method === 'HEAD' && l.path.includes('/rdp-access-denied/'));
    assert.deepEqual(heads.map((l) => l.status), [500, 404]);
    assert.equal((await blobs(gc)).size, 2);
  } finally {
    await proxy.close();
  }
});

test('storage that keeps failing ends with exit 3 and one line naming the blob; --out is not written', { skip }, async () => {
  const dir = compiledProject('unavailable');
  const gc = await container('unavailable');
  const proxy = await startFaultProxy(azurite!.port, AZURITE_ACCOUNT, azurite!.cert, [{ method: 'PUT', path: '/unavailable/', status: 503, code: 'ServerBusy', times: 100 }]);
  try {
    const r = await runCliAsync(['publish', '--storage-account', AZURITE_ACCOUNT, '--container', gc, '--blob-endpoint', proxy.accountUrl, '--apply', '--timeout', '60s'], { cwd: dir, env: env(), timeoutMs: 120_000 });
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /FAILED/);
    assert.match(r.stderr, /^driftscan: Azure kept failing PUT \/devstoreaccount1\/unavailable\/rdp-[a-z-]+\/1\.0\.\d+\/[0-9a-f]{64}\/rdp-[a-z-]+\.zip: 503 ServerBusy: injected by the test proxy/m);
    assert.equal(existsSync(join(dir, 'published')), false);
    // The deadline cuts the back-off short (the waits would be 0, 2, 6, 14 s) and says so.
    const started = Date.now();
    const bounded = await runCliAsync(['publish', '--storage-account', AZURITE_ACCOUNT, '--container', gc, '--blob-endpoint', proxy.accountUrl, '--apply', '--timeout', '3s'], { cwd: dir, env: env(), timeoutMs: 120_000 });
    assert.equal(bounded.status, 3, bounded.stdout + bounded.stderr);
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
    assert.match(bounded.stderr, /^driftscan: gave up on PUT \/devstoreaccount1\/unavailable\/rdp-[a-z-]+\/.*\.zip \(the 3 s deadline \(--timeout\) passed\)$/m);
    assert.equal(existsSync(join(dir, 'published')), false);
  } finally {
    await proxy.close();
  }
});

test('bad input stops publish before any request: one line, exit 2', { skip }, async () => {
  const dir = compiledProject('bad');
  const gc = await container('bad');
  const cases: Array<[string[], RegExp]> = [
    [['--sas-expiry', '8d'], /--sas-expiry 8d is too long: at most 7 d/],
    [['--sas-expiry', '30'], /--sas-expiry expects a duration/],
    [['--content-managed-identity', MI, '--sas-expiry', '1d'], /cannot be combined/],
    [['--content-managed-identity', 'gc-reader'], /--content-managed-identity must be a user-assigned identity's resource id/],
    [['--apply', '--out', 'build'], /build\/manifest\.json.*build manifest/],
    [['--plan', '--apply'], /--plan and --apply cannot be combined/],
  ];
  for (const [args, re] of cases) {
    const r = publish(dir, gc, args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, re, args.join(' '));
  }
  const http = runCli(['publish', '--storage-account', AZURITE_ACCOUNT, '--container', gc, '--blob-endpoint', `http://127.0.0.1:${azurite!.port}/${AZURITE_ACCOUNT}`], { cwd: dir, env: env() });
  assert.equal(http.status, 2);
  assert.match(http.stderr, /--blob-endpoint http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1 is plain HTTP: Blob Storage is reached over https:\/\/ only/);
  for (const [account, container, re] of [['Dev_Store', gc, /--storage-account 'Dev_Store' is not a storage account name/], [AZURITE_ACCOUNT, 'gc', /--container 'gc' is not a container name/]] as const) {
    const r = runCli(['publish', '--storage-account', account, '--container', container], { cwd: dir, env: env() });
    assert.equal(r.status, 2);
    assert.match(r.stderr, re);
  }
  // A package whose bytes no longer match the manifest: named, nothing uploaded.
  const zip = join(dir, 'build', 'rdp-hardening', 'rdp-hardening.zip');
  writeFileSync(zip, Buffer.concat([readFileSync(zip), Buffer.from('x')]));
  const tampered = publish(dir, gc, ['--apply']);
  assert.equal(tampered.status, 2);
  assert.match(tampered.stderr, /^driftscan: build\/rdp-hardening\/rdp-hardening\.zip: \d+ bytes with SHA-256 [0-9A-F]{64}, but build\/manifest\.json says \d+ bytes with contentHash [0-9A-F]{64}: build\/ is inconsistent, run driftscan compile\n$/);
  assert.equal((await blobs(gc)).size, 0);
  // A missing container is named.
  runCli(['compile', '--content-uri-base', 'https://compile.example/gc'], { cwd: dir });
  // A token Storage does not accept (an ARM audience): Azure's refusal, exit 3, one line, the token not repeated.
  const armToken = storageToken({ aud: 'https://management.azure.com' });
  const refused = publish(dir, gc, [], { DRIFTSCAN_STORAGE_TOKEN: armToken });
  assert.equal(refused.status, 3, refused.stderr);
  assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
  assert.match(refused.stderr, /^driftscan: (Azure did not accept the credential|no permission) for HEAD \/devstoreaccount1\/bad\/rdp-/);
  assert.ok(!refused.stderr.includes(armToken.split('.')[1]!));
  const missing = publish(dir, 'no-such-container', []);
  assert.equal(missing.status, 3, missing.stderr);
  assert.match(missing.stderr, /^driftscan: container https:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/no-such-container does not exist: create it first/);
});

test('an upload never replaces a blob: a second writer under the same name gets false and the first bytes stay (If-None-Match: *)', { skip }, async () => {
  const gc = await container('race');
  const credential = { getToken: async () => ({ token: storageToken(), expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const connection = openAzureConnection({ credential, extraCaPem: azurite!.cert.certPem, timeoutMs: 60_000 });
  try {
    const c = openBlobContainer(connection, { account: AZURITE_ACCOUNT, container: gc, blobEndpoint: azurite!.accountUrl, credential });
    const first = Buffer.from('first writer');
    const sha = createHash('sha256').update(first).digest('hex').toUpperCase();
    assert.deepEqual(await probeBlob(c, 'p/1.0.0/x/p.zip'), { exists: false });
    assert.equal(await uploadBlobIfAbsent(c, 'p/1.0.0/x/p.zip', first, sha), true);
    assert.equal(await uploadBlobIfAbsent(c, 'p/1.0.0/x/p.zip', Buffer.from('second writer!'), 'AB'.repeat(32)), false);
    assert.deepEqual(await blobSha256(c, 'p/1.0.0/x/p.zip'), { sha256: sha, size: first.length });
    assert.deepEqual(await probeBlob(c, 'p/1.0.0/x/p.zip'), { exists: true, size: first.length, sha256: sha }, 'the sha256 metadata is the first writer\'s');
  } finally {
    connection.close();
  }
});
