/**
 * The security-descriptor model shared by every source: hives (binary `sk` records),
 * snapshots and `.reg`-adjacent tools (SDDL), and the evaluator. SIDs are canonical strings
 * (`S-1-5-32-555`) so identities compare by SID, never by localised name.
 */
import { formatRights } from './access-mask.js';
import { describeSid } from './identity.js';
import { encodeSid, readSid } from './sid.js';

/** ACE type codes as stored (MS-DTYP 2.4.4.1). */
export const ACE_TYPE = { ACCESS_ALLOWED: 0x00, ACCESS_DENIED: 0x01, SYSTEM_AUDIT: 0x02, SYSTEM_MANDATORY_LABEL: 0x11 } as const;

/** ACE flag bits (MS-DTYP 2.4.4.1). */
export const ACE_FLAG = {
  OBJECT_INHERIT: 0x01,
  CONTAINER_INHERIT: 0x02,
  NO_PROPAGATE_INHERIT: 0x04,
  INHERIT_ONLY: 0x08,
  INHERITED: 0x10,
  CRITICAL: 0x20,
  SUCCESSFUL_ACCESS: 0x40,
  FAILED_ACCESS: 0x80,
} as const;

/** Security descriptor control bits (MS-DTYP 2.4.6). */
export const SD_CONTROL = {
  OWNER_DEFAULTED: 0x0001,
  GROUP_DEFAULTED: 0x0002,
  DACL_PRESENT: 0x0004,
  DACL_DEFAULTED: 0x0008,
  SACL_PRESENT: 0x0010,
  SACL_DEFAULTED: 0x0020,
  DACL_AUTO_INHERIT_REQ: 0x0100,
  SACL_AUTO_INHERIT_REQ: 0x0200,
  DACL_AUTO_INHERITED: 0x0400,
  SACL_AUTO_INHERITED: 0x0800,
  DACL_PROTECTED: 0x1000,
  SACL_PROTECTED: 0x2000,
  RM_CONTROL_VALID: 0x4000,
  SELF_RELATIVE: 0x8000,
} as const;

/** One access control entry. `sid` is canonical `S-1-…`. Unknown ACE types keep their code and raw body. */
export interface Ace {
  type: number;
  flags: number;
  mask: number;
  sid: string;
  /** Object ACE GUIDs, callback application data or condition, kept for faithful re-encoding. */
  extra?: { objectType?: string; inheritedObjectType?: string; applicationData?: Uint8Array; condition?: string };
}

/** An ACL; `null` in a descriptor means a NULL ACL (for a DACL: everyone has full access). */
export interface Acl {
  revision: number;
  aces: Ace[];
}

/** A security descriptor. `dacl === null` with DACL_PRESENT clear means "no DACL" (allow all). */
export interface SecurityDescriptor {
  control: number;
  owner?: string;
  group?: string;
  dacl: Acl | null;
  sacl: Acl | null;
}

// ---------------------------------------------------------------------------------------------
// Binary self-relative form (MS-DTYP 2.4.6, 2.4.5, 2.4.4; windows-formats.md §2.1–2.6): what
// regf `sk` records hold. Every read is bounds-checked here so corrupt hives give an Error that
// names the byte offset within the descriptor, never a RangeError from a DataView.

/** Object ACE types: Mask, Flags, optional ObjectType/InheritedObjectType GUIDs, then SID. */
const OBJECT_TYPES = new Set([0x05, 0x06, 0x07, 0x08, 0x0b, 0x0c, 0x0f, 0x10]);
/** Types laid out as Mask + SID, with application data after the SID for callback-like types. */
const SID_TYPES = new Set([0x00, 0x01, 0x02, 0x03, 0x09, 0x0a, 0x0d, 0x0e, 0x11, 0x12, 0x13, 0x14, 0x15]);
/** Types whose bytes after the SID are data (callback condition, resource attribute, filter), not padding. */
const TRAILING_DATA_TYPES = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x12, 0x15]);

const hex = (n: number): string => `0x${n.toString(16)}`;

function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** GUID bytes in the mixed-endian Windows layout → `xxxxxxxx-xxxx-…` lowercase. */
function readGuid(b: Uint8Array, o: number): string {
  const h = (x: number, w: number): string => x.toString(16).padStart(w, '0');
  const tail = Array.from(b.subarray(o + 8, o + 16), (x) => h(x, 2)).join('');
  return `${h(u32(b, o), 8)}-${h(u16(b, o + 4), 4)}-${h(u16(b, o + 6), 4)}-${tail.slice(0, 4)}-${tail.slice(4)}`;
}

