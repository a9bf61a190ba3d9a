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
  // Each merged key keeps a set of its lower-cased value names beside the list, so adding a name
  // is O(1): 20,000 rules on one key used to copy the growing list once per rule (issue #8).
  const keys = new Map<string, { ref: KeyReference; names: Set<string> | undefined }>();
  const services = new Map<string, string>();
  for (const ref of refs) {
    for (const k of ref.keys) {
      const { id, path } = normalise(k.path);
      let seen = keys.get(id);
      if (!seen) {
        seen = { ref: { path, values: [], acl: false }, names: new Set() };
        keys.set(id, seen);
      }
      seen.ref.acl ||= k.acl;
      addNames(seen, k.values);
    }
    for (const s of ref.services) if (!services.has(s.toLowerCase())) services.set(s.toLowerCase(), s);
  }
  return { keys: [...keys.values()].map((k) => k.ref), services: [...services.values()] };
}

/** Adds `values` to a merged key's list in place (first spelling wins); `'all'` absorbs any list. */
function addNames(into: { ref: KeyReference; names: Set<string> | undefined }, values: string[] | 'all'): void {
  if (into.names === undefined) return;
  if (values === 'all') {
    into.ref.values = 'all';
    into.names = undefined;
    return;
  }
  const list = into.ref.values as string[];
  for (const n of values) {
    const lower = n.toLowerCase();
    if (into.names.has(lower)) continue;
    into.names.add(lower);
    list.push(n);
  }
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
