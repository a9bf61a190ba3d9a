/**
 * Errors driftscan reports to users. Every input problem becomes one line that names
 * where it is (`file:line:col` or `file @ byte 0x…`) and what is wrong, so a CI log says
 * which file to open. The CLI maps `usage` and `input` errors to exit code 2, `service` errors to 3.
 */

/** Where an input problem sits. `line`/`col` are 1-based; `offset` is a byte offset (binary inputs). */
export interface SourceLocation {
  file: string;
  line?: number;
  col?: number;
  offset?: number;
}

/**
 * `usage` and `input`: the invocation or a file is wrong (exit 2). `service`: a service driftscan
 * called (Azure) refused or failed the call after every retry (exit 3): the input may be fine.
 */
export type ErrorKind = 'usage' | 'input' | 'service';

/** Formats a location the way compilers do (`file:line:col`), or `file @ 0x1a2b` for byte offsets. */
export function formatLocation(loc: SourceLocation): string {
  if (loc.line !== undefined) return `${loc.file}:${loc.line}:${loc.col ?? 1}`;
  if (loc.offset !== undefined) return `${loc.file} @ byte 0x${loc.offset.toString(16)}`;
  return loc.file;
}

/**
 * `text` quoted for an error message: whole up to `max` characters, else its start and end around
 * "…" followed by its full length. Input can be megabytes on one line (a key path, an SDDL
 * token); the error about it stays a line a person can read.
 */
export function quoteExcerpt(text: string, quote = '"', max = 100): string {
  if (text.length <= max) return `${quote}${text}${quote}`;
  const pair = (i: number) => (/[\ud800-\udbff]/.test(text[i - 1] ?? '') ? i - 1 : i); // never split a surrogate pair
  const head = pair(Math.ceil(max * 0.6));
  const tail = pair(text.length - (max - Math.ceil(max * 0.6)));
  return `${quote}${text.slice(0, head)}…${text.slice(tail)}${quote} (${text.length} characters)`;
}

/** An error caused by the user's input or invocation, not by a driftscan bug. */
export class DriftscanError extends Error {
  readonly kind: ErrorKind;
  readonly location: SourceLocation | undefined;
  readonly detail: string;

  constructor(detail: string, options: { kind?: ErrorKind; location?: SourceLocation; cause?: unknown } = {}) {
    const where = options.location ? `${formatLocation(options.location)}: ` : '';
    super(`${where}${detail}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DriftscanError';
    this.kind = options.kind ?? 'input';
    this.location = options.location;
    this.detail = detail;
  }
}

/** A usage error (bad flags, missing arguments). */
export function usageError(detail: string): DriftscanError {
  return new DriftscanError(detail, { kind: 'usage' });
}
