/**
 * JSON snapshots (`driftscan-snapshot/v1`, docs/snapshot-format.md): what the generated
 * PowerShell collector read on a machine. A snapshot speaks only for the keys it lists: listed
 * keys are present or absent, keys below a key recorded as missing are absent, and so are names
 * missing from a recorded subkey list; keys it has no record of (or could not read) are `unknown`.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import { DriftscanError } from '../../core/diagnostics.js';
import { locatePointer } from '../../core/source-position.js';
import { jsonSyntaxError } from '../../core/json-syntax.js';
import {
  formatRegistryPath,
  parseRegistryPath,
  registryPathKey,
  type RegistryPath,
} from '../../windows/registry-path.js';
import { SELECT_KEY, SELECT_VALUE, controlSetNumber, goesThroughCurrentControlSet, resolveCurrentControlSet } from '../../windows/control-set.js';
import { SYSTEM_ONLY_HIVES } from '../../windows/hives.js';
import { REG, type RegistryValue } from '../../windows/value.js';
import type { SecurityDescriptor } from '../../windows/security-descriptor.js';
import { parseSddl, SddlError } from '../../windows/sddl.js';
import type { KeyState, Lookup, ServiceRunState, StateSource } from '../source.js';
import { loadValidator } from '../../validation/precompiled-validator.js';
import type { ValidatorSpec } from '../../validation/validator-spec.js';

export const SNAPSHOT_SCHEMA_ID = 'driftscan-snapshot/v1';

/** The JSON document, as the schema describes it. */
export interface SnapshotDocument {
  schema: typeof SNAPSHOT_SCHEMA_ID;
  computerName?: string;
  collectedAt?: string;
  collector?: { version?: string; powershell?: string };
  keys: SnapshotKey[];
  services?: SnapshotService[];
}

export interface SnapshotKey {
  path: string;
  exists: boolean;
  error?: string;
  sddl?: string;
  sddlError?: string;
  valuesRead?: string[];
  values?: SnapshotValue[];
  /** Names of the key's subkeys, when the collector listed them (for rules that enumerate subkeys). */
  subkeys?: string[];
}

export type SnapshotValueKind = 'String' | 'ExpandString' | 'MultiString' | 'DWord' | 'QWord' | 'Binary' | 'None' | 'Unknown';

export interface SnapshotValue {
  name: string;
  kind: SnapshotValueKind;
  typeCode?: number;
  data: string | string[] | number | null;
}

export interface SnapshotService {
  name: string;
  exists: boolean;
  error?: string;
  state?: ServiceRunState | 'Unknown';
  startType?: string | null;
  startName?: string | null;
  delayedAutoStart?: boolean | null;
}

/** The snapshot JSON schema (schema/snapshot.schema.json), read from the package. */
export function snapshotSchema(): object {
  // src/state/ (tsx) and dist/src/state/ (built) sit at different depths below the package root.
  const url = ['../../../schema/snapshot.schema.json', '../../../../schema/snapshot.schema.json', '../schema/snapshot.schema.json']
    .map((p) => new URL(p, import.meta.url))
    .find((u) => existsSync(u));
  if (!url) throw new Error('driftscan installation is missing schema/snapshot.schema.json');
  return JSON.parse(readFileSync(url, 'utf8')) as object;
}

/** The snapshot schema validator (with ajv-formats for date-time and friends). */
export const SNAPSHOT_VALIDATOR: ValidatorSpec = { schema: snapshotSchema, options: { allErrors: true, strict: false }, formats: true };
/** The precompiled validator the build writes beside this module (dist/src/state/). */
export const SNAPSHOT_VALIDATOR_FILE = 'snapshot-validator.cjs';
const validator = loadValidator(SNAPSHOT_VALIDATOR, new URL(`./${SNAPSHOT_VALIDATOR_FILE}`, import.meta.url));

function validate(doc: unknown): ErrorObject[] {
  const v = validator();
  return v(doc) ? [] : (v.errors ?? []);
}

/** Parses and validates a snapshot file and returns it as a `StateSource`. */
export function loadSnapshot(bytes: Uint8Array, file: string): StateSource {
  return snapshotSource(parseSnapshot(bytes, file), file);
}

/** Parses and validates snapshot bytes (UTF-8 with or without BOM, or UTF-16LE with BOM as Windows PowerShell 5.1's `>` writes). */
export function parseSnapshot(bytes: Uint8Array, file: string): SnapshotDocument {
  let text: string;
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    text = Buffer.from(bytes.buffer, bytes.byteOffset + 2, bytes.length - 2).toString('utf16le');
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      throw new DriftscanError('snapshot is not valid UTF-8 (or UTF-16LE with a byte-order mark)', { location: { file } });
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw jsonSyntaxError(text, file);
  }
  const errors = validate(doc);
  if (errors.length > 0) {
    const e = pickError(errors);
    throw new DriftscanError(`${jsonPath(e.instancePath)}: ${describeAjvError(e)}`, { location: locatePointer(text, file, e.instancePath) });
  }
  return doc as SnapshotDocument;
}

