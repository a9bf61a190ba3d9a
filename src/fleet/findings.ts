/**
 * Maps a failing DSC resource reported by Machine Configuration back to the baseline rule it was
 * compiled from, so a fleet row reads like `driftscan check`'s row for the same rule: rule id,
 * severity, the rule's expected state, and the reason the machine gave.
 *
 * The compiler names every resource `[<DriftscanDsc class>]<rule id>` (`dsc/resources.ts`
 * `resourceId`, one resource per rule; build/manifest.json `rules[].resources`), and the package —
 * the guest assignment's `guestConfiguration.name` — after the baseline. DriftscanDsc's Reasons
 * carry the same "expected X, found Y" words the evaluator prints (dsc/DriftscanDsc/Engine.ps1).
 * Waivers are the baseline's own: a waived rule's failure is `waived`, never counted as drift and
 * never as compliant.
 */
import type { Baseline, Rule, Waiver } from '../rules/model.js';
import { ruleKind } from '../rules/index.js';
import { waiverFor } from '../rules/waiver.js';
import type { FindingRecord } from './history/store.js';

/** One row of the failing-resources query (`queries.ts`). */
export interface FailingResourceRow {
  machineId: string;
  subscriptionId: string;
  baseline: string;
  resourceId: string;
  reasons: unknown;
}

interface KnownRule {
  rule: Rule;
  expected: string;
  waiver: Waiver | undefined;
}

/** `[DriftscanRegistryValue]rdp-nla` → `rdp-nla`; a ResourceID without the `[…]` prefix is its own name. */
export function ruleIdOfResource(resourceId: string): string {
  const m = /^\[[^\]]*\](.*)$/s.exec(resourceId.trim());
  return (m ? m[1]! : resourceId).trim();
}

/** The reasons' phrases joined by `; ` (codes when a reason has no phrase), or a stand-in. */
export function reasonText(reasons: unknown): string {
  if (!Array.isArray(reasons)) return 'no reason reported';
  const parts = reasons
    .map((r) => (r && typeof r === 'object' ? String((r as { phrase?: unknown }).phrase ?? (r as { code?: unknown }).code ?? '') : String(r ?? '')))
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p !== '');
  return parts.length ? parts.join('; ') : 'no reason reported';
}

export class RuleIndex {
  private readonly byBaseline = new Map<string, Map<string, KnownRule>>();
  /** Baseline names as the baselines spell them, by lower-case name. */
  readonly names = new Map<string, string>();

  constructor(baselines: readonly Baseline[]) {
    for (const b of baselines) {
      const rules = new Map<string, KnownRule>();
      for (const rule of b.rules) {
        const kind = ruleKind(rule.kind);
        rules.set(rule.id.toLowerCase(), { rule, expected: kind ? kind.describe(rule.check) : rule.title, waiver: waiverFor(b.waivers, rule) });
      }
      this.byBaseline.set(b.metadata.name.toLowerCase(), rules);
      this.names.set(b.metadata.name.toLowerCase(), b.metadata.name);
    }
  }

  /** The finding for one failing resource. A rule the baselines do not know keeps its id, severity `unknown`. */
  finding(row: FailingResourceRow): FindingRecord {
    const baseline = this.names.get(row.baseline.toLowerCase()) ?? row.baseline;
    const ruleId = ruleIdOfResource(row.resourceId);
    const known = this.byBaseline.get(row.baseline.toLowerCase())?.get(ruleId.toLowerCase());
    return {
      machineId: row.machineId,
      subscriptionId: row.subscriptionId,
      baseline,
      ruleId: known?.rule.id ?? ruleId,
      severity: known?.rule.severity ?? 'unknown',
      expected: known?.expected ?? `(rule ${ruleId} is not in the loaded baselines)`,
      reason: reasonText(row.reasons),
      waived: known?.waiver !== undefined,
      ...(known?.waiver ? { waiverReason: known.waiver.reason } : {}),
    };
  }
}
