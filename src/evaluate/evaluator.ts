/**
 * Evaluates baselines against a machine-state source. Pure: no I/O, no formatting — the
 * report writers render the `Report` it returns.
 */
import type { Baseline, Rule } from '../rules/model.js';
import { waiverFor } from '../rules/waiver.js';
import { DriftscanError } from '../core/diagnostics.js';
import { ruleKind } from '../rules/index.js';
import { expectedFound, type Verdict } from '../rules/kind.js';
import type { StateSource } from '../state/source.js';
import { VERSION } from '../core/version.js';
import { summarize, type Report, type RuleResult } from './result.js';

/** Evaluates one rule; damaged source data becomes an `error` verdict for this rule only. */
export function evaluateRule(rule: Rule, source: StateSource): Verdict {
  const kind = ruleKind(rule.kind);
  if (!kind) return { status: 'error', expected: '', actual: '', message: `unknown rule kind ${rule.kind}` };
  try {
    return kind.evaluate(rule.check, source);
  } catch (err) {
    if (err instanceof DriftscanError) {
      return { status: 'error', expected: kind.describe(rule.check), actual: 'unreadable', message: `could not evaluate: ${err.message}` };
    }
    throw err;
  }
}

/** Evaluates every rule of every baseline and applies waivers. */
export function evaluate(baselines: readonly Baseline[], source: StateSource): Report {
  const results: RuleResult[] = [];
  for (const b of baselines) {
    for (const rule of b.rules) {
      const v = evaluateRule(rule, source);
      const result: RuleResult = {
        baseline: b.metadata.name,
        baselineFile: b.file,
        ruleId: rule.id,
        title: rule.title,
        kind: rule.kind,
        severity: rule.severity,
        status: v.status,
        expected: v.expected,
        actual: v.actual,
        message: v.message ?? expectedFound(v.expected, v.actual),
        location: rule.location,
        tags: rule.tags,
      };
      if (rule.remediation !== undefined) result.remediation = rule.remediation;
      if (rule.rationale !== undefined) result.rationale = rule.rationale;
      if (v.target !== undefined) result.target = v.target;
      // A waiver covers a failure only: a passing rule stays `pass`, an error stays visible.
      const waiver = waiverFor(b.waivers, rule);
      if (waiver && v.status === 'fail') {
        result.status = 'waived';
        result.waiver = { reason: waiver.reason, owner: waiver.owner, expires: waiver.expires };
      }
      results.push(result);
    }
  }
  return {
    tool: { name: 'driftscan', version: VERSION },
    sources: [source.name],
    notices: [...source.notices],
    baselines: baselines.map((b) => ({ name: b.metadata.name, version: b.metadata.version, title: b.metadata.title, file: b.file })),
    results,
    summary: summarize(results),
  };
}
