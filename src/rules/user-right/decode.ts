/**
 * Decoders for the default values LSA stores under `HKLM\SECURITY\Policy\Accounts\<SID>\`.
 * They take raw bytes whatever the value's type (SECURITY writes them as REG_NONE, and a `.reg`
 * export as `hex(0):`) and throw an `Error` saying what is wrong and at which byte for data that
 * cannot be what LSA writes; they never read out of bounds and never return a partial answer.
 */

/** `ActSysAc`: the account's system access flags, one little-endian 32-bit word. */
export function decodeSystemAccess(bytes: Uint8Array): number {
  if (bytes.length !== 4) throw new Error(`system access flags are ${bytes.length} bytes; expected 4`);
  return (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
}

/** A privilege held by an account: its LUID (well-known privileges have `high` 0) and attributes. */
export interface HeldPrivilege {
  low: number;
  high: number;
  attributes: number;
}

/**
 * `Privilgs`: a PRIVILEGE_SET — PrivilegeCount and Control (32-bit each), then PrivilegeCount
 * LUID_AND_ATTRIBUTES entries of 12 bytes (LUID low part, high part, attributes).
 */
export function decodePrivilegeSet(bytes: Uint8Array): HeldPrivilege[] {
  if (bytes.length < 8) throw new Error(`privilege set is ${bytes.length} bytes, shorter than its 8-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = dv.getUint32(0, true);
  const size = 8 + 12 * count;
  if (bytes.length !== size) {
    throw new Error(`privilege set at byte 0x0 says ${count} privilege${count === 1 ? '' : 's'} (${size} bytes) but holds ${bytes.length} bytes`);
  }
  const out: HeldPrivilege[] = [];
  for (let i = 0; i < count; i++) {
    const at = 8 + 12 * i;
    out.push({ low: dv.getUint32(at, true), high: dv.getInt32(at + 4, true), attributes: dv.getUint32(at + 8, true) });
  }
  return out;
}
