/**
 * The pure parts of `publish`: pointing compiled definitions at the published blob (held to
 * `buildPolicyDefinitions` itself as the oracle), reading build/manifest.json back (hostile input
 * gives one located error, never a crash or a path outside the build), the content-addressed blob
 * name and the upload plan, and redaction of user-delegation SAS URLs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Baseline, ParameterDef, Rule } from '../src/rules/model.js';
import { DriftscanError } from '../src/core/diagnostics.js';
import { redactSecrets } from '../src/core/redact.js';
import { buildPolicyDefinitions, policyJson, type PolicyInput } from '../src/compile/policy/index.js';
import { withPublishedContent } from '../src/compile/policy/published-content.js';
import { parseBuildManifest } from '../src/compile/build-manifest.js';
import { packageBlobName, planPackageUploads, type PublishedBlob } from '../src/rollout/package-uploads.js';

const loc = { file: 'policies/hand.yaml', line: 10, col: 5 };
const HASH = 'AB'.repeat(32);

function baseline(params: boolean): Baseline {
  const p: ParameterDef = { name: 'minLevel', type: 'integer', default: 3, allowedValues: [3, 4], location: loc };
  const r: Rule = { id: 'level', title: 'rule', severity: 'high', tags: [], kind: 'registryValue', check: {}, parameters: params ? [{ property: 'equals', param: 'minLevel' }] : [], location: loc };
  return {
    file: 'policies/hand.yaml',
    metadata: { name: 'hand', version: '1.2.3', title: 'Hand', description: 'A hand-made baseline.', references: [] },
    assignment: { type: 'Audit' }, parameters: params ? [p] : [], rules: [r], waivers: [],
  };
}

function input(over: Partial<PolicyInput> & { params: boolean }): PolicyInput {
  const b = baseline(over.params);
  const { params: _p, ...rest } = over;
  return {
    baseline: b, packageName: 'hand', version: '1.2.3', contentUri: 'https://compile.example/gc/hand/hand.zip', contentHash: HASH, assignmentType: 'ApplyAndMonitor',
    configurationParameters: b.rules.flatMap((r) => r.parameters.map((u) => ({ ruleId: r.id, property: u.property, param: b.parameters[0]!, mofName: '[Registry]level;ValueData' }))),
    ...rest,
  };
}

const segment = fc.stringMatching(/^[A-Za-z0-9._~%[\]-]{1,12}$/);
const url = fc.tuple(fc.constantFrom('https://acct.blob.core.windows.net', 'https://127.0.0.1:10443/devstoreaccount1'), fc.array(segment, { minLength: 1, maxLength: 4 }), fc.option(fc.stringMatching(/^sv=[0-9-]{10}&sig=[A-Za-z0-9%]{4,20}$/), { nil: undefined }))
  .map(([host, segs, query]) => `${host}/${segs.join('/')}${query ? `?${query}` : ''}`);
const identity = fc.stringMatching(/^[A-Za-z0-9-]{3,20}$/).map((n) => `/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${n}`);

test('withPublishedContent(compiled definition, final URL) is what buildPolicyDefinitions makes for the final URL, byte for byte', () => {
  fc.assert(fc.property(
    fc.boolean(), fc.constantFrom('Audit', 'ApplyAndMonitor', 'ApplyAndAutoCorrect') as fc.Arbitrary<PolicyInput['assignmentType']>,
    fc.option(identity, { nil: undefined }), url, fc.option(identity, { nil: undefined }),
    (params, assignmentType, compiledIdentity, finalUri, finalIdentity) => {
      const compiled = buildPolicyDefinitions(input({ params, assignmentType, ...(compiledIdentity ? { contentManagedIdentity: compiledIdentity } : {}) }));
      const expected = buildPolicyDefinitions(input({ params, assignmentType, contentUri: finalUri, ...(finalIdentity ? { contentManagedIdentity: finalIdentity } : {}) }));
      for (const effect of ['auditIfNotExists', 'deployIfNotExists'] as const) {
        const fromFile = JSON.parse(policyJson(compiled[effect]));
        const got = withPublishedContent(fromFile, 'build/hand/x.json', { name: 'hand', version: '1.2.3', contentHash: HASH }, { contentUri: finalUri, ...(finalIdentity ? { contentManagedIdentity: finalIdentity } : {}) });
        assert.equal(policyJson(got), policyJson(expected[effect]));
      }
    },
  ), { numRuns: 150 });
});

test('the property is not vacuous: the final URL and identity are in both places of the DeployIfNotExists definition', () => {
  const compiled = buildPolicyDefinitions(input({ params: true })).deployIfNotExists;
  const id = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/gc-reader';
  const got = withPublishedContent(JSON.parse(policyJson(compiled)), 'f.json', { name: 'hand', version: '1.2.3', contentHash: HASH }, { contentUri: 'https://acct.blob.core.windows.net/gc/hand/1.2.3/ab/hand.zip', contentManagedIdentity: id });
  const text = policyJson(got);
  assert.equal(text.split('https://acct.blob.core.windows.net/gc/hand/1.2.3/ab/hand.zip').length - 1, 2);
  assert.equal(text.split(id).length - 1, 2);
  assert.ok(!text.includes('compile.example'));
});

test('withPublishedContent refuses a definition of another package or version, or one that is no guest configuration definition', () => {
  const compiled = JSON.parse(policyJson(buildPolicyDefinitions(input({ params: false })).deployIfNotExists));
  const c = { contentUri: 'https://a.example/x.zip' };
  assert.throws(() => withPublishedContent(compiled, 'build/hand/hand_DeployIfNotExists.json', { name: 'hand', version: '1.2.4', contentHash: HASH }, c),
    (e: unknown) => e instanceof DriftscanError && /^build\/hand\/hand_DeployIfNotExists\.json: properties\.metadata\.guestConfiguration\.version is "1\.2\.3" but the manifest says "1\.2\.4".*run driftscan compile$/.test(e.message));
  assert.throws(() => withPublishedContent(compiled, 'f.json', { name: 'hand', version: '1.2.3', contentHash: 'CD'.repeat(32) }, c), /contentHash is "ABAB.*but the manifest says "CDCD/);
  for (const junk of [null, 3, 'x', [], {}, { properties: {} }, { properties: { metadata: { guestConfiguration: 'x' } } }]) {
    assert.throws(() => withPublishedContent(junk, 'f.json', { name: 'hand', version: '1.2.3', contentHash: HASH }, c), (e: unknown) => e instanceof DriftscanError && e.message.startsWith('f.json: '));
  }
  const tampered = structuredClone(compiled);
  tampered.properties.policyRule.then.details.deployment.properties.template.resources[0].properties.guestConfiguration.contentHash = 'EF'.repeat(32);
  assert.throws(() => withPublishedContent(tampered, 'f.json', { name: 'hand', version: '1.2.3', contentHash: HASH }, c), /template resource 0 deploys contentHash "EFEF/);
});

test('a managed identity is refused for a definition that also targets Arc-enabled servers', () => {
  const arc = JSON.parse(policyJson(buildPolicyDefinitions(input({ params: false, targets: { arc: true } })).deployIfNotExists));
  const id = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/gc';
  assert.throws(() => withPublishedContent(arc, 'f.json', { name: 'hand', version: '1.2.3', contentHash: HASH }, { contentUri: 'https://a.example/x.zip', contentManagedIdentity: id }), /Arc-enabled servers.*publish with a SAS instead/);
  withPublishedContent(arc, 'f.json', { name: 'hand', version: '1.2.3', contentHash: HASH }, { contentUri: 'https://a.example/x.zip?sv=1&sig=x' });
});

// ---------------------------------------------------------------- manifest

const entry = fc.record({
  name: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,20}$/),
  version: fc.tuple(fc.nat(99), fc.nat(99), fc.nat(99)).map((v) => v.join('.')),
  contentHash: fc.stringMatching(/^[0-9A-F]{64}$/),
  size: fc.nat(),
  dine: fc.boolean(),
});

function manifestText(entries: ReadonlyArray<{ name: string; version: string; contentHash: string; size: number; dine: boolean }>): string {
  return `${JSON.stringify({
    manifestVersion: 1,
    packages: entries.map((e) => ({
      name: e.name, version: e.version, baseline: `policies/${e.name}.yaml`, assignmentType: 'Audit', file: `${e.name}/${e.name}.zip`, contentHash: e.contentHash, size: e.size,
      policies: [`${e.name}/${e.name}_AuditIfNotExists.json`, ...(e.dine ? [`${e.name}/${e.name}_DeployIfNotExists.json`] : [])],
    })),
    initiatives: ['initiatives/policies.json'],
  }, null, 2)}\n`;
}

test('parseBuildManifest reads what compile writes', () => {
  fc.assert(fc.property(fc.uniqueArray(entry, { selector: (e) => e.name.toLowerCase(), maxLength: 5 }), (entries) => {
    const m = parseBuildManifest(manifestText(entries), 'build/manifest.json');
    assert.deepEqual(m.packages.map((p) => [p.name, p.version, p.file, p.contentHash, p.size, p.policies.length]), entries.map((e) => [e.name, e.version, `${e.name}/${e.name}.zip`, e.contentHash, e.size, e.dine ? 2 : 1]));
    assert.deepEqual(m.initiatives, ['initiatives/policies.json']);
  }));
});

test('parseBuildManifest: any damage is one located DriftscanError, and no path leaves the build folder', () => {
  const good = manifestText([{ name: 'pkg', version: '1.0.0', contentHash: HASH, size: 10, dine: true }]);
  // Replace one string or number value of the manifest by an arbitrary JSON value.
  const values = [...good.matchAll(/: ("[^"]*"|\d+)/g)].map((m) => m.index! + 2);
  fc.assert(fc.property(fc.constantFrom(...values), fc.jsonValue(), (at, replacement) => {
    const end = good[at] === '"' ? good.indexOf('"', at + 1) + 1 : at + /^\d+/.exec(good.slice(at))![0].length;
    const text = `${good.slice(0, at)}${JSON.stringify(replacement)}${good.slice(end)}`;
    try {
      const m = parseBuildManifest(text, 'build/manifest.json');
      for (const p of [...m.packages.flatMap((x) => [x.file, ...x.policies]), ...m.initiatives]) {
        assert.ok(!p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\\'), p);
      }
    } catch (err) {
      assert.ok(err instanceof DriftscanError, String(err));
      assert.match(err.message, /^build\/manifest\.json:\d+:\d+: [^\n]+$/);
    }
  }), { numRuns: 300 });
  for (const [text, re] of [
    ['{', /^m\.json:1:2: invalid JSON: .*; compile again to rewrite it$/],
    ['[]', /^m\.json:1:1: not a driftscan build manifest: \(document\) must be object$/],
    ['{"manifestVersion":2,"packages":[]}', /^m\.json:1:20: not a driftscan build manifest: manifestVersion must be 1$/],
    [good.replace('"pkg/pkg.zip"', '"../../etc/passwd"'), /^m\.json:\d+:\d+: file must be pkg\/pkg\.zip/],
    [good.replace('"initiatives/policies.json"', '"initiatives/../../x.json"'), /^m\.json:\d+:\d+: not a driftscan build manifest: initiatives\.0 must match pattern/],
  ] as const) assert.throws(() => parseBuildManifest(text, 'm.json'), (e: unknown) => e instanceof DriftscanError && re.test(e.message));
});

// ---------------------------------------------------------------- blob names and the plan

test('packageBlobName is versioned and content-addressed; the plan uploads absent blobs, keeps equal ones and refuses different bytes', () => {
  const a = { name: 'alpha', version: '1.0.0', contentHash: HASH, size: 10 };
  const b = { name: 'beta', version: '2.1.0', contentHash: 'CD'.repeat(32), size: 20 };
  assert.equal(packageBlobName(a), `alpha/1.0.0/${HASH.toLowerCase()}/alpha.zip`);
  const target = { containerUrl: 'https://acct.blob.core.windows.net/gc', blobUrl: (n: string) => `https://acct.blob.core.windows.net/gc/${n}` };
  const found = new Map<string, PublishedBlob>([[packageBlobName(b), { exists: true, size: 20, sha256: b.contentHash }]]);
  const plan = planPackageUploads([a, b], found, target);
  assert.deepEqual(plan.changes.map((c) => [c.action, c.kind, c.name]), [['create', 'blob', packageBlobName(a)], ['unchanged', 'blob', packageBlobName(b)]]);
  assert.equal(plan.target, 'https://acct.blob.core.windows.net/gc');
  for (const other of [{ exists: true as const, size: 21, sha256: b.contentHash }, { exists: true as const, size: 20, sha256: 'EF'.repeat(32) }]) {
    assert.throws(() => planPackageUploads([b], new Map([[packageBlobName(b), other]]), target),
      (e: unknown) => e instanceof DriftscanError && e.kind === 'service' && e.message.startsWith(`blob https://acct.blob.core.windows.net/gc/${packageBlobName(b)} holds `));
  }
});

// ---------------------------------------------------------------- redaction

test('a user-delegation SAS URL loses its signature wherever it is printed; the rest of the URL stays readable', () => {
  const sig = 'Zm9vYmFyYmF6cXV4c2VjcmV0c2lnbmF0dXJl%2BQ%3D';
  const sas = `https://acct.blob.core.windows.net/gc/p/1.0.0/ab/p.zip?sv=2025-11-05&st=2026-12-02T15%3A39%3A35Z&se=2026-12-09T15%3A44%3A35Z&skoid=99999999-8888-7777-6666-555555555555&sktid=11111111-2222-3333-4444-555555555555&skt=2026-12-02T15%3A39%3A35Z&ske=2026-12-09T15%3A44%3A35Z&sks=b&skv=2025-11-05&spr=https&sr=b&sp=r&sig=${sig}`;
  for (const line of [`contentUri ${sas}`, JSON.stringify({ contentUri: sas }), `"${sas}"`, sas.slice(sas.indexOf('?') + 1), `${sas}: 403`]) {
    const out = redactSecrets(line);
    assert.ok(!out.includes(sig) && !out.includes(decodeURIComponent(sig)), out);
    assert.match(out, /sig=REDACTED/);
    // skoid/sktid name the signing identity and tenant: identifiers, not secrets (the signature is what grants access).
    assert.match(out, /skoid=99999999-8888-7777-6666-555555555555/);
  }
});
