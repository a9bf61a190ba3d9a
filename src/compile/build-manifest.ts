/**
 * Reading `build/manifest.json` back — the one reader for every command that consumes it
 * (`publish`, `deploy`, `assign`). `compile` writes it (`manifestJson` in `compiler.ts`) and
 * `publish` rewrites it into `published/` with contentUri and its own fields added, so the reader
 * accepts fields it does not know. It is checked in two steps, both ending in one line located at
 * the offending value (`build/manifest.json:12:7: …`):
 *
 * 1. a JSON Schema of every field a command reads (ajv, precompiled at build time);
 * 2. what a schema cannot say: package names are unique (case-insensitively, as Azure names are),
 *    and every path is the relative path compile writes (`<name>/<name>.zip`,
 *    `<name>/<name>_<effect>.json`, `initiatives/<folder>.json`), so a hand-edited or damaged
 *    manifest cannot send `publish` or `deploy` outside the build folder.
 */
import { DriftscanError } from '../core/diagnostics.js';
import { closest } from '../core/suggest.js';
import { loadValidator } from '../validation/precompiled-validator.js';
import type { ValidatorSpec } from '../validation/validator-spec.js';
import { ASSIGNMENT_TYPES, type AssignmentType } from '../rules/model.js';
import { locateInBuildFile, parseBuildJson } from './build-json.js';

export interface ManifestParameter {
  /** The baseline's parameter name (`--param NAME=…`). */
  name: string;
  /** `[Type]Id;Property`: the name Machine Configuration knows the parameter by. */
  reference: string;
  defaultValue: string;
}

export interface ManifestPackage {
  /** The configuration name: a letter, then up to 63 letters, digits, `_` or `-` (also the assignment name). */
  name: string;
  /** MAJOR.MINOR.PATCH. */
  version: string;
  /** The baseline file as compile was given it (relative to where compile ran). */
  baseline: string;
  assignmentType: AssignmentType;
  /** `<name>/<name>.zip`, relative to the build folder. */
  file: string;
  /** Upper-case hex SHA-256 of the zip. */
  contentHash: string;
  /** Bytes of the zip. */
  size: number;
  /** Where machines download the zip: written by `compile --content-uri-base` (no SAS) or by `publish`. */
  contentUri?: string;
  /** A user-assigned identity machines download with instead of a SAS (written by `publish`). */
  contentManagedIdentity?: string;
  configurationParameters: ManifestParameter[];
  /** Policy definition files, relative to the build folder (`<name>/<name>_<effect>.json`). */
  policies: string[];
}

export interface BuildManifest {
  manifestVersion: 1;
  packages: ManifestPackage[];
  initiatives: string[];
  /** The manifest as parsed, for writing it back with publish's additions. */
  raw: { [key: string]: unknown; packages: Array<{ [key: string]: unknown }> };
}

const manifestSchema = () => ({
  type: 'object',
  required: ['manifestVersion', 'packages'],
  properties: {
    manifestVersion: { const: 1 },
    packages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'version', 'baseline', 'assignmentType', 'file', 'contentHash', 'size'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$' },
          version: { type: 'string', pattern: '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)$' },
          baseline: { type: 'string', minLength: 1 },
          assignmentType: { enum: [...ASSIGNMENT_TYPES] },
          file: { type: 'string' },
          contentHash: { type: 'string', pattern: '^[0-9A-F]{64}$' },
          size: { type: 'integer', minimum: 0 },
          contentUri: { type: 'string', pattern: '^https://[^/?#\\s]+/\\S+$' },
          contentManagedIdentity: { type: 'string', minLength: 1 },
          configurationParameters: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'reference', 'defaultValue'],
              properties: { name: { type: 'string', minLength: 1 }, reference: { type: 'string', minLength: 1 }, defaultValue: { type: 'string' } },
            },
          },
          policies: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    initiatives: { type: 'array', items: { type: 'string', pattern: '^initiatives/[^/\\\\\\u0000]+\\.json$' } },
  },
});

export const BUILD_MANIFEST_VALIDATOR: ValidatorSpec = { schema: manifestSchema, options: { allErrors: false, strict: false } };
/** The precompiled validator the build writes beside this module (dist/src/compile/). */
export const BUILD_MANIFEST_VALIDATOR_FILE = 'build-manifest-validator.cjs';

const validator = loadValidator(BUILD_MANIFEST_VALIDATOR, new URL(`./${BUILD_MANIFEST_VALIDATOR_FILE}`, import.meta.url));

/** Parses manifest `text` read from `file`; throws a located input error at the first problem. */
export function parseBuildManifest(text: string, file: string): BuildManifest {
  const raw = parseBuildJson<BuildManifest['raw'] & { initiatives?: string[] }>(text, file, validator, 'not a driftscan build manifest');
  const fail = (pointer: string, what: string) => new DriftscanError(what, { location: locateInBuildFile(text, file, pointer) });
  const seen = new Set<string>();
  const packages = raw.packages.map((entry, i): ManifestPackage => {
    const p = entry as unknown as ManifestPackage;
    const at = `/packages/${i}`;
    if (seen.has(p.name.toLowerCase())) throw fail(`${at}/name`, `package ${p.name} is listed twice`);
    seen.add(p.name.toLowerCase());
    if (p.file !== `${p.name}/${p.name}.zip`) throw fail(`${at}/file`, `file must be ${p.name}/${p.name}.zip (compile's layout), not ${JSON.stringify(p.file)}`);
    const policies = p.policies ?? [];
    const policyFile = new RegExp(`^${p.name}/${p.name}_(AuditIfNotExists|DeployIfNotExists)\\.json$`);
    policies.forEach((f, j) => {
      if (!policyFile.test(f)) throw fail(`${at}/policies/${j}`, `a policy file of ${p.name} is ${p.name}/${p.name}_<AuditIfNotExists|DeployIfNotExists>.json, not ${JSON.stringify(f)}`);
    });
    return {
      name: p.name,
      version: p.version,
      baseline: p.baseline,
      assignmentType: p.assignmentType,
      file: p.file,
      contentHash: p.contentHash,
      size: p.size,
      ...(p.contentUri !== undefined ? { contentUri: p.contentUri } : {}),
      ...(p.contentManagedIdentity !== undefined ? { contentManagedIdentity: p.contentManagedIdentity } : {}),
      configurationParameters: (p.configurationParameters ?? []).map((x) => ({ name: x.name, reference: x.reference, defaultValue: x.defaultValue })),
      policies,
    };
  });
  return { manifestVersion: 1, packages, initiatives: raw.initiatives ?? [], raw };
}

/**
 * The package named `name` (as the command line gave it) in a parsed manifest; an unknown name is
 * an error located at `packages` that offers the closest name or lists what there is.
 */
export function findManifestPackage(manifest: BuildManifest, name: string, text: string, file: string): ManifestPackage {
  const found = manifest.packages.find((p) => p.name === name) ?? manifest.packages.find((p) => p.name.toLowerCase() === name.toLowerCase());
  if (found) return found;
  const names = manifest.packages.map((p) => p.name);
  const near = closest(name, names);
  throw new DriftscanError(`no package '${name}' in the manifest${near ? ` (did you mean '${near}'?)` : names.length ? ` (it has ${names.join(', ')})` : ''}`,
    { location: locateInBuildFile(text, file, '/packages') });
}
