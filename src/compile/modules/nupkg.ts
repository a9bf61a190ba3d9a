/**
 * Unpacks a PowerShell Gallery package (a NuGet .nupkg zip) into the module's files, dropping
 * NuGet's own metadata (`[Content_Types].xml`, `_rels/`, `package/`, `*.nuspec`). Archives are
 * untrusted input: the shared reader (`../zip-read.ts`) refuses unsafe names, bombs, bad CRCs and
 * too many entries or bytes; here names are checked once more after NuGet's %-decoding.
 */
import { DriftscanError } from '../../core/diagnostics.js';
import { quoted } from '../../core/printable.js';
import type { ModuleContent } from '../package.js';
import { readZip, unsafeEntryName, ZIP_LIMITS, type ZipLimits } from '../zip-read.js';

export type UnpackLimits = ZipLimits;

/** Machine Configuration's 100 MB package limit bounds any useful module. */
export const DEFAULT_LIMITS: UnpackLimits = { ...ZIP_LIMITS, totalLimitName: "Machine Configuration's 100 MB package limit" };

function isNuGetMetadata(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === '[content_types].xml' || lower.startsWith('_rels/') || lower.startsWith('package/') || (!lower.includes('/') && lower.endsWith('.nuspec'));
}

/**
 * Extracts a nupkg; `label` (file or URL) prefixes errors. Entry names are URL-decoded (NuGet
 * writes `%20` for spaces) and checked again after decoding.
 */
export function unpackNupkg(data: Uint8Array, label: string, module: { name: string; version: string }, limits: UnpackLimits = DEFAULT_LIMITS): ModuleContent {
  const fail = (msg: string): never => { throw new DriftscanError(msg, { location: { file: label } }); };
  const { files: raw } = readZip(data, label, { limits, keep: (e) => !isNuGetMetadata(e.name) });
  const files = new Map<string, Uint8Array>();
  const seen = new Map<string, string>();
  for (const [name, bytes] of raw) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      return fail(`entry ${quoted(name)} has an invalid %-escape`);
    }
    const bad = unsafeEntryName(decoded);
    if (bad) fail(`entry ${quoted(name)} decodes to ${quoted(decoded)}, which ${bad}; refusing to unpack`);
    const twin = seen.get(decoded.toUpperCase());
    if (twin !== undefined) fail(`entries ${quoted(twin)} and ${quoted(name)} decode to the same file name on Windows`);
    seen.set(decoded.toUpperCase(), name);
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
