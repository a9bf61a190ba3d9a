/**
 * A StateSource over offline hive files — the "gate a Windows image on Linux" case. Machine hives
 * mount at `HKLM\<NAME>`; a user's NTUSER.DAT mounts at `HKU\<user>` and the first one also
 * answers `HKCU`. Files (and their transaction logs) are read here, at the edge; the reader gets bytes.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DriftscanError, usageError } from '../../core/diagnostics.js';
import { editDistance } from '../../core/edit-distance.js';
import type { RegistryPath } from '../../windows/registry-path.js';
import { MACHINE_HIVES, describeHiveKind, hiveKinds, hiveShape, machineHive, type HiveKind, type MachineHive } from '../../windows/hives.js';
import { SELECT_VALUE, controlSetNumber, goesThroughCurrentControlSet, resolveCurrentControlSet } from '../../windows/control-set.js';
import type { KeyState, Lookup, StateSource } from '../source.js';
import { BASE_BLOCK_SIZE } from './format.js';
import { Hive, hiveDirtiness, type HiveKey } from './hive.js';
import { quoteName, upcaseName } from './names.js';
import { openInputFile, readInputFile } from '../../io/input-file.js';


export interface HiveSpec {
  /** SYSTEM, SOFTWARE, SAM, SECURITY (any case), or a user name for an NTUSER.DAT. */
  name: string;
  file: string;
  /**
   * Given as `user:NAME`: a user hive by the caller's word, mounted at `HKU\NAME` whatever the
   * name looks like and whatever user keys the file has (only a machine hive is refused).
   */
  user?: boolean;
  /** Already opened (a hive read out of a disk image by state/image/); `file` then only names it. */
  hive?: Hive;
}

interface Mounted {
  name: string;
  file: string;
  hive: Hive;
  /** `HKLM\SYSTEM`, `HKU\alice`. */
  prefix: string;
}

/** What `--hive` accepts as NAME, for messages. */
const HIVE_NAMES = `${MACHINE_HIVES.join(', ')}, or user:NAME for a user's NTUSER.DAT`;

/**
 * Opens hives named on the command line and/or found under `windowsDir` (a mounted volume root or
 * its `Windows` folder). Explicit hives win over ones found in the folder.
 *
 * Fails closed: a NAME that is a near miss of a machine hive (`SYTEM`) is a usage error, and every
 * file must hold the hive it is mounted as — a SAM hive given as SYSTEM, or a SYSTEM hive given
 * under a user name, would otherwise answer every rule "unknown" and a gate would pass on nothing.
 */
