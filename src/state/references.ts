/**
 * What a set of rules needs to read from a machine: keys (with the values and whether the ACL
 * is needed) and services (run state). Drives the collector script, so a snapshot carries
 * exactly the data the baselines check.
 */
import { formatRegistryPath, parseRegistryPath, registryPathKey } from '../windows/registry-path.js';

/** One key to read. `values: []` reads only whether the key exists; `'all'` reads every value. */
export interface KeyReference {
  path: string;
  values: string[] | 'all';
  acl: boolean;
}

export interface StateReferences {
  keys: KeyReference[];
  services: string[];
}

/**
 * Unions references. Keys and services compare case-insensitively (as Windows does) and keep
 * the first spelling and order seen; key paths are normalised to the short form (`HKLM\…`).
 * Value lists union case-insensitively, and `'all'` absorbs any list.
 */
export function mergeReferences(...refs: StateReferences[]): StateReferences {
  const keys = new Map<string, KeyReference>();
  const services = new Map<string, string>();
  for (const ref of refs) {
    for (const k of ref.keys) {
      const { id, path } = normalise(k.path);
      const seen = keys.get(id);
      if (!seen) {
        keys.set(id, { path, values: k.values === 'all' ? 'all' : unionNames([], k.values), acl: k.acl });
        continue;
      }
      seen.acl ||= k.acl;
      seen.values = seen.values === 'all' || k.values === 'all' ? 'all' : unionNames(seen.values, k.values);
    }
    for (const s of ref.services) if (!services.has(s.toLowerCase())) services.set(s.toLowerCase(), s);
  }
  return { keys: [...keys.values()], services: [...services.values()] };
}

function unionNames(a: readonly string[], b: readonly string[]): string[] {
  const out = [...a];
  const lower = new Set(a.map((n) => n.toLowerCase()));
  for (const n of b) {
    if (lower.has(n.toLowerCase())) continue;
    lower.add(n.toLowerCase());
    out.push(n);
  }
  return out;
}

function normalise(text: string): { id: string; path: string } {
  try {
    const p = parseRegistryPath(text);
    return { id: registryPathKey(p), path: formatRegistryPath(p) };
  } catch {
    // Rules validate their paths; an unparsable one here still dedupes by its text.
    return { id: text.toUpperCase(), path: text };
  }
}