function encodeGuid(guid: string): Uint8Array {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(guid)) throw new Error(`invalid GUID '${guid}'`);
  const d = guid.replace(/-/g, '');
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  v.setUint32(0, parseInt(d.slice(0, 8), 16), true);
  v.setUint16(4, parseInt(d.slice(8, 12), 16), true);
  v.setUint16(6, parseInt(d.slice(12, 16), 16), true);
  for (let i = 0; i < 8; i++) out[8 + i] = parseInt(d.slice(16 + 2 * i, 18 + 2 * i), 16);
  return out;
}

function sidAt(bytes: Uint8Array, offset: number, end: number, what: string): { sid: string; length: number } {
  try {
    return readSid(bytes.subarray(0, end), offset);
  } catch (e) {
    throw new Error(`${what} at SD byte ${hex(offset)}: ${(e as Error).message.replace(/^SID at offset \d+ /, '')}`);
  }
}

function parseAce(bytes: Uint8Array, at: number, size: number, index: number): Ace {
  const end = at + size;
  const type = bytes[at]!;
  const flags = bytes[at + 1]!;
  const what = `ACE ${index + 1} (type ${hex(type)}) at SD byte ${hex(at)}`;
  const need = (n: number, field: string): void => {
    if (n > end) throw new Error(`${what}: AceSize ${size} is too small for its ${field}`);
  };
  if (OBJECT_TYPES.has(type)) {
    need(at + 12, 'mask and object flags');
    const mask = u32(bytes, at + 4);
    const objFlags = u32(bytes, at + 8);
    let p = at + 12;
    const extra: NonNullable<Ace['extra']> = {};
    if (objFlags & 1) {
      need(p + 16, 'ObjectType GUID');
      extra.objectType = readGuid(bytes, p);
      p += 16;
    }
    if (objFlags & 2) {
      need(p + 16, 'InheritedObjectType GUID');
      extra.inheritedObjectType = readGuid(bytes, p);
      p += 16;
    }
    const { sid, length } = sidAt(bytes, p, end, `SID of ${what}`);
    if (TRAILING_DATA_TYPES.has(type) && p + length < end) extra.applicationData = bytes.slice(p + length, end);
    const ace: Ace = { type, flags, mask, sid };
    if (Object.keys(extra).length > 0) ace.extra = extra;
    return ace;
  }
  if (SID_TYPES.has(type)) {
    need(at + 8, 'mask');
    const mask = u32(bytes, at + 4);
    const { sid, length } = sidAt(bytes, at + 8, end, `SID of ${what}`);
    const ace: Ace = { type, flags, mask, sid };
    if (TRAILING_DATA_TYPES.has(type) && at + 8 + length < end) ace.extra = { applicationData: bytes.slice(at + 8 + length, end) };
    return ace;
  }
  // Unknown layout (compound ACEs, future types): keep what is certain and the raw body so the
  // ACE re-encodes byte for byte. `sid` is empty because its position is unknown.
  const mask = size >= 8 ? u32(bytes, at + 4) : 0;
  return { type, flags, mask, sid: '', extra: { applicationData: bytes.slice(at + Math.min(8, size), end) } };
}

function parseAcl(bytes: Uint8Array, offset: number, name: 'DACL' | 'SACL'): Acl {
  if (offset < 20 || offset + 8 > bytes.length) {
    throw new Error(`${name} offset ${hex(offset)} is outside the ${bytes.length}-byte security descriptor`);
  }
  const revision = bytes[offset]!;
  if (revision < 1 || revision > 4) throw new Error(`${name} at SD byte ${hex(offset)} has revision ${revision}; expected 2 or 4`);
  const size = u16(bytes, offset + 2);
  const count = u16(bytes, offset + 4);
  if (size < 8) throw new Error(`${name} at SD byte ${hex(offset)} has AclSize ${size}, smaller than its 8-byte header`);
  if (offset + size > bytes.length) {
    throw new Error(`${name} at SD byte ${hex(offset)} has AclSize ${size}, past the end of the ${bytes.length}-byte security descriptor`);
  }
  const end = offset + size;
  const aces: Ace[] = [];
  let p = offset + 8;
  for (let i = 0; i < count; i++) {
    if (p + 4 > end) {
      throw new Error(`${name} at SD byte ${hex(offset)} claims ${count} ACEs but AclSize ${size} ends at SD byte ${hex(end)} before ACE ${i + 1}`);
    }
    const aceSize = u16(bytes, p + 2);
    if (aceSize < 4 || aceSize % 4 !== 0) throw new Error(`ACE ${i + 1} of the ${name} at SD byte ${hex(p)} has invalid AceSize ${aceSize} (must be a non-zero multiple of 4)`);
    if (p + aceSize > end) throw new Error(`ACE ${i + 1} of the ${name} at SD byte ${hex(p)} (AceSize ${aceSize}) runs past the ACL end at SD byte ${hex(end)}`);
    aces.push(parseAce(bytes, p, aceSize, i));
    p += aceSize;
  }
  return { revision, aces };
}

