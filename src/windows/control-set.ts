/**
 * `HKLM\SYSTEM\CurrentControlSet` does not exist on disk: Windows creates the link at boot from
 * the SYSTEM hive's `Select\Current` value, which names the `ControlSet00n` key to use
 * (windows-formats.md §1.13). Every offline source — hives, `.reg` exports, snapshots — and the
 * export command resolve it here, so they agree on what a usable `Select\Current` is.
 */
import type { RegistryPath } from './registry-path.js';
import { REG, regTypeName, typeCodeOf, type RegistryValue } from './value.js';

/** `HKLM\SYSTEM\Select`, the key holding `Current`. */
export const SELECT_KEY: RegistryPath = { root: 'HKLM', segments: ['SYSTEM', 'Select'] };
/** The value of `SELECT_KEY` that names the current control set. */
export const SELECT_VALUE = 'Current';

/** True for `HKLM\SYSTEM\CurrentControlSet[\…]`. */
export function goesThroughCurrentControlSet(p: RegistryPath): boolean {
  return p.root === 'HKLM' && p.segments.length >= 2 && p.segments[0]!.toUpperCase() === 'SYSTEM' && p.segments[1]!.toUpperCase() === 'CURRENTCONTROLSET';
}

/** `p` with CurrentControlSet replaced by `ControlSet00<current>`; `p` itself when it does not go through it. */
export function resolveCurrentControlSet(p: RegistryPath, current: number): RegistryPath {
  if (!goesThroughCurrentControlSet(p)) return p;
  const segments = [...p.segments];
  segments[1] = `ControlSet${String(current).padStart(3, '0')}`;
  return { root: p.root, segments };
}

/**
 * The outcome of reading `Select\Current`: the control set number, or why there is none.
 * `damaged` is true when the value exists but cannot be a control set number (wrong type, 0, > 999):
 * that is damage to report, where a missing value is only something the source does not carry.
 */
export type ControlSetNumber = { ok: true; current: number } | { ok: false; damaged: boolean; problem: string };

/** Interprets the `Select\Current` value (undefined = the value or its key is missing). */
export function controlSetNumber(current: RegistryValue | undefined): ControlSetNumber {
  if (current === undefined) return { ok: false, damaged: false, problem: 'there is no HKLM\\SYSTEM\\Select value Current' };
  if (current.type !== 'DWord') {
    const code = typeCodeOf(current);
    // A REG_DWORD that decodes as 'Other' has the wrong data size; say so rather than "not a DWORD".
    const problem = current.type === 'Other' && code === REG.DWORD
      ? `HKLM\\SYSTEM\\Select value Current is a REG_DWORD with ${current.data.length} bytes of data, not 4`
      : `HKLM\\SYSTEM\\Select value Current is ${regTypeName(code)}, not a REG_DWORD`;
    return { ok: false, damaged: true, problem };
  }
  if (current.data < 1 || current.data > 999) return { ok: false, damaged: true, problem: `HKLM\\SYSTEM\\Select value Current is ${current.data}, which names no ControlSet00n key` };
  return { ok: true, current: current.data };
}
