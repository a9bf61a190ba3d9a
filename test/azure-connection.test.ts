/**
 * The Azure connection's parts without a network: clouds and endpoints, the static-token
 * credential, resource-id paths, Retry-After parsing and backoff, ARM error lines, write pacing,
 * and the pipeline every client gets. The same parts against a live (emulated) ARM are in
 * azure-emulator.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { checkArmEndpoint, cloudByName, isLoopbackHost, resolveArmTarget } from '../src/azure/cloud.js';
import { jwtExpiry, resolveCredential, staticTokenCredential } from '../src/azure/credential.js';
import { canonicalId, collapsePathSlashes, sdkScope, subscriptionOf } from '../src/azure/resource-id.js';
import { backoffMs, retryAfterMs } from '../src/azure/policies/retry-policy.js';
import { AzureError, parseArmError } from '../src/azure/errors.js';
import { bucketOf, writePacer } from '../src/azure/policies/pacing-policy.js';
import { openAzureConnection } from '../src/azure/connection.js';
import { createPolicyClient } from '../src/azure/policy-client.js';
import { createArmRestClient } from '../src/azure/arm-rest-client.js';
import { DriftscanError } from '../src/core/diagnostics.js';

const SUB = '00000000-0000-0000-0000-000000000001';
/** A JWT-shaped token (header `{"alg":"none","typ":"JWT"}`, `exp` 2100-01-01). */
const TOKEN = 'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJleHAiOjQxMDI0NDQ4MDAsInN1YiI6ImRyaWZ0c2Nhbi10ZXN0In0.c2lnbmF0dXJlLXNlY3JldA';

test('clouds: names are case-insensitive, each has its own endpoint, authority and explicit ARM scope', () => {
  assert.equal(cloudByName('azurecloud').resourceManager, 'https://management.azure.com');
  assert.equal(cloudByName('AzureUSGovernment').armScope, 'https://management.usgovcloudapi.net/.default');
  assert.equal(cloudByName('AzureChinaCloud').authorityHost, 'https://login.chinacloudapi.cn');
  assert.throws(() => cloudByName('AzureGermanCloud'), /unknown cloud 'AzureGermanCloud': use one of AzureCloud, AzureUSGovernment, AzureChinaCloud/);
  const t = resolveArmTarget({ env: {} });
  assert.deepEqual([t.endpoint, t.cloud.armScope, t.insecureLoopback], ['https://management.azure.com', 'https://management.azure.com/.default', false]);
});

test('--arm-endpoint wins over DRIFTSCAN_ARM_ENDPOINT; the scope stays the cloud\'s; a trailing slash is dropped', () => {
  const env = { DRIFTSCAN_ARM_ENDPOINT: 'https://env.example:8443/' };
  assert.equal(resolveArmTarget({ env }).endpoint, 'https://env.example:8443');
  const t = resolveArmTarget({ env, armEndpoint: 'https://flag.example/base/', cloud: 'AzureUSGovernment' });
  assert.equal(t.endpoint, 'https://flag.example/base');
  assert.equal(t.cloud.armScope, 'https://management.usgovcloudapi.net/.default');
});

test('HTTPS only, except plain HTTP to a loopback address', () => {
  for (const ok of ['http://127.0.0.1:8080', 'http://127.1.2.3', 'http://[::1]:9', 'http://localhost:1', 'http://[::ffff:127.0.0.1]']) {
    assert.equal(checkArmEndpoint(ok, '--arm-endpoint').insecureLoopback, true, ok);
  }
  assert.throws(() => checkArmEndpoint('http://10.0.0.1', '--arm-endpoint'), /--arm-endpoint http:\/\/10\.0\.0\.1 is plain HTTP: use https:\/\//);
  assert.throws(() => checkArmEndpoint('http://127.0.0.1.evil.example', '--arm-endpoint'), /plain HTTP/);
  assert.throws(() => checkArmEndpoint('ftp://x', 'DRIFTSCAN_ARM_ENDPOINT'), /DRIFTSCAN_ARM_ENDPOINT 'ftp:\/\/x' must be an https:\/\/ URL/);
  assert.throws(() => checkArmEndpoint('https://u:p@x', '--arm-endpoint'), /must not hold a user name or password/);
  assert.throws(() => checkArmEndpoint('https://x/?sig=abc', '--arm-endpoint'), /must not hold a query/);
  assert.throws(() => checkArmEndpoint('management.azure.com', '--arm-endpoint'), /not an absolute URL/);
  for (const e of [() => checkArmEndpoint('http://10.0.0.1', 'x'), () => cloudByName('nope')]) {
    assert.throws(e, (err: unknown) => err instanceof DriftscanError && err.kind === 'usage');
  }
});

test('isLoopbackHost: every 127/8 address is loopback, no other IPv4 address is', () => {
  fc.assert(fc.property(fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)), ([a, b, c]) => isLoopbackHost(`127.${a}.${b}.${c}`)));
  fc.assert(fc.property(fc.ipV4(), (ip) => isLoopbackHost(ip) === ip.startsWith('127.')));
});

