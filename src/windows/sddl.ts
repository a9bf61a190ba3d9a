/**
 * SDDL, the string form of security descriptors (windows-formats.md §3; MS-DTYP 2.5.1). Parsing is
 * lenient like Windows/Wine (parts and ACL flags in any order, aliases case-insensitive,
 * whitespace skipped); generation is canonical like ConvertSecurityDescriptorToStringSecurityDescriptor
 * so a hive's ACL renders exactly as `Get-Acl`'s `.Sddl` shows it. Two-letter tokens mean different
 * things per field (`WD` is Everyone as a SID and WRITE_DAC as a right), so each ACE field has its
 * own token table.
 */
import { quoteExcerpt } from '../core/diagnostics.js';
import { isDomainRelativeAlias, sddlAliasToSid, sidToSddlAlias } from './identity.js';
import { parseSid } from './sid.js';
import { ACE_FLAG, SD_CONTROL, type Ace, type Acl, type SecurityDescriptor } from './security-descriptor.js';

/** A malformed SDDL string; `column` is 1-based in the text given to `parseSddl`. */
export class SddlError extends Error {
  readonly column: number;
  constructor(message: string, column: number) {
    super(message);
    this.name = 'SddlError';
    this.column = column;
  }
}

/** ACE type strings (sddl.h SDDL_ACCESS_ALLOWED …). */
export const SDDL_ACE_TYPES: Readonly<Record<string, number>> = {
  A: 0x00, D: 0x01, AU: 0x02, AL: 0x03, OA: 0x05, OD: 0x06, OU: 0x07, OL: 0x08, XA: 0x09, XD: 0x0a, ZA: 0x0b,
  XU: 0x0d, ML: 0x11, RA: 0x12, SP: 0x13, TL: 0x14, FL: 0x15,
};
const TYPE_STRINGS = new Map(Object.entries(SDDL_ACE_TYPES).map(([k, v]) => [v, k]));

/** Object ACE types carry ObjectType / InheritedObjectType GUIDs (MS-DTYP 2.4.4.3). */
export const OBJECT_ACE_TYPES: ReadonlySet<number> = new Set([0x05, 0x06, 0x07, 0x08, 0x0b, 0x0c, 0x0f, 0x10]);
/** ACE types whose SDDL may have a 7th, parenthesised field (condition or resource attribute). */
const SEVEN_FIELD_TYPES = new Set([0x09, 0x0a, 0x0b, 0x0d, 0x12]);

/** ACE flag strings in generation order. `TP` shares 0x40 with `SA` (access-filter ACEs only). */
const FLAG_TOKENS: readonly (readonly [string, number])[] = [
  ['OI', ACE_FLAG.OBJECT_INHERIT],
  ['CI', ACE_FLAG.CONTAINER_INHERIT],
  ['NP', ACE_FLAG.NO_PROPAGATE_INHERIT],
  ['IO', ACE_FLAG.INHERIT_ONLY],
  ['ID', ACE_FLAG.INHERITED],
  ['CR', ACE_FLAG.CRITICAL],
  ['SA', ACE_FLAG.SUCCESSFUL_ACCESS],
  ['FA', ACE_FLAG.FAILED_ACCESS],
];
const FLAG_VALUES = new Map<string, number>([...FLAG_TOKENS, ['TP', 0x40]]);

