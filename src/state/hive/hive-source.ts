/**
 * A StateSource over offline hive files — the "gate a Windows image on Linux" case. Machine hives
 * mount at `HKLM\<NAME>`; a user's NTUSER.DAT mounts at `HKU\<user>` and the first one also
 * answers `HKCU`. Files (and their transaction logs) are read here, at the edge; the reader gets bytes.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DriftscanError, usageError } from '../../core/diagnostics.js';
import type { RegistryPath } from '../../windows/registry-path.js';
import { MACHINE_HIVES } from '../../windows/hives.js';
import { SELECT_VALUE, controlSetNumber, goesThroughCurrentControlSet, resolveCurrentControlSet } from '../../windows/control-set.js';
import type { KeyState, Lookup, StateSource } from '../source.js';
import { Hive, hiveDirtiness, type HiveKey } from './hive.js';
import { upcaseName } from './names.js';
import { readInputFile } from '../../io/input-file.js';


export interface HiveSpec {
  /** SYSTEM, SOFTWARE, SAM, SECURITY, or a user name for an NTUSER.DAT. */
  name: string;
  file: string;
}

interface Mounted {
  name: string;
  file: string;
  hive: Hive;
  /** `HKLM\SYSTEM`, `HKU\alice`. */
  prefix: string;
}

/**
 * Opens hives named on the command line and/or found under `windowsDir` (a mounted volume root or
 * its `Windows` folder). Explicit hives win over ones found in the folder.
 */
export function openHiveSource(hives: HiveSpec[], options: { windowsDir?: string } = {}): StateSource {
  const specs = new Map<string, HiveSpec>();
  if (options.windowsDir) {
    for (const spec of findMachineHives(options.windowsDir)) specs.set(spec.name, spec);
  }
  const seen = new Set<string>();
  for (const spec of hives) {
    const key = upcaseName(spec.name);
    if (seen.has(key)) throw usageError(`--hive ${spec.name} is given twice`);
    seen.add(key);
    const machine = MACHINE_HIVES.find((m) => m === key);
    specs.set(machine ?? `user:${spec.name}`, { name: machine ?? spec.name, file: spec.file });
  }
  const machine = new Map<string, Mounted>();
  const users = new Map<string, Mounted>();
  let currentUser: Mounted | undefined;
  for (const spec of specs.values()) {
    const isMachine = (MACHINE_HIVES as readonly string[]).includes(spec.name);
    const hive = openHiveFile(spec.file);
    const mounted: Mounted = { name: spec.name, file: spec.file, hive, prefix: isMachine ? `HKLM\\${spec.name}` : `HKU\\${spec.name}` };
    if (isMachine) machine.set(spec.name, mounted);
    else {
      users.set(upcaseName(spec.name), mounted);
      currentUser ??= mounted;
    }
  }
  const all = [...machine.values(), ...users.values()];
  let controlSet: number | undefined;

  /** `Select\Current` picks the ControlSet00n that CurrentControlSet links to at boot (§1.13). */
  const currentControlSet = (system: Mounted): number | string => {
    if (controlSet !== undefined) return controlSet;
    const n = controlSetNumber(system.hive.lookup(['Select'])?.value(SELECT_VALUE)?.decoded());
    if (!n.ok) return `the SYSTEM hive ${system.file} cannot resolve CurrentControlSet: ${n.problem}`;
    controlSet = n.current;
    return controlSet;
  };

  const key = (path: RegistryPath): Lookup<KeyState> => {
    let mount: Mounted | undefined;
    let rest: readonly string[];
    switch (path.root) {
      case 'HKLM': {
        const first = path.segments[0];
        if (first === undefined) return { status: 'unknown', reason: 'HKLM itself is not stored in a hive file' };
        const name = upcaseName(first);
        if (name === 'HARDWARE') return { status: 'unknown', reason: 'HKLM\\HARDWARE is built at boot and is not stored in any hive file' };
        if (!(MACHINE_HIVES as readonly string[]).includes(name)) return { status: 'unknown', reason: `HKLM\\${first} is not a hive driftscan can read offline` };
        mount = machine.get(name);
        if (!mount) return { status: 'unknown', reason: `no ${name} hive given (use --hive ${name}=FILE or --windows-dir)` };
        let resolved = path;
        if (goesThroughCurrentControlSet(path)) {
          const n = currentControlSet(mount);
          if (typeof n === 'string') return { status: 'unknown', reason: n };
          resolved = resolveCurrentControlSet(path, n);
        }
        rest = resolved.segments.slice(1);
        break;
      }
      case 'HKU': {
        const first = path.segments[0];
        if (first === undefined) return { status: 'unknown', reason: 'HKU itself is not stored in a hive file' };
        mount = users.get(upcaseName(first));
        if (!mount) return { status: 'unknown', reason: `no user hive named ${first} given (use --hive ${first}=NTUSER.DAT)` };
        rest = path.segments.slice(1);
        break;
      }
      case 'HKCU':
        mount = currentUser;
        if (!mount) return { status: 'unknown', reason: 'no user hive given for HKCU (use --hive USER=NTUSER.DAT)' };
        rest = path.segments;
        break;
      case 'HKCR':
        return { status: 'unknown', reason: 'HKCR is a merged view built at logon; write the rule against HKLM\\SOFTWARE\\Classes' };
      case 'HKCC':
        return { status: 'unknown', reason: 'HKCC is a link created at boot; write the rule against HKLM\\SYSTEM\\CurrentControlSet\\Hardware Profiles\\Current' };
    }
    const found = mount.hive.lookup(rest);
    if (!found) return { status: 'absent' };
    return { status: 'present', value: keyState(mount, found) };
  };

  return {
    name: `hive ${all.map((m) => `${m.name}=${m.file}`).join(', ')}`,
    notices: all.flatMap((m) => m.hive.notices),
    key,
    serviceState: () => ({ status: 'unknown', reason: 'service run state is only known on a live machine' }),
  };
}

