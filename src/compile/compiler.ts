/**
 * `driftscan compile` end to end: baselines → configurations → modules → reproducible packages →
 * policy definitions → `build/manifest.json` and the lock file. Everything is produced in memory
 * first, so `--check` can compare without writing and a failed run writes nothing.
 */
import { join } from 'node:path';
import type { AssignmentType, Baseline } from '../rules/model.js';
import { DriftscanError, formatLocation, usageError } from '../core/diagnostics.js';
import { compileConfiguration, type CompiledConfiguration } from './configuration.js';
import { buildPackage, type BuiltPackage, type ModuleContent } from './package.js';
import { formatLock, type LockFile } from './modules/lock.js';
import type { DscModule } from '../dsc/resources.js';
import { findVersionScalar, nextPatch, setBaselineVersion } from './version-bump.js';

/** A compiled package with everything policy builders and the manifest need. */
export interface CompiledPackage {
  baseline: Baseline;
  configuration: CompiledConfiguration;
  package: BuiltPackage;
  /** Path of the zip inside the output folder (`<name>/<name>.zip`). */
  file: string;
  /** `--content-uri-base` + file, when a base was given. */
  contentUri?: string;
}

/** An extra output produced from a compiled package (policy definitions), relative to the output folder. */
export interface OutputFile {
  path: string;
  data: string | Uint8Array;
}

export interface CompileOptions {
  assignmentType?: AssignmentType;
  /** HTTPS folder the packages are uploaded to, without a query string: see `parseContentUriBase`. */
  contentUriBase?: string;
  /** Omit rules DSC cannot express instead of failing (see ConfigurationOptions.skipUnsupported). */
  skipUnsupported?: boolean;
  /** Raise the patch version of baselines whose content changed under an unchanged version. */
  bump?: boolean;
  /** Supplies the DSC modules the packages need (DriftscanDsc, built from the shipped sources at the edge). */
  modules: ModuleProvider;
  /** The text of a baseline file, for `bump` (rewriting its version in place). */
  baselineText: (file: string) => string;
  /** Builds policy definition files for the compiled packages (the Azure Policy engineer's functions). */
  policies?: (packages: readonly CompiledPackage[]) => OutputFile[];
}

/** The contents of the modules `needed` (name and version as the MOF references them). */
export type ModuleProvider = (needed: readonly DscModule[]) => ModuleContent[];

export interface CompileResult {
  packages: CompiledPackage[];
  /** Files under the output folder: zips, policy JSONs, `manifest.json`. */
  outputs: OutputFile[];
  lock: LockFile;
  lockText: string;
  /** Baseline files to rewrite (`--bump`): path → new text. */
  baselineEdits: Map<string, string>;
  /** Warnings for the user (rules left out of packages). */
  warnings: string[];
}

/**
 * Checks `--content-uri-base` and returns it parsed. It is written into build/ (policy
 * definitions, manifest.json), which teams commit, so it must not carry a secret: a query string
 * (a SAS token), a fragment or credentials are refused. A SAS belongs to publish/deploy time, or
 * is not needed at all with contentManagedIdentity. The error never repeats the query.
 */
export function parseContentUriBase(base: string): URL {
  const flag = '--content-uri-base';
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw usageError(`${flag} must be an https:// URL`);
  }
  if (url.protocol !== 'https:') throw usageError(`${flag} must be an https:// URL`);
  const shown = `${url.origin}${url.pathname}`;
  if (base.includes('?') || base.includes('#')) {
    throw usageError(`${flag} ${shown}${base.includes('?') ? '?' : '#'}…: a query string or fragment is not allowed (it looks like a SAS token, and this URL is written into ` +
      'build/, which is committed: build/ must never hold a secret); give the container URL alone and add the SAS at publish/deploy time, ' +
      'or let machines read the blob with contentManagedIdentity');
  }
  if (url.username || url.password) throw usageError(`${flag} ${shown}: credentials in the URL are not allowed (it is written into build/, which must never hold a secret)`);
  return url;
}

/** The policy contentUri of `file` (`<name>/<name>.zip`) under `base`: each path segment percent-encoded. */
export function contentUriFor(base: URL, file: string): string {
  const folder = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  return `${base.origin}${folder}${file.split('/').map(encodeURIComponent).join('/')}`;
}

