/**
 * `package inspect`: what is inside a Machine Configuration package and what the service or the
 * GuestConfiguration module would reject (machine-configuration.md §1–§2): zero or several root
 * MOFs, a nested top folder, names that disagree, a missing or malformed metaconfig, modules
 * the MOF references but the zip lacks, the in-box PSDesiredStateConfiguration module, a BOM.
 * The archive itself is read by the shared bounded reader (`zip-read.ts`), which refuses, as an
 * error rather than a finding, what is unsafe to unpack at all: zip-slip and other unsafe names,
 * damaged entries (bad CRC), bombs and more than 100 MB unpacked.
 */
import { readMof, type MofReadInstance } from './mof-reader.js';
import { MAX_PACKAGE_BYTES, sha256Upper } from './package.js';
import { manifestVersion } from './modules/manifest.js';
import { readZip, ZIP_LIMITS, type ZipLimits } from './zip-read.js';

export interface Finding {
  level: 'error' | 'warning';
  message: string;
}

export interface PackageReport {
  contentHash: string;
  size: number;
  unpackedBytes: number;
  entries: Array<{ name: string; size: number }>;
  name?: string;
  metaconfig?: Record<string, unknown>;
  resources: Array<{ resourceId: string; className: string; module: string; moduleVersion: string }>;
  modules: Array<{ name: string; version?: string }>;
  findings: Finding[];
}

/** The reader's limits for packages: Machine Configuration's own 100 MB unpacked limit (§1.4). */
export const PACKAGE_LIMITS: ZipLimits = { ...ZIP_LIMITS, maxTotalBytes: MAX_PACKAGE_BYTES, totalLimitName: "Machine Configuration's 100 MB package limit" };

/**
 * Inspects package bytes; `label` names the file in errors. Throws a DriftscanError when the zip
 * cannot be read or is unsafe to unpack; everything Machine Configuration would reject is a finding.
 */
