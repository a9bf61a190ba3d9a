/**
 * A `StateSource` over a parsed `.reg` file. An export speaks only for the subtrees it contains:
 * a key inside an exported (or `[-deleted]`) subtree without a block of its own is known absent;
 * anything outside is `unknown`. Blocks are applied in file order, as a regedit import would:
 * later blocks for the same key merge, `"v"=-` removes a value, `[-key]` removes a subtree.
 * So a present key's subkeys are exactly the keys the file holds directly below it.
 */
import { DriftscanError } from '../../core/diagnostics.js';
import type { KeyState, Lookup, ServiceRunState, StateSource } from '../source.js';
import type { RegFile } from './parse.js';
import {
  formatRegistryPath,
  registryPathKey,
  samePath,
  type RegistryPath,
} from '../../windows/registry-path.js';
import { SELECT_KEY, SELECT_VALUE, controlSetNumber, goesThroughCurrentControlSet, resolveCurrentControlSet } from '../../windows/control-set.js';
import type { RegistryValue } from '../../windows/value.js';
import type { SecurityDescriptor } from '../../windows/security-descriptor.js';

interface KeyData {
  path: RegistryPath;
  /** Lower-cased value name → value with its name as written; Map keeps file order. */
  values: Map<string, { name: string; value: RegistryValue }>;
}

const SELECT_ID = registryPathKey(SELECT_KEY);

const NO_ACL: Lookup<SecurityDescriptor> = { status: 'unknown', reason: 'a .reg export carries no ACLs; use a snapshot or hives' };

/** Builds the source; `name` is how reports and reasons refer to it (usually the file path). */
export function regFileSource(reg: RegFile, name: string): StateSource {
  const keys = new Map<string, KeyData>();
  /** Every path that had a block or a deletion: the file speaks for these subtrees. */
  const covered = new Set<string>();
  let hasCurrentControlSet = false;
  /** The line that last set `Select\Current`, for the error when its data is damaged. */
  let selectCurrentLine = 0;

  const isCovered = (p: RegistryPath): boolean => {
    for (let n = p.segments.length; n >= 0; n--) {
      if (covered.has(registryPathKey({ root: p.root, segments: p.segments.slice(0, n) }))) return true;
    }
    return false;
  };

  for (const block of reg.keys) {
    const id = registryPathKey(block.path);
    if (!block.deleted) {
      // Importing [A\B\C] creates missing parents; inside a covered subtree they then exist.
      for (let n = 1; n < block.path.segments.length; n++) {
        const parent = { root: block.path.root, segments: block.path.segments.slice(0, n) };
        const pid = registryPathKey(parent);
        if (!keys.has(pid) && isCovered(parent)) keys.set(pid, { path: parent, values: new Map() });
      }
    }
    covered.add(id);
    if (goesThroughCurrentControlSet(block.path)) hasCurrentControlSet = true;
    if (block.deleted) {
      for (const k of [...keys.keys()]) if (k === id || k.startsWith(`${id}\\`)) keys.delete(k);
      continue;
    }
    let data = keys.get(id);
    if (!data) keys.set(id, (data = { path: block.path, values: new Map() }));
    const isSelect = id === SELECT_ID;
    for (const v of block.values) {
      if (isSelect && v.name.toLowerCase() === SELECT_VALUE.toLowerCase()) selectCurrentLine = v.line;
      if (v.value === null) data.values.delete(v.name.toLowerCase());
      else {
        // Setting an existing value replaces its data; the stored name keeps its case (as RegSetValueEx does).
        const name = data.values.get(v.name.toLowerCase())?.name ?? v.name;
        data.values.set(v.name.toLowerCase(), { name, value: v.value });
      }
    }
  }

  // Subkeys by parent, built on first use: every present key lies in a subtree the file speaks
  // for, so the keys it holds directly below one are all of that key's subkeys.
  let children: Map<string, string[]> | undefined;
  const subkeysOf = (id: string): string[] => {
    if (!children) {
      children = new Map();
      for (const k of keys.values()) {
        if (k.path.segments.length === 0) continue;
        const parent = registryPathKey({ root: k.path.root, segments: k.path.segments.slice(0, -1) });
        let list = children.get(parent);
        if (!list) children.set(parent, (list = []));
        list.push(k.path.segments[k.path.segments.length - 1]!);
      }
    }
    return children.get(id) ?? [];
  };

  const lookup = (p: RegistryPath, asked: RegistryPath): Lookup<KeyState> => {
    const id = registryPathKey(p);
    const data = keys.get(id);
    if (data) return { status: 'present', value: keyState(data, () => subkeysOf(id)) };
    if (isCovered(p)) return { status: 'absent' };
    const also = samePath(p, asked) ? '' : ` (${formatRegistryPath(asked)})`;
    return { status: 'unknown', reason: `${name} does not contain ${formatRegistryPath(p)}${also} or any of its parent keys` };
  };

  return {
    name,
    notices: [],
    key(path) {
      if (!goesThroughCurrentControlSet(path) || hasCurrentControlSet) return lookup(path, path);
      // Offline data has no CurrentControlSet link; Windows derives it from SYSTEM\Select\Current.
      const n = controlSetNumber(keys.get(SELECT_ID)?.values.get(SELECT_VALUE.toLowerCase())?.value);
      if (n.ok) return lookup(resolveCurrentControlSet(path, n.current), path);
      // A Select\Current that is there but unusable is damage (→ `error`), not a gap in the export.
      if (n.damaged) throw new DriftscanError(`${n.problem}, so CurrentControlSet cannot be mapped to a ControlSet00n key`, { location: { file: name, line: selectCurrentLine, col: 1 } });
      return {
        status: 'unknown',
        reason: `${name} does not contain ${formatRegistryPath(path)}: it has no CurrentControlSet keys, and ${n.problem} to map CurrentControlSet to a ControlSet00n key`,
      };
    },
    serviceState(): Lookup<ServiceRunState> {
      return { status: 'unknown', reason: `${name}: a .reg export has no service run state; use a snapshot from the collector` };
    },
  };
}

function keyState(data: KeyData, subkeys: () => string[]): KeyState {
  return {
    path: formatRegistryPath(data.path),
    value: (n) => data.values.get(n.toLowerCase())?.value,
    valueNames: () => [...data.values.values()].map((v) => v.name),
    subkeyNames: () => ({ status: 'present', value: [...subkeys()] }),
    security: () => NO_ACL,
  };
}
