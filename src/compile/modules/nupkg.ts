/**
 * Unpacks a PowerShell Gallery package (a NuGet .nupkg zip) into the module's files, dropping
 * NuGet's own metadata (`[Content_Types].xml`, `_rels/`, `package/`, `*.nuspec`). Archives are
 * untrusted input: entry names that escape the module folder (zip-slip), too many entries, too
 * many bytes or bomb-like compression ratios are refused before anything is inflated.
 */
import { unzipSync, type UnzipFileInfo } from 'fflate';
import { DriftscanError } from '../../core/diagnostics.js';
import type { ModuleContent } from '../package.js';

export interface UnpackLimits {
  maxEntries: number;
  maxTotalBytes: number;
  /** Largest uncompressed/compressed ratio accepted for entries above 1 MiB. */
  maxRatio: number;
}

/** Machine Configuration's 100 MB package limit bounds any useful module. */
export const DEFAULT_LIMITS: UnpackLimits = { maxEntries: 10_000, maxTotalBytes: 100 * 1024 * 1024, maxRatio: 200 };

/** Why an archive entry name is unsafe to extract, or undefined. Checked on the raw and the decoded name. */
export function unsafeEntryName(name: string): string | undefined {
  if (name.includes('\\')) return 'contains a backslash';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'is an absolute path';
  if (name.includes('\0')) return 'contains a NUL character';
  if (name.split('/').some((s) => s === '..')) return 'climbs out of the module folder (..)';
  return undefined;
}

function isNuGetMetadata(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === '[content_types].xml' || lower.startsWith('_rels/') || lower.startsWith('package/') || (!lower.includes('/') && lower.endsWith('.nuspec'));
}

/**
 * Extracts a nupkg; `label` (file or URL) prefixes errors. Entry names are URL-decoded (NuGet
 * writes `%20` for spaces) and checked again after decoding.
 */
export function unpackNupkg(data: Uint8Array, label: string, module: { name: string; version: string }, limits: UnpackLimits = DEFAULT_LIMITS): ModuleContent {
  let entries = 0;
  let total = 0;
  const fail = (msg: string): never => { throw new DriftscanError(`${label}: ${msg}`); };
  const filter = (f: UnzipFileInfo): boolean => {
    entries++;
    if (entries > limits.maxEntries) fail(`more than ${limits.maxEntries} entries; refusing to unpack`);
    const bad = unsafeEntryName(f.name);
    if (bad) fail(`entry ${JSON.stringify(f.name)} ${bad}; refusing to unpack (zip-slip)`);
    if (f.name.endsWith('/') || isNuGetMetadata(f.name)) return false;
    total += f.originalSize;
    if (total > limits.maxTotalBytes) fail(`unpacks to more than ${limits.maxTotalBytes} bytes; refusing`);
    if (f.originalSize > 1024 * 1024 && f.originalSize / Math.max(f.size, 1) > limits.maxRatio) {
      fail(`entry ${JSON.stringify(f.name)} has a compression ratio above ${limits.maxRatio}:1 (zip bomb?); refusing`);
    }
    return true;
  };
  let raw: Record<string, Uint8Array>;
  try {
    raw = unzipSync(data, { filter });
  } catch (err) {
    if (err instanceof DriftscanError) throw err;
    return fail(`not a readable package zip (${(err as Error).message})`);
  }
  const files = new Map<string, Uint8Array>();
  let actual = 0;
  for (const [name, bytes] of Object.entries(raw)) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      return fail(`entry ${JSON.stringify(name)} has an invalid %-escape`);
    }
    const bad = unsafeEntryName(decoded);
    if (bad) fail(`entry ${JSON.stringify(decoded)} ${bad}; refusing to unpack (zip-slip)`);
    actual += bytes.length;
    // Headers can lie about sizes; the inflated bytes are what counts.
    if (actual > limits.maxTotalBytes) fail(`unpacks to more than ${limits.maxTotalBytes} bytes; refusing`);
    if (files.has(decoded)) fail(`entry ${JSON.stringify(decoded)} appears twice`);
    files.set(decoded, bytes);
  }
  const manifestName = [...files.keys()].find((k) => k.toLowerCase() === `${module.name.toLowerCase()}.psd1`);
  if (!manifestName) fail(`no module manifest ${module.name}.psd1 at the package root`);
  const found = manifestVersion(files.get(manifestName!)!);
  if (found !== module.version) fail(`${manifestName} has ModuleVersion ${found ?? '(none)'}, expected ${module.version}`);
  return { name: manifestName!.slice(0, -'.psd1'.length), version: module.version, files };
}

/** `ModuleVersion = '2.12.0.0'` from a psd1 (UTF-8 or UTF-16LE with BOM, as PowerShell writes them). */
export function manifestVersion(psd1: Uint8Array): string | undefined {
  const text = psd1[0] === 0xff && psd1[1] === 0xfe ? new TextDecoder('utf-16le').decode(psd1.subarray(2)) : new TextDecoder().decode(psd1).replace(/^\uFEFF/, '');
  const uncommented = text.replace(/<#[\s\S]*?#>/g, '').replace(/#.*$/gm, '');
  return /^\s*ModuleVersion\s*=\s*['"]([^'"]+)['"]/im.exec(uncommented)?.[1];
}