/** Rights aliases (§3.4), in the sddl.c table order that decides which name wins on generation. */
const RIGHT_TOKENS: readonly (readonly [string, number])[] = [
  ['GA', 0x10000000], ['GR', 0x80000000], ['GW', 0x40000000], ['GX', 0x20000000],
  ['RC', 0x00020000], ['SD', 0x00010000], ['WD', 0x00040000], ['WO', 0x00080000],
  ['RP', 0x00000010], ['WP', 0x00000020], ['CC', 0x00000001], ['DC', 0x00000002], ['LC', 0x00000004],
  ['SW', 0x00000008], ['LO', 0x00000080], ['DT', 0x00000040], ['CR', 0x00000100],
  ['FA', 0x001f01ff], ['FR', 0x00120089], ['FW', 0x00120116], ['FX', 0x001200a0],
  ['KA', 0x000f003f], ['KR', 0x00020019], ['KW', 0x00020006], ['KX', 0x00020019],
  ['NR', 0x00000002], ['NW', 0x00000001], ['NX', 0x00000004],
];
const RIGHT_VALUES = new Map(RIGHT_TOKENS.map(([k, v]) => [k, v >>> 0]));
/** Whole-mask names tried first on generation (KR before KX, so 0x20019 prints `KR`). */
const COMBINED_RIGHTS = RIGHT_TOKENS.filter(([k]) => ['FA', 'FR', 'FW', 'FX', 'KA', 'KR', 'KW', 'KX'].includes(k));
/** Single-bit names in ascending bit order. */
const SINGLE_BIT_RIGHTS: readonly (readonly [string, number])[] = [
  ['CC', 0x1], ['DC', 0x2], ['LC', 0x4], ['SW', 0x8], ['RP', 0x10], ['WP', 0x20], ['DT', 0x40], ['LO', 0x80],
  ['CR', 0x100], ['SD', 0x10000], ['RC', 0x20000], ['WD', 0x40000], ['WO', 0x80000],
  ['GA', 0x10000000], ['GX', 0x20000000], ['GW', 0x40000000], ['GR', 0x80000000],
];
/** Mandatory-label policy bits print as NW/NR/NX on ML ACEs. */
const LABEL_RIGHTS: readonly (readonly [string, number])[] = [['NW', 0x1], ['NR', 0x2], ['NX', 0x4]];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Text with whitespace removed and each kept character's original 1-based column. */
interface Compact {
  s: string;
  cols: number[];
  end: number;
}

function compact(text: string): Compact {
  let s = '';
  const cols: number[] = [];
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    // Whitespace inside an ACE's parenthesised condition or in quotes is part of the expression.
    if (/\s/.test(ch) && depth < 2 && !quoted) continue;
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth = Math.max(0, depth - 1);
    s += ch;
    cols.push(i + 1);
  }
  return { s, cols, end: text.length + 1 };
}

const col = (c: Compact, i: number): number => (i < c.cols.length ? c.cols[i]! : c.end);

/** True when position `i` starts a part marker `O:`, `G:`, `D:` or `S:`. */
function isPartStart(s: string, i: number): boolean {
  return s[i + 1] === ':' && /^[OGDSogds]$/.test(s[i] ?? '');
}

interface ParseContext {
  c: Compact;
  domainSid: string | undefined;
}

function parseSidToken(ctx: ParseContext, text: string, at: number, where: string): string {
  const column = col(ctx.c, at);
  if (text === '') throw new SddlError(`missing SID ${where} at column ${column}`, column);
  if (/^s-/i.test(text)) {
    try {
      return parseSid(text);
    } catch (e) {
      throw new SddlError(`invalid SID ${quoteExcerpt(text, "'")} ${where} at column ${column}: ${(e as Error).message}`, column);
    }
  }
  if (!/^[A-Za-z]{2}$/.test(text)) throw new SddlError(`invalid SID ${quoteExcerpt(text, "'")} ${where} at column ${column} (expected a two-letter alias or S-1-…)`, column);
  const sid = sddlAliasToSid(text, ctx.domainSid);
  if (sid) return sid;
  if (isDomainRelativeAlias(text)) {
    throw new SddlError(`SID alias ${quoteExcerpt(text, "'")} ${where} at column ${column} is relative to the machine or domain SID, which is not known here; write the S-1-5-21-… SID`, column);
  }
  throw new SddlError(`unknown SID alias ${quoteExcerpt(text, "'")} ${where} at column ${column}`, column);
}

function parseRightsField(ctx: ParseContext, text: string, at: number, aceNo: number): number {
  if (text === '') return 0;
  if (/^(0x[0-9a-f]+|[0-9]+)$/i.test(text)) {
    const n = /^0x/i.test(text) ? parseInt(text.slice(2), 16) : Number(text);
    if (!Number.isSafeInteger(n) || n > 0xffffffff) {
      throw new SddlError(`rights ${quoteExcerpt(text, "'")} in ACE ${aceNo} at column ${col(ctx.c, at)} do not fit in 32 bits`, col(ctx.c, at));
    }
    return n >>> 0;
  }
  let mask = 0;
  for (let i = 0; i < text.length; i += 2) {
    const token = text.slice(i, i + 2);
    const v = RIGHT_VALUES.get(token.toUpperCase());
    if (v === undefined || token.length < 2) {
      throw new SddlError(`unknown right ${quoteExcerpt(token, "'")} in ACE ${aceNo} at column ${col(ctx.c, at + i)}`, col(ctx.c, at + i));
    }
    mask = (mask | v) >>> 0;
  }
  return mask;
}

