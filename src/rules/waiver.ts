/**
 * Which rules a waiver covers. `rule` is a rule id or a glob where `*` matches any run of
 * characters; ids compare case-insensitively, as the baseline loader checks them.
 */
import type { Rule, Waiver } from './model.js';

/** The waiver's `rule` glob as an anchored, case-insensitive pattern. */
export function waiverPattern(glob: string): RegExp {
  const src = glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${src}$`, 'i');
}

/** The first waiver of `waivers` that names `rule`, if any. */
export function waiverFor(waivers: readonly Waiver[], rule: Rule): Waiver | undefined {
  return waivers.find((w) => waiverPattern(w.rule).test(rule.id));
}