/**
 * Decodes a self-relative security descriptor (a regf `sk` record's payload). Components may sit in
 * any order; a DACL with DACL_PRESENT clear or offset 0 is a NULL DACL (`dacl: null`), likewise the
 * SACL. Unknown ACE types are kept and skipped by AceSize. Throws `Error` naming the SD byte offset.
 */
export function parseSecurityDescriptor(bytes: Uint8Array): SecurityDescriptor {
  if (bytes.length < 20) throw new Error(`security descriptor is ${bytes.length} bytes; its header alone needs 20`);
  if (bytes[0] !== 1) throw new Error(`security descriptor revision at SD byte 0x0 is ${bytes[0]}; expected 1`);
  const control = u16(bytes, 2);
  if (!(control & SD_CONTROL.SELF_RELATIVE)) {
    throw new Error(`security descriptor control ${hex(control)} at SD byte 0x2 lacks SELF_RELATIVE; absolute descriptors hold pointers, not offsets`);
  }
  const ownerOffset = u32(bytes, 4);
  const groupOffset = u32(bytes, 8);
  const saclOffset = u32(bytes, 12);
  const daclOffset = u32(bytes, 16);
  const sidComponent = (offset: number, what: string): string | undefined => {
    if (offset === 0) return undefined;
    if (offset < 20 || offset >= bytes.length) throw new Error(`${what} offset ${hex(offset)} (SD byte ${hex(what === 'owner SID' ? 4 : 8)}) is outside the ${bytes.length}-byte security descriptor`);
    return sidAt(bytes, offset, bytes.length, what).sid;
  };
  const sd: SecurityDescriptor = {
    control,
    dacl: control & SD_CONTROL.DACL_PRESENT && daclOffset !== 0 ? parseAcl(bytes, daclOffset, 'DACL') : null,
    sacl: control & SD_CONTROL.SACL_PRESENT && saclOffset !== 0 ? parseAcl(bytes, saclOffset, 'SACL') : null,
  };
  const owner = sidComponent(ownerOffset, 'owner SID');
  const group = sidComponent(groupOffset, 'group SID');
  if (owner !== undefined) sd.owner = owner;
  if (group !== undefined) sd.group = group;
  return sd;
}

function encodeAce(ace: Ace): Uint8Array {
  const parts: Uint8Array[] = [];
  const head = new Uint8Array(8);
  head[0] = ace.type;
  head[1] = ace.flags;
  new DataView(head.buffer).setUint32(4, ace.mask >>> 0, true);
  parts.push(head);
  if (OBJECT_TYPES.has(ace.type)) {
    const f = new Uint8Array(4);
    const objFlags = (ace.extra?.objectType ? 1 : 0) | (ace.extra?.inheritedObjectType ? 2 : 0);
    new DataView(f.buffer).setUint32(0, objFlags, true);
    parts.push(f);
    if (ace.extra?.objectType) parts.push(encodeGuid(ace.extra.objectType));
    if (ace.extra?.inheritedObjectType) parts.push(encodeGuid(ace.extra.inheritedObjectType));
    parts.push(encodeSid(ace.sid));
  } else if (SID_TYPES.has(ace.type)) {
    parts.push(encodeSid(ace.sid));
  }
  if (ace.extra?.applicationData) parts.push(ace.extra.applicationData);
  const raw = parts.reduce((n, p) => n + p.length, 0);
  const size = (raw + 3) & ~3;
  if (size > 0xffff) throw new Error(`ACE of ${size} bytes exceeds the 65535-byte AceSize limit`);
  const out = new Uint8Array(size);
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  new DataView(out.buffer).setUint16(2, size, true);
  return out;
}

function encodeAcl(acl: Acl): Uint8Array {
  const aces = acl.aces.map(encodeAce);
  const size = 8 + aces.reduce((n, a) => n + a.length, 0);
  if (size > 0xffff) throw new Error(`ACL of ${size} bytes exceeds the 65535-byte AclSize limit`);
  if (aces.length > 0xffff) throw new Error(`ACL has ${aces.length} ACEs; at most 65535 fit`);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  out[0] = acl.revision;
  v.setUint16(2, size, true);
  v.setUint16(4, aces.length, true);
  let p = 8;
  for (const a of aces) {
    out.set(a, p);
    p += a.length;
  }
  return out;
}

/**
 * Encodes a self-relative security descriptor in the order RtlMakeSelfRelativeSD uses (SACL, DACL,
 * owner, group). SELF_RELATIVE is always set; DACL_PRESENT/SACL_PRESENT are set for non-null ACLs
 * (a null ACL keeps the caller's PRESENT bit with offset 0: a NULL DACL).
 */
