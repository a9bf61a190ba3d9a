/**
 * What evaluation produces. Report writers (`src/report/*`) render this and nothing else,
 * the way Trivy's writers render a scan result: the evaluator knows no output formats.
 */
import type { SourceLocation } from '../core/diagnostics.js';
import type { Severity } from '../rules/model.js';

/**
 * - `pass`: the machine meets the rule.
 * - `fail`: it does not; `expected`/`actual` say how.
 * - `error`: the rule could not be evaluated (damaged data, type mismatch in the source); `message` says why.
 * - `waived`: it fails, but an unexpired waiver covers it.
 * - `skipped`: the source cannot answer (no ACLs in a `.reg` file, no SOFTWARE hive given).
 */
export type RuleStatus = 'pass' | 'fail' | 'error' | 'waived' | 'skipped';

export interface RuleResult {
  baseline: string;
  baselineFile: string;
  ruleId: string;
  title: string;
  kind: string;
  severity: Severity;
  status: RuleStatus;
  /** What the rule requires, in words ("DWORD 65535"). */
  expected: string;
  /** What the machine has, in words ("no value", "DWORD 12000 (0x00002ee0)"). */
  actual: string;
  /** One sentence for humans: "expected DWORD 65535, found no value". */
  message: string;
  /** The rule's place in its baseline file (used for SARIF locations). */
  location: SourceLocation;
  tags: string[];
  remediation?: string;
  rationale?: string;
  /** The registry key or service the rule looked at, as found in the source. */
  target?: string;
  waiver?: { reason: string; owner: string; expires: string };
}

export interface Summary {
  total: number;
  pass: number;
  fail: number;
  error: number;
  waived: number;
  skipped: number;
}

export interface BaselineInfo {
  name: string;
  version: string;
  title: string;
  file: string;
}

/** A complete check run. */
export interface Report {
  tool: { name: string; version: string };
  /** Descriptions of the state sources that were evaluated. */
  sources: string[];
  /** Source-level warnings (dirty hive, logs replayed…). */
  notices: string[];
  baselines: BaselineInfo[];
  results: RuleResult[];
  summary: Summary;
}

/** Counts results by status. */
export function summarize(results: readonly RuleResult[]): Summary {
  const s: Summary = { total: results.length, pass: 0, fail: 0, error: 0, waived: 0, skipped: 0 };
  for (const r of results) s[r.status]++;
  return s;
}
