/**
 * Name-based UUIDs (RFC 9562 §5.5, version 5: SHA-1 of namespace + name). Role assignment names
 * must be GUIDs, and ARM refuses a second assignment of the same role to the same principal at the
 * same scope under another name (409 RoleAssignmentExists): a name derived from what the role
 * assignment is *for* lets a rerun find the one it created instead of piling up new ones. Ten lines
 * of node:crypto, checked against the RFC's published vector, rather than a dependency.
 */
import { createHash } from 'node:crypto';

/** Version-5 UUID of `name` in `namespace` (a UUID), lower case. */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`not a UUID: ${namespace}`);
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
