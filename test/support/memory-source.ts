/** An in-memory StateSource for evaluator tests: keys with values and optional SDDL. */
import type { KeyState, Lookup, ServiceRunState, StateSource } from '../../src/state/source.js';
import { parseRegistryPath, registryPathKey, type RegistryPath } from '../../src/windows/registry-path.js';
import { resolveCurrentControlSet } from '../../src/windows/control-set.js';
import type { RegistryValue } from '../../src/windows/value.js';
import { parseSddl } from '../../src/windows/sddl.js';

export interface MemoryKey {
  values?: Record<string, RegistryValue>;
  sddl?: string;
}

export function memorySource(keys: Record<string, MemoryKey>, options: { services?: Record<string, ServiceRunState>; name?: string; coverAll?: boolean } = {}): StateSource {
  const map = new Map<string, { path: string; key: MemoryKey }>();
  for (const [p, k] of Object.entries(keys)) map.set(registryPathKey(parseRegistryPath(p)), { path: p, key: k });
  return {
    name: options.name ?? 'memory',
    notices: [],
    key(path: RegistryPath): Lookup<KeyState> {
      const found = map.get(registryPathKey(resolveCurrentControlSet(path, 1))) ?? map.get(registryPathKey(path));
      if (!found) return options.coverAll === false ? { status: 'unknown', reason: 'not covered' } : { status: 'absent' };
      const values = found.key.values ?? {};
      return {
        status: 'present',
        value: {
          path: found.path,
          value: (name) => Object.entries(values).find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1],
          valueNames: () => Object.keys(values),
          subkeyNames: () => {
            if (options.coverAll === false) return { status: 'unknown', reason: 'not covered' };
            // The keys given directly below this one (in the order given).
            const id = registryPathKey(parseRegistryPath(found.path));
            const names = [...map.values()].map((k) => parseRegistryPath(k.path))
              .filter((p) => p.segments.length > 0 && registryPathKey({ root: p.root, segments: p.segments.slice(0, -1) }) === id)
              .map((p) => p.segments[p.segments.length - 1]!);
            return { status: 'present', value: names };
          },
          security: () => (found.key.sddl === undefined ? { status: 'unknown', reason: 'no ACLs in this source' } : { status: 'present', value: parseSddl(found.key.sddl) }),
        },
      };
    },
    serviceState(name) {
      const s = options.services?.[name];
      return s ? { status: 'present', value: s } : { status: 'unknown', reason: 'service run state is only known on a live machine' };
    },
  };
}
