import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { redactSecrets } from '../src/core/redact.js';

test('SAS signatures, URL credentials and bearer tokens are redacted; the rest stays readable', () => {
  const sas = 'https://acct.blob.core.windows.net/gc/pkg.zip?sv=2022-11-02&ss=b&sp=r&se=2027-01-01&sig=AbC%2Bdef%3D';
  assert.equal(redactSecrets(`cannot read ${sas}: 403`), 'cannot read https://acct.blob.core.windows.net/gc/pkg.zip?sv=2022-11-02&ss=b&sp=r&se=2027-01-01&sig=REDACTED: 403');
  assert.equal(redactSecrets('feed https://user:p%40ss@feed.example/api/v2?token=xyz&id=1'), 'feed https://REDACTED@feed.example/api/v2?token=REDACTED&id=1');
  assert.equal(redactSecrets('Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi.abc-def_123'), 'Authorization: Bearer REDACTED');
  assert.equal(redactSecrets('policies/x.yaml:3:5: unknown key "equal"'), 'policies/x.yaml:3:5: unknown key "equal"');
  assert.equal(redactSecrets('https://www.powershellgallery.com/api/v2/Packages(Id=\'X\')'), 'https://www.powershellgallery.com/api/v2/Packages(Id=\'X\')');
});

test('a signature never survives redaction, wherever it sits in a message', () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9%+/=]{16,40}$/);
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), secret, fc.constantFrom('sig', 'SIG', 'token', 'access_token'), fc.boolean(), (prefix, s, name, first) => {
      const url = first ? `https://h.example/p?${name}=${s}&sv=1` : `https://h.example/p?sv=1&${name}=${s}`;
      const out = redactSecrets(`${prefix.replace(/[a-z]:\/\//gi, '')} ${url} tail`);
      assert.ok(!out.includes(s), out);
    }),
    { numRuns: 300 },
  );
});

test('the CLI never prints a URL token or password, even in an error that names the URL', async () => {
  const { runCli } = await import('./support/cli.js');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-redact-'));
  try {
    // A SAS-style URL given where a file is expected: the "cannot read" error names it.
    const r = runCli(['check', 'policies/rdp-access-denied.yaml', '--snapshot', 'https://feeduser:S3cretPw@127.0.0.1:9/api/v2/?token=TOPSECRET123'], { env: {} });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /127\.0\.0\.1:9/);
    assert.doesNotMatch(r.stderr + r.stdout, /TOPSECRET123|S3cretPw/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('redaction is shape-based: words after "Basic" or "Bearer" are not secrets, credentials and JWTs are', () => {
  assert.equal(redactSecrets('VDS Basic Provider'), 'VDS Basic Provider');
  assert.equal(redactSecrets('uses Bearer authentication for the feed'), 'uses Bearer authentication for the feed');
  assert.equal(redactSecrets(`Authorization: Basic ${Buffer.from('alice:pw1').toString('base64')}`), 'Authorization: Basic REDACTED');
  assert.equal(redactSecrets('token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl here'), 'token REDACTED here');
  assert.equal(redactSecrets('Bearer 0123456789abcdefXYZ'), 'Bearer REDACTED');
});