function jsonPath(instancePath: string): string {
  if (instancePath === '') return '$';
  return '$' + instancePath.split('/').slice(1).map((s) => {
    const seg = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(seg) ? `[${seg}]` : /^[A-Za-z_]\w*$/.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
  }).join('');
}

/** The most specific error: deepest path, skipping ajv's "must match then schema" wrappers. */
function pickError(errors: ErrorObject[]): ErrorObject {
  const real = errors.filter((e) => e.keyword !== 'if');
  const list = real.length > 0 ? real : errors;
  return list.reduce((best, e) => (e.instancePath.length > best.instancePath.length ? e : best), list[0]!);
}

function describeAjvError(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': return `missing required property "${String(p.missingProperty)}"`;
    case 'additionalProperties': return `unknown property "${String(p.additionalProperty)}"`;
    case 'enum': return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const': return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'pattern':
      return e.instancePath.endsWith('/data') ? 'must be hexadecimal digits, two per byte (QWORD: a decimal string)' : `must match ${String(p.pattern)}`;
    default: return e.message ?? 'is invalid';
  }
}

interface KeyEntry {
  record: SnapshotKey;
  index: number;
  path: RegistryPath;
  values: Map<string, { name: string; value: RegistryValue }>;
  valuesRead: Set<string> | undefined;
  /** Upper-cased subkey names (as `registryPathKey` folds them), when recorded. */
  subkeys: Set<string> | undefined;
  security?: Lookup<SecurityDescriptor>;
}

/** A `StateSource` over a validated snapshot document. */
export function snapshotSource(doc: SnapshotDocument, file: string): StateSource {
  const keys = new Map<string, KeyEntry>();
  const notices: string[] = [];
  doc.keys.forEach((record, index) => {
    const where = `$.keys[${index}]`;
    let path: RegistryPath;
    try {
      path = parseRegistryPath(record.path);
    } catch (err) {
      throw new DriftscanError(`${where}.path: ${(err as Error).message}`, { location: { file } });
    }
    const id = registryPathKey(path);
    if (keys.has(id)) throw new DriftscanError(`${where}.path: key ${record.path} is listed twice (also at $.keys[${keys.get(id)!.index}])`, { location: { file } });
    const values = new Map<string, { name: string; value: RegistryValue }>();
    (record.values ?? []).forEach((v, j) => {
      values.set(v.name.toLowerCase(), { name: v.name, value: toRegistryValue(v, `${where}.values[${j}]`, file) });
    });
    const valuesRead = record.valuesRead ? new Set(record.valuesRead.map((n) => n.toLowerCase())) : undefined;
    const subkeys = record.subkeys ? new Set(record.subkeys.map((n) => n.toUpperCase())) : undefined;
    keys.set(id, { record, index, path, values, valuesRead, subkeys });
    if (record.error !== undefined) notices.push(`${file}: collector could not read ${record.path}: ${record.error}`);
  });
  const services = new Map((doc.services ?? []).map((s) => [s.name.toLowerCase(), s]));

  const regenerate = 'regenerate the collector with `driftscan collector` for the current baselines and collect again';

  /** The key's own record: present, absent, or unreadable. */
  const recorded = (p: RegistryPath): Lookup<KeyState> | undefined => {
    const entry = keys.get(registryPathKey(p));
    if (!entry) return undefined;
    if (entry.record.error !== undefined) {
      return { status: 'unknown', reason: `${file}: the collector could not read ${entry.record.path}: ${entry.record.error}${systemOnlyHint(entry.path)}` };
    }
    return entry.record.exists ? { status: 'present', value: keyState(entry, file) } : { status: 'absent' };
  };
  /**
   * What the records above a key say about it: a parent recorded as missing means every key below
   * it is missing too, and so does a name missing from a parent's recorded subkey list. The
   * CurrentControlSet link is not a stored subkey (a hive's list of SYSTEM's subkeys lacks it), so
   * a list says nothing about it.
   */
  const inferred = (p: RegistryPath): Lookup<KeyState> | undefined => {
    for (let n = p.segments.length - 1; n >= 0; n--) {
      const parent = keys.get(registryPathKey({ root: p.root, segments: p.segments.slice(0, n) }));
      if (!parent || parent.record.error !== undefined) continue;
      if (!parent.record.exists) return { status: 'absent' };
      const link = n === 1 && goesThroughCurrentControlSet(p);
      if (parent.subkeys && !link && !parent.subkeys.has(p.segments[n]!.toUpperCase())) return { status: 'absent' };
    }
    return undefined;
  };

  const title = [doc.computerName, doc.collectedAt].filter(Boolean).join(' at ');
  return {
    name: `snapshot ${file}${title ? ` (${title})` : ''}`,
    notices,
    key(path) {
      const own = recorded(path);
      if (own) return own;
      if (goesThroughCurrentControlSet(path)) {
        // Hand-made or hive-derived snapshots may list ControlSet00n keys; map via Select\Current.
        const select = keys.get(registryPathKey(SELECT_KEY));
        const n = controlSetNumber(select?.values.get(SELECT_VALUE.toLowerCase())?.value);
        if (n.ok) {
          const resolved = resolveCurrentControlSet(path, n.current);
          const answer = recorded(resolved) ?? inferred(resolved);
          if (answer) return answer;
        } else if (n.damaged && select) {
          // A Select\Current that is there but unusable is damage (→ `error`), not missing data.
          const j = (select.record.values ?? []).findLastIndex((v) => v.name.toLowerCase() === SELECT_VALUE.toLowerCase());
          throw new DriftscanError(`$.keys[${select.index}].values[${j}]: ${n.problem}, so CurrentControlSet cannot be mapped to a ControlSet00n key`, { location: { file } });
        }
      }
      return inferred(path) ?? { status: 'unknown', reason: `${file}: snapshot has no data for ${formatRegistryPath(path)}; ${regenerate}` };
    },
    serviceState(name) {
      const s = services.get(name.toLowerCase());
      if (!s) return { status: 'unknown', reason: `${file}: snapshot has no run state for service ${name}; ${regenerate}` };
      if (s.error !== undefined) return { status: 'unknown', reason: `${file}: the collector could not query service ${s.name}: ${s.error}` };
      if (!s.exists) return { status: 'absent' };
      if (s.state === undefined || s.state === 'Unknown') return { status: 'unknown', reason: `${file}: service ${s.name} has no known run state in the snapshot` };
      return { status: 'present', value: s.state };
    },
  };
}

