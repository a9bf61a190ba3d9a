/**
 * Where publish sends packages and as whom (`src/azure/blob-container.ts`): the account URL per
 * cloud and from `--blob-endpoint`, storage account and container names as Azure's naming rules
 * state them (checked against a rule-by-rule oracle), and the storage token variable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DriftscanError } from '../src/core/diagnostics.js';
import { cloudByName } from '../src/azure/cloud.js';
import { blobAccountUrl, checkAccountName, checkContainerName } from '../src/azure/blob-container.js';
import { resolveCredential } from '../src/azure/credential.js';

test('the account URL: the cloud\'s blob suffix, or --blob-endpoint (https only, no query, no credentials, no trailing slash)', () => {
  assert.equal(blobAccountUrl('acct', cloudByName('AzureCloud')), 'https://acct.blob.core.windows.net');
  assert.equal(blobAccountUrl('acct', cloudByName('AzureUSGovernment')), 'https://acct.blob.core.usgovcloudapi.net');
  assert.equal(blobAccountUrl('acct', cloudByName('AzureChinaCloud')), 'https://acct.blob.core.chinacloudapi.cn');
  assert.equal(blobAccountUrl('acct', cloudByName('AzureCloud'), 'https://127.0.0.1:10443/devstoreaccount1/'), 'https://127.0.0.1:10443/devstoreaccount1');
  for (const [endpoint, re] of [
    ['http://127.0.0.1:10000/devstoreaccount1', /plain HTTP: Blob Storage is reached over https:\/\/ only/],
    ['http://acct.blob.core.windows.net', /plain HTTP: use https:\/\//],
    ['https://acct.blob.core.windows.net/?sv=1&sig=SECRET', /must not hold a query or fragment/],
    ['https://u:p@acct.blob.core.windows.net', /must not hold a user name or password/],
    ['acct', /not an absolute URL/],
  ] as const) {
    assert.throws(() => blobAccountUrl('acct', cloudByName('AzureCloud'), endpoint), (e: unknown) => e instanceof DriftscanError && e.kind === 'usage' && re.test(e.message) && e.message.startsWith('--blob-endpoint') && !e.message.includes('SECRET'));
  }
});

/** Azure's container naming rules, one by one (Blob REST "Naming and referencing containers"). */
function validContainer(name: string): boolean {
  if (name.length < 3 || name.length > 63) return false;
  if (![...name].every((c) => /[a-z0-9-]/.test(c))) return false;
  if (!/[a-z0-9]/.test(name[0]!) || !/[a-z0-9]/.test(name.at(-1)!)) return false;
  return !name.includes('--');
}

test('container and account names are accepted exactly when Azure\'s naming rules allow them', () => {
  const chars = fc.constantFrom(...'abcz09-A_.'.split(''));
  // Mostly names of the allowed characters (so both answers come up often), some with others.
  const names = fc.oneof(fc.stringMatching(/^[a-z0-9-]{0,66}$/), fc.string({ unit: chars, minLength: 0, maxLength: 70 }));
  const seen = { valid: 0, invalid: 0 };
  fc.assert(fc.property(names, (name) => {
    seen[validContainer(name) ? 'valid' : 'invalid'] += 1;
    let ok = true;
    try {
      checkContainerName(name);
    } catch (err) {
      assert.ok(err instanceof DriftscanError && err.kind === 'usage');
      ok = false;
    }
    assert.equal(ok, validContainer(name), name);
  }), { numRuns: 2000 });
  assert.ok(seen.valid > 100 && seen.invalid > 100, JSON.stringify(seen));
  fc.assert(fc.property(fc.oneof(fc.stringMatching(/^[a-z0-9]{0,26}$/), fc.string({ unit: chars, minLength: 0, maxLength: 30 })), (name) => {
    const valid = name.length >= 3 && name.length <= 24 && /^[a-z0-9]*$/.test(name);
    assert.equal((() => { try { checkAccountName(name); return true; } catch { return false; } })(), valid, name);
  }), { numRuns: 2000 });
  for (const n of ['gc', 'guestconfig', 'a-b', 'a--b', '-ab', 'ab-', 'x'.repeat(63), 'x'.repeat(64)]) assert.equal((() => { try { checkContainerName(n); return true; } catch { return false; } })(), validContainer(n), n);
});

test('the storage token comes from DRIFTSCAN_STORAGE_TOKEN, never from the ARM token variable', async () => {
  const cloud = cloudByName('AzureCloud');
  const storage = resolveCredential({ cloud, tokenVariable: 'DRIFTSCAN_STORAGE_TOKEN', env: { DRIFTSCAN_STORAGE_TOKEN: 'storage-token-1', DRIFTSCAN_ARM_TOKEN: 'arm-token-2' } });
  assert.equal(storage.source, 'DRIFTSCAN_STORAGE_TOKEN');
  assert.equal((await storage.credential.getToken('https://storage.azure.com/.default'))?.token, 'storage-token-1');
  // Only the ARM token set: storage falls back to DefaultAzureCredential (constructed, never asked here).
  assert.equal(resolveCredential({ cloud, tokenVariable: 'DRIFTSCAN_STORAGE_TOKEN', env: { DRIFTSCAN_ARM_TOKEN: 'arm-token-2' } }).source, 'DefaultAzureCredential');
  assert.equal(resolveCredential({ cloud, env: { DRIFTSCAN_ARM_TOKEN: 'arm-token-2', DRIFTSCAN_STORAGE_TOKEN: 'storage-token-1' } }).source, 'DRIFTSCAN_ARM_TOKEN');
  assert.throws(() => resolveCredential({ cloud, tokenVariable: 'DRIFTSCAN_STORAGE_TOKEN', env: { DRIFTSCAN_STORAGE_TOKEN: 'two words' } }), /DRIFTSCAN_STORAGE_TOKEN must hold one bearer token/);
});