function keyState(mount: Mounted, key: HiveKey): KeyState {
  return {
    path: key.path === '' ? mount.prefix : `${mount.prefix}\\${key.path}`,
    value: (name) => key.value(name)?.decoded(),
    valueNames: () => key.values().map((v) => v.name),
    // A hive holds the whole tree; a damaged subkey list throws HiveError (the rule's verdict is `error`).
    subkeyNames: () => ({ status: 'present', value: key.subkeyNames() }),
    security: () => {
      const sd = key.securityDescriptor();
      return sd ? { status: 'present', value: sd } : { status: 'unknown', reason: `key ${key.path || '(root)'} has no security record in ${mount.file}` };
    },
  };
}

/** Reads a hive and, when it is dirty, its `.LOG1`/`.LOG2`/`.LOG` siblings (names matched case-insensitively). */
export function openHiveFile(file: string): Hive {
  const bytes = readInputFile(file, 'hive');
  const logs = hiveDirtiness(bytes) ? findLogs(file).map((f) => ({ file: f, bytes: readInputFile(f, 'transaction log') })) : [];
  return Hive.open(bytes, logs.length > 0 ? { file, logs } : { file });
}

/** Transaction logs next to a hive: `SYSTEM.LOG1`, `SYSTEM.LOG2`, `SYSTEM.LOG` in any case (§1.14). */
export function findLogs(file: string): string[] {
  const dir = dirname(file);
  const base = upcaseName(basename(file));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const order = ['.LOG1', '.LOG2', '.LOG'];
  const found: string[] = [];
  for (const suffix of order) {
    const hit = names.find((n) => upcaseName(n) === base + suffix);
    if (hit) found.push(join(dir, hit));
  }
  return found;
}

/**
 * `--windows-dir`: a mounted volume root (`/mnt/c`) or its `Windows` folder; finds
 * `System32/config/{SYSTEM,SOFTWARE,SAM,SECURITY}` case-insensitively (NTFS mounts keep Windows' case).
 */
export function findMachineHives(windowsDir: string): HiveSpec[] {
  if (!isDir(windowsDir)) throw new DriftscanError(`--windows-dir ${windowsDir}: no such folder`, { kind: 'usage' });
  const config =
    childPath(windowsDir, ['System32', 'config']) ?? childPath(windowsDir, ['Windows', 'System32', 'config']);
  if (!config) {
    throw new DriftscanError(`--windows-dir ${windowsDir}: no System32/config folder in it or in its Windows folder`, { kind: 'usage' });
  }
  const names = readdirSync(config);
  const specs: HiveSpec[] = [];
  for (const hive of MACHINE_HIVES) {
    const hit = names.find((n) => n.toUpperCase() === hive);
    if (hit) specs.push({ name: hive, file: join(config, hit) });
  }
  if (specs.length === 0) throw new DriftscanError(`--windows-dir ${windowsDir}: ${config} holds none of ${MACHINE_HIVES.join(', ')}`, { kind: 'usage' });
  return specs;
}

function childPath(dir: string, segments: string[]): string | undefined {
  let cur = dir;
  for (const seg of segments) {
    let names: string[];
    try {
      names = readdirSync(cur);
    } catch {
      return undefined;
    }
    const hit = names.find((n) => n.toUpperCase() === seg.toUpperCase());
    if (!hit || !isDir(join(cur, hit))) return undefined;
    cur = join(cur, hit);
  }
  return cur;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

