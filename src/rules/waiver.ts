/**
 * Which rules a waiver covers. `rule` is a rule id or a glob where `*` matches any run of
 * characters; ids compare case-insensitively, as the baseline loader checks them.
 */
import type { Rule, Waiver } from './model.js';

/**
 * Whether `id` matches the waiver glob `glob`. Not a regular expression: `^.*a.*a…$` backtracks
 * exponentially on a glob such as `*a*a*a*a*a*a*a*a*a*a*b`, and a baseline must not be able to hang
 * the CI gate. This is the usual greedy wildcard match, which retries only from the last `*`
 * seen, so it takes at most length(glob) × length(id) steps.
 */
export function waiverMatches(glob: string, id: string): boolean {
  const g = glob.toLowerCase();
  const s = id.toLowerCase();
  let gi = 0;
  let si = 0;
  let star = -1; // index in g just after the last `*`
  let resume = 0; // where in s that `*` would next extend to
  while (si < s.length) {
    if (gi < g.length && g[gi] === '*') {
      star = ++gi;
      resume = si;
    } else if (gi < g.length && g[gi] === s[si]) {
      gi++;
      si++;
    } else if (star >= 0) {
      gi = star;
      si = ++resume;
    } else return false;
  }
  while (gi < g.length && g[gi] === '*') gi++;
  return gi === g.length;
}

/** The first waiver of `waivers` that names `rule`, if any. */
export function waiverFor(waivers: readonly Waiver[], rule: Rule): Waiver | undefined {
  return waivers.find((w) => waiverMatches(w.rule, rule.id));
}
