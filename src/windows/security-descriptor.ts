/**
 * The security-descriptor model shared by every source: hives (binary `sk` records),
 * snapshots and `.reg`-adjacent tools (SDDL), and the evaluator. SIDs are canonical strings
 * (`S-1-5-32-555`) so identities compare by SID, never by localised name.
 */

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
