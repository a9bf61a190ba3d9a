/** Module resolution against an HTTPS fake NuGet v2 feed on 127.0.0.1, the cache, the lock file and --modules-dir. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import fc from 'fast-check';
import { resolveModules, type ResolveOptions } from '../src/gallery/resolve.js';
import { emptyLock, formatLock } from '../src/compile/modules/lock.js';
import { readLock } from '../src/gallery/lock-file.js';
import { unpackNupkg } from '../src/compile/modules/nupkg.js';
import { PSDSC_RESOURCES, ACCESS_CONTROL_DSC } from '../src/dsc/resources.js';
import { DriftscanError } from '../src/core/diagnostics.js';
import { buildNupkg, sha512b64, startFakeFeed, writeModulesDir, type FakeFeed } from './support/fake-modules.js';

let feed: FakeFeed;
let tmp: string;
const psdsc = buildNupkg('PSDscResources', 'PSDscResources', '2.12.0.0');
const acl = buildNupkg('AccessControlDSC', 'AccessControlDsc', '1.4.3');

before(async () => {
  feed = await startFakeFeed();
  feed.packages.set('psdscresources/2.12.0.0', { data: psdsc });
  feed.packages.set('accesscontroldsc/1.4.3', { data: acl });
  tmp = mkdtempSync(join(tmpdir(), 'driftscan-modules-'));
});
after(async () => {
  await feed.close();
  rmSync(tmp, { recursive: true, force: true });
});

function opts(name: string, extra: Partial<ResolveOptions> = {}): ResolveOptions {
  return { feed: { url: feed.url, ca: feed.ca }, cacheDir: join(tmp, name), ...extra };
}

test('downloads from the feed, verifies PackageHash, strips NuGet metadata and pins the hash', async () => {
  feed.requests.length = 0;
  const { modules, locked } = await resolveModules([ACCESS_CONTROL_DSC, PSDSC_RESOURCES], emptyLock(), opts('dl'));
  assert.equal(locked.PSDscResources!.sha512, sha512b64(psdsc));
  assert.equal(locked.AccessControlDsc!.galleryId, 'AccessControlDSC');
  assert.equal(locked.AccessControlDsc!.version, '1.4.3');
  const ps = modules.find((m) => m.name === 'PSDscResources')!;
  const names = [...ps.files.keys()].sort();
  assert.ok(names.includes('PSDscResources.psd1'));
  assert.ok(names.includes('DscResources/MSFT_RegistryResource/MSFT_RegistryResource.psm1'));
  assert.ok(names.includes('DscResources/CommonResourceHelper/Common Helper.psm1'), 'NuGet %20 names are decoded');
  assert.ok(!names.some((n) => /nuspec|_rels|Content_Types|^package\//.test(n)), names.join(','));
  assert.equal(modules.find((m) => m.name === 'AccessControlDsc')!.name, 'AccessControlDsc', 'folder name from the psd1, not the gallery id');
  assert.ok(feed.requests.some((r) => r.startsWith('/cdn/')), 'followed the download redirect');
  assert.ok(existsSync(join(tmp, 'dl', 'psdscresources.2.12.0.0.nupkg')));
});

test('a cached, pinned module is reused without contacting the feed', async () => {
  const first = await resolveModules([PSDSC_RESOURCES], emptyLock(), opts('reuse'));
  const lock = { ...emptyLock(), modules: first.locked };
  feed.requests.length = 0;
  const again = await resolveModules([PSDSC_RESOURCES], lock, opts('reuse', { offline: true }));
  assert.equal(feed.requests.length, 0);
  assert.deepEqual(again.locked, first.locked);
});

test('a tampered cache file is replaced by a fresh, verified download', async () => {
  const first = await resolveModules([PSDSC_RESOURCES], emptyLock(), opts('tamper'));
  writeFileSync(join(tmp, 'tamper', 'psdscresources.2.12.0.0.nupkg'), buildNupkg('PSDscResources', 'PSDscResources', '2.12.0.0', { 'evil.ps1': new Uint8Array(3) }));
  feed.requests.length = 0;
  const again = await resolveModules([PSDSC_RESOURCES], { ...emptyLock(), modules: first.locked }, opts('tamper'));
  assert.ok(feed.requests.length > 0);
  assert.ok(!again.modules[0]!.files.has('evil.ps1'));
});

test('a download that does not match the feed hash is refused and not cached', async () => {
  feed.packages.set('psdscresources/2.12.0.1', { data: buildNupkg('PSDscResources', 'PSDscResources', '2.12.0.1'), advertisedHash: sha512b64(new Uint8Array([1])) });
  const lock = { ...emptyLock(), modules: {} };
  const mod = { ...PSDSC_RESOURCES, version: '2.12.0.1' };
  await assert.rejects(resolveModules([mod], lock, opts('mismatch')), (e: unknown) => e instanceof DriftscanError && /SHA-512 .* the feed says .*refusing/.test(e.message) && !e.message.includes('\n'));
  assert.ok(!existsSync(join(tmp, 'mismatch', 'psdscresources.2.12.0.1.nupkg')));
});

test('a feed hash that differs from the lock file is refused', async () => {
  const lock = { ...emptyLock(), modules: { PSDscResources: { galleryId: 'PSDscResources', version: '2.12.0.0', sha512: sha512b64(new Uint8Array([9])) } } };
  await assert.rejects(resolveModules([PSDSC_RESOURCES], lock, opts('lockmismatch')), /modules\.lock\.json pins/);
});

test('an untrusted certificate fails with one line, and only https (or loopback http) feeds are accepted', async () => {
  await assert.rejects(resolveModules([PSDSC_RESOURCES], emptyLock(), { feed: { url: feed.url }, cacheDir: join(tmp, 'noca') }),
    (e: unknown) => e instanceof DriftscanError && e.message.startsWith(`module feed ${feed.url}`) && !e.message.includes('\n'));
  await assert.rejects(resolveModules([PSDSC_RESOURCES], emptyLock(), { feed: { url: 'http://example.com/api/v2/' }, cacheDir: join(tmp, 'http') }), /only https/);
});

test('zip-slip, absolute names, bombs, wrong psd1 versions and missing manifests are refused', () => {
  const mod = { name: 'PSDscResources', version: '2.12.0.0' };
  const cases: Array<[Record<string, Uint8Array>, RegExp]> = [
    [{ '../evil.ps1': new Uint8Array(1) }, /zip-slip/],
    [{ 'DscResources/..%2F..%2Fevil.ps1': new Uint8Array(1) }, /zip-slip/],
    [{ '/etc/passwd': new Uint8Array(1) }, /absolute path/],
    [{ 'C:/Windows/x.ps1': new Uint8Array(1) }, /absolute path/],
    [{ 'bomb.bin': new Uint8Array(8 * 1024 * 1024) }, /compression ratio/],
  ];
  for (const [extra, re] of cases) {
    assert.throws(() => unpackNupkg(buildNupkg('PSDscResources', 'PSDscResources', '2.12.0.0', extra), 'x.nupkg', mod), (e: unknown) => e instanceof DriftscanError && re.test(e.message), String(re));
  }
  assert.throws(() => unpackNupkg(buildNupkg('PSDscResources', 'PSDscResources', '2.12.0.0', {}, { psd1Version: '2.11.0.0' }), 'x.nupkg', mod), /ModuleVersion 2\.11\.0\.0, expected 2\.12\.0\.0/);
  assert.throws(() => unpackNupkg(zipSync({ 'readme.txt': new Uint8Array(1) }), 'x.nupkg', mod), /no module manifest/);
  assert.throws(() => unpackNupkg(new Uint8Array([1, 2, 3]), 'x.nupkg', mod), /^DriftscanError: x\.nupkg: not a readable zip archive/);
  const many: Record<string, Uint8Array> = {};
  for (let i = 0; i < 30; i++) many[`f${i}`] = new Uint8Array(0);
  assert.throws(() => unpackNupkg(buildNupkg('PSDscResources', 'PSDscResources', '2.12.0.0', many), 'x.nupkg', mod, { maxEntries: 20, maxTotalBytes: 1e9, maxRatio: 200, maxArchiveBytes: 1e9 }), /more than 20 entries/);
});

test('property: unpacking arbitrary archives either yields safe relative names or fails with a DriftscanError', () => {
  const segment = fc.oneof(fc.constantFrom('..', '.', '', 'a', 'DscResources', '%2e%2e', 'C:', 'x\\y'), fc.string({ maxLength: 6 }));
  fc.assert(fc.property(fc.array(fc.array(segment, { minLength: 1, maxLength: 4 }), { maxLength: 6 }), fc.boolean(), (paths, corrupt) => {
    const entries: Record<string, Uint8Array> = { 'PSDscResources.psd1': new TextEncoder().encode("@{ ModuleVersion = '2.12.0.0' }") };
    for (const p of paths) entries[p.join('/')] = new Uint8Array([1]);
    let zip = zipSync(entries);
    if (corrupt) zip = zip.slice(0, Math.floor(zip.length / 2));
    try {
      const m = unpackNupkg(zip, 'p.nupkg', { name: 'PSDscResources', version: '2.12.0.0' });
      for (const name of m.files.keys()) {
        assert.ok(!name.split('/').includes('..') && !name.startsWith('/') && !name.includes('\\') && !/^[A-Za-z]:/.test(name), name);
      }
    } catch (e) {
      assert.ok(e instanceof DriftscanError, String(e));
    }
  }), { numRuns: 200 });
});

test('--modules-dir: side-by-side and flat layouts, psd1 version verified', async () => {
  const dir = join(tmp, 'mods');
  writeModulesDir(dir, [{ name: 'PSDscResources', version: '2.12.0.0' }, { name: 'AccessControlDsc', version: '1.4.3', flat: true }]);
  const { modules } = await resolveModules([PSDSC_RESOURCES, ACCESS_CONTROL_DSC], emptyLock(), { feed: { url: 'https://unused.invalid/' }, cacheDir: join(tmp, 'unused'), modulesDir: dir, offline: true });
  assert.deepEqual(modules.map((m) => m.name), ['PSDscResources', 'AccessControlDsc']);
  assert.ok(modules[0]!.files.has('DscResources/MSFT_ServiceResource/MSFT_ServiceResource.psm1'));
  const bad = join(tmp, 'badmods');
  writeModulesDir(bad, [{ name: 'PSDscResources', version: '2.12.0.0', flat: true, psd1Version: '2.9.0.0' }]);
  await assert.rejects(resolveModules([PSDSC_RESOURCES], emptyLock(), { feed: { url: 'https://unused.invalid/' }, cacheDir: join(tmp, 'unused'), modulesDir: bad }), /ModuleVersion is 2\.9\.0\.0, the package needs 2\.12\.0\.0/);
  assert.equal(readdirSync(tmp).includes('unused'), false, 'nothing cached for --modules-dir');
});

test('lock file round-trips with sorted keys and rejects damaged files with the file name', () => {
  const file = join(tmp, 'modules.lock.json');
  const lock = { lockfileVersion: 1 as const, modules: { b: { galleryId: 'b', version: '1', sha512: 'x' }, a: { galleryId: 'a', version: '2', sha512: 'y' } }, packages: { p: { version: '1.0.0', contentHash: 'AB' } } };
  writeFileSync(file, formatLock(lock));
  assert.deepEqual(Object.keys(readLock(file).modules), ['a', 'b']);
  writeFileSync(file, '{ nope');
  assert.throws(() => readLock(file), (e: unknown) => e instanceof DriftscanError && e.message.startsWith(file));
  assert.deepEqual(readLock(join(tmp, 'missing.json')), emptyLock());
});
