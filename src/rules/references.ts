/** What a set of baselines needs to read from a machine (drives the collector script). */
import type { Baseline } from './model.js';
import { mergeReferences, type StateReferences } from '../state/references.js';
import { ruleKind } from './index.js';

/** The keys, values, ACLs and services every rule of these baselines reads. */
export function baselineReferences(baselines: readonly Baseline[]): StateReferences {
  return mergeReferences(...baselines.flatMap((b) => b.rules.map((r) => ruleKind(r.kind)!.references(r.check))));
}
