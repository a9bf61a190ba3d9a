/**
 * Typed registry values. Types follow .NET's RegistryValueKind names (what baselines use)
 * and keep the exact Windows semantics: DWORD is unsigned 32-bit, QWORD a bigint,
 * MultiString an array, ExpandString unexpanded. Values of other types keep their raw bytes
 * and type code so nothing is lost or coerced.
 */

/** The value types a baseline can name. */
export const RULE_VALUE_TYPES = ['String', 'ExpandString', 'MultiString', 'DWord', 'QWord', 'Binary'] as const;
export type RuleValueType = (typeof RULE_VALUE_TYPES)[number];

/** Windows REG_* type codes (winnt.h). */
export const REG = {
  NONE: 0,
  SZ: 1,
  EXPAND_SZ: 2,
  BINARY: 3,
  DWORD: 4,
  DWORD_BIG_ENDIAN: 5,
  LINK: 6,
  MULTI_SZ: 7,
  RESOURCE_LIST: 8,
  FULL_RESOURCE_DESCRIPTOR: 9,
  RESOURCE_REQUIREMENTS_LIST: 10,
  QWORD: 11,
} as const;

export type RegistryValue =
  | { type: 'String'; data: string }
  | { type: 'ExpandString'; data: string }
  | { type: 'MultiString'; data: string[] }
  | { type: 'DWord'; data: number }
  | { type: 'QWord'; data: bigint }
  | { type: 'Binary'; data: Uint8Array }
  /** REG_NONE, REG_LINK, resource lists, device-property and unknown types; also DWORD/QWORD of the wrong size. */
  | { type: 'Other'; typeCode: number; data: Uint8Array };

/** The REG_* code of a value. */
export function typeCodeOf(v: RegistryValue): number {
  switch (v.type) {
    case 'String': return REG.SZ;
    case 'ExpandString': return REG.EXPAND_SZ;
    case 'MultiString': return REG.MULTI_SZ;
    case 'DWord': return REG.DWORD;
    case 'QWord': return REG.QWORD;
    case 'Binary': return REG.BINARY;
    case 'Other': return v.typeCode;
  }
}

const TYPE_NAMES: Record<number, string> = {
  0: 'REG_NONE', 1: 'REG_SZ', 2: 'REG_EXPAND_SZ', 3: 'REG_BINARY', 4: 'REG_DWORD', 5: 'REG_DWORD_BIG_ENDIAN',
  6: 'REG_LINK', 7: 'REG_MULTI_SZ', 8: 'REG_RESOURCE_LIST', 9: 'REG_FULL_RESOURCE_DESCRIPTOR',
  10: 'REG_RESOURCE_REQUIREMENTS_LIST', 11: 'REG_QWORD',
};

/** `REG_DWORD`, or `type 0xffff0012` for codes Windows has no name for. */
export function regTypeName(code: number): string {
  return TYPE_NAMES[code] ?? `type 0x${(code >>> 0).toString(16)}`;
}

/** Words people use for a value type in messages: "DWORD", "string", "multi-string". */
export function describeType(v: RegistryValue | RuleValueType): string {
  const t = typeof v === 'string' ? v : v.type;
  switch (t) {
    case 'String': return 'string';
    case 'ExpandString': return 'expandable string';
    case 'MultiString': return 'multi-string';
    case 'DWord': return 'DWORD';
    case 'QWord': return 'QWORD';
    case 'Binary': return 'binary';
    default: return typeof v === 'string' ? t : regTypeName((v as { typeCode: number }).typeCode);
  }
}

/** Formats the data of a value for messages and tables: `DWORD 65535 (0x0000ffff)`, `string "x"`. */
export function formatValue(v: RegistryValue): string {
  switch (v.type) {
    case 'String':
    case 'ExpandString':
      return `${describeType(v)} ${JSON.stringify(v.data)}`;
    case 'MultiString':
      return `multi-string [${v.data.map((s) => JSON.stringify(s)).join(', ')}]`;
    case 'DWord':
      return `DWORD ${v.data} (0x${v.data.toString(16).padStart(8, '0')})`;
    case 'QWord':
      return `QWORD ${v.data} (0x${v.data.toString(16).padStart(16, '0')})`;
    case 'Binary':
      return `binary ${hexBytes(v.data)}`;
    case 'Other':
      return `${regTypeName(v.typeCode)} ${hexBytes(v.data)}`;
  }
}

function hexBytes(b: Uint8Array): string {
  if (b.length === 0) return '(empty)';
  const shown = Array.from(b.subarray(0, 32), (x) => x.toString(16).padStart(2, '0')).join(',');
  return b.length > 32 ? `${shown},… (${b.length} bytes)` : shown;
}

/** Decodes UTF-16LE; stops at the first NUL code unit (data after it is junk, as Windows treats it). */
export function decodeUtf16z(bytes: Uint8Array): string {
  const units = Math.floor(bytes.length / 2);
  let end = units;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < units; i++) {
    if (dv.getUint16(i * 2, true) === 0) { end = i; break; }
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, end * 2).toString('utf16le');
}

/**
 * Splits REG_MULTI_SZ data: each string NUL-terminated, then an empty string ending the list
 * (`a\0b\0\0`). Either terminator may be missing in real data. Only the terminators are
 * removed, so a real empty last element (`a\0\0\0`) survives.
 */
export function decodeMultiSz(bytes: Uint8Array): string[] {
  const units = Math.floor(bytes.length / 2);
  const parts = Buffer.from(bytes.buffer, bytes.byteOffset, units * 2).toString('utf16le').split('\u0000');
  if (parts[parts.length - 1] === '') parts.pop(); // after the last string's NUL
  if (parts[parts.length - 1] === '') parts.pop(); // the empty string that ends the list
  return parts;
}

/**
 * Interprets raw registry data by type code. Never throws: data that does not fit its type
 * (a 1-byte DWORD, as offreg.dll writes) stays raw as `Other`, the way regedit shows it as binary.
 */
export function decodeValue(typeCode: number, bytes: Uint8Array): RegistryValue {
  switch (typeCode) {
    case REG.SZ: return { type: 'String', data: decodeUtf16z(bytes) };
    case REG.EXPAND_SZ: return { type: 'ExpandString', data: decodeUtf16z(bytes) };
    case REG.MULTI_SZ: return { type: 'MultiString', data: decodeMultiSz(bytes) };
    case REG.BINARY: return { type: 'Binary', data: bytes };
    case REG.DWORD:
      if (bytes.length === 4) return { type: 'DWord', data: new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) };
      return { type: 'Other', typeCode, data: bytes };
    case REG.QWORD:
      if (bytes.length === 8) return { type: 'QWord', data: new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true) };
      return { type: 'Other', typeCode, data: bytes };
    default:
      return { type: 'Other', typeCode: typeCode >>> 0, data: bytes };
  }
}

/** Encodes a value to the bytes Windows stores (strings NUL-terminated UTF-16LE). */
export function encodeValue(v: RegistryValue): Uint8Array {
  switch (v.type) {
    case 'String':
    case 'ExpandString':
      return Buffer.from(v.data + '\u0000', 'utf16le');
    case 'MultiString':
      return Buffer.from(v.data.map((s) => s + '\u0000').join('') + '\u0000', 'utf16le');
    case 'DWord': {
      const b = Buffer.alloc(4); b.writeUInt32LE(v.data >>> 0); return b;
    }
    case 'QWord': {
      const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt.asUintN(64, v.data)); return b;
    }
    case 'Binary':
    case 'Other':
      return v.data;
  }
}
