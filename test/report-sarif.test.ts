import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { renderReport } from '../src/report/index.js';
import { HOSTILE, mixedReport, report, result } from './support/report-fixtures.js';

const require = createRequire(import.meta.url);

/** The .NET multitool binary for this platform, if its optional package is installed. */
function multitoolPath(): string | undefined {
  try {
    const p = require('@microsoft/sarif-multitool') as string;
    return existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}
const multitool = multitoolPath();

const schemaFile = multitool ? join(multitool, '..', 'sarif-2.1.0.json') : undefined;

function sarifValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  return ajv.compile(JSON.parse(readFileSync(schemaFile!, 'utf8')) as object);
}

interface SarifLog {
  runs: Array<{
    tool: { driver: { name: string; version: string; informationUri: string; rules: Array<Record<string, any>> } };
    invocations: Array<{ executionSuccessful: boolean; toolExecutionNotifications?: Array<Record<string, any>> }>;
    originalUriBaseIds: Record<string, { uri: string }>;
    results: Array<Record<string, any>>;
    properties: Record<string, any>;
  }>;
}

/** Raw C0 controls (other than tab/LF/CR) and unpaired surrogates. */
const RAW_UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Every string value in a JSON tree. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

const render = (r = mixedReport(), cwd = '/work/repo') => JSON.parse(renderReport(r, 'sarif', { cwd })) as SarifLog;

