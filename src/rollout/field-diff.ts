/**
 * The semantic diff behind `update` vs `unchanged`: only the fields driftscan sets are compared, so
 * what ARM adds on its own (read-only `id`, `type`, `systemData`, `provisioningState`, a definition's
 * `metadata.createdBy`/`createdOn`, default-valued properties) never shows as drift, and a second
 * `--apply` writes nothing.
 *
 * Rules, from how ARM echoes what it was given:
 * - objects are compared key by key over the desired keys; a desired key missing from the actual
 *   resource is a change (ARM dropped or never had it); keys only the actual resource has are ARM's
 *   own, except under `exactObjects` paths, which are compared whole;
 * - arrays are compared whole (ARM keeps their order; a reordered list is a real change to a policy
 *   rule), unless the path is listed in `unorderedArrays` (sets such as `notScopes`);
 * - strings at paths listed in `caseInsensitive` (resource ids, locations: ARM compares those
 *   without case and may echo a different case) are compared case-insensitively.
 */

export interface FieldChange {
  /** Dotted path from the resource root: `properties.metadata.contentHash`, `properties.parameters.effect.defaultValue`. */
  path: string;
  /** What Azure holds (undefined when absent). */
  before: unknown;
  /** What driftscan would write. */
  after: unknown;
}

export interface DiffOptions {
  /** Dotted paths whose strings compare case-insensitively; `*` matches one segment. */
  caseInsensitive?: readonly string[];
  /** Dotted paths of arrays whose order does not matter. */
  unorderedArrays?: readonly string[];
  /**
   * Dotted paths of objects compared whole, extra keys included (`properties.policyRule`,
   * `properties.parameters`): there a key driftscan no longer writes is drift, not an ARM addition.
   */
  exactObjects?: readonly string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function matches(patterns: readonly string[] | undefined, path: string): boolean {
  if (!patterns) return false;
  const segs = path.split('.');
  return patterns.some((p) => {
    const ps = p.split('.');
    return ps.length === segs.length && ps.every((s, i) => s === '*' || s === segs[i]);
  });
}

/** Deep equality of JSON values; strings case-insensitive when `fold`. */
function equalJson(a: unknown, b: unknown, fold: boolean): boolean {
  if (typeof a === 'string' && typeof b === 'string') return fold ? a.toLowerCase() === b.toLowerCase() : a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => equalJson(x, b[i], fold));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && equalJson(a[k], b[k], fold));
  }
  return Object.is(a, b);
}

/** Canonical text of a JSON value with sorted keys, for order-free array comparison. */
function canonical(v: unknown, fold: boolean): string {
  if (typeof v === 'string') return JSON.stringify(fold ? v.toLowerCase() : v);
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x, fold)).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k], fold)}`).join(',')}}`;
  return JSON.stringify(v) ?? 'undefined';
}

/** The fields of `desired` whose values differ in `actual`, in desired-key order. */
export function diffFields(desired: unknown, actual: unknown, options: DiffOptions = {}, path = ''): FieldChange[] {
  const fold = path !== '' && matches(options.caseInsensitive, path);
  if (isObject(desired) && !matches(options.exactObjects, path)) {
    if (!isObject(actual)) return [{ path: path || '(resource)', before: actual, after: desired }];
    const out: FieldChange[] = [];
    for (const [k, v] of Object.entries(desired)) {
      if (v === undefined) continue;
      out.push(...diffFields(v, actual[k], options, path ? `${path}.${k}` : k));
    }
    return out;
  }
  if (Array.isArray(desired) && Array.isArray(actual) && matches(options.unorderedArrays, path)) {
    const a = desired.map((x) => canonical(x, fold)).sort();
    const b = actual.map((x) => canonical(x, fold)).sort();
    return a.length === b.length && a.every((x, i) => x === b[i]) ? [] : [{ path, before: actual, after: desired }];
  }
  return equalJson(desired, actual, fold) ? [] : [{ path: path || '(resource)', before: actual, after: desired }];
}
