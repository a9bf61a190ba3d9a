/**
 * Gets the DSC modules a package needs: from `--modules-dir` (air-gapped builds), else from the
 * on-disk cache, else from the NuGet v2 feed. Downloads are verified against the feed's
 * `PackageHash` and, once pinned, against `modules.lock.json`; the cache is re-verified on
 * every use, so a tampered cache file is refetched rather than packaged.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DriftscanError } from '../core/diagnostics.js';
import { writeOutput } from '../io/output-file.js';
import type { DscModule } from '../dsc/resources.js';
import type { ModuleContent } from '../compile/package.js';
import { feedPackage, httpGet, type FeedOptions } from './feed.js';
import type { LockFile, LockedModule } from '../compile/modules/lock.js';
import type { ModuleProvider } from '../compile/compiler.js';
import { DEFAULT_LIMITS, manifestVersion, unpackNupkg } from '../compile/modules/nupkg.js';

export interface ResolveOptions {
  feed: FeedOptions;
  cacheDir: string;
  modulesDir?: string;
  /** Never contact the feed: modules must come from the cache or `modulesDir`. */
  offline?: boolean;
}

/** `$DRIFTSCAN_CACHE/modules` or `~/.cache/driftscan/modules`. */
export function defaultCacheDir(): string {
  return process.env.DRIFTSCAN_CACHE ? join(process.env.DRIFTSCAN_CACHE, 'modules') : join(homedir(), '.cache', 'driftscan', 'modules');
}

export function sha512Base64(data: Uint8Array): string {
  return createHash('sha512').update(data).digest('base64');
}

/** The compiler's module provider backed by the gallery feed, the on-disk cache or `--modules-dir`. */
export function galleryModules(options: ResolveOptions): ModuleProvider {
  return (needed, lock) => resolveModules(needed, lock, options);
}

/** Resolves each module; returns contents and the lock entries to record. */
export async function resolveModules(needed: readonly DscModule[], lock: LockFile, options: ResolveOptions): Promise<{ modules: ModuleContent[]; locked: Record<string, LockedModule> }> {
  const modules: ModuleContent[] = [];
  const locked: Record<string, LockedModule> = {};
  for (const m of needed) {
    if (options.modulesDir) {
      modules.push(fromDirectory(options.modulesDir, m));
      const pinned = lock.modules[m.name];
      if (pinned) locked[m.name] = pinned;
      continue;
    }
    const { content, entry } = await fromFeedOrCache(m, lock.modules[m.name], options);
    modules.push(content);
    locked[m.name] = entry;
  }
  return { modules, locked };
}

async function fromFeedOrCache(m: DscModule, pinned: LockedModule | undefined, options: ResolveOptions): Promise<{ content: ModuleContent; entry: LockedModule }> {
  const version = pinned?.version ?? m.version;
  const galleryId = pinned?.galleryId ?? m.galleryId;
  const cacheFile = join(options.cacheDir, `${galleryId.toLowerCase()}.${version.toLowerCase()}.nupkg`);
  // A cache file larger than any module may be is damaged or planted: refetch rather than read it into memory.
  if (existsSync(cacheFile) && statSync(cacheFile).size > DEFAULT_LIMITS.maxArchiveBytes) rmSync(cacheFile, { force: true });
  if (existsSync(cacheFile)) {
    const data = readFileSync(cacheFile);
    const hash = sha512Base64(data);
    // Unpinned cache entries were verified against the feed when downloaded; pinned ones must match the lock.
    if (!pinned || pinned.sha512 === hash) {
      return { content: unpackNupkg(data, cacheFile, { name: m.name, version }), entry: { galleryId, version, sha512: hash } };
    }
    rmSync(cacheFile, { force: true });
  }
  if (options.offline) throw new DriftscanError(`module ${m.name} ${version} is not in the cache (${options.cacheDir}) and the feed may not be contacted`);
  const info = await feedPackage(options.feed, galleryId, version);
  if (info.algorithm.toUpperCase() !== 'SHA512') {
    throw new DriftscanError(`module feed ${options.feed.url}: ${galleryId} ${version} is hashed with ${info.algorithm}; only SHA512 is accepted`);
  }
  if (pinned && pinned.sha512 !== info.hash) {
    throw new DriftscanError(`module feed ${options.feed.url}: ${galleryId} ${version} has hash ${info.hash}, but modules.lock.json pins ${pinned.sha512}; the feed serves different bytes for the same version — refusing`);
  }
  const data = await httpGet(info.downloadUrl, { ...options.feed, maxBytes: DEFAULT_LIMITS.maxTotalBytes });
  const hash = sha512Base64(data);
  if (hash !== info.hash) {
    throw new DriftscanError(`module feed ${info.downloadUrl}: downloaded ${galleryId} ${version} has SHA-512 ${hash}, the feed says ${info.hash}; refusing (corrupted or tampered download)`);
  }
  const content = unpackNupkg(data, info.downloadUrl, { name: m.name, version });
  try {
    writeOutput(cacheFile, data, 'module cache file');
  } catch {
    // A read-only or full cache only costs a download next time; the verified bytes are still good.
  }
  return { content, entry: { galleryId, version, sha512: hash } };
}

/** `DIR/<Module>/<version>/…` (PowerShell's side-by-side layout) or `DIR/<Module>/…`; the psd1 version must match. */
function fromDirectory(dir: string, m: DscModule): ModuleContent {
  const folder = readdirSafe(dir).find((n) => n.toLowerCase() === m.name.toLowerCase());
  if (!folder) throw new DriftscanError(`--modules-dir ${dir}: no folder ${m.name} (expected ${m.name}/${m.version}/${m.name}.psd1)`, { kind: 'usage' });
  const root = join(dir, folder);
  const versioned = readdirSafe(root).find((n) => n === m.version);
  const base = versioned ? join(root, versioned) : root;
  const files = new Map<string, Uint8Array>();
  let total = 0;
  const walk = (d: string, rel: string) => {
    for (const e of readdirSafe(d).sort()) {
      const full = join(d, e);
      const st = statSync(full);
      const r = rel ? `${rel}/${e}` : e;
      if (st.isDirectory()) walk(full, r);
      else if (st.isFile()) {
        total += st.size;
        if (total > DEFAULT_LIMITS.maxTotalBytes || files.size >= DEFAULT_LIMITS.maxEntries) {
          throw new DriftscanError(`--modules-dir ${base}: module is larger than Machine Configuration's 100 MB package limit`);
        }
        files.set(r, readFileSync(full));
      }
    }
  };
  walk(base, '');
  const manifest = [...files.keys()].find((k) => k.toLowerCase() === `${m.name.toLowerCase()}.psd1`);
  if (!manifest) throw new DriftscanError(`--modules-dir ${base}: no ${m.name}.psd1`, { kind: 'usage' });
  const found = manifestVersion(files.get(manifest)!);
  if (found !== m.version) throw new DriftscanError(`--modules-dir ${join(base, manifest)}: ModuleVersion is ${found ?? '(none)'}, the package needs ${m.version}`, { kind: 'usage' });
  return { name: manifest.slice(0, -'.psd1'.length), version: m.version, files };
}

function readdirSafe(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}