export function encodeSecurityDescriptor(sd: SecurityDescriptor): Uint8Array {
  let control = (sd.control | SD_CONTROL.SELF_RELATIVE) & 0xffff;
  if (sd.dacl) control |= SD_CONTROL.DACL_PRESENT;
  if (sd.sacl) control |= SD_CONTROL.SACL_PRESENT;
  const sacl = sd.sacl ? encodeAcl(sd.sacl) : undefined;
  const dacl = sd.dacl ? encodeAcl(sd.dacl) : undefined;
  const owner = sd.owner !== undefined ? encodeSid(sd.owner) : undefined;
  const group = sd.group !== undefined ? encodeSid(sd.group) : undefined;
  const offsets = { sacl: 0, dacl: 0, owner: 0, group: 0 };
  let p = 20;
  const place = (part: Uint8Array | undefined, key: keyof typeof offsets): void => {
    if (!part) return;
    offsets[key] = p;
    p += part.length;
  };
  place(sacl, 'sacl');
  place(dacl, 'dacl');
  place(owner, 'owner');
  place(group, 'group');
  const out = new Uint8Array(p);
  const v = new DataView(out.buffer);
  out[0] = 1;
  v.setUint16(2, control, true);
  v.setUint32(4, offsets.owner, true);
  v.setUint32(8, offsets.group, true);
  v.setUint32(12, offsets.sacl, true);
  v.setUint32(16, offsets.dacl, true);
  if (sacl) out.set(sacl, offsets.sacl);
  if (dacl) out.set(dacl, offsets.dacl);
  if (owner) out.set(owner, offsets.owner);
  if (group) out.set(group, offsets.group);
  return out;
}

const ACE_TYPE_NAMES: Readonly<Record<number, string>> = {
  0x00: 'Allow', 0x01: 'Deny', 0x02: 'Audit', 0x03: 'Alarm', 0x04: 'AllowCompound', 0x05: 'AllowObject',
  0x06: 'DenyObject', 0x07: 'AuditObject', 0x08: 'AlarmObject', 0x09: 'AllowCallback', 0x0a: 'DenyCallback',
  0x0b: 'AllowCallbackObject', 0x0c: 'DenyCallbackObject', 0x0d: 'AuditCallback', 0x0e: 'AlarmCallback',
  0x0f: 'AuditCallbackObject', 0x10: 'AlarmCallbackObject', 0x11: 'MandatoryLabel', 0x12: 'ResourceAttribute',
  0x13: 'ScopedPolicyId', 0x14: 'ProcessTrustLabel', 0x15: 'AccessFilter',
};

/** Short name of an ACE type (`Allow`, `Deny`, `Audit`, `MandatoryLabel`…), `type 0x..` if unknown. */
export function aceTypeName(type: number): string {
  return ACE_TYPE_NAMES[type] ?? `type ${hex(type)}`;
}

/** Whether the ACE governs access to the key that holds it (INHERIT_ONLY ACEs only pass to subkeys). */
export function aceAppliesToKey(ace: Ace): boolean {
  return (ace.flags & ACE_FLAG.INHERIT_ONLY) === 0;
}

/** Whether subkeys created below inherit the ACE (CONTAINER_INHERIT; OI alone does not reach keys). */
export function aceInheritedBySubkeys(ace: Ace): boolean {
  return (ace.flags & ACE_FLAG.CONTAINER_INHERIT) !== 0;
}

const FLAG_WORDS: readonly (readonly [number, string])[] = [
  [ACE_FLAG.OBJECT_INHERIT, 'object-inherit'],
  [ACE_FLAG.CONTAINER_INHERIT, 'container-inherit'],
  [ACE_FLAG.NO_PROPAGATE_INHERIT, 'no-propagate'],
  [ACE_FLAG.INHERIT_ONLY, 'inherit-only'],
  [ACE_FLAG.CRITICAL, 'critical'],
  [ACE_FLAG.SUCCESSFUL_ACCESS, 'audit-success'],
  [ACE_FLAG.FAILED_ACCESS, 'audit-failure'],
];

/**
 * One line for people: `BUILTIN\Users (S-1-5-32-545) Allow ReadKey (inherited; container-inherit, inherit-only)`.
 * Rights are shown as stored (generic bits as `GenericRead`), like Get-Acl's `.Access`.
 */
export function describeAce(ace: Ace): string {
  const who = ace.sid === '' ? 'unknown trustee' : describeSid(ace.sid);
  const words = FLAG_WORDS.filter(([bit]) => ace.flags & bit).map(([, w]) => w);
  const inherited = (ace.flags & ACE_FLAG.INHERITED) !== 0;
  const notes = inherited ? (words.length ? `inherited; ${words.join(', ')}` : 'inherited') : words.join(', ');
  return `${who} ${aceTypeName(ace.type)} ${formatRights(ace.mask)}${notes ? ` (${notes})` : ''}`;
}
