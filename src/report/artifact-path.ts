/**
 * Where a baseline file is, for formats that link results to files (SARIF, JUnit): relative to
 * the directory driftscan ran in, with `/` separators, because GitHub code scanning and test
 * reporters resolve paths against the repository checkout.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * `file` relative to `cwd` with forward slashes, or `undefined` when it lies outside `cwd`
 * (then callers fall back to an absolute path or URI).
 */
export function relativeToRoot(file: string, cwd: string): string | undefined {
  const rel = relative(cwd, resolve(cwd, file));
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

/** The path to show for a file: relative to `cwd` when inside it, else absolute; always `/`-separated. */
export function displayPath(file: string, cwd: string): string {
  return relativeToRoot(file, cwd) ?? resolve(cwd, file).split(sep).join('/');
}