export function openHiveSource(hives: HiveSpec[], options: { windowsDir?: string; found?: { by: string; hives: HiveSpec[] }; machineHives?: readonly MachineHive[] } = {}): StateSource {
  const specs = new Map<string, { spec: HiveSpec; kind: HiveKind; explicit: boolean; by?: string }>();
  if (options.windowsDir) {
    // `machineHives`: only the hives the baseline reads are opened (and checked) from the folder.
    for (const spec of findMachineHives(options.windowsDir)) {
      if (!options.machineHives || options.machineHives.includes(spec.name as MachineHive)) specs.set(spec.name, { spec, kind: spec.name as MachineHive, explicit: false });
    }
  }
  // Machine hives found some other way (in a disk image by `--image`): like --windows-dir's.
  for (const spec of options.found?.hives ?? []) specs.set(spec.name, { spec, kind: spec.name as MachineHive, explicit: false, by: options.found!.by });
  const seen = new Set<string>();
  for (const spec of hives) {
    const machine = spec.user ? undefined : machineHive(spec.name);
    if (!machine) checkUserName(spec);
    const key = machine ?? `user:${upcaseName(spec.name)}`;
    if (seen.has(key)) throw usageError(`--hive ${spec.user ? 'user:' : ''}${spec.name} is given twice`);
    seen.add(key);
    specs.set(key, { spec: { ...spec, name: machine ?? spec.name }, kind: machine ?? 'user', explicit: true });
  }
  const machine = new Map<string, Mounted>();
  const users = new Map<string, Mounted>();
  let currentUser: Mounted | undefined;
  for (const { spec, kind, explicit, by } of specs.values()) {
    const hive = spec.hive ?? openHiveFile(spec.file);
    checkHiveKind(hive, spec, kind, explicit, by);
    const mounted: Mounted = { name: spec.name, file: spec.file, hive, prefix: kind === 'user' ? `HKU\\${spec.name}` : `HKLM\\${spec.name}` };
    if (kind !== 'user') machine.set(spec.name, mounted);
    else {
      users.set(upcaseName(spec.name), mounted);
      currentUser ??= mounted;
    }
  }
  const all = [...machine.values(), ...users.values()];
  let controlSet: number | DriftscanError | undefined;

  /**
   * `Select\Current` picks the ControlSet00n that CurrentControlSet links to at boot (§1.13). In a
   * SYSTEM hive it is always there, so anything short of a DWORD naming an existing ControlSet00n is
   * damage: every rule under CurrentControlSet becomes `error`, never `skipped`.
   */
  const currentControlSet = (system: Mounted): number => {
    controlSet ??= resolveControlSet(system);
    if (controlSet instanceof DriftscanError) throw controlSet;
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
        if (!mount) return { status: 'unknown', reason: `no ${name} hive given (use --hive ${name}=FILE, --windows-dir or --image)` };
        const resolved = goesThroughCurrentControlSet(path) ? resolveCurrentControlSet(path, currentControlSet(mount)) : path;
        rest = resolved.segments.slice(1);
        break;
      }
      case 'HKU': {
        const first = path.segments[0];
        if (first === undefined) return { status: 'unknown', reason: 'HKU itself is not stored in a hive file' };
        mount = users.get(upcaseName(first));
        if (!mount) return { status: 'unknown', reason: `no user hive named ${first} given (use --hive user:${first}=NTUSER.DAT)` };
        rest = path.segments.slice(1);
        break;
      }
      case 'HKCU':
        mount = currentUser;
        if (!mount) return { status: 'unknown', reason: 'no user hive given for HKCU (use --hive user:NAME=NTUSER.DAT)' };
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

/** The control set `Select\Current` names, or the damage that stops it naming one. */
function resolveControlSet(system: Mounted): number | DriftscanError {
  const { hive, file } = system;
  const why = (problem: string, key: HiveKey) =>
    new DriftscanError(`${problem}, so CurrentControlSet cannot be mapped to a ControlSet00n key (damaged SYSTEM hive)`, { location: { file, offset: BASE_BLOCK_SIZE + key.offset } });
  const select = hive.lookup(['Select']);
  if (!select) return why('the SYSTEM hive has no Select key', hive.root());
  const n = controlSetNumber(select.value(SELECT_VALUE)?.decoded());
  if (!n.ok) return why(n.problem, select);
  const set = `ControlSet${String(n.current).padStart(3, '0')}`;
  if (!hive.lookup([set])) return why(`HKLM\\SYSTEM\\Select value Current is ${n.current}, but the hive has no ${set} key`, select);
  return n.current;
}

/**
 * A user name for `HKU\NAME`: a near miss of a machine hive name is a typo until said otherwise.
 * Near means one edit, or two (a swapped pair: SYSTME) for names of five letters or more; the wider
 * "did you mean" distance would refuse short user names such as tom or kim (two from SAM). The file
 * check behind this catches what a name cannot: a machine hive is never mounted as a user.
 */
function checkUserName(spec: HiveSpec): void {
  const { name } = spec;
  if (name === '' || name.includes('\\')) throw usageError(`--hive ${spec.user ? 'user:' : ''}${name}=${spec.file}: a user name must be non-empty and without "\\"`);
  if (spec.user) return;
  const near = MACHINE_HIVES.find((h) => editDistance(name, h) <= (name.length >= 5 ? 2 : 1));
  if (near) {
    throw usageError(
      `--hive ${name}=${spec.file}: ${JSON.stringify(name)} is not a hive name driftscan knows (${HIVE_NAMES}); did you mean ${near}? ` +
        `(for a user named ${name}, write --hive user:${name}=${spec.file})`,
    );
  }
}

/** Refuses a file that does not hold the hive it is mounted as, saying what it does hold. */
function checkHiveKind(hive: Hive, spec: HiveSpec, want: HiveKind, explicit: boolean, by = '--windows-dir'): void {
  const root = hive.root();
  const { subkeys, errors } = root.readable();
  const names = subkeys.map((k) => k.name);
  const kinds = hiveKinds(names);
  if (kinds.length === 1 && kinds[0] === want) return;
  // `user:NAME` vouches for any user hive (UsrClass.dat, a bare DEFAULT) but never for a machine one.
  if (want === 'user' && spec.user && !kinds.some((k) => k !== 'user')) return;
  // A damaged root subkey list explains a missing mark better than "wrong hive".
  if (errors.length > 0) throw errors[0]!;
  const shown = names.length === 0 ? 'no subkeys' : `root keys ${names.slice(0, 8).map(quoteName).join(', ')}${names.length > 8 ? ', …' : ''}`;
  const mountedAs = want === 'user' ? `--hive ${spec.user ? 'user:' : ''}${spec.name}` : explicit ? `--hive ${want}` : `${by} (as ${want})`;
  const location = { file: spec.file, offset: BASE_BLOCK_SIZE + root.offset };
  const other = kinds.find((k) => k !== want);
  if (kinds.length === 1 && other) {
    const fix = other === 'user' ? `--hive user:NAME=${spec.file}` : `--hive ${other}=${spec.file}`;
    throw new DriftscanError(
      `given as ${mountedAs}, but this is ${describeHiveKind(other)}, not ${describeHiveKind(want)} (${shown})${explicit ? `; did you mean ${fix}?` : ''}`,
      { location },
    );
  }
  const what = kinds.length > 1 ? `its ${shown} fit ${kinds.map(describeHiveKind).join(' and ')}` : shown;
  const escape = want === 'user' && !spec.user ? `; to mount it at HKU\\${spec.name} anyway, write --hive user:${spec.name}=${spec.file}` : '';
  throw new DriftscanError(
    `given as ${mountedAs}, but this is not ${describeHiveKind(want)}: that has ${hiveShape(want)} at its root, this one has ${what}${escape}`,
    { location },
  );
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
  // A clean hive (or a dirty one without logs) is read cell by cell as it is used; replaying logs
  // rewrites pages all over the file, so a dirty hive with logs, or a FIFO, is read whole.
  const source = openInputFile(file, 'hive');
  if (source.regular) {
    const head = new Uint8Array(Math.min(source.size, BASE_BLOCK_SIZE));
    source.read(head, 0, head.length, 0);
    if (!hiveDirtiness(head) || findLogs(file).length === 0) return Hive.openFile(source, { file });
  }
  let bytes: Buffer;
  try {
    bytes = source.readAll();
  } finally {
    source.close();
  }
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

