/**
 * The launcher's V8 code cache (bin/driftscan.js) is never a correctness risk: a run from a cache,
 * without one, from a corrupt, truncated or stale one, or where none can be written prints exactly
 * what the unbundled CLI prints and exits the same. Each test runs a private copy of the install
 * (bin/ and the bundle copied, the rest of dist/src and the package linked), so the build's own
 * cache, which other tests use concurrently, is not touched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './support/paths.js';

const fromBuild = import.meta.url.endsWith('.js');
const skip = fromBuild ? (existsSync(join(repoRoot, 'dist', 'src', 'bundle', 'driftscan.cjs')) ? false : 'no bundle in dist/ (npm run build makes it)') : 'runs from the build (dist/test) only';

const CACHE = `driftscan.cjs.${process.version}-${process.arch}.v8cache`;
const ARGS = ['check', 'policies/rdp-access-denied.yaml', '--reg', 'examples/drifted.reg'];

interface Install {
  root: string;
  cache: string;
  bundle: string;
  run: (env?: NodeJS.ProcessEnv, args?: string[]) => { status: number | null; stdout: string; stderr: string };
}

/** A copy of the installed CLI whose bundle folder is its own, without a code cache. */
function withInstall(fn: (install: Install) => void): void {
  const root = mkdtempSync(join(tmpdir(), 'driftscan-cache-'));
  try {
    mkdirSync(join(root, 'bin'));
    for (const f of ['driftscan.js', 'package.json']) copyFileSync(join(repoRoot, 'bin', f), join(root, 'bin', f));
    for (const f of ['package.json', 'node_modules', 'policies', 'schema', 'examples', 'dsc']) symlinkSync(join(repoRoot, f), join(root, f));
    const src = join(root, 'dist', 'src');
    mkdirSync(join(src, 'bundle'), { recursive: true });
    for (const entry of readdirSync(join(repoRoot, 'dist', 'src'))) {
      if (entry !== 'bundle') symlinkSync(join(repoRoot, 'dist', 'src', entry), join(src, entry));
    }
    const bundle = join(src, 'bundle', 'driftscan.cjs');
    copyFileSync(join(repoRoot, 'dist', 'src', 'bundle', 'driftscan.cjs'), bundle);
    copyFileSync(join(repoRoot, 'dist', 'src', 'bundle', 'driftscan-azure.cjs'), join(src, 'bundle', 'driftscan-azure.cjs'));
    const run = (env: NodeJS.ProcessEnv = {}, args: string[] = ARGS) => {
      const r = spawnSync(process.execPath, [join(root, 'bin', 'driftscan.js'), ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8' });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    fn({ root, cache: join(src, 'bundle', CACHE), bundle, run });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** What the tsc output (no bundle, no cache) prints: the reference every bundled run must match. */
function reference(install: Install) {
  return install.run({ DRIFTSCAN_UNBUNDLED: '1' });
}

const inode = (file: string) => statSync(file).ino;

test('the first bundled run writes a code cache, the next runs from it, and both print what the unbundled CLI prints', { skip }, () => {
  withInstall((install) => {
    const expected = reference(install);
    assert.equal(expected.status, 1, expected.stderr);
    assert.ok(!existsSync(install.cache));
    assert.deepEqual(install.run(), expected);
    assert.ok(existsSync(install.cache), 'no code cache written');
    const written = inode(install.cache);
    assert.deepEqual(install.run(), expected);
    assert.equal(inode(install.cache), written, 'a sound cache was replaced: it was not used');
  });
});

test('a corrupt, truncated or stale code cache is not used, and is replaced', { skip }, () => {
  withInstall((install) => {
    const expected = reference(install);
    install.run();
    const good = readFileSync(install.cache);
    const damage: Array<[string, () => void]> = [
      // A byte flipped in V8's data: V8 on Node 20 accepted such data or crashed on it.
      ['a flipped byte', () => {
        const bad = Buffer.from(good);
        bad[Math.floor(bad.length / 2)]! ^= 0x5a;
        writeFileSync(install.cache, bad);
      }],
      ['a truncated file', () => truncateSync(install.cache, Math.floor(good.length / 3))],
      ['no header', () => writeFileSync(install.cache, good.subarray(good.indexOf(10) + 1))],
      ['an empty file', () => writeFileSync(install.cache, '')],
      // Rewritten in place (same size): the stamp names the old file.
      ['a bundle rewritten since', () => {
        const later = new Date(statSync(install.bundle).mtimeMs + 5000);
        utimesSync(install.bundle, later, later);
      }],
    ];
    for (const [what, spoil] of damage) {
      spoil();
      const spoiled = inode(install.cache);
      assert.deepEqual(install.run(), expected, what);
      assert.notEqual(inode(install.cache), spoiled, `${what}: the cache was not replaced`);
      const replaced = inode(install.cache);
      assert.deepEqual(install.run(), expected, `${what}, then the replaced cache`);
      assert.equal(inode(install.cache), replaced, `${what}: the replacement cache was not used`);
    }
  });
});

test('a code cache that cannot be written is skipped silently', { skip }, () => {
  withInstall((install) => {
    const expected = reference(install);
    // A folder where the cache would go (root ignores permission bits, so a read-only folder would not show it).
    mkdirSync(install.cache);
    assert.deepEqual(install.run(), expected);
    assert.deepEqual(install.run(), expected);
    assert.ok(statSync(install.cache).isDirectory());
  });
});

const LAZY_CACHE = `driftscan-azure.cjs.${process.version}-${process.arch}.v8cache`;

test('check never reads the lazy Azure bundle; an Azure command runs it, with its own code cache', { skip }, () => {
  withInstall((install) => {
    const dir = join(install.root, 'dist', 'src', 'bundle');
    const lazy = join(dir, 'driftscan-azure.cjs');
    const expected = reference(install);
    // check runs and caches the core bundle only: without the lazy bundle it prints the same.
    assert.deepEqual(install.run(), expected);
    assert.ok(!existsSync(join(dir, LAZY_CACHE)), 'check ran the lazy bundle');
    const kept = readFileSync(lazy);
    rmSync(lazy);
    assert.deepEqual(install.run(), expected, 'check needs the lazy bundle');
    writeFileSync(lazy, kept);
    // compile's implementation is in the lazy bundle: it runs it, writes its cache, then runs from it.
    const out = join(install.root, 'build');
    const compile = ['compile', 'policies/rdp-access-denied.yaml', '--out', out];
    const unbundled = install.run({ DRIFTSCAN_UNBUNDLED: '1' }, compile);
    assert.equal(unbundled.status, 0, unbundled.stderr);
    const manifest = readFileSync(join(out, 'manifest.json'), 'utf8');
    rmSync(out, { recursive: true });
    assert.deepEqual(install.run({}, compile), unbundled);
    assert.equal(readFileSync(join(out, 'manifest.json'), 'utf8'), manifest);
    assert.ok(existsSync(join(dir, LAZY_CACHE)), 'compile wrote no code cache for the lazy bundle');
    const written = inode(join(dir, LAZY_CACHE));
    rmSync(out, { recursive: true });
    assert.deepEqual(install.run({}, compile), unbundled);
    assert.equal(inode(join(dir, LAZY_CACHE)), written, 'the lazy bundle\'s sound cache was not used');
    // Without the lazy bundle compile fails (it is really there), naming the file.
    rmSync(lazy);
    const missing = install.run({}, compile);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /driftscan-azure\.cjs/);
    // A lazy bundle from another build is refused, not run against this core.
    writeFileSync(lazy, "exports.buildId = 'another-build'; exports.link = () => {}; exports.modules = {};\n");
    const stale = install.run({}, compile);
    assert.notEqual(stale.status, 0);
    assert.match(stale.stderr, /driftscan-azure\.cjs is from another build than the bundle beside it: run npm run build/);
  });
});
