/**
 * Options more than one command takes, defined once so their flags, help text and parsing agree
 * (`--param` on check and validate; the baseline path arguments on check, validate, collector, compile).
 */
import { existsSync } from 'node:fs';
import { Option } from 'commander';
import { usageError } from '../core/diagnostics.js';

/** Accumulates a repeatable option's values. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `--param NAME=VALUE`, repeatable; parse the values with `parseParams`. */
export function paramOption(
  description = 'set a parameter a loaded baseline declares, checked against its type and allowedValues: ' +
    'integers in decimal digits, booleans true|false, arrays as a,b,c; repeatable',
): Option {
  return new Option('--param <name=value>', description).argParser(collect);
}

/**
 * Parses repeated `--param NAME=VALUE` (the first `=` splits, so values may contain `=`) into a
 * Map: names are user-chosen, and a plain object would answer `constructor` from its prototype.
 * The loader checks the names and values against the baselines' declarations.
 */
export function parseParams(list: readonly string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of list ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw usageError(`--param expects NAME=VALUE, got "${p}"`);
    const name = p.slice(0, eq);
    const value = p.slice(eq + 1);
    const earlier = out.get(name);
    if (earlier !== undefined && earlier !== value) throw usageError(`--param ${name} is given twice (${earlier} and ${value}); give it once`);
    out.set(name, value);
  }
  return out;
}

/** Baseline paths from the command line, or `policies/` when none are given. */
export function baselinePaths(paths: string[]): string[] {
  if (paths.length) return paths;
  if (existsSync('policies')) return ['policies'];
  throw usageError('no baselines given and no policies/ folder here: pass baseline files or folders');
}