test('DRIFTSCAN_ARM_TOKEN: used as it is until its exp; an expired token fails without showing it', async () => {
  assert.equal(jwtExpiry(TOKEN), 4102444800_000);
  assert.equal(jwtExpiry('opaque-token'), undefined);
  const cred = resolveCredential({ cloud: cloudByName('AzureCloud'), env: { DRIFTSCAN_ARM_TOKEN: `Bearer ${TOKEN}` } });
  assert.equal(cred.source, 'DRIFTSCAN_ARM_TOKEN');
  const tok = await cred.credential.getToken('https://management.azure.com/.default');
  assert.deepEqual(tok, { token: TOKEN, expiresOnTimestamp: 4102444800_000 });
  const expired = staticTokenCredential(TOKEN, 'DRIFTSCAN_ARM_TOKEN', () => 4102444800_001);
  await assert.rejects(expired.getToken('s'), (err: Error) => {
    assert.match(err.message, /^the token in DRIFTSCAN_ARM_TOKEN expired at 2100-01-01T00:00:00\.000Z/);
    assert.ok(!err.message.includes(TOKEN.slice(0, 20)));
    return true;
  });
  assert.throws(() => staticTokenCredential('two tokens'), /must hold one bearer token/);
  assert.equal(resolveCredential({ cloud: cloudByName('AzureCloud'), tenant: 'contoso.onmicrosoft.com', env: {} }).source, 'DefaultAzureCredential');
});

test('resource ids: no // ever, whatever slashes a path starts or runs with; the query is kept', () => {
  assert.equal(sdkScope(`/subscriptions/${SUB}`), `subscriptions/${SUB}`);
  assert.equal(canonicalId(`subscriptions/${SUB}/`), `/subscriptions/${SUB}`);
  assert.equal(subscriptionOf(`https://h//subscriptions/${SUB}/x?y`), SUB);
  const segment = fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/);
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), segment), { minLength: 1, maxLength: 6 }), fc.stringMatching(/^[a-z0-9=&/]{0,12}$/), (parts, q) => {
    const path = parts.map(([n, s]) => `${'/'.repeat(n)}${s}`).join('');
    const out = collapsePathSlashes(`https://127.0.0.1:1${path}?${q}`);
    const [base, query] = [out.slice(0, out.indexOf('?')), out.slice(out.indexOf('?') + 1)];
    return !base.slice('https://'.length).includes('//') && query === q && base.endsWith(parts.map(([, s]) => `/${s}`).join(''));
  }));
});

function response(headers: Record<string, string>): Pick<PipelineResponse, 'headers'> {
  return { headers: createHttpHeaders(headers) };
}

