/**
 * `check --image URL` / `export --image URL`: disk images in Blob Storage read by SAS, as
 * `az disk grant-access` hands them out — against Azurite (test/support/azurite.ts) on 127.0.0.1,
 * the disks built by Debian's tools (test/support/disk-images.ts) and uploaded as page blobs (raw,
 * VHD fixed: what a managed disk is) and block blobs (VHD dynamic, VHDX: what an image build leaves
 * in a storage account). The oracle is `check --windows-dir` over the same hive files: same
 * verdicts, same wording. Faults Azurite never makes (503, cut bodies, resets, a hang, a blob
 * rewritten mid-read) come from the fault proxy (test/support/storage-fault-proxy.ts), whose log is
 * also the independent count of HTTP requests. The SAS must never reach stdout or stderr.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import { runCliAsync, type CliResult } from './support/cli.js';
import { AZURITE_ACCOUNT, startAzurite, type Azurite } from './support/azurite.js';
import { startFaultProxy, type FaultProxy, type FaultRule } from './support/storage-fault-proxy.js';
import { buildDisk, buildNtfsVolume, convertDisk, diskToolsMissing, scratchDir, type ImageKind, type Scheme } from './support/disk-images.js';
import { createContainer, dataExtents, sasUrl as blobSasUrl, uploadBlockBlob as uploadBlock, uploadPageBlob as uploadPage } from './support/blob-disks.js';
import { parseBlobSasUrl } from '../src/azure/blob-byte-source.js';
import { redactSecrets } from '../src/core/redact.js';

const CONFIG = 'examples/image/Windows/System32/config';
const SAMPLE = ['SYSTEM', 'SOFTWARE'].map((name) => ({ name, bytes: readFileSync(join(CONFIG, name)) }));
const KINDS: ImageKind[] = ['raw', 'vhd-fixed', 'vhd-dynamic', 'vhdx'];
const SCHEMES: Scheme[] = ['none', 'mbr', 'mbr-logical', 'gpt'];
const CONTAINER = 'disks';

// Started at load time, not in before(): a test's `skip` is read when test() is called.
const toolsMissing = diskToolsMissing();
const started = toolsMissing ? toolsMissing : await startAzurite();
const azurite: Azurite | undefined = typeof started === 'string' ? undefined : started;
const skip: string | false = typeof started === 'string' ? started : false;
if (skip) console.log(`# disk-image-blob tests SKIPPED: ${skip}`);

let container: ContainerClient;
let dir: string;
/** Blob name → how the disk was built (partition number of the Windows volume). */
const disks = new Map<string, { scheme: Scheme; kind: ImageKind; partition: number; file: string }>();
let expected: Row[];

interface Row { ruleId: string; status: string; expected: string; actual: string; message: string }
const pick = (r: Row) => ({ ruleId: r.ruleId, status: r.status, expected: r.expected, actual: r.actual, message: r.message });

function env(): NodeJS.ProcessEnv {
  return { NODE_EXTRA_CA_CERTS: azurite!.cert.certPath };
}

/** A read-only SAS URL for `blob` through `accountUrl` (Azurite or the proxy), valid until `expiresOn`. */
function sasUrl(blob: string, accountUrl = azurite!.accountUrl, expiresOn?: Date): string {
  return blobSasUrl(accountUrl, CONTAINER, blob, expiresOn);
}

/** The signature of a SAS URL, raw and URL-encoded: neither may appear in any output. */
function signatures(url: string): string[] {
  const sig = new URL(url).searchParams.get('sig')!;
  return [sig, encodeURIComponent(sig)];
}

function assertNoSas(r: CliResult, url: string, what: string): void {
  for (const s of signatures(url)) {
    assert.ok(!r.stdout.includes(s), `${what}: the SAS signature is on stdout`);
    assert.ok(!r.stderr.includes(s), `${what}: the SAS signature is on stderr`);
  }
  assert.ok(!r.stderr.includes(new URL(url).search.slice(1)), `${what}: the SAS query is on stderr`);
}

