/**
 * Security identifiers (MS-DTYP 2.4.2): the string form `S-1-<authority>-<sub>…` and the binary form
 * stored in security descriptors. driftscan compares identities by canonical SID string only, so
 * every SID that enters the program goes through `parseSid` or `readSid`.
 */

import { quoteExcerpt } from '../core/diagnostics.js';

/** SID_MAX_SUB_AUTHORITIES (winnt.h). */
export const MAX_SUB_AUTHORITIES = 15;

const MAX_AUTHORITY = 2 ** 48 - 1;
const MAX_SUB_AUTHORITY = 2 ** 32 - 1;

/** A SID split into its parts (revision is always 1). */
export interface SidParts {
  authority: number;
  subAuthorities: number[];
}

/**
 * Formats authority the way ConvertSidToStringSid does: decimal below 2^32, else `0x` and 12 hex
 * digits (MS-DTYP 2.4.2.1).
 */
function formatAuthority(authority: number): string {
  return authority < 2 ** 32 ? String(authority) : `0x${authority.toString(16).toUpperCase().padStart(12, '0')}`;
}

/** Formats SID parts as the canonical `S-1-…` string. */
export function formatSid(parts: SidParts): string {
  return ['S-1', formatAuthority(parts.authority), ...parts.subAuthorities.map(String)].join('-');
}

function parseDecimal(text: string, max: number, what: string): number {
  if (!/^[0-9]+$/.test(text)) throw new Error(`${what} ${quoteExcerpt(text)} is not a decimal number`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n > max) throw new Error(`${what} ${quoteExcerpt(text, '')} is larger than ${max}`);
  return n;
}

/** Splits a SID string into authority and sub-authorities; throws `Error` saying what is wrong. */
export function parseSidParts(text: string): SidParts {
  const fields = text.split('-');
  if (fields.length < 3 || fields[0]!.toUpperCase() !== 'S') throw new Error(`${quoteExcerpt(text)} is not a SID (expected S-1-<authority>-…)`);
  if (fields[1] !== '1') throw new Error(`SID ${quoteExcerpt(text)} has revision ${quoteExcerpt(fields[1]!)}; only revision 1 exists`);
  const authText = fields[2]!;
  let authority: number;
  if (/^0x/i.test(authText)) {
    const hex = authText.slice(2);
    if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new Error(`SID ${quoteExcerpt(text)} has an invalid hex authority ${quoteExcerpt(authText)} (at most 12 hex digits)`);
    authority = parseInt(hex, 16);
  } else {
    authority = parseDecimal(authText, MAX_AUTHORITY, `SID ${quoteExcerpt(text)}: authority`);
  }
  const subs = fields.slice(3);
  if (subs.length > MAX_SUB_AUTHORITIES) throw new Error(`SID ${quoteExcerpt(text)} has ${subs.length} sub-authorities; at most ${MAX_SUB_AUTHORITIES} are allowed`);
  const subAuthorities = subs.map((s, i) => parseDecimal(s, MAX_SUB_AUTHORITY, `SID ${quoteExcerpt(text)}: sub-authority ${i + 1}`));
  return { authority, subAuthorities };
}

/**
 * Parses a SID string and returns it canonical (`S-1-5-32-544`): accepts lowercase `s-1-`, hex
 * authorities (`S-1-0x000000000005-…`) and leading zeros. Throws `Error` on anything else.
 */
export function parseSid(text: string): string {
  return formatSid(parseSidParts(text));
}

/** True when `text` is a syntactically valid SID string. */
export function isSid(text: string): boolean {
  try {
    parseSidParts(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads a binary SID at `offset`: revision (1), sub-authority count (1), 6-byte big-endian
 * authority, then count little-endian uint32s (MS-DTYP 2.4.2.2). Bounds are checked here so
 * corrupt input yields an `Error` naming the offset, never a RangeError.
 */
export function readSid(bytes: Uint8Array, offset: number): { sid: string; length: number } {
  if (!Number.isInteger(offset) || offset < 0 || offset + 8 > bytes.length) {
    throw new Error(`SID at offset ${offset} is truncated: needs 8 header bytes, ${Math.max(0, bytes.length - Math.max(0, offset))} available`);
  }
  const revision = bytes[offset]!;
  if (revision !== 1) throw new Error(`SID at offset ${offset} has revision ${revision}; expected 1`);
  const count = bytes[offset + 1]!;
  if (count > MAX_SUB_AUTHORITIES) throw new Error(`SID at offset ${offset} claims ${count} sub-authorities; at most ${MAX_SUB_AUTHORITIES} are allowed`);
  const length = 8 + 4 * count;
  if (offset + length > bytes.length) {
    throw new Error(`SID at offset ${offset} is truncated: ${count} sub-authorities need ${length} bytes, ${bytes.length - offset} available`);
  }
  let authority = 0;
  for (let i = 0; i < 6; i++) authority = authority * 256 + bytes[offset + 2 + i]!;
  const subAuthorities: number[] = [];
  for (let i = 0; i < count; i++) {
    const p = offset + 8 + 4 * i;
    subAuthorities.push((bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) >>> 0);
  }
  return { sid: formatSid({ authority, subAuthorities }), length };
}

/** Encodes a SID string in binary form (inverse of `readSid`). Throws like `parseSid`. */
export function encodeSid(sid: string): Uint8Array {
  const { authority, subAuthorities } = parseSidParts(sid);
  const out = new Uint8Array(8 + 4 * subAuthorities.length);
  out[0] = 1;
  out[1] = subAuthorities.length;
  let a = authority;
  for (let i = 5; i >= 0; i--) {
    out[2 + i] = a % 256;
    a = Math.floor(a / 256);
  }
  const view = new DataView(out.buffer);
  subAuthorities.forEach((s, i) => view.setUint32(8 + 4 * i, s, true));
  return out;
}

/** The SID without its last sub-authority (`S-1-5-21-a-b-c` for `S-1-5-21-a-b-c-500`), or undefined if it has none. */
export function domainPrefix(sid: string): string | undefined {
  const parts = parseSidParts(sid);
  if (parts.subAuthorities.length === 0) return undefined;
  return formatSid({ authority: parts.authority, subAuthorities: parts.subAuthorities.slice(0, -1) });
}

/** The last sub-authority (the relative identifier), or undefined if there is none. */
export function rid(sid: string): number | undefined {
  const parts = parseSidParts(sid);
  return parts.subAuthorities.at(-1);
}
