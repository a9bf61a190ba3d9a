/**
 * Reading `build/manifest.json` back (`manifestJson` in `compiler.ts` writes it): what `publish`
 * needs of each package — name, version, zip path, contentHash, size, policy files — checked so a
 * hand-edited or damaged manifest cannot send publish outside the build folder (every path must be
 * the relative path compile writes: `<name>/<name>.zip`, `<name>/<name>_<effect>.json`,
 * `initiatives/<folder>.json`). Errors name `file:line:col` of the offending value.
 */
import { DriftscanError } from '../core/diagnostics.js';
import { locatePointer } from '../core/source-position.js';

export interface ManifestPackage {
  name: string;
  version: string;
  /** `<name>/<name>.zip`, relative to the build folder. */
  file: string;
  /** Upper-case hex SHA-256 of the zip. */
  contentHash: string;
  size: number;
  /** Policy definition files, relative to the build folder (`<name>/<name>_<effect>.json`). */
  policies: string[];
}

export interface BuildManifest {
  packages: ManifestPackage[];
  initiatives: string[];
  /** The manifest as parsed, for writing it back with publish's additions. */
  raw: { [key: string]: unknown; packages: Array<{ [key: string]: unknown }> };
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const HASH = /^[0-9A-F]{64}$/;
/** `initiatives/<folder>.json`: one plain segment, as `policyFiles` names them. */
const INITIATIVE = /^initiatives\/[^/\\\0]+\.json$/;

/** Parses manifest `text` read from `file`. */
export function parseBuildManifest(text: string, file: string): BuildManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new DriftscanError(`not valid JSON (${(err as Error).message}): run driftscan compile`, { location: { file } });
  }
  const fail = (pointer: string, what: string) => {
    const at = locatePointer(text, file, pointer);
    return new DriftscanError(what, { location: at });
  };
  const obj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!obj(doc)) throw fail('', 'a build manifest is a JSON object');
  if (doc.manifestVersion !== 1) throw fail('/manifestVersion', `manifestVersion ${JSON.stringify(doc.manifestVersion)} is not one this driftscan reads (1): run driftscan compile`);
  if (!Array.isArray(doc.packages)) throw fail('/packages', 'packages must be an array');
  const seen = new Set<string>();
  const packages = doc.packages.map((p: unknown, i: number): ManifestPackage => {
    const at = `/packages/${i}`;
    if (!obj(p)) throw fail(at, 'a package entry is an object');
    const str = (key: string, re: RegExp, what: string): string => {
      const v = p[key];
      if (typeof v !== 'string' || !re.test(v)) throw fail(`${at}/${key}`, `${key} must be ${what}, not ${JSON.stringify(v) ?? 'absent'}`);
      return v;
    };
    const name = str('name', NAME, 'a configuration name (a letter, then up to 63 letters, digits, _ or -)');
    if (seen.has(name.toLowerCase())) throw fail(`${at}/name`, `package ${name} is listed twice`);
    seen.add(name.toLowerCase());
    const version = str('version', VERSION, 'MAJOR.MINOR.PATCH');
    const fileName = str('file', new RegExp(`^${name}/${name}\\.zip$`), `${name}/${name}.zip (compile's layout)`);
    const contentHash = str('contentHash', HASH, 'the SHA-256 as 64 upper-case hex digits');
    const size = p.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw fail(`${at}/size`, `size must be a byte count, not ${JSON.stringify(size) ?? 'absent'}`);
    const policies = p.policies ?? [];
    if (!Array.isArray(policies)) throw fail(`${at}/policies`, 'policies must be an array of file names');
    const policyRe = new RegExp(`^${name}/${name}_(AuditIfNotExists|DeployIfNotExists)\\.json$`);
    policies.forEach((f: unknown, j: number) => {
      if (typeof f !== 'string' || !policyRe.test(f)) throw fail(`${at}/policies/${j}`, `a policy file of ${name} is ${name}/${name}_<AuditIfNotExists|DeployIfNotExists>.json, not ${JSON.stringify(f)}`);
    });
    return { name, version, file: fileName, contentHash, size, policies: policies as string[] };
  });
  const initiatives = doc.initiatives ?? [];
  if (!Array.isArray(initiatives)) throw fail('/initiatives', 'initiatives must be an array of file names');
  initiatives.forEach((f: unknown, j: number) => {
    if (typeof f !== 'string' || !INITIATIVE.test(f)) throw fail(`/initiatives/${j}`, `an initiative file is initiatives/<name>.json, not ${JSON.stringify(f)}`);
  });
  return { packages, initiatives: initiatives as string[], raw: doc as BuildManifest['raw'] };
}