async function check(args: string[], timeoutMs = 120_000, extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCliAsync(['check', 'policies/', ...args, '--format', 'json'], { env: { ...env(), ...extraEnv }, timeoutMs });
}

async function verdicts(args: string[]): Promise<Row[]> {
  const r = await check(args);
  assert.ok(r.status === 0 || r.status === 1, `${args.join(' ').replace(/\?.*/, '?…')}: exit ${r.status}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { results: Row[] }).results.map(pick);
}

const uploadPageBlob = (name: string, file: string, extents?: Array<{ start: number; length: number }>) => uploadPage(container, name, file, extents);
const uploadBlockBlob = (name: string, file: string) => uploadBlock(container, name, file);

before(async () => {
  if (!azurite) return;
  container = await createContainer(azurite, CONTAINER);
  dir = scratchDir('driftscan-image-blob-');
  const volume = join(dir, 'vol.img');
  buildNtfsVolume(volume, { sizeMiB: 16, files: SAMPLE.map((h) => ({ path: `Windows/System32/config/${h.name}`, bytes: h.bytes, fragment: [1, 2, 1, 3] })) });
  for (const scheme of SCHEMES) {
    const raw = join(dir, `disk-${scheme}.raw`);
    const { partition } = buildDisk(raw, volume, scheme);
    for (const kind of KINDS) {
      const file = convertDisk(raw, kind, join(dir, `disk-${scheme}.${kind}`));
      const name = `${scheme}/disk.${kind}`;
      // Page blobs for what Azure serves a managed disk as (raw, fixed VHD); block blobs for files an image build uploads.
      if (kind === 'raw' || kind === 'vhd-fixed') await uploadPageBlob(name, file);
      else await uploadBlockBlob(name, file);
      disks.set(name, { scheme, kind, partition, file });
    }
  }
  // A fixed VHD as a block blob too: a VHD copied into a storage account with azcopy is one.
  await uploadBlockBlob('gpt/block.vhd-fixed', join(dir, 'disk-gpt.vhd-fixed'));
  expected = await verdicts(['--windows-dir', 'examples/image']);
  assert.ok(expected.some((r) => r.status === 'fail') && expected.some((r) => r.status === 'pass'));
});

after(async () => {
  await azurite?.stop();
});

async function withProxy<T>(rules: FaultRule[], body: (proxy: FaultProxy) => Promise<T>): Promise<T> {
  const proxy = await startFaultProxy(azurite!.port, AZURITE_ACCOUNT, azurite!.cert, rules);
  try {
    return await body(proxy);
  } finally {
    await proxy.close();
  }
}

test('check --image SAS URL gives the verdicts and wording of check --windows-dir: raw, VHD fixed/dynamic, VHDX; unpartitioned, MBR, logical, GPT; page and block blobs', { skip, timeout: 300_000 }, async () => {
  for (const [name, d] of disks) {
    const url = sasUrl(name);
    const r = await check(['--image', url]);
    assert.ok(r.status === 0 || r.status === 1, `${name}: exit ${r.status}: ${r.stderr}`);
    assert.deepEqual((JSON.parse(r.stdout) as { results: Row[] }).results.map(pick), expected, name);
    assertNoSas(r, url, name);
    if (d.scheme === 'gpt' || d.scheme === 'mbr-logical') {
      assert.deepEqual(await verdicts(['--image', url, '--partition', String(d.partition)]), expected, `${name} --partition`);
    }
  }
  assert.deepEqual(await verdicts(['--image', sasUrl('gpt/block.vhd-fixed')]), expected, 'fixed VHD as a block blob');
});

test('export --image SAS URL writes what export --hive writes from the file', { skip }, async () => {
  for (const name of ['gpt/disk.vhdx', 'mbr/disk.vhd-fixed']) {
    const url = sasUrl(name);
    const fromBlob = await runCliAsync(['export', '--image', url, '--hive', 'SOFTWARE', '--path', 'Microsoft\\Windows NT\\CurrentVersion', '--format', 'json'], { env: env() });
    const fromFile = await runCliAsync(['export', '--hive', join(CONFIG, 'SOFTWARE'), '--path', 'Microsoft\\Windows NT\\CurrentVersion', '--format', 'json']);
    assert.equal(fromBlob.status, 0, fromBlob.stderr);
    assert.equal(fromBlob.stdout, fromFile.stdout, name);
    assertNoSas(fromBlob, url, name);
  }
  // --output with a URL input: the report is written (the URL is no file an output could clobber).
  const url = sasUrl('mbr-logical/disk.vhdx');
  const out = join(dir, 'report.json');
  const r = await check(['--image', url, '--output', out]);
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  assert.deepEqual((JSON.parse(readFileSync(out, 'utf8')) as { results: Row[] }).results.map(pick), expected);
  assertNoSas(r, url, '--output');
  for (const command of ['check', 'export']) {
    const help = await runCliAsync([command, '--help']);
    assert.match(help.stdout, /blob SAS URL/, `${command} --help`);
    assert.match(help.stdout, /--timeout <duration>\s+with an --image URL/, `${command} --help`);
  }
});

test('--verbose counts the requests the proxy saw; 503s, a cut body and a reset are retried or resumed, and the verdicts stay the same', { skip, timeout: 120_000 }, async () => {
  const blob = 'gpt/disk.vhdx';
  // Clean run: the proxy's log is the independent count of requests and the reads are few.
  await withProxy([], async (proxy) => {
    const url = sasUrl(blob, proxy.accountUrl);
    const r = await check(['--image', url, '--verbose']);
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { results: Row[] }).results.map(pick), expected);
    const m = /read (\d+) bytes in (\d+) requests \((\d+) retries; (\d+) reads by the disk readers\)/.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.equal(Number(m[2]), proxy.log.length, `requests counted vs seen: ${JSON.stringify(proxy.log)}`);
    assert.equal(Number(m[3]), 0);
    assert.ok(Number(m[4]) > 2 * Number(m[2]), `the cache turns ${m[4]} reads into far fewer requests (${m[2]})`);
    assert.ok(proxy.log.filter((l) => l.method === 'GET').every((l) => /^bytes=\d+-\d+$/.test(l.range ?? '')), 'every GET is ranged');
    assert.equal(r.stderr.match(/storage: GET /g)?.length, proxy.log.filter((l) => l.method === 'GET').length, 'one --verbose line per GET');
    assert.match(r.stderr, new RegExp(`storage: GET ${proxy.accountUrl}/${CONTAINER}/${blob} bytes=`));
    assertNoSas(r, url, 'verbose');
  });
  const faults: FaultRule[] = [
    { method: 'HEAD', path: `/${blob}`, status: 500, code: 'InternalError', times: 1 },
    { method: 'GET', path: `/${blob}`, status: 503, code: 'ServerBusy', times: 2 },
    { method: 'GET', path: `/${blob}`, action: 'truncate', skip: 1, times: 1 },
    { method: 'GET', path: `/${blob}`, action: 'reset', skip: 1, times: 1 },
  ];
  await withProxy(faults, async (proxy) => {
    const url = sasUrl(blob, proxy.accountUrl);
    const r = await check(['--image', url, '--verbose']);
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { results: Row[] }).results.map(pick), expected);
    assert.deepEqual(proxy.log.slice(0, 2).map((l) => `${l.method} ${l.status}`), ['HEAD 500', 'HEAD 200']);
    assert.equal(proxy.log.filter((l) => l.status === 503).length, 2);
    assert.equal(proxy.log.filter((l) => l.status === 0).length, 1, 'one reset');
    // The cut body is resumed: a GET whose range starts inside the range of the one cut short.
    const ranges = proxy.log.filter((l) => l.method === 'GET' && l.status === 206).map((l) => l.range!.slice(6).split('-').map(Number) as [number, number]);
    assert.ok(ranges.some(([s, e], i) => ranges.some(([s2, e2], j) => j > i && s2 > s && s2 <= e && e2 === e)), `a resumed range: ${JSON.stringify(ranges)}`);
    const m = /in (\d+) requests \((\d+) retries;/.exec(r.stderr);
    assert.ok(m && Number(m[2]) === 5, `1 HEAD, 2 GETs retried, 1 resumed, 1 reset: ${r.stderr}`);
    assert.equal(Number(m[1]), proxy.log.length);
    assertNoSas(r, url, 'faults');
  });
});

test('Blob Storage failing past the retries exits 3; a hang is cut at --timeout and exits 3', { skip, timeout: 120_000 }, async () => {
  const blob = 'mbr/disk.vhd-fixed';
  await withProxy([{ method: 'GET', path: `/${blob}`, status: 503, code: 'ServerBusy', times: 1000 }], async (proxy) => {
    const url = sasUrl(blob, proxy.accountUrl);
    const r = await check(['--image', url]);
    assert.equal(r.status, 3, r.stderr);
    assert.equal(r.stdout, '');
    const line = `${proxy.accountUrl}/${CONTAINER}/${blob}: Blob Storage kept failing GET ${proxy.accountUrl}/${CONTAINER}/${blob} bytes=`;
    assert.ok(r.stderr.includes(line), r.stderr);
    assert.match(r.stderr, /503 ServerBusy.*\(5 attempts\)/);
    assert.equal(proxy.log.filter((l) => l.method === 'GET').length, 5);
    assertNoSas(r, url, '503s');
  });
  await withProxy([{ method: 'GET', path: `/${blob}`, action: 'delay', delayMs: 60_000, times: 1000 }], async (proxy) => {
    const url = sasUrl(blob, proxy.accountUrl);
    const t0 = Date.now();
    const r = await check(['--image', url, '--timeout', '2s']);
    const took = Date.now() - t0;
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /gave up on GET .* bytes=\d+-\d+: the 2 s deadline \(--timeout\) passed/);
    assert.ok(took < 15_000, `--timeout 2s ended the run after ${took} ms`);
    assertNoSas(r, url, 'hang');
  });
});

test('an expired SAS (403), a missing blob (404) and a blob rewritten mid-read (412) exit 2 with one line naming the URL without its SAS', { skip, timeout: 120_000 }, async () => {
  const blob = 'gpt/disk.raw';
  const expired = sasUrl(blob, azurite!.accountUrl, new Date(Date.now() - 60_000));
  // With the SDK's own logging on too: its lines go through the redacting console.
  const r403 = await check(['--image', expired, '--verbose'], 120_000, { AZURE_LOG_LEVEL: 'verbose' });
  assert.equal(r403.status, 2, r403.stderr);
  assert.match(r403.stderr, /azure:storage-blob|azure:core-rest-pipeline/, 'the SDK logged');
  assert.match(r403.stderr, new RegExp(`^driftscan: ${azurite!.accountUrl}/${CONTAINER}/${blob}: Blob Storage refused the SAS for HEAD .*403`, 'm'));
  assertNoSas(r403, expired, '403');

  const missing = sasUrl('gpt/nothing.vhd');
  const r404 = await check(['--image', missing]);
  assert.equal(r404.status, 2, r404.stderr);
  assert.match(r404.stderr, /nothing\.vhd: no such blob \(404 BlobNotFound/);
  assertNoSas(r404, missing, '404');

  // A copy of a disk, overwritten with another disk after the first read: the second GET is 412.
  const moving = 'moving/disk.vhd-fixed';
  await uploadPageBlob(moving, disks.get('mbr/disk.vhd-fixed')!.file);
  await withProxy([{ method: 'GET', path: `/${moving}`, action: 'before', skip: 1, times: 1, before: () => uploadPageBlob(moving, disks.get('gpt/disk.vhd-fixed')!.file) }], async (proxy) => {
    const url = sasUrl(moving, proxy.accountUrl);
    const r = await check(['--image', url]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /moving\/disk\.vhd-fixed: the blob changed while it was being read \(ETag .* no longer matches: 412 ConditionNotMet/);
    assert.equal(r.stdout, '');
    assertNoSas(r, url, '412');
  });

  const plain = await check(['--image', `http://example.com/${CONTAINER}/${blob}?sv=x&sig=abcdefgh1234`]);
  assert.equal(plain.status, 2);
  assert.match(plain.stderr, /is plain HTTP: a SAS is sent only over https:\/\//);
  assert.ok(!plain.stderr.includes('abcdefgh1234'));
  const local = await check(['--image', disks.get('gpt/disk.vhdx')!.file, '--timeout', '10s']);
  assert.equal(local.status, 2);
  assert.match(local.stderr, /--timeout bounds reading an --image URL/);
});

test('a 64 GiB sparse disk as a page blob is gated in a few requests and megabytes', { skip, timeout: 300_000 }, async () => {
  const volume = join(dir, 'big.img');
  buildNtfsVolume(volume, { sizeMiB: 64 * 1024, files: SAMPLE.map((h, i) => ({ path: `Windows/System32/config/${h.name}`, bytes: h.bytes, shuffle: 7 + i })) });
  const vhd = join(dir, 'big.vhd');
  execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=fixed,force_size=on', volume, vhd]);
  await uploadPageBlob('big/disk.vhd', vhd, dataExtents(vhd));
  const size = statSync(vhd).size;
  assert.ok(size > 64 * 2 ** 30);
  await withProxy([], async (proxy) => {
    const url = sasUrl('big/disk.vhd', proxy.accountUrl);
    const r = await check(['--image', url, '--verbose']);
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { results: Row[] }).results.map(pick), expected);
    const m = /read (\d+) bytes in (\d+) requests/.exec(r.stderr);
    assert.ok(m, r.stderr);
    const [bytes, requests] = [Number(m[1]), Number(m[2])];
    assert.equal(requests, proxy.log.length);
    const hiveBytes = SAMPLE.reduce((n, h) => n + h.bytes.length, 0);
    console.log(`# 64 GiB page blob: ${requests} requests, ${(bytes / 2 ** 20).toFixed(1)} MiB read for ${(hiveBytes / 1024).toFixed(0)} KiB of hives`);
    assert.ok(bytes <= 2 * hiveBytes + 16 * 2 ** 20, `${bytes} bytes read`);
    assert.ok(requests <= 100, `${requests} requests`);
    assertNoSas(r, url, '64 GiB');
  });
});

