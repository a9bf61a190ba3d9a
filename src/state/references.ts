/**
 * What a set of rules needs to read from a machine: keys (with the values and whether the ACL
 * is needed), subtrees for kinds that enumerate subkeys, and services (run state). Drives the
 * collector script, so a snapshot carries exactly the data the baselines check.
 */
import { formatRegistryPath, parseRegistryPath, registryPathKey, type RegistryPath } from '../windows/registry-path.js';
import { MACHINE_HIVES, machineHive, type MachineHive } from '../windows/hives.js';

/** One key to read. `values: []` reads only whether the key exists; `'all'` reads every value. */
export interface KeyReference {
  path: string;
  values: string[] | 'all';
  acl: boolean;
  /**
   * Also read what lies below the key, for kinds that enumerate subkeys (one per account, per
   * service…) and so cannot name them in advance. The key and every key read below it record
   * their subkey names (`KeyState.subkeyNames`).
   */
  subtree?: SubtreeReference;
}

/** The keys below a referenced key, down to `depth` levels (1 = its direct subkeys), each read with `values` (and its ACL with `acl`). */
export interface SubtreeReference {
  depth: number;
  values: string[] | 'all';
  acl: boolean;
}

export interface StateReferences {
  keys: KeyReference[];
  services: string[];
}

/** A value-name list being merged: the list keeps the first spelling and order, the set makes adding O(1). */
interface Names {
  list: string[] | 'all';
  seen: Set<string>;
}

interface Merged {
  ref: KeyReference;
  /** undefined for a path that does not parse (it then only dedupes by its text). */
  parsed: RegistryPath | undefined;
  values: Names;
  subtree: { depth: number; values: Names; acl: boolean } | undefined;
}

/**
 * Unions references. Keys and services compare case-insensitively (as Windows does) and keep
 * the first spelling and order seen; key paths are normalised to the short form (`HKLM\…`).
 * Value lists union case-insensitively, and `'all'` absorbs any list. Subtrees of one key take
 * the deepest depth and the union of their values.
 *
 * A key that lies within another key's subtree is folded into that subtree (its values and ACL
 * are then read for every key at that level of the subtree, its own subtree deepens the outer
 * one), so the collector reads and records each key once.
 */
export function mergeReferences(...refs: StateReferences[]): StateReferences {
  // Each merged key keeps a set of its lower-cased value names beside the list, so adding a name
  // is O(1): 20,000 rules on one key used to copy the growing list once per rule (issue #8).
  const keys = new Map<string, Merged>();
  const services = new Map<string, string>();
  let subtrees = false;
  for (const ref of refs) {
    for (const k of ref.keys) {
      const { id, path, parsed } = normalise(k.path);
      let seen = keys.get(id);
      if (!seen) {
        seen = { ref: { path, values: [], acl: false }, parsed, values: names(), subtree: undefined };
        keys.set(id, seen);
      }
      seen.ref.acl ||= k.acl;
      addNames(seen.values, k.values);
      if (k.subtree) {
        subtrees = true;
        seen.subtree ??= { depth: 0, values: names(), acl: false };
        seen.subtree.depth = Math.max(seen.subtree.depth, k.subtree.depth);
        addNames(seen.subtree.values, k.subtree.values);
        seen.subtree.acl ||= k.subtree.acl;
      }
    }
    for (const s of ref.services) if (!services.has(s.toLowerCase())) services.set(s.toLowerCase(), s);
  }
  if (subtrees) foldIntoSubtrees(keys);
  const out = [...keys.values()].map((m): KeyReference => {
    const ref: KeyReference = { path: m.ref.path, values: m.values.list, acl: m.ref.acl };
    if (m.subtree) ref.subtree = { depth: m.subtree.depth, values: m.subtree.values.list, acl: m.subtree.acl };
    return ref;
  });
  return { keys: out, services: [...services.values()] };
}

/**
 * Folds every key that a subtree reaches into the subtree's root, until nothing changes (folding
 * can deepen a subtree so that it reaches keys it did not before). Each fold removes a key, so
 * this ends; with no subtrees it is never called.
 */
function foldIntoSubtrees(keys: Map<string, Merged>): void {
  for (let changed = true; changed;) {
    changed = false;
    for (const [id, m] of keys) {
      if (!m.parsed) continue;
      const segments = m.parsed.segments;
      // Shallowest ancestor first: an outer subtree that reaches this key wins over an inner one.
      for (let n = 0; n < segments.length; n++) {
        const root = keys.get(registryPathKey({ root: m.parsed.root, segments: segments.slice(0, n) }));
        const distance = segments.length - n;
        if (!root?.subtree || root === m || distance > root.subtree.depth) continue;
        addNames(root.subtree.values, m.values.list);
        root.subtree.acl ||= m.ref.acl;
        if (m.subtree) {
          root.subtree.depth = Math.max(root.subtree.depth, distance + m.subtree.depth);
          addNames(root.subtree.values, m.subtree.values.list);
          root.subtree.acl ||= m.subtree.acl;
        }
        keys.delete(id);
        changed = true;
        break;
      }
    }
  }
}

function names(): Names {
  return { list: [], seen: new Set() };
}

/** Adds `values` to a merged list in place (first spelling wins); `'all'` absorbs any list. */
function addNames(into: Names, values: string[] | 'all'): void {
  if (into.list === 'all') return;
  if (values === 'all') {
    into.list = 'all';
    into.seen.clear();
    return;
  }
  for (const n of values) {
    const lower = n.toLowerCase();
    if (into.seen.has(lower)) continue;
    into.seen.add(lower);
    into.list.push(n);
  }
}

function normalise(text: string): { id: string; path: string; parsed: RegistryPath | undefined } {
  try {
    const p = parseRegistryPath(text);
    return { id: registryPathKey(p), path: formatRegistryPath(p), parsed: p };
  } catch {
    // Rules validate their paths; an unparsable one here still dedupes by its text.
    return { id: text.toUpperCase(), path: text, parsed: undefined };
  }
}

/**
 * The machine hives (`HKLM\SYSTEM`, `HKLM\SOFTWARE`, …) these references read, so `--image` and
 * `--windows-dir` open only those: a baseline of SYSTEM rules need not find, read and check
 * SOFTWARE, SAM and SECURITY. A path that does not parse could name any hive: then every one.
 */
export function referencedMachineHives(refs: StateReferences): MachineHive[] {
  const found = new Set<MachineHive>();
  for (const k of refs.keys) {
    let parsed: RegistryPath;
    try {
      parsed = parseRegistryPath(k.path);
    } catch {
      return [...MACHINE_HIVES];
    }
    const hive = parsed.root === 'HKLM' && parsed.segments[0] !== undefined ? machineHive(parsed.segments[0]) : undefined;
    if (hive) found.add(hive);
  }
  return MACHINE_HIVES.filter((h) => found.has(h));
}