/** Compiles baselines; throws one DriftscanError with a line per problem. */
export async function compileBaselines(baselines: readonly Baseline[], lock: LockFile, options: CompileOptions): Promise<CompileResult> {
  const uriBase = options.contentUriBase === undefined ? undefined : parseContentUriBase(options.contentUriBase);
  const errors: string[] = [];
  const configs: Array<{ b: Baseline; c: CompiledConfiguration }> = [];
  for (const b of baselines) {
    try {
      configs.push({ b, c: compileConfiguration(b, { ...(options.assignmentType ? { assignmentType: options.assignmentType } : {}), skipUnsupported: Boolean(options.skipUnsupported) }) });
    } catch (err) {
      if (err instanceof DriftscanError) errors.push(err.message);
      else throw err;
    }
  }
  if (errors.length) throw new DriftscanError(errors.join('\n'));

  const needed = new Map(configs.flatMap(({ c }) => c.modules).map((m) => [m.name, m]));
  const modules = options.modules([...needed.values()].sort((a, b) => (a.name < b.name ? -1 : 1)));
  for (const m of needed.values()) {
    const got = modules.find((x) => x.name === m.name);
    if (!got || got.version !== m.version) throw new Error(`module provider returned ${got ? `${got.name} ${got.version}` : 'nothing'} for ${m.name} ${m.version}`);
  }
  const newLock: LockFile = { lockfileVersion: 1, packages: { ...lock.packages } };

  const packages: CompiledPackage[] = [];
  const baselineEdits = new Map<string, string>();
  const warnings: string[] = [];
  for (let { b, c } of configs) {
    const build = (conf: CompiledConfiguration) => buildPackage({
      name: conf.name, version: conf.version, assignmentType: conf.assignmentType, mof: conf.mof,
      modules: modules.filter((m) => conf.modules.some((x) => x.name === m.name)),
      ...(b.assignment.frequencyMinutes !== undefined ? { frequencyMinutes: b.assignment.frequencyMinutes } : {}),
    });
    let pkg = build(c);
    const prev = lock.packages[c.name];
    if (prev && prev.version === c.version && prev.contentHash !== pkg.contentHash) {
      const text = options.baselineText(b.file);
      if (!options.bump) {
        const at = findVersionScalar(text, b.file).location;
        errors.push(`${formatLocation(at)}: package ${c.name} changed (contentHash ${pkg.contentHash.slice(0, 12)}…, was ${prev.contentHash.slice(0, 12)}…) but version ${c.version} did not; ` +
          'machines cache packages by version and would never see the change — raise metadata.version or compile with --bump');
        continue;
      }
      const version = nextPatch(c.version);
      baselineEdits.set(b.file, setBaselineVersion(text, b.file, version));
      b = { ...b, metadata: { ...b.metadata, version } };
      c = { ...c, version };
      pkg = build(c);
    }
    newLock.packages[c.name] = { version: c.version, contentHash: pkg.contentHash };
    for (const r of c.rules) {
      const at = formatLocation(b.rules.find((x) => x.id === r.ruleId)!.location);
      const why = b.assignment.unsupportedRules === 'omit' ? 'spec.assignment.unsupportedRules: omit' : '--skip-unsupported';
      if (r.omitted) warnings.push(`${at}: warning: rule ${r.ruleId} left out of package ${c.name} (${why}; audited by driftscan check only): ${r.omitted}`);
    }
    const file = `${c.name}/${c.name}.zip`;
    const contentUri = uriBase ? contentUriFor(uriBase, file) : undefined;
    packages.push({ baseline: b, configuration: c, package: pkg, file, ...(contentUri ? { contentUri } : {}) });
  }
  if (errors.length) throw new DriftscanError(errors.join('\n'));

  const outputs: OutputFile[] = packages.map((p) => ({ path: p.file, data: p.package.zip }));
  const policyFiles = options.policies?.(packages) ?? [];
  outputs.push(...policyFiles);
  outputs.push({ path: 'manifest.json', data: manifestJson(packages, policyFiles) });
  return { packages, outputs, lock: newLock, lockText: formatLock(newLock), baselineEdits, warnings };
}

/** `build/manifest.json`: no timestamps or absolute paths, so an unchanged build is byte-identical. */
export function manifestJson(packages: readonly CompiledPackage[], policyFiles: readonly OutputFile[] = []): string {
  return `${JSON.stringify({
    manifestVersion: 1,
    packages: packages.map((p) => ({
      name: p.configuration.name,
      version: p.configuration.version,
      baseline: p.baseline.file.replace(/\\/g, '/'),
      assignmentType: p.configuration.assignmentType,
      file: p.file,
      contentHash: p.package.contentHash,
      size: p.package.zip.length,
      unpackedBytes: p.package.unpackedBytes,
      ...(p.contentUri ? { contentUri: p.contentUri } : {}),
      modules: p.configuration.modules.map((m) => ({ name: m.name, version: m.version })),
      configurationParameters: p.configuration.parameters.map((x) => ({ name: x.name, reference: x.reference, defaultValue: x.defaultValue })),
      rules: p.configuration.rules,
      policies: policyFiles.filter((f) => f.path.startsWith(`${p.configuration.name}/`)).map((f) => f.path),
    })),
    initiatives: policyFiles.filter((f) => f.path.startsWith('initiatives/')).map((f) => f.path),
  }, null, 2)}\n`;
}

/** Output paths are relative to `outDir`. */
export function outputPath(outDir: string, f: OutputFile): string {
  return join(outDir, ...f.path.split('/'));
}
