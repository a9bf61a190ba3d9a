/**
 * One package entry of `build/manifest.json` (written by `compile`, completed by `publish`), read
 * back for commands that assign the package (`assign`). Every problem is one line located at the
 * field in the manifest (`build/manifest.json:12:7: …`), because the manifest is an input file the
 * user can open.
 *
 * What `assign` needs from an entry: `name`, `version`, `contentHash`, `assignmentType`,
 * `contentUri` (where machines download the zip: `compile --content-uri-base` writes it without a
 * SAS, `publish` may rewrite it with one), optionally `contentManagedIdentity` (a user-assigned
 * identity machines download with instead of a SAS, written by `publish`), and the declared
 * `configurationParameters` with their defaults.
 */
import { DriftscanError, type SourceLocation } from '../core/diagnostics.js';
import { locatePointer } from '../core/source-position.js';
import { closest } from '../core/suggest.js';
import { ASSIGNMENT_TYPES, type AssignmentType } from '../rules/model.js';

export interface ManifestParameter {
  /** The baseline's parameter name (`--param NAME=…`). */
  name: string;
  /** `[Type]Id;Property`: the name Machine Configuration knows the parameter by. */
  reference: string;
  defaultValue: string;
}

export interface ManifestPackage {
  name: string;
  version: string;
  contentHash: string;
  assignmentType: AssignmentType;
  file: string;
  contentUri?: string;
  contentManagedIdentity?: string;
  configurationParameters: ManifestParameter[];
}

/** Package names compile produces (`<name>/<name>.zip`), and what Azure allows as an assignment name. */
const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The entry named `name` in the manifest `text` read from `file`. Throws a located input error when
 * the manifest is not one, has no such package, or the entry lacks what an assignment needs.
 */
export function readManifestPackage(text: string, file: string, name: string): ManifestPackage {
  const at = (pointer: string): SourceLocation => locatePointer(text, file, pointer);
  const fail = (pointer: string, detail: string): never => {
    throw new DriftscanError(detail, { location: at(pointer) });
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new DriftscanError(`not JSON: ${(err as Error).message}`, { location: { file } });
  }
  if (!isObject(doc) || !Array.isArray(doc.packages)) fail('', 'not a driftscan build manifest: expected an object with "packages" (run driftscan compile)');
  const packages = (doc as { packages: unknown[] }).packages;
  const index = packages.findIndex((p) => isObject(p) && p.name === name);
  if (index < 0) {
    const names = packages.flatMap((p) => (isObject(p) && typeof p.name === 'string' ? [p.name] : []));
    const near = closest(name, names);
    fail('/packages', `no package '${name}' in the manifest${near ? ` (did you mean '${near}'?)` : names.length ? ` (it has ${names.join(', ')})` : ''}`);
  }
  const p = packages[index] as Record<string, unknown>;
  const base = `/packages/${index}`;
  const str = (key: string, check?: (v: string) => string | undefined): string => {
    const v = p[key];
    if (typeof v !== 'string' || v === '') fail(`${base}${v === undefined ? '' : `/${key}`}`, `package '${name}': "${key}" must be a non-empty string`);
    const problem = check?.(v as string);
    if (problem) fail(`${base}/${key}`, `package '${name}': ${problem}`);
    return v as string;
  };
  if (!PACKAGE_NAME.test(name)) fail(`${base}/name`, `package name '${name}' cannot be an assignment name (letters, digits, '.', '_', '-')`);
  const version = str('version', (v) => (/^\d+(\.\d+){1,3}$/.test(v) ? undefined : `"version" must be dotted numbers (1.0.0), not '${v}'`));
  const contentHash = str('contentHash', (v) => (/^[0-9A-Fa-f]{64}$/.test(v) ? undefined : '"contentHash" must be a SHA-256 in hex'));
  const assignmentType = str('assignmentType', (v) => (ASSIGNMENT_TYPES.includes(v as AssignmentType) ? undefined : `"assignmentType" must be one of ${ASSIGNMENT_TYPES.join(', ')}`)) as AssignmentType;
  const fileName = str('file');
  let contentUri: string | undefined;
  if (p.contentUri !== undefined) contentUri = str('contentUri', (v) => (/^https:\/\/[^/?#\s]+\/\S+$/i.test(v) ? undefined : '"contentUri" must be an https:// URL of the package zip'));
  let contentManagedIdentity: string | undefined;
  if (p.contentManagedIdentity !== undefined) contentManagedIdentity = str('contentManagedIdentity');
  const params = p.configurationParameters ?? [];
  if (!Array.isArray(params)) fail(`${base}/configurationParameters`, `package '${name}': "configurationParameters" must be an array`);
  const configurationParameters = (params as unknown[]).map((x, i): ManifestParameter => {
    const where = `${base}/configurationParameters/${i}`;
    if (!isObject(x) || typeof x.name !== 'string' || typeof x.reference !== 'string' || typeof x.defaultValue !== 'string') {
      return fail(where, `package '${name}': each configuration parameter needs string "name", "reference" and "defaultValue"`);
    }
    return { name: x.name, reference: x.reference, defaultValue: x.defaultValue };
  });
  return {
    name,
    version,
    contentHash,
    assignmentType,
    file: fileName,
    ...(contentUri !== undefined ? { contentUri } : {}),
    ...(contentManagedIdentity !== undefined ? { contentManagedIdentity } : {}),
    configurationParameters,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