export function inspectPackage(zip: Uint8Array, label: string): PackageReport {
  // Only what inspection reads is kept: the root MOF and JSON files and module manifests (every entry is still inflated and CRC-checked).
  const { entries: all, files, unpackedBytes } = readZip(zip, label, {
    limits: PACKAGE_LIMITS,
    keep: (e) => /^[^/]+\.(mof|json)$/i.test(e.name) || /^Modules\/[^/]+\/[^/]+\.psd1$/i.test(e.name),
  });
  const entries = all.map((e) => ({ name: e.name, size: e.size }));
  const findings: Finding[] = [];
  const error = (message: string) => findings.push({ level: 'error', message });
  const warn = (message: string) => findings.push({ level: 'warning', message });
  const report: PackageReport = { contentHash: sha256Upper(zip), size: zip.length, unpackedBytes, entries, resources: [], modules: [], findings };

  const names = entries.map((e) => e.name);
  const tops = new Set(names.map((n) => n.split('/')[0]));
  const mofs = names.filter((n) => /^[^/]+\.mof$/i.test(n));
  if (mofs.length === 0) {
    const nested = names.filter((n) => /^[^/]+\/[^/]+\.mof$/i.test(n));
    error(nested.length && tops.size === 1
      ? `the package is wrapped in a folder (${[...tops][0]}/): the .mof, metaconfig and Modules/ must be at the zip root`
      : 'no .mof at the zip root (Machine Configuration takes the configuration from the single root .mof)');
    return report;
  }
  if (mofs.length > 1) error(`${mofs.length} .mof files at the root (${mofs.join(', ')}); exactly one is allowed`);
  const mofName = mofs[0]!;
  const name = mofName.slice(0, -4);
  report.name = name;
  if (!names.some((n) => n === 'Modules/' || n.startsWith('Modules/'))) error('no Modules/ folder');

  const metaName = `${name}.metaconfig.json`;
  const meta = files.get(metaName);
  if (!meta) error(`no ${metaName} (the metaconfig must share the MOF's base name)`);
  else {
    try {
      const m = JSON.parse(new TextDecoder().decode(meta).replace(/^\uFEFF/, '')) as Record<string, unknown>;
      report.metaconfig = m;
      if (m.Type !== 'Audit' && m.Type !== 'AuditAndSet') error(`${metaName}: Type must be Audit or AuditAndSet, found ${JSON.stringify(m.Type)}`);
      if (typeof m.Version !== 'string' || !m.Version) error(`${metaName}: Version is missing`);
      if ('debugMode' in m || 'configurationMode' in m) error(`${metaName}: debugMode/configurationMode are added by local test cmdlets and must never be published`);
      const f = m.configurationModeFrequencyMins;
      if (f !== undefined && (typeof f !== 'number' || f < 15)) error(`${metaName}: configurationModeFrequencyMins must be a number of at least 15`);
    } catch {
      error(`${metaName} is not valid JSON`);
    }
  }

  const mofBytes = files.get(mofName);
  if (!mofBytes) return report;
  if (mofBytes[0] === 0xef && mofBytes[1] === 0xbb && mofBytes[2] === 0xbf) warn(`${mofName} starts with a UTF-8 BOM; the GuestConfiguration module writes UTF-8 without BOM`);
  const utf16 = mofBytes[0] === 0xff && mofBytes[1] === 0xfe;
  let instances: MofReadInstance[];
  try {
    instances = readMof(new TextDecoder(utf16 ? 'utf-16le' : 'utf-8').decode(mofBytes));
  } catch (err) {
    error(`${mofName}: ${(err as Error).message}`);
    return report;
  }
  const doc = instances.find((i) => i.className === 'OMI_ConfigurationDocument');
  if (!doc) error(`${mofName}: no OMI_ConfigurationDocument trailer`);
  else if (doc.properties.get('Name') !== undefined && doc.properties.get('Name') !== name) {
    error(`${mofName}: OMI_ConfigurationDocument Name ${JSON.stringify(doc.properties.get('Name'))} differs from the package name ${name}`);
  }
  const ids = new Set<string>();
  const referenced = new Map<string, string>();
  for (const inst of instances) {
    const moduleName = inst.properties.get('ModuleName');
    if (typeof moduleName !== 'string' || inst.className === 'OMI_ConfigurationDocument') continue;
    const rid = String(inst.properties.get('ResourceID') ?? '');
    const version = String(inst.properties.get('ModuleVersion') ?? '');
    report.resources.push({ resourceId: rid, className: inst.className, module: moduleName, moduleVersion: version });
    if (!/^\[[^\]]+\].+/.test(rid)) error(`${mofName}:${inst.line}: ResourceID ${JSON.stringify(rid)} is not [Type]Name`);
    if (ids.has(rid.toLowerCase())) error(`${mofName}:${inst.line}: duplicate ResourceID ${rid}`);
    ids.add(rid.toLowerCase());
    const cfg = inst.properties.get('ConfigurationName');
    if (cfg !== name) error(`${mofName}:${inst.line}: ${rid} has ConfigurationName ${JSON.stringify(cfg)}, expected ${name}`);
    if (moduleName === 'PSDesiredStateConfiguration') error(`${mofName}:${inst.line}: ${rid} uses the in-box PSDesiredStateConfiguration module, which Machine Configuration refuses (use PSDscResources)`);
    const prev = referenced.get(moduleName);
    if (prev !== undefined && prev !== version) error(`${mofName}: module ${moduleName} is referenced in two versions (${prev}, ${version})`);
    referenced.set(moduleName, version);
  }
  for (const [mod, version] of referenced) {
    const psd1 = [...files.keys()].find((k) => k.toLowerCase() === `modules/${mod.toLowerCase()}/${mod.toLowerCase()}.psd1`);
    const found = psd1 ? manifestVersion(files.get(psd1)!) : undefined;
    report.modules.push({ name: mod, ...(found ? { version: found } : {}) });
    if (!psd1) error(`module ${mod} is referenced by the MOF but Modules/${mod}/${mod}.psd1 is missing`);
    else if (found !== version) error(`Modules/${mod}: ModuleVersion ${found ?? '(none)'} but the MOF references ${version}`);
    if (psd1 && mod === 'DriftscanDsc') driftscanModuleFindings(files.get(psd1)!, names, report.resources, error);
  }
  if (names.some((n) => /^Modules\/[^/]+\/\d+(\.\d+)+\//.test(n))) warn('a module has a version sub-folder (Modules/<Name>/<version>/); Machine Configuration packages copy the module base flat');
  return report;
}

/**
 * driftscan's own module: its root module must be there, and every resource class the MOF uses
 * must be one the manifest exports (DSC resolves the class through DscResourcesToExport).
 */
function driftscanModuleFindings(psd1: Uint8Array, names: readonly string[], resources: PackageReport['resources'], error: (m: string) => void): void {
  if (!names.includes('Modules/DriftscanDsc/DriftscanDsc.psm1')) error('Modules/DriftscanDsc/DriftscanDsc.psm1 is missing (the manifest\'s RootModule)');
  const list = /DscResourcesToExport\s*=\s*@\(([^)]*)\)/.exec(new TextDecoder().decode(psd1))?.[1] ?? '';
  const exported = new Set([...list.matchAll(/'([^']*)'/g)].map((m) => m[1]!));
  for (const r of resources) {
    if (r.module === 'DriftscanDsc' && !exported.has(r.className)) error(`${r.resourceId}: class ${r.className} is not exported by Modules/DriftscanDsc/DriftscanDsc.psd1 (DscResourcesToExport)`);
  }
}
