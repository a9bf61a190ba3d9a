/**
 * Secrets out of reports. Registry data holds SAS URLs, bearer tokens and connection strings, and
 * a failing rule quotes that data in `actual`/`message`; reports are uploaded as CI artifacts and
 * to code scanning. The console redacts what reaches stdout, but only line by line and after
 * rendering: a table may wrap a URL across lines, XML writes `&amp;sig=`, and `--output` files
 * never pass through the console at all. So every writer renders a redacted copy of the report
 * (`renderReport` calls this once), and the report says how many values were redacted.
 */
import type { Report, RuleResult } from '../evaluate/result.js';
import { redactSecrets } from '../core/redact.js';

/** A copy of `report` with secrets in machine-derived text replaced by `REDACTED`, plus a notice when any were. */
export function redactReport(report: Report): { report: Report; redacted: number } {
  let redacted = 0;
  const clean = (s: string): string => {
    const out = redactSecrets(s);
    if (out !== s) redacted++;
    return out;
  };
  const results = report.results.map((r): RuleResult => {
    const out: RuleResult = { ...r, expected: clean(r.expected), actual: clean(r.actual), message: clean(r.message) };
    if (r.target !== undefined) out.target = clean(r.target);
    return out;
  });
  const sources = report.sources.map(clean);
  const notices = report.notices.map(clean);
  if (redacted === 0) return { report, redacted };
  notices.push(`${redacted} field${redacted === 1 ? '' : 's'} of this report (found/expected values, messages, sources) held text that looks like a secret ` +
    '(SAS signature, bearer token, password or key in a URL or connection string); the secret part is shown as REDACTED, read the machine data itself for the full value');
  return { report: { ...report, results, sources, notices }, redacted };
}