function runTool(args: string[], cwd: string) {
  const r = spawnSync(multitool!, args, { cwd, encoding: 'utf8', env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1' } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('SARIF passes Microsoft SARIF multitool validate with no errors or warnings, and its SDK reads it back', { skip: multitool ? false : 'the @microsoft/sarif-multitool binary for this platform is not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-sarif-'));
  try {
    const ours = join(dir, 'driftscan.sarif');
    writeFileSync(ours, renderReport(mixedReport(), 'sarif', { cwd: dir }));
    // A control log the validator must complain about (no informationUri, no version): proves the
    // validator ran its rules, because it reports nothing at all for logs it fails to deserialize.
    const control = join(dir, 'control.sarif');
    writeFileSync(control, JSON.stringify({ $schema: 'https://json.schemastore.org/sarif-2.1.0.json', version: '2.1.0', runs: [{ tool: { driver: { name: 'control' } }, results: [] }] }));
    const outLog = join(dir, 'validation.sarif');
    const v = runTool(['validate', ours, control, '--json-schema', schemaFile!, '--output', outLog, '--log', 'ForceOverwrite'], dir);
    assert.equal(v.status, 0, v.out);
    const findings = (JSON.parse(readFileSync(outLog, 'utf8')) as SarifLog).runs[0]!.results;
    const uriOf = (f: Record<string, any>) => String(f.locations?.[0]?.physicalLocation?.artifactLocation?.uri ?? '');
    assert.ok(findings.some((f) => uriOf(f).endsWith('control.sarif') && f.ruleId === 'SARIF2005'), `validator did not run: ${v.out}`);
    const ourFindings = findings.filter((f) => uriOf(f).endsWith('driftscan.sarif'));
    assert.deepEqual(ourFindings.map((f) => `${f.level ?? 'warning'} ${f.ruleId}: ${JSON.stringify(f.message)}`), []);

    // `rewrite` deserializes the log with the SARIF SDK's object model and fails on anything it cannot read.
    const rw = runTool(['rewrite', ours, '--output', join(dir, 'rewritten.sarif'), '--log', 'ForceOverwrite'], dir);
    assert.equal(rw.status, 0, rw.out);
    assert.doesNotMatch(rw.out, /Exception/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SARIF validates against the official SARIF 2.1.0 JSON schema (ajv)', { skip: schemaFile ? false : 'the SARIF schema ships with the multitool platform package, which is not installed' }, () => {
  const validate = sarifValidator();
  for (const r of [mixedReport(), report([]), report([result({ ruleId: 'only-pass', status: 'pass' })])]) {
    const log = JSON.parse(renderReport(r, 'sarif', { cwd: '/work/repo' }));
    assert.ok(validate(log), JSON.stringify(validate.errors, null, 1));
  }
  // The validator is not vacuous: a level SARIF does not define is rejected.
  const broken = render();
  broken.runs[0]!.results[0]!.level = 'fatal';
  assert.equal(validate(broken), false);
});

test('SARIF tool.driver lists every rule with GitHub security-severity, help and tags', () => {
  const run = render().runs[0]!;
  assert.equal(run.tool.driver.name, 'driftscan');
  assert.equal(run.tool.driver.version, '0.1.0');
  assert.match(run.tool.driver.informationUri, /^https:\/\//);
  const rules = Object.fromEntries(run.tool.driver.rules.map((r) => [r.id, r]));
  assert.deepEqual(Object.keys(rules), [
    'rdp-access-denied/kerberos-max-token-size',
    'rdp-access-denied/rdp-ignore-user-config-errors',
    'rdp-access-denied/rdp-cert-store-readable',
    'rdp-access-denied/termservice-account',
    'rdp-hardening/nla-required',
    'rdp-hardening/weird|id`x',
  ]);
  const k = rules['rdp-access-denied/kerberos-max-token-size']!;
  assert.equal(k.name, 'KerberosMaxTokenSize');
  assert.equal(k.shortDescription.text, 'Title of kerberos-max-token-size.');
  assert.equal(k.fullDescription.text, 'Why it matters.');
  assert.match(k.help.text, /How to fix: Set it with `reg add`\./);
  assert.match(k.help.markdown, /\*\*How to fix\.\*\* Set it with \\`reg add\\`\./);
  assert.equal(k.defaultConfiguration.level, 'error');
  assert.equal(k.properties['security-severity'], '9.5');
  assert.ok(k.properties.tags.includes('security') && k.properties.tags.includes('rdp'));
  const bySeverity = (sev: string) => run.tool.driver.rules.find((r) => r.properties['security-severity'] === sev);
  assert.equal(bySeverity('8.0')!.defaultConfiguration.level, 'error'); // high
  assert.equal(bySeverity('5.5')!.defaultConfiguration.level, 'warning'); // medium
  assert.equal(bySeverity('3.0')!.defaultConfiguration.level, 'note'); // low
  assert.match(rules['rdp-hardening/weird|id`x']!.name, /^[A-Za-z][A-Za-z0-9]*$/);
});

test('SARIF results: failures and waived failures as kind fail, errors as kind open, passes and skips omitted', () => {
  const run = render().runs[0]!;
  const byId = Object.fromEntries(run.results.map((r) => [r.ruleId, r]));
  assert.deepEqual(Object.keys(byId).sort(), ['rdp-access-denied/kerberos-max-token-size', 'rdp-access-denied/termservice-account', 'rdp-hardening/nla-required', 'rdp-hardening/weird|id`x']);
  for (const r of run.results) assert.equal(run.tool.driver.rules[r.ruleIndex]!.id, r.ruleId);

  const fail = byId['rdp-access-denied/kerberos-max-token-size']!;
  assert.equal(fail.kind, 'fail');
  assert.equal(fail.level, 'error');
  assert.equal(fail.message.text, 'Title of kerberos-max-token-size: expected DWORD 65535, found DWORD 12000 (0x00002ee0) (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\Kerberos\\Parameters).');
  assert.deepEqual(fail.locations[0].physicalLocation, { artifactLocation: { uri: 'policies/rdp-access-denied.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 58, startColumn: 7 } });
  assert.equal(fail.suppressions, undefined);

  const waived = byId['rdp-hardening/nla-required']!;
  assert.equal(waived.kind, 'fail');
  assert.equal(waived.level, 'warning');
  assert.equal(waived.suppressions.length, 1);
  assert.equal(waived.suppressions[0].kind, 'external');
  assert.equal(waived.suppressions[0].status, 'accepted');
  assert.match(waived.suppressions[0].justification, /^legacy thin clients <until> "Q3" \]\]>.*owner team-vdi@example\.com, expires 2026-12-31\)$/s);
  for (const str of strings(waived)) assert.doesNotMatch(str, RAW_UNSAFE, 'no raw control characters or lone surrogates reach SARIF viewers');

  const error = byId['rdp-access-denied/termservice-account']!;
  assert.equal(error.kind, 'open');
  assert.equal(error.level, 'none', 'SARIF §3.27.10: level must be none when kind is not fail');

  const inv = run.invocations[0]!;
  assert.equal(inv.executionSuccessful, false);
  const notes = inv.toolExecutionNotifications!.map((n) => [n.level, n.associatedRule.id]);
  assert.deepEqual(notes, [['note', 'rdp-access-denied/rdp-cert-store-readable'], ['error', 'rdp-access-denied/termservice-account']]);
  assert.deepEqual(run.properties.summary, { total: 6, pass: 1, fail: 2, error: 1, waived: 1, skipped: 1 });
  assert.equal(run.originalUriBaseIds['%SRCROOT%']!.uri, 'file:///work/repo/');

  const clean = render(report([result({ ruleId: 'a', status: 'pass' })])).runs[0]!;
  assert.deepEqual(clean.results, []);
  assert.equal(clean.invocations[0]!.executionSuccessful, true);
});

test('SARIF locations: relative to cwd with %SRCROOT%, percent-encoded, absolute file URI outside cwd', () => {
  const r = report([
    result({ ruleId: 'a', status: 'fail', location: { file: '/work/repo/my policies/base#1.yaml', line: 3, col: 1 } }),
    result({ ruleId: 'b', status: 'fail', location: { file: '/elsewhere/x.yaml' } }),
    result({ ruleId: 'c', status: 'fail', location: { file: 'policies/c.yaml', line: 9 } }),
  ]);
  const locs = render(r).runs[0]!.results.map((x) => x.locations[0].physicalLocation);
  assert.deepEqual(locs[0], { artifactLocation: { uri: 'my%20policies/base%231.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 3, startColumn: 1 } });
  assert.deepEqual(locs[1], { artifactLocation: { uri: 'file:///elsewhere/x.yaml' } });
  assert.deepEqual(locs[2], { artifactLocation: { uri: 'policies/c.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 9 } });
});

test('SARIF partialFingerprints are stable per rule and target, not per line or message', () => {
  const fp = (over: Parameters<typeof result>[0]) => render(report([result(over)])).runs[0]!.results[0]!.partialFingerprints;
  const base = fp({ ruleId: 'a', status: 'fail' });
  assert.deepEqual(fp({ ruleId: 'a', status: 'fail', location: { file: 'policies/rdp-access-denied.yaml', line: 99, col: 3 }, actual: 'other', message: 'other' }), base);
  assert.notDeepEqual(fp({ ruleId: 'a', status: 'fail', target: 'HKLM\\SOFTWARE\\Other' }), base);
  assert.deepEqual(fp({ ruleId: 'a', status: 'waived', target: 'hklm\\system\\currentcontrolset\\control\\lsa\\kerberos\\parameters' }), base, 'registry case and waiving do not change the alert');
  assert.notDeepEqual(fp({ ruleId: 'b', status: 'fail' }), base);
  assert.notDeepEqual(fp({ ruleId: 'a', status: 'fail', baseline: 'other-baseline' }), base);
});

test('property: SARIF stays schema-valid for arbitrary text in every field', { skip: schemaFile ? false : 'SARIF schema not installed' }, () => {
  const validate = sarifValidator();
  const text = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 });
  fc.assert(
    fc.property(text, text, text, text, fc.constantFrom('pass', 'fail', 'error', 'waived', 'skipped'), (id, title, actual, reason, status) => {
      const r = result({ ruleId: id, title, actual, message: `expected x, found ${actual}`, rationale: reason, remediation: title, status, waiver: status === 'waived' ? { reason, owner: title, expires: '2030-01-01' } : undefined });
      const log = JSON.parse(renderReport(report([r]), 'sarif', { cwd: '/work/repo' }));
      assert.ok(validate(log), JSON.stringify(validate.errors));
      for (const str of strings(log)) assert.doesNotMatch(str, RAW_UNSAFE);
    }),
    { numRuns: 200 },
  );
});

test('SARIF with the hostile fixture keeps waiver text readable', () => {
  const text = renderReport(mixedReport(), 'sarif', { cwd: '/work/repo' });
  assert.ok(text.includes('🔒'), 'non-BMP characters survive');
  assert.ok(!text.includes(HOSTILE), 'raw controls are made visible');
  assert.ok(text.includes('\\\\x1b[31mred'), 'ESC shown as \\x1b');
});

test('SARIF help keeps remediation commands copy-pasteable (no period appended)', () => {
  const cmd = "Set-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server' -Name fDenyTSConnections -Type DWord -Value 1";
  const rule = render(report([result({ ruleId: 'a', status: 'fail', remediation: cmd })])).runs[0]!.tool.driver.rules[0]!;
  assert.ok(rule.help.text.endsWith(`How to fix: ${cmd}`), rule.help.text);
  assert.ok(rule.help.markdown.includes("-Name fDenyTSConnections -Type DWord -Value 1\n"), rule.help.markdown);
});
