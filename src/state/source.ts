/**
 * The machine-state source contract. Every way driftscan learns a machine's state — `.reg`
 * exports, JSON snapshots from the collector, offline hives, later live machines — answers the
 * same three questions, so rules evaluate identically everywhere.
 *
 * Answers distinguish "known absent" from "this source cannot tell": a `.reg` export of one
 * subtree says nothing about keys outside it, and a `.reg` file carries no ACLs. The evaluator
 * turns `unknown` into a `skipped` verdict with the reason, never into a pass or a fail.
 */
import type { RegistryPath } from '../windows/registry-path.js';
import type { RegistryValue } from '../windows/value.js';
import type { SecurityDescriptor } from '../windows/security-descriptor.js';

/** Present with a value, known absent, or not answerable by this source (with a reason a person can read). */
export type Lookup<T> =
  | { status: 'present'; value: T }
  | { status: 'absent' }
  | { status: 'unknown'; reason: string };

/** An answer that cannot be "absent" (a present key always has a subkey list): known, or why not. */
export type Listing<T> = Exclude<Lookup<T>, { status: 'absent' }>;

/** A registry key as a source sees it. Reads are lazy: a hive decodes only what is asked for. */
export interface KeyState {
  /** The key's path as found in the source (e.g. `HKLM\SYSTEM\ControlSet001\…` after resolving CurrentControlSet). */
  readonly path: string;
  /** A value by name (`''` = the default value), compared case-insensitively; `undefined` when absent. */
  value(name: string): RegistryValue | undefined;
  /** Names of all values of the key, in source order. */
  valueNames(): string[];
  /**
   * Names of the key's subkeys, in source order, for kinds that enumerate them (one subkey per
   * account, per service…). `unknown` when the source does not know the full list: a snapshot
   * whose collector did not list this key's subkeys. A name not in a known list looks up as
   * absent; a listed one as present (or, in a snapshot that did not read it, unknown).
   */
  subkeyNames(): Listing<string[]>;
  /** The key's security descriptor, or `unknown` when the source carries no ACLs. */
  security(): Lookup<SecurityDescriptor>;
}

/** Run-time service state (only live collection knows it). */
export type ServiceRunState = 'Running' | 'Stopped' | 'Paused' | 'StartPending' | 'StopPending' | 'ContinuePending' | 'PausePending';

/** A machine-state source. Methods may throw a `DriftscanError` when the underlying data is damaged; the evaluator reports that rule as `error`. */
export interface StateSource {
  /** Short description for reports: `hive SYSTEM=/mnt/win/…/SYSTEM`, `snapshot examples/vm.json`. */
  readonly name: string;
  /** Warnings about the source as a whole (dirty hive, logs replayed, collector errors). */
  readonly notices: readonly string[];
  /** Looks up a key. `HKLM\SYSTEM\CurrentControlSet` is resolved by the source. */
  key(path: RegistryPath): Lookup<KeyState>;
  /** Run-time state of a service; sources without live data answer `unknown`. */
  serviceState(name: string): Lookup<ServiceRunState>;
}

/**
 * Several sources combined (e.g. `--hive SYSTEM=… --hive SOFTWARE=…`, or a `.reg` file plus a
 * snapshot). The first source that can answer wins: `present`/`absent` beat `unknown`.
 */
export function combineSources(sources: StateSource[]): StateSource {
  if (sources.length === 1) return sources[0]!;
  const first = <T>(ask: (s: StateSource) => Lookup<T>): Lookup<T> => {
    const reasons: string[] = [];
    for (const s of sources) {
      const r = ask(s);
      if (r.status !== 'unknown') return r;
      reasons.push(r.reason);
    }
    return { status: 'unknown', reason: [...new Set(reasons)].join('; ') };
  };
  return {
    name: sources.map((s) => s.name).join(', '),
    notices: sources.flatMap((s) => s.notices),
    key: (p) => first((s) => s.key(p)),
    serviceState: (n) => first((s) => s.serviceState(n)),
  };
}