function keyState(entry: KeyEntry, file: string): KeyState {
  const { record } = entry;
  return {
    path: record.path,
    value(name) {
      const found = entry.values.get(name.toLowerCase());
      if (found) return found.value;
      if (entry.valuesRead && !entry.valuesRead.has(name.toLowerCase())) {
        // Not looked for is not the same as absent: answering "absent" could fail a compliant machine.
        throw new DriftscanError(
          `snapshot has no data for value ${JSON.stringify(name)} of ${record.path} (the collector did not read it); regenerate the collector for the current baselines`,
          { location: { file } },
        );
      }
      return undefined;
    },
    valueNames: () => [...entry.values.values()].map((v) => v.name),
    subkeyNames() {
      if (record.subkeys) return { status: 'present', value: [...record.subkeys] };
      return { status: 'unknown', reason: `${file}: snapshot has no subkey list for ${record.path}; regenerate the collector for the current baselines` };
    },
    security() {
      entry.security ??= readSecurity(record, file);
      return entry.security;
    },
  };
}

/**
 * On a live machine only SYSTEM may read HKLM\SECURITY and HKLM\SAM, so an administrator's
 * collector records "access denied" there; say how to get the data.
 */
function systemOnlyHint(p: RegistryPath): string {
  const hive = p.root === 'HKLM' ? p.segments[0]?.toUpperCase() : undefined;
  if (!hive || !(SYSTEM_ONLY_HIVES as readonly string[]).includes(hive)) return '';
  return ` (only SYSTEM can read HKLM\\${hive}: run the collector as SYSTEM, e.g. from a scheduled task running as SYSTEM or with psexec -s)`;
}

function readSecurity(record: SnapshotKey, file: string): Lookup<SecurityDescriptor> {
  if (record.sddl === undefined) {
    const why = record.sddlError !== undefined ? `the collector could not read the ACL of ${record.path}: ${record.sddlError}` : `snapshot has no ACL for ${record.path}; regenerate the collector for baselines that check ACLs`;
    return { status: 'unknown', reason: `${file}: ${why}` };
  }
  try {
    return { status: 'present', value: parseSddl(record.sddl) };
  } catch (err) {
    if (!(err instanceof SddlError)) throw err;
    const at = /\bcolumn\b/.test(err.message) ? '' : ` (column ${err.column})`;
    throw new DriftscanError(`key ${record.path}: invalid SDDL: ${err.message}${at}`, { location: { file }, cause: err });
  }
}

/** Converts a snapshot value (already schema-valid) to the exact registry value. */
function toRegistryValue(v: SnapshotValue, where: string, file: string): RegistryValue {
  switch (v.kind) {
    case 'String': return { type: 'String', data: v.data as string };
    case 'ExpandString': return { type: 'ExpandString', data: v.data as string };
    case 'MultiString': return { type: 'MultiString', data: v.data as string[] };
    case 'DWord': return { type: 'DWord', data: v.data as number };
    case 'QWord': {
      const n = BigInt(v.data as string);
      if (n >= 1n << 64n) throw new DriftscanError(`${where}.data: QWORD ${String(v.data)} is larger than 2^64-1`, { location: { file } });
      return { type: 'QWord', data: n };
    }
    case 'Binary': return { type: 'Binary', data: Buffer.from(v.data as string, 'hex') };
    case 'None':
    case 'Unknown':
      // .NET reports REG_NONE and types it has no name for without their number; typeCode keeps it when known.
      return { type: 'Other', typeCode: v.typeCode ?? REG.NONE, data: typeof v.data === 'string' ? Buffer.from(v.data, 'hex') : new Uint8Array(0) };
  }
}
