import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { redactSecrets } from '../src/cli/redact.js';

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