function parseFlagsField(ctx: ParseContext, text: string, at: number, aceNo: number): number {
  let flags = 0;
  for (let i = 0; i < text.length; i += 2) {
    const token = text.slice(i, i + 2);
    const v = FLAG_VALUES.get(token.toUpperCase());
    if (v === undefined || token.length < 2) {
      throw new SddlError(`unknown ACE flag ${quoteExcerpt(token, "'")} in ACE ${aceNo} at column ${col(ctx.c, at + i)}`, col(ctx.c, at + i));
    }
    flags |= v;
  }
  return flags;
}

/** Splits an ACE body on `;` outside parentheses and quotes; returns fields with their start index. */
function splitAceFields(s: string, from: number, to: number): { text: string; at: number }[] {
  const fields: { text: string; at: number }[] = [];
  let depth = 0;
  let quoted = false;
  let start = from;
  for (let i = from; i < to; i++) {
    const ch = s[i];
    if (ch === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ';' && depth === 0) {
      fields.push({ text: s.slice(start, i), at: start });
      start = i + 1;
    }
  }
  fields.push({ text: s.slice(start, to), at: start });
  return fields;
}

/** Index of the `)` closing the `(` at `open`, honouring nesting and quotes; -1 if none. */
function matchingParen(s: string, open: number): number {
  let depth = 0;
  let quoted = false;
  for (let i = open; i < s.length; i++) {
    const ch = s[i];
    if (ch === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  return -1;
}

function parseAce(ctx: ParseContext, open: number, close: number, aceNo: number): Ace {
  const { c } = ctx;
  const fields = splitAceFields(c.s, open + 1, close);
  if (fields.length !== 6 && fields.length !== 7) {
    throw new SddlError(`ACE ${aceNo} at column ${col(c, open)} has ${fields.length} fields; expected 6 (type;flags;rights;object;inherited object;sid)`, col(c, open));
  }
  const [typeF, flagsF, rightsF, objF, inhF, sidF, extraF] = fields as [
    { text: string; at: number }, { text: string; at: number }, { text: string; at: number },
    { text: string; at: number }, { text: string; at: number }, { text: string; at: number }, { text: string; at: number } | undefined,
  ];
  const typeKey = typeF.text.toUpperCase();
  let type = Object.hasOwn(SDDL_ACE_TYPES, typeKey) ? SDDL_ACE_TYPES[typeKey] : undefined;
  if (type === undefined && /^0x[0-9a-f]{1,2}$/i.test(typeF.text)) type = parseInt(typeF.text.slice(2), 16); // driftscan extension for types SDDL cannot name
  if (type === undefined) {
    throw new SddlError(`unknown ACE type ${quoteExcerpt(typeF.text, "'")} in ACE ${aceNo} at column ${col(c, typeF.at)}`, col(c, typeF.at));
  }
  const flags = parseFlagsField(ctx, flagsF.text, flagsF.at, aceNo);
  const mask = parseRightsField(ctx, rightsF.text, rightsF.at, aceNo);
  const extra: NonNullable<Ace['extra']> = {};
  for (const [f, key] of [[objF, 'objectType'], [inhF, 'inheritedObjectType']] as const) {
    if (f.text === '') continue;
    if (!GUID.test(f.text)) throw new SddlError(`invalid GUID ${quoteExcerpt(f.text, "'")} in ACE ${aceNo} at column ${col(c, f.at)}`, col(c, f.at));
    extra[key] = f.text.toLowerCase();
  }
  const sid = parseSidToken(ctx, sidF.text, sidF.at, `in ACE ${aceNo}`);
  if (extraF !== undefined) {
    if (!SEVEN_FIELD_TYPES.has(type)) {
      throw new SddlError(`ACE ${aceNo} at column ${col(c, open)} has a 7th field, which only conditional and resource-attribute ACEs take`, col(c, extraF.at));
    }
    if (!extraF.text.startsWith('(') || matchingParen(c.s, extraF.at) !== close - 1) {
      throw new SddlError(`the condition of ACE ${aceNo} at column ${col(c, extraF.at)} must be one parenthesised expression`, col(c, extraF.at));
    }
    extra.condition = extraF.text;
  }
  const ace: Ace = { type, flags, mask, sid };
  if (Object.keys(extra).length > 0) ace.extra = extra;
  return ace;
}

/** Parses `D:`/`S:` contents from `i`; returns the ACL (null for NO_ACCESS_CONTROL), flag bits and end index. */
function parseAclPart(ctx: ParseContext, i: number, isDacl: boolean): { acl: Acl | null; control: number; next: number } {
  const { c } = ctx;
  const s = c.s;
  let control = 0;
  let nullAcl = false;
  // ACL flags: P, AI, AR in any order, and NO_ACCESS_CONTROL.
  while (i < s.length && s[i] !== '(' && !isPartStart(s, i)) {
    // Only as much as the longest flag: upper-casing the whole rest for every flag letter was quadratic.
    const rest = s.slice(i, i + 'NO_ACCESS_CONTROL'.length).toUpperCase();
    if (rest.startsWith('NO_ACCESS_CONTROL')) {
      nullAcl = true;
      i += 'NO_ACCESS_CONTROL'.length;
    } else if (rest.startsWith('AI')) {
      control |= isDacl ? SD_CONTROL.DACL_AUTO_INHERITED : SD_CONTROL.SACL_AUTO_INHERITED;
      i += 2;
    } else if (rest.startsWith('AR')) {
      control |= isDacl ? SD_CONTROL.DACL_AUTO_INHERIT_REQ : SD_CONTROL.SACL_AUTO_INHERIT_REQ;
      i += 2;
    } else if (rest.startsWith('P')) {
      control |= isDacl ? SD_CONTROL.DACL_PROTECTED : SD_CONTROL.SACL_PROTECTED;
      i += 1;
    } else {
      throw new SddlError(`unknown ${isDacl ? 'DACL' : 'SACL'} flag at column ${col(c, i)} (expected P, AI, AR, NO_ACCESS_CONTROL or '(')`, col(c, i));
    }
  }
  const aces: Ace[] = [];
  while (s[i] === '(') {
    const close = matchingParen(s, i);
    if (close < 0) throw new SddlError(`unterminated ACE ${aces.length + 1} starting at column ${col(c, i)}`, col(c, i));
    aces.push(parseAce(ctx, i, close, aces.length + 1));
    i = close + 1;
  }
  if (nullAcl && aces.length > 0) {
    throw new SddlError(`${isDacl ? 'DACL' : 'SACL'} is NO_ACCESS_CONTROL but has ACEs (column ${col(c, i)})`, col(c, i));
  }
  const revision = aces.some((a) => OBJECT_ACE_TYPES.has(a.type)) ? 4 : 2;
  return { acl: nullAcl ? null : { revision, aces }, control, next: i };
}

/**
 * Parses an SDDL string into a self-relative security descriptor. `domainSid` resolves
 * domain-relative aliases (LA, DA…). Throws `SddlError` (with `column`) for anything malformed.
 */
export function parseSddl(text: string, options: { domainSid?: string } = {}): SecurityDescriptor {
  if (typeof text !== 'string') throw new SddlError('SDDL must be a string', 1);
  let domainSid: string | undefined;
  if (options.domainSid !== undefined) {
    try {
      domainSid = parseSid(options.domainSid);
    } catch (e) {
      throw new SddlError(`invalid domain SID: ${(e as Error).message}`, 1);
    }
  }
  const c = compact(text);
  const ctx: ParseContext = { c, domainSid };
  const s = c.s;
  const sd: SecurityDescriptor = { control: SD_CONTROL.SELF_RELATIVE, dacl: null, sacl: null };
  const seen = new Set<string>();
  let i = 0;
  while (i < s.length) {
    if (!isPartStart(s, i)) {
      throw new SddlError(`unexpected '${s[i]}' at column ${col(c, i)} (expected O:, G:, D: or S:)`, col(c, i));
    }
    const part = s[i]!.toUpperCase();
    if (seen.has(part)) throw new SddlError(`duplicate ${part}: part at column ${col(c, i)}`, col(c, i));
    seen.add(part);
    i += 2;
    if (part === 'O' || part === 'G') {
      let j = i;
      while (j < s.length && !isPartStart(s, j)) j++;
      const sid = parseSidToken(ctx, s.slice(i, j), i, part === 'O' ? 'for the owner' : 'for the group');
      if (part === 'O') sd.owner = sid;
      else sd.group = sid;
      i = j;
    } else {
      const { acl, control, next } = parseAclPart(ctx, i, part === 'D');
      sd.control |= control | (part === 'D' ? SD_CONTROL.DACL_PRESENT : SD_CONTROL.SACL_PRESENT);
      if (part === 'D') sd.dacl = acl;
      else sd.sacl = acl;
      i = next;
    }
  }
  return sd;
}

/** SDDL rights string per the generation rules of §3.4 (`KR` never `KX`; else single bits; else hex). */
export function formatSddlRights(mask: number, aceType?: number): string {
  const m = mask >>> 0;
  if (m === 0) return '';
  for (const [name, value] of COMBINED_RIGHTS) if (value >>> 0 === m) return name;
  const singles = aceType === 0x11 ? LABEL_RIGHTS : SINGLE_BIT_RIGHTS;
  let rest = m;
  let out = '';
  for (const [name, value] of singles) {
    if ((rest & value) >>> 0 !== 0) {
      out += name;
      rest = (rest & ~value) >>> 0;
    }
  }
  return rest === 0 ? out : `0x${m.toString(16)}`;
}

function formatAceFlags(flags: number, type: number): string {
  let out = '';
  for (const [name, value] of FLAG_TOKENS) {
    if (flags & value) out += value === 0x40 && type === 0x15 ? 'TP' : name;
  }
  return out;
}

function formatSidToken(sid: string, domainSid: string | undefined): string {
  return sidToSddlAlias(sid, domainSid) ?? sid;
}

function formatAce(ace: Ace, domainSid: string | undefined): string {
  const type = TYPE_STRINGS.get(ace.type) ?? `0x${ace.type.toString(16).padStart(2, '0')}`;
  const fields = [
    type,
    formatAceFlags(ace.flags, ace.type),
    formatSddlRights(ace.mask, ace.type),
    ace.extra?.objectType ?? '',
    ace.extra?.inheritedObjectType ?? '',
    formatSidToken(ace.sid, domainSid),
  ];
  if (ace.extra?.condition !== undefined && SEVEN_FIELD_TYPES.has(ace.type)) fields.push(ace.extra.condition);
  return `(${fields.join(';')})`;
}

function formatAclPart(acl: Acl | null, control: number, isDacl: boolean, domainSid: string | undefined): string {
  const C = SD_CONTROL;
  let flags = '';
  if (control & (isDacl ? C.DACL_PROTECTED : C.SACL_PROTECTED)) flags += 'P';
  if (control & (isDacl ? C.DACL_AUTO_INHERIT_REQ : C.SACL_AUTO_INHERIT_REQ)) flags += 'AR';
  if (control & (isDacl ? C.DACL_AUTO_INHERITED : C.SACL_AUTO_INHERITED)) flags += 'AI';
  if (acl === null) return `${flags}NO_ACCESS_CONTROL`;
  return flags + acl.aces.map((a) => formatAce(a, domainSid)).join('');
}

/**
 * Formats a descriptor as canonical SDDL: parts O G D S, ACL flags P AR AI, ACE flags
 * OI CI NP IO ID SA FA, rights per §3.4, aliases where Windows has one. The SACL is left out
 * unless `includeSacl` (Get-Acl's `.Sddl` omits it too, §5.1). A DACL is written when DACL_PRESENT
 * is set or the DACL is non-null; present-but-null prints `NO_ACCESS_CONTROL`.
 */
export function formatSddl(sd: SecurityDescriptor, options: { includeSacl?: boolean; domainSid?: string } = {}): string {
  const domainSid = options.domainSid;
  let out = '';
  if (sd.owner !== undefined) out += `O:${formatSidToken(sd.owner, domainSid)}`;
  if (sd.group !== undefined) out += `G:${formatSidToken(sd.group, domainSid)}`;
  if (sd.dacl !== null || sd.control & SD_CONTROL.DACL_PRESENT) out += `D:${formatAclPart(sd.dacl, sd.control, true, domainSid)}`;
  if (options.includeSacl && (sd.sacl !== null || sd.control & SD_CONTROL.SACL_PRESENT)) {
    out += `S:${formatAclPart(sd.sacl, sd.control, false, domainSid)}`;
  }
  return out;
}