test('Retry-After, retry-after-ms and x-ms-retry-after-ms are read as ARM sends them', () => {
  assert.equal(retryAfterMs(response({ 'retry-after': '3' })), 3000);
  assert.equal(retryAfterMs(response({ 'retry-after-ms': '250' })), 250);
  assert.equal(retryAfterMs(response({ 'x-ms-retry-after-ms': '40' })), 40);
  assert.equal(retryAfterMs(response({ 'retry-after-ms': '250', 'retry-after': '9' })), 250);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(retryAfterMs(response({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now), 5000);
  assert.equal(retryAfterMs(response({ 'retry-after': 'Wed, 31 Dec 2025 00:00:00 GMT' }), now), 0);
  assert.equal(retryAfterMs(response({ 'retry-after': 'soon' })), undefined);
  assert.equal(retryAfterMs(response({})), undefined);
});

test('backoff doubles per retry, stays within [exp/2, exp] and never exceeds the cap', () => {
  fc.assert(fc.property(fc.nat(40), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 100_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, base, max, r) => {
    const exp = Math.min(max, base * 2 ** n);
    const d = backoffMs(n, base, max, () => r);
    return d >= Math.floor(exp / 2) && d <= Math.ceil(exp) && d <= max;
  }));
});

test('ARM errors become one redacted line naming method, resource, status, code and (for 403) the subscription', () => {
  assert.deepEqual(parseArmError('{"error":{"code":"X","message":"m"}}'), { code: 'X', message: 'm' });
  assert.deepEqual(parseArmError({ code: 'Y', message: 'n' }), { code: 'Y', message: 'n' });
  assert.deepEqual(parseArmError('plain text'), { message: 'plain text' });
  const e = new AzureError({
    failure: 'refused', method: 'put', url: `https://h/subscriptions/${SUB}/providers/Microsoft.Authorization/policyDefinitions/d?api-version=1&sig=secret`,
    status: 403, code: 'AuthorizationFailed', serviceMessage: `no\nway, token ${TOKEN}`, subscriptionName: 'Production',
  });
  assert.equal(e.message, `no permission in subscription 'Production' (${SUB}) for PUT /subscriptions/${SUB}/providers/Microsoft.Authorization/policyDefinitions/d: 403 AuthorizationFailed: no way, token REDACTED`);
  assert.equal(e.subscription, SUB);
  const u = new AzureError({ failure: 'unavailable', method: 'GET', url: 'https://h/subscriptions', status: 503, attempts: 6 });
  assert.equal(u.message, 'Azure kept failing GET /subscriptions: 503 (6 attempts)');
  assert.ok(u instanceof DriftscanError);
});

test('pacing: writes wait for the refill once the reported remainder reaches the reserve; reads never wait', async () => {
  assert.equal(bucketOf('PUT', 'https://h/x'), 'writes');
  assert.equal(bucketOf('DELETE', 'https://h/x'), 'deletes');
  assert.equal(bucketOf('POST', 'https://h/providers/Microsoft.ResourceGraph/resources?api-version=1'), undefined);
  assert.equal(bucketOf('GET', 'https://h/x'), undefined);
  let clock = 0;
  const waits: number[] = [];
  const pacer = writePacer({ reserve: 5, refillPerSecond: 10, now: () => clock, sleep: async (ms) => { waits.push(ms); clock += ms; } });
  let remaining = 7;
  const next = async (request: ReturnType<typeof createPipelineRequest>) => ({ request, status: 200, headers: createHttpHeaders({ 'x-ms-ratelimit-remaining-subscription-writes': String(remaining) }) });
  const put = () => pacer.policy.sendRequest(createPipelineRequest({ url: `https://h/subscriptions/${SUB}/x`, method: 'PUT' }), next);
  await put(); // learns 7
  assert.deepEqual(waits, []);
  remaining = 5;
  await put(); // 7 left > reserve: no wait; learns 5
  assert.deepEqual(waits, []);
  await put(); // 5 ≤ reserve 5: wait (5 - 5 + 1) / 10 s
  assert.deepEqual(waits, [100]);
  await pacer.policy.sendRequest(createPipelineRequest({ url: `https://h/subscriptions/${SUB}/x`, method: 'GET' }), next);
  assert.deepEqual(waits, [100]);
  // Another subscription has its own bucket.
  await pacer.policy.sendRequest(createPipelineRequest({ url: 'https://h/subscriptions/other/x', method: 'PUT' }), next);
  assert.deepEqual(waits, [100]);
  assert.equal(pacer.waitedMs, 100);
});

test('every client built on the connection gets driftscan\'s policies instead of the SDK\'s retry and auth, and the user agent', () => {
  const conn = openAzureConnection({ env: { DRIFTSCAN_ARM_TOKEN: TOKEN } });
  try {
    for (const client of [createPolicyClient(conn, SUB), createArmRestClient(conn)]) {
      const names = client.pipeline.getOrderedPolicies().map((p) => p.name);
      assert.ok(!names.includes('defaultRetryPolicy'), names.join());
      assert.ok(!names.includes('bearerTokenAuthenticationPolicy'), names.join());
      for (const n of ['driftscanErrors', 'driftscanDeadline', 'driftscanArmPath', 'retryPolicy', 'driftscanAttemptCount', 'driftscanWritePacing', 'driftscanBearerAuth']) assert.ok(names.includes(n), `${n} in ${names.join()}`);
      assert.ok(names.indexOf('retryPolicy') < names.indexOf('driftscanBearerAuth'), names.join());
      assert.ok(names.indexOf('driftscanDeadline') < names.indexOf('retryPolicy'), names.join());
    }
    assert.match(conn.userAgent, /^driftscan\/\d+\.\d+\.\d+/);
    assert.deepEqual(conn.scopes, ['https://management.azure.com/.default']);
    assert.equal(conn.clientOptions().userAgentOptions?.userAgentPrefix, conn.userAgent);
  } finally {
    conn.close();
  }
});
