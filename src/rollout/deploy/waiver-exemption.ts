/**
 * Which baseline waivers Azure Policy can express. An exemption exempts whole policy definitions
 * (`policyDefinitionReferenceIds` of an assignment), never single rules inside a Machine
 * Configuration package: a waiver becomes a policy exemption only when the baseline's live waivers
 * together cover **every** rule of the baseline. Partial waivers stay what they are — honoured by
 * `driftscan check`, reported as non-compliant by Azure — and the plan says so.
 */
import type { Baseline, Waiver } from '../../rules/model.js';
import { waiverFor } from '../../rules/waiver.js';

export interface WholeBaselineWaiver {
  /** The waivers that cover the rules (at least one). */
  waivers: Waiver[];
  /** The earliest expiry of those waivers (`YYYY-MM-DD`): the exemption ends when the first of them does. */
  expires: string;
}

export interface WaiverCoverage {
  whole?: WholeBaselineWaiver;
  /** One line per waiver Azure Policy cannot express (partial, or expired). */
  notes: string[];
}

/** Waivers in force on `today` (`YYYY-MM-DD`): a waiver applies through the end of its expiry day (UTC). */
export function waiverCoverage(b: Baseline, today: string): WaiverCoverage {
  const live = b.waivers.filter((w) => w.expires >= today);
  const notes = b.waivers.filter((w) => w.expires < today).map((w) => `waiver ${w.rule} of ${b.metadata.name} expired on ${w.expires}: no exemption`);
  if (live.length === 0 || b.rules.length === 0) return { notes };
  const used = new Set<Waiver>();
  let all = true;
  for (const r of b.rules) {
    const w = waiverFor(live, r);
    if (w) used.add(w);
    else all = false;
  }
  if (all) {
    const waivers = [...used];
    return { whole: { waivers, expires: waivers.map((w) => w.expires).sort()[0]! }, notes };
  }
  for (const w of live) {
    const n = b.rules.filter((r) => waiverFor([w], r)).length;
    notes.push(`waiver ${w.rule} covers ${n} of ${b.rules.length} rules of ${b.metadata.name}: Azure Policy exempts whole definitions, not single rules, so it is not deployed (driftscan check honours it)`);
  }
  return { notes };
}