test('the SAS is known to the redactor by value once the URL is parsed: a bare signature in an SDK message is redacted too', () => {
  const sig = 'AbC+dEf/GhI=0123456789signature';
  const text = `https://acct.blob.core.windows.net/c/disk.vhd?sv=2025-11-05&sr=b&sp=r&se=2030-01-01&sig=${encodeURIComponent(sig)}`;
  assert.equal(redactSecrets(`signed with ${sig}`), `signed with ${sig}`, 'not redacted by shape alone');
  const { name } = parseBlobSasUrl(text);
  assert.equal(name, 'https://acct.blob.core.windows.net/c/disk.vhd');
  assert.equal(redactSecrets(`signed with ${sig}`), 'signed with REDACTED');
  assert.equal(redactSecrets(`raw query: ${new URL(text).search.slice(1)}`), 'raw query: REDACTED');
  assert.throws(() => parseBlobSasUrl('https://acct.blob.core.windows.net/c/disk.vhd'), /has no SAS/);
  assert.throws(() => parseBlobSasUrl('https://acct.blob.core.windows.net/disk.vhd?sig=abcdefgh1'), /names no blob/);
  assert.throws(() => parseBlobSasUrl('ftp://acct/c/disk.vhd?sig=abcdefgh1'), /only https:\/\/ blob URLs/);
});
