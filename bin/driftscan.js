#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (prepare) or `npm run build`, which also
// bundles it into one CommonJS script (scripts/bundle-cli.ts); the bundle starts faster because
// Node compiles one file instead of loading ~100 modules, and faster again from V8's code cache,
// which this launcher keeps beside the bundle (see runBundle). The tsc output is used instead
// when there is no bundle, when it is older than the tsc output (tsc was run again without
// re-bundling), or with DRIFTSCAN_UNBUNDLED=1.
//
// CommonJS (bin/package.json says so), because a CommonJS entry point starts without Node's ES
// module loader, and because only a script, not an ES module, can be compiled from a code cache on
// Node 20.
'use strict';
const { readFileSync, statSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');

const src = join(__dirname, '..', 'dist', 'src');
const bundle = join(src, 'bundle', 'driftscan.cjs');
const unbundled = join(src, 'cli', 'main.js');

/** The bundle's stat when it is to be used, else undefined. */
function usableBundle() {
  if (process.env.DRIFTSCAN_UNBUNDLED === '1') return undefined;
  const b = statSync(bundle, { throwIfNoEntry: false });
  const u = statSync(unbundled, { throwIfNoEntry: false });
  return b !== undefined && (u === undefined || b.mtimeMs >= u.mtimeMs) ? b : undefined;
}

/** Caches to write after the run: one per bundle run without a sound cache. */
const pendingCaches = [];

/**
 * Compiles and runs a bundle file as Node runs a CommonJS module, from V8's code cache when there
 * is a sound one for this exact bundle file and this Node (version and architecture, in the
 * cache's name), and returns its exports. The core bundle (driftscan.cjs) gets this function as
 * `module.driftscanRunBundle`, with which it runs the lazy bundle (driftscan-azure.cjs: the Azure
 * and fleet commands) on first use, each with its own cache; the core checks that the lazy bundle
 * is from its own build. A bundle run without a sound cache has one written after the run (so it
 * holds the functions the run compiled).
 *
 * A cache must never change what runs. Its first line stamps the bundle's size, mtime and inode
 * (every build deletes the folder, caches included, and a bundle rewritten in place gets a new
 * stamp) and the CRC-32 of the V8 data after it: V8 checks its own version, flags and the source
 * length, but not the data (a flipped byte was accepted or crashed Node 20), so a cache whose CRC
 * does not match is not handed to V8. Without zlib.crc32 (Node < 20.15) there is no cache.
 */
function runBundle(file, stat = statSync(file)) {
  const { Script } = require('node:vm');
  const { createRequire, wrap } = require('node:module');
  const { crc32 } = require('node:zlib');
  const cacheFile = `${file}.${process.version}-${process.arch}.v8cache`;
  const stamp = `driftscan-v8cache ${stat.size} ${stat.mtimeMs} ${stat.ino}`;
  let cachedData;
  if (crc32 !== undefined) {
    try {
      const cache = readFileSync(cacheFile);
      const newline = cache.indexOf(10);
      const header = cache.toString('latin1', 0, newline);
      const data = cache.subarray(newline + 1);
      if (newline > 0 && header === `${stamp} ${crc32(data)}`) cachedData = data;
    } catch {
      // No cache yet (or unreadable): compile from source.
    }
  }
  // The build makes the bundles pure ASCII, so Latin-1 reads them exactly, without decoding UTF-8.
  const script = new Script(wrap(readFileSync(file, 'latin1')), { filename: file, cachedData });
  const module = { exports: {}, driftscanRunBundle: (other) => runBundle(other) };
  if (crc32 !== undefined && (cachedData === undefined || script.cachedDataRejected)) pendingCaches.push({ script, cacheFile, stamp });
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

/** Writes the caches runBundle left pending. */
async function saveCaches() {
  const { crc32 } = require('node:zlib');
  for (const { script, cacheFile, stamp } of pendingCaches) {
    try {
      const data = script.createCachedData();
      // Written like every driftscan output (a temp file, then rename), so a concurrent run reads
      // the old cache, the new one or none, never half of one.
      const { writeOutput } = await import(pathToFileURL(join(src, 'io', 'output-file.js')).href);
      writeOutput(cacheFile, Buffer.concat([Buffer.from(`${stamp} ${crc32(data)}\n`, 'latin1'), data]), 'code cache');
    } catch {
      // A read-only install: run without a cache, as before.
    }
  }
}

async function launch() {
  const stat = usableBundle();
  if (stat === undefined) {
    // Node 22.1+ can cache compiled ES modules on disk (no-op on Node 20).
    require('node:module').enableCompileCache?.();
    const { main } = await import(pathToFileURL(unbundled).href);
    process.exitCode = await main(process.argv.slice(2));
    return;
  }
  const { main } = runBundle(bundle, stat);
  process.exitCode = await main(process.argv.slice(2));
  await saveCaches();
}

void launch();
