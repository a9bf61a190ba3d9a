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
import { formatRegistryPath, samePath, type RegistryPath, type RootKey } from '../../windows/registry-path.js';
import { SELECT_KEY, SELECT_VALUE, controlSetNumber, goesThroughCurrentControlSet, resolveCurrentControlSet } from '../../windows/control-set.js';
import type { RegistryValue } from '../../windows/value.js';
import type { SecurityDescriptor } from '../../windows/security-descriptor.js';

interface KeyData {
  /** The key's path is the first `depth` names of `names`: parents created by one block share its array. */
  root: RootKey;
  names: readonly string[];
  depth: number;
  /** When the key came into existence (file order), for listing subkeys in source order. */
  seq: number;
  /** Lower-cased value name → value with its name as written; Map keeps file order. */
  values: Map<string, { name: string; value: RegistryValue }>;
}

/**
 * One key name in the file's key tree. A tree, not a map of full paths: deciding whether a path is
 * inside an exported subtree, creating missing parents and dropping a `[-deleted]` subtree then cost
 * one walk down the path instead of rebuilding every ancestor's path string (cubic in the depth: a
 * 2,000-component path took 32 s) or scanning every key (quadratic in the number of blocks).
 */
interface KeyNode {
  /** Upper-cased key name → child (Windows compares key names case-insensitively); made on first use, most keys are leaves. */
  children?: Map<string, KeyNode>;
  /** A block or a deletion named this key: the file speaks for its whole subtree. */
  covered: boolean;
  /** Set while the key exists after the blocks so far are applied. */
  data?: KeyData;
}

const newNode = (): KeyNode => ({ covered: false });

const NO_ACL: Lookup<SecurityDescriptor> = { status: 'unknown', reason: 'a .reg export carries no ACLs; use a snapshot or hives' };

/** Builds the source; `name` is how reports and reasons refer to it (usually the file path). */
export function regFileSource(reg: RegFile, name: string): StateSource {
  const roots = new Map<RootKey, KeyNode>();
  let hasCurrentControlSet = false;
  /** The line that last set `Select\Current`, for the error when its data is damaged. */
  let selectCurrentLine = 0;
  let seq = 0;

  /** Walks down to the node of `p`, or as far as the tree goes; `covered`: that node or an ancestor is covered. */
  const walk = (p: RegistryPath): { node: KeyNode | undefined; covered: boolean } => {
    let node = roots.get(p.root);
    let covered = node?.covered ?? false;
    for (const segment of p.segments) {
      node = node?.children?.get(segment.toUpperCase());
      if (!node) return { node, covered };
      covered ||= node.covered;
    }
    return { node, covered };
  };

  for (const block of reg.keys) {
    if (goesThroughCurrentControlSet(block.path)) hasCurrentControlSet = true;
    const { root, segments } = block.path;
    let node: KeyNode | undefined = roots.get(root);
    if (!node) roots.set(root, (node = newNode()));
    // Importing [A\B\C] creates missing parents; inside a covered subtree they then exist.
    let covered = node.covered;
    for (let n = 0; n < segments.length; n++) {
      if (n > 0 && covered && !block.deleted && !node.data) node.data = { root, names: segments, depth: n, seq: seq++, values: new Map() };
      const id = segments[n]!.toUpperCase();
      const children: Map<string, KeyNode> = (node.children ??= new Map());
      let child = children.get(id);
      if (!child) children.set(id, (child = newNode()));
      node = child;
      covered ||= node.covered;
    }
    node.covered = true;
    if (block.deleted) {
      // The key and its whole subtree are gone; the subtree stays covered (known absent).
      node.data = undefined;
      node.children = undefined;
      continue;
    }
    const data = (node.data ??= { root, names: segments, depth: segments.length, seq: seq++, values: new Map() });
    const isSelect = segments.length === SELECT_KEY.segments.length && samePath(block.path, SELECT_KEY);
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

  const lookup = (p: RegistryPath, asked: RegistryPath): Lookup<KeyState> => {
    const { node, covered } = walk(p);
    if (node?.data) return { status: 'present', value: keyState(node as KeyNode & { data: KeyData }) };
    if (covered) return { status: 'absent' };
    const also = samePath(p, asked) ? '' : ` (${formatRegistryPath(asked)})`;
    return { status: 'unknown', reason: `${name} does not contain ${formatRegistryPath(p)}${also} or any of its parent keys` };
  };

  return {
    name,
    notices: [],
    key(path) {
      if (!goesThroughCurrentControlSet(path) || hasCurrentControlSet) return lookup(path, path);
      // Offline data has no CurrentControlSet link; Windows derives it from SYSTEM\Select\Current.
      const n = controlSetNumber(walk(SELECT_KEY).node?.data?.values.get(SELECT_VALUE.toLowerCase())?.value);
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

function keyState(node: KeyNode & { data: KeyData }): KeyState {
  const { data } = node;
  return {
    path: formatRegistryPath({ root: data.root, segments: data.names.slice(0, data.depth) }),
    value: (n) => data.values.get(n.toLowerCase())?.value,
    valueNames: () => [...data.values.values()].map((v) => v.name),
    // Every present key lies in a subtree the file speaks for, so the keys it holds directly
    // below this one are all of its subkeys; listed in the order they came into existence.
    subkeyNames: () => {
      const present: KeyData[] = [];
      for (const child of node.children?.values() ?? []) if (child.data) present.push(child.data);
      present.sort((a, b) => a.seq - b.seq);
      return { status: 'present', value: present.map((d) => d.names[d.depth - 1]!) };
    },
    security: () => NO_ACL,
  };
}
