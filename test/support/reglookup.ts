/**
 * Runs `reglookup` (Debian package `reglookup`) as an independent oracle for hive tests and parses
 * its CSV-like output (reglookup(1) "OUTPUT"): columns PATH,TYPE,VALUE,MTIME[,OWNER,GROUP,SACL,DACL,CLASS];
 * special and non-ASCII bytes appear as `%XX`; sub-fields use `|` (ACEs), `:` (ACE fields) and ` `
 * (rights/flags lists) as delimiters, each quoted as `%XX` when it occurs inside data.
 */
import { spawnSync } from 'node:child_process';

/** One ACE as reglookup prints it (`S-1-5-32-545:ALLOW:QRY_VAL ENUM_KEYS NOTIFY R_CONT:CI IO IA`), as numbers. */
export interface ReglookupAce {
  sid: string;
  /** `ALLOW`, `DENY`, … as printed. */
  type: string;
  mask: number;
  flags: number;
}

export interface ReglookupRow {
  /** Key path below the hive root, `\`-joined and unquoted (`''` = root). For value rows: the value's key. */
  keyPath: string;
  /** Value name (unquoted; `''` = default value), or undefined for KEY rows. */
  valueName: string | undefined;
  /** `KEY`, `SZ`, `DWORD`, `BINARY`, … or `0x…` for unnamed types. */
  type: string;
  /** The VALUE column as printed (still %XX-quoted). */
  value: string;
  /** `YYYY-MM-DD HH:MM:SS` (KEY rows). */
  mtime: string;
  /** With `security`: SIDs, ACEs (undefined when the column is empty) and class name. */
  owner?: string;
  group?: string;
  sacl?: ReglookupAce[] | undefined;
  dacl?: ReglookupAce[] | undefined;
  className?: string;
}

export interface ReglookupRun {
  rows: ReglookupRow[];
  /** reglookup's WARN/ERROR lines. */
  stderr: string;
}

/** Runs `reglookup [-s] [-p /A/B] FILE` and parses every row. */
export function runReglookup(hiveFile: string, options: { path?: string; security?: boolean } = {}): ReglookupRow[] {
  return runReglookupFull(hiveFile, options).rows;
}

/** Like `runReglookup`, also returning stderr (warnings about data it could not interpret). */
export function runReglookupFull(hiveFile: string, options: { path?: string; security?: boolean } = {}): ReglookupRun {
  const args = ['-H', options.security ? '-s' : '-S'];
  if (options.path) args.push('-p', `/${options.path.split('\\').map(quoteSegment).join('/')}`);
  args.push(hiveFile);
  const r = spawnSync('reglookup', args, { encoding: 'latin1', maxBuffer: 1024 * 1024 * 1024 });
  if (r.error) throw r.error;
  const rows: ReglookupRow[] = [];
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    rows.push(parseRow(line, options.security === true));
  }
  return { rows, stderr: r.stderr };
}

/** True when the `reglookup` binary can run. */
export function haveReglookup(): boolean {
  const r = spawnSync('reglookup', ['-h'], { encoding: 'latin1' });
  return !r.error;
}

function quoteSegment(s: string): string {
  return s.replace(/[%/,]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

function parseRow(line: string, security: boolean): ReglookupRow {
  const cols = line.split(',');
  // With -s, KEY rows have all 9 columns but value rows only 8 (no CLASS).
  const expected = !security ? 4 : cols[1] === 'KEY' ? 9 : 8;
  if (cols.length !== expected) throw new Error(`reglookup row has ${cols.length} columns, expected ${expected}: ${line.slice(0, 200)}`);
  const [path, type, value, mtime] = cols as [string, string, string, string];
  const segments = path.split('/').slice(1);
  let keyPath: string;
  let valueName: string | undefined;
  if (type === 'KEY') {
    keyPath = path === '/' ? '' : segments.map(unquoteText).join('\\');
  } else {
    valueName = unquoteText(segments[segments.length - 1]!);
    keyPath = segments.slice(0, -1).map(unquoteText).join('\\');
  }
  const row: ReglookupRow = { keyPath, valueName, type, value, mtime };
  if (security && type === 'KEY') {
    row.owner = cols[4]!;
    row.group = cols[5]!;
    row.sacl = parseAcl(cols[6]!);
    row.dacl = parseAcl(cols[7]!);
    row.className = unquoteText(cols[8]!);
  }
  return row;
}

const RIGHTS: Record<string, number> = {
  QRY_VAL: 0x1, SET_VAL: 0x2, CREATE_KEY: 0x4, ENUM_KEYS: 0x8, NOTIFY: 0x10, CREATE_LNK: 0x20,
  WOW64_64: 0x100, WOW64_32: 0x200, DELETE: 0x10000, R_CONT: 0x20000, W_DAC: 0x40000, W_OWNER: 0x80000,
  SYNC: 0x100000, SYS_SEC: 0x1000000, MAX_ALLWD: 0x2000000, GEN_A: 0x10000000, GEN_X: 0x20000000,
  GEN_W: 0x40000000, GEN_R: 0x80000000,
};
const FLAGS: Record<string, number> = { OI: 0x1, CI: 0x2, NP: 0x4, IO: 0x8, IA: 0x10 };

function bits(list: string, names: Record<string, number>): number {
  let mask = 0;
  for (const tok of list.split(' ')) {
    if (tok === '') continue;
    const known = names[tok];
    if (known !== undefined) mask |= known;
    else if (/^0x[0-9a-f]+$/i.test(tok)) mask |= Number.parseInt(tok, 16);
    else throw new Error(`unknown reglookup ACE token ${tok}`);
  }
  return mask >>> 0;
}

/** Many keys print the same ACL; parse each distinct text once. */
const aclCache = new Map<string, ReglookupAce[]>();

function parseAcl(field: string): ReglookupAce[] | undefined {
  if (field === '') return undefined;
  let acl = aclCache.get(field);
  if (!acl) aclCache.set(field, (acl = parseAclText(field)));
  return acl;
}

function parseAclText(field: string): ReglookupAce[] {
  return field.split('|').map((ace) => {
    const [sid, type, rights, flags] = ace.split(':') as [string, string, string, string];
    return { sid, type, mask: bits(rights, RIGHTS), flags: bits(flags ?? '', FLAGS) };
  });
}

/** `%XX` → byte; other characters are single bytes as printed. */
export function unquoteBytes(field: string): Buffer {
  if (!field.includes('%')) return Buffer.from(field, 'latin1');
  const out = Buffer.alloc(field.length);
  let n = 0;
  for (let i = 0; i < field.length; i++) {
    const c = field.charCodeAt(i);
    if (c === 0x25 && i + 2 < field.length + 0 && /^[0-9A-Fa-f]{2}$/.test(field.slice(i + 1, i + 3))) {
      out[n++] = Number.parseInt(field.slice(i + 1, i + 3), 16);
      i += 2;
    } else {
      out[n++] = c & 0xff;
    }
  }
  return out.subarray(0, n);
}

/** Unquotes a text field: reglookup converts UTF-16 to UTF-8 before quoting. */
export function unquoteText(field: string): string {
  return unquoteBytes(field).toString('utf8');
}
