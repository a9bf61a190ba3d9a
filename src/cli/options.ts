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
export function paramOption(description = 'override a baseline parameter; repeatable'): Option {
  return new Option('--param <name=value>', description).argParser(collect);
}

/** Parses repeated `--param NAME=VALUE` into a map with no inherited members. */
export function parseParams(list: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const p of list ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw usageError(`--param expects NAME=VALUE, got "${p}"`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

/** Baseline paths from the command line, or `policies/` when none are given. */
export function baselinePaths(paths: string[]): string[] {
  if (paths.length) return paths;
  if (existsSync('policies')) return ['policies'];
  throw usageError('no baselines given and no policies/ folder here: pass baseline files or folders');
}
