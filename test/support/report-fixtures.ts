/** Hand-built `Report`s for the report-writer tests, including hostile strings from baselines and machine data. */
import type { Report, RuleResult } from '../../src/evaluate/result.js';
import { summarize } from '../../src/evaluate/result.js';

/** Strings that break naive writers: markup, CDATA terminators, quotes, pipes, controls, non-BMP, a lone surrogate. */
export const HOSTILE = 'a <b> & "c" \'d\' ]]> e|f `g` \\h\nline2\r\n\tx \u0000\u0007\u001b[31mred\u001b[0m \u0085 \ud83d\udd12 lone\ud800 end';

export function result(over: Partial<RuleResult> & Pick<RuleResult, 'ruleId' | 'status'>): RuleResult {
  return {
    baseline: 'rdp-access-denied',
    baselineFile: 'policies/rdp-access-denied.yaml',
    title: `Title of ${over.ruleId}`,
    kind: 'registryValue',
    severity: 'high',
    expected: 'DWORD 65535',
    actual: over.status === 'pass' ? 'DWORD 65535 (0x0000ffff)' : 'DWORD 12000 (0x00002ee0)',
    message: over.status === 'pass' ? 'found DWORD 65535 (0x0000ffff)' : 'expected DWORD 65535, found DWORD 12000 (0x00002ee0)',
    location: { file: 'policies/rdp-access-denied.yaml', line: 30, col: 7 },
    tags: ['rdp'],
    rationale: 'Why it matters.',
    remediation: 'Set it with `reg add`.',
    target: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\Kerberos\\Parameters',
    ...over,
  };
}

/** Builds a report from results, with summary computed the way the evaluator does. */
export function report(results: RuleResult[], extra: Partial<Report> = {}): Report {
  const names = [...new Set(results.map((r) => r.baseline))];
  return {
    tool: { name: 'driftscan', version: '0.1.0' },
    sources: ['examples/drifted.reg'],
    notices: [],
    baselines: names.map((name) => {
      const r = results.find((x) => x.baseline === name)!;
      return { name, version: '1.0.0', title: `Baseline ${name}`, file: r.baselineFile };
    }),
    results,
    summary: summarize(results),
    ...extra,
  };
}

/** One result of every status, two baselines, a waiver, an error, a skip, and hostile text in several fields. */
export function mixedReport(): Report {
  return report(
    [
      result({ ruleId: 'kerberos-max-token-size', status: 'fail', severity: 'critical', location: { file: 'policies/rdp-access-denied.yaml', line: 58, col: 7 } }),
      result({ ruleId: 'rdp-ignore-user-config-errors', status: 'pass', severity: 'medium', location: { file: 'policies/rdp-access-denied.yaml', line: 44, col: 7 } }),
      result({ ruleId: 'rdp-cert-store-readable', status: 'skipped', kind: 'registryAcl', expected: 'Allow ReadKey for BUILTIN\\Remote Desktop Users', actual: 'unknown', message: 'a .reg export has no ACLs; give a hive or snapshot', location: { file: 'policies/rdp-access-denied.yaml', line: 29, col: 7 } }),
      result({ ruleId: 'termservice-account', status: 'error', kind: 'service', severity: 'low', expected: 'ObjectName NT Authority\\NetworkService', actual: 'unreadable', message: 'could not evaluate: SYSTEM @ byte 0x1a2b: cell size 0 in hbin', location: { file: 'policies/rdp-access-denied.yaml', line: 72, col: 7 } }),
      result({
        baseline: 'rdp-hardening',
        baselineFile: 'policies/rdp-hardening.yaml',
        ruleId: 'nla-required',
        status: 'waived',
        severity: 'medium',
        title: HOSTILE,
        expected: HOSTILE,
        actual: 'string "x|y"',
        message: `expected ${HOSTILE}, found string "x|y"`,
        location: { file: 'policies/rdp-hardening.yaml', line: 12, col: 5 },
        tags: ['rdp', 'nla'],
        waiver: { reason: `legacy thin clients <until> "Q3" ]]> ${HOSTILE}`, owner: 'team-vdi@example.com', expires: '2026-12-31' },
      }),
      result({
        baseline: 'rdp-hardening',
        baselineFile: 'policies/rdp-hardening.yaml',
        ruleId: 'weird|id`x',
        status: 'fail',
        severity: 'low',
        expected: 'string "a\nb"',
        actual: HOSTILE,
        message: `expected string "a\nb", found ${HOSTILE}`,
        rationale: HOSTILE,
        remediation: HOSTILE,
        location: { file: 'policies/rdp-hardening.yaml', line: 20, col: 5 },
      }),
    ],
    { notices: [`SYSTEM hive is dirty (sequence numbers 12 != 13): transaction logs were not replayed ${'\u001b'}[2J`] },
  );
}
