/**
 * Depth-first walk of a hive subtree for dumping (`driftscan export`): parents before children,
 * children in the order of their subkey lists (sorted by upper-cased name, as regedit shows
 * them). Damage under one key is reported with that key and the walk goes on with what is readable.
 */
import type { RegistryValue } from '../../windows/value.js';
import { HiveError, WalkClaims, type HiveKey } from './hive.js';

/** One key of the walk; `errors` lists the cells of this key that could not be read. */
export interface WalkedKey {
  key: HiveKey;
  /** `base` plus the key names from the walk's start key down to this key. */
  segments: string[];
  values: Array<{ name: string; value: RegistryValue }>;
  /** Names of the subkeys that could be read (complete when `errors` is empty). */
  subkeyNames: string[];
  errors: HiveError[];
}

/** Walks `start` and its descendants in pre-order; `segments` of each key start with `base`. */
export function* walkHive(start: HiveKey, base: readonly string[] = []): Generator<WalkedKey> {
  // Explicit stack: deep hives must not exhaust the JS call stack (the reader caps depth at 512).
  const stack: Array<{ key: HiveKey; segments: string[] }> = [{ key: start, segments: [...base] }];
  // Each cell at most once, so a hive whose lists share keys or values cannot make the walk re-read (exponentially) much.
  const claims = new WalkClaims();
  while (stack.length > 0) {
    const { key, segments } = stack.pop()!;
    const { subkeys, values, errors } = key.readable(claims);
    const entry: WalkedKey = { key, segments, values: [], subkeyNames: subkeys.map((k) => k.name), errors };
    for (const v of values) {
      try {
        entry.values.push({ name: v.name, value: v.decoded() });
      } catch (err) {
        if (!(err instanceof HiveError)) throw err;
        errors.push(err);
      }
    }
    yield entry;
    for (let i = subkeys.length - 1; i >= 0; i--) {
      const child = subkeys[i]!;
      stack.push({ key: child, segments: [...segments, child.name] });
    }
  }
}
