/**
 * Registry paths as users write them: `HKLM\…`, `HKLM:\…`, `HKEY_LOCAL_MACHINE\…`,
 * `Registry::HKEY_LOCAL_MACHINE\…`, `Microsoft.PowerShell.Core\Registry::…`. Comparison is
 * case-insensitive (Windows compares key names case-insensitively); display keeps the case
 * the user wrote.
 */
import { quoteExcerpt } from '../core/diagnostics.js';

export const ROOT_KEYS = ['HKLM', 'HKU', 'HKCU', 'HKCR', 'HKCC'] as const;
export type RootKey = (typeof ROOT_KEYS)[number];

// A Map, not an object literal: the key is the user's text, and `constructor\…` must not find
// Object.prototype.constructor.
const ROOT_ALIASES = new Map<string, RootKey>([
  ['hklm', 'HKLM'], ['hkey_local_machine', 'HKLM'],
  ['hku', 'HKU'], ['hkey_users', 'HKU'],
  ['hkcu', 'HKCU'], ['hkey_current_user', 'HKCU'],
  ['hkcr', 'HKCR'], ['hkey_classes_root', 'HKCR'],
  ['hkcc', 'HKCC'], ['hkey_current_config', 'HKCC'],
]);

const LONG_NAMES: Record<RootKey, string> = {
  HKLM: 'HKEY_LOCAL_MACHINE', HKU: 'HKEY_USERS', HKCU: 'HKEY_CURRENT_USER', HKCR: 'HKEY_CLASSES_ROOT', HKCC: 'HKEY_CURRENT_CONFIG',
};

/** A parsed key path: root key plus the subkey names below it (case as written). */
export interface RegistryPath {
  readonly root: RootKey;
  readonly segments: readonly string[];
}

/**
 * Windows' own limits (learn.microsoft.com, "Registry element size limits"): a key name is at most
 * 255 characters and a registry tree at most 512 levels deep. A path beyond them cannot name a
 * real key, so it is an input error rather than something to carry through every later stage.
 */
export const MAX_KEY_NAME_LENGTH = 255;
export const MAX_KEY_DEPTH = 512;

/** Parses a key path or throws an Error whose message says what is wrong (callers add the file location). */
export function parseRegistryPath(text: string): RegistryPath {
  let s = text.trim();
  const provider = /^(?:Microsoft\.PowerShell\.Core\\)?Registry::/i.exec(s);
  if (provider) s = s.slice(provider[0].length);
  const sep = s.indexOf('\\');
  let head = sep === -1 ? s : s.slice(0, sep);
  const rest = sep === -1 ? '' : s.slice(sep + 1);
  if (head.endsWith(':')) head = head.slice(0, -1);
  const root = ROOT_ALIASES.get(head.toLowerCase());
  if (!root) {
    throw new Error(
      `registry path ${quoteExcerpt(text)} must start with a root key such as HKLM\\ or HKEY_LOCAL_MACHINE\\` +
        (head ? ` (found ${quoteExcerpt(head)})` : ''),
    );
  }
  let end = rest.length;
  while (end > 0 && rest[end - 1] === '\\') end--; // trailing backslashes name the same key (a loop: /\\+$/ backtracks quadratically on a long run of backslashes)
  const trimmed = rest.slice(0, end);
  const segments = trimmed === '' ? [] : trimmed.split('\\');
  if (segments.length > MAX_KEY_DEPTH) {
    throw new Error(`registry path ${quoteExcerpt(text)} is ${segments.length} keys deep; Windows registry trees are at most ${MAX_KEY_DEPTH} levels deep`);
  }
  for (const seg of segments) {
    if (seg === '') throw new Error(`registry path ${quoteExcerpt(text)} has an empty key name (doubled backslash)`);
    if (seg.length > MAX_KEY_NAME_LENGTH) throw new Error(`registry path ${quoteExcerpt(text)} has a key name longer than ${MAX_KEY_NAME_LENGTH} characters`);
  }
  return { root, segments };
}

/** `HKLM\SOFTWARE\…` (short) or `HKEY_LOCAL_MACHINE\SOFTWARE\…` (long, as in .reg files). */
export function formatRegistryPath(p: RegistryPath, style: 'short' | 'long' = 'short'): string {
  const root = style === 'long' ? LONG_NAMES[p.root] : p.root;
  return p.segments.length === 0 ? root : `${root}\\${p.segments.join('\\')}`;
}

/** Case-folded key for maps and comparisons. */
export function registryPathKey(p: RegistryPath): string {
  return `${p.root}\\${p.segments.join('\\')}`.toUpperCase();
}

/** True when `a` and `b` name the same key (case-insensitive). */
export function samePath(a: RegistryPath, b: RegistryPath): boolean {
  return registryPathKey(a) === registryPathKey(b);
}
