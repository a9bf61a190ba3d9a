import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/cli.js';

test('check on the drifted .reg sample: exit 1, failing rows say expected vs found, ACL rule skipped', () => {
  const r = runCli(['check', 'policies/rdp-access-denied.yaml', '--reg', 'examples/drifted.reg', '--format', 'json']);
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { results: Array<Record<string, string>>; summary: Record<string, number> };
  const byId = Object.fromEntries(out.results.map((x) => [x.ruleId, x]));
  assert.deepEqual(Object.keys(out.results[0]!).slice(0, 7), ['baseline', 'ruleId', 'status', 'severity', 'expected', 'actual', 'message']);
  assert.equal(byId['kerberos-max-token-size']!.status, 'fail');
  assert.equal(byId['kerberos-max-token-size']!.message, 'expected DWORD 65535, found DWORD 12000 (0x00002ee0)');
  assert.equal(byId['rdp-ignore-user-config-errors']!.status, 'pass');
  assert.equal(byId['termservice-runs-as-network-service']!.status, 'pass');
  assert.equal(byId['rdp-cert-store-readable']!.status, 'skipped');
  assert.match(byId['rdp-cert-store-readable']!.message!, /\.reg/);
  assert.equal(out.summary.fail, 1);
});

test('check --param overrides a parameter', () => {
  const r = runCli(['check', 'policies/rdp-access-denied.yaml', '--reg', 'examples/drifted.reg', '--format', 'json', '--param', 'maxTokenSize=12000']);
  assert.equal(r.status, 0, r.stderr);
});

test('check --output writes the report atomically and prints a summary to stderr', () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-check-'));
  try {
    const file = join(dir, 'out', 'report.json');
    const r = runCli(['check', 'policies/rdp-access-denied.yaml', '--reg', 'examples/drifted.reg', '--format', 'json', '--output', file]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /wrote json report to .*report\.json \(2 passed, 1 failed, 0 errors, 0 waived, 1 skipped\)/);
    assert.ok(JSON.parse(readFileSync(file, 'utf8')).results);
    assert.deepEqual(readdirSync(join(dir, 'out')), ['report.json'], 'no temp files left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('usage and input errors exit 2 with one line and no stack trace', () => {
  const cases: Array<[string[], RegExp]> = [
    [['check', 'policies/rdp-access-denied.yaml'], /^driftscan: no machine state given: use --reg FILE/],
    [['check', 'policies/rdp-access-denied.yaml', '--reg', 'does-not-exist.reg'], /^driftscan: does-not-exist\.reg: cannot read does-not-exist\.reg: no such file$/],
    [['check', 'nope.yaml', '--reg', 'examples/drifted.reg'], /^driftscan: baseline path not found: nope\.yaml$/],
    [['check', '--reg', 'examples/drifted.reg', '--format', 'xml'], /argument 'xml' is invalid/],
    [['check', 'policies/rdp-access-denied.yaml', '--hive', 'SYSTEM'], /^driftscan: --hive expects NAME=FILE/],
  ];
  for (const [args, re] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.split('\n')[0]!, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('a damaged input leaves no output file behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-check-'));
  try {
    const file = join(dir, 'report.sarif');
    const r = runCli(['check', 'policies/rdp-access-denied.yaml', '--reg', 'package.json', '--format', 'sarif', '--output', file]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^driftscan: package\.json:1:1: /);
    assert.equal(existsSync(file), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--help documents commands and exit codes', () => {
  const r = runCli(['--help']);
  assert.equal(r.status, 0);
  for (const word of ['check', 'validate', 'collector', 'schema', 'Exit codes:', '0  every rule passes']) assert.ok(r.stdout.includes(word), word);
  const c = runCli(['check', '--help']);
  for (const word of ['--reg', '--snapshot', '--hive', '--windows-dir', '--format', 'sarif', 'junit', '--output', 'Exit codes:']) assert.ok(c.stdout.includes(word), word);
});

test('the committed JSON Schema matches what driftscan generates', () => {
  const r = runCli(['schema']);
  assert.equal(r.status, 0);
  assert.equal(readFileSync('schema/baseline.schema.json', 'utf8'), r.stdout);
});

test('check on the sample snapshot evaluates ACLs from SDDL and says which ACEs are present', () => {
  const r = runCli(['check', 'policies/rdp-access-denied.yaml', '--snapshot', 'examples/snapshot.json', '--format', 'json']);
  assert.equal(r.status, 1, r.stderr);
  const results = (JSON.parse(r.stdout) as { results: Array<Record<string, string>> }).results;
  const acl = results.find((x) => x.ruleId === 'rdp-cert-store-readable')!;
  assert.equal(acl.status, 'fail');
  assert.match(acl.actual!, /^BUILTIN\\Remote Desktop Users \(S-1-5-32-555\) has no Allow ACE with ReadKey; ACEs present: NT AUTHORITY\\SYSTEM \(S-1-5-18\) Allow FullControl; /);
  assert.equal(results.find((x) => x.ruleId === 'kerberos-max-token-size')!.actual, 'no value');
});

test('collector writes a PowerShell script that reads exactly what the baselines reference', () => {
  const r = runCli(['collector', 'policies/rdp-access-denied.yaml']);
  assert.equal(r.status, 0, r.stderr);
  for (const key of [
    'HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\Remote Desktop\\Certificates',
    'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server',
    'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\Kerberos\\Parameters',
    'HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService',
  ]) assert.ok(r.stdout.includes(key), key);
  assert.match(r.stdout, /MaxTokenSize/);
  assert.match(r.stdout, /driftscan-snapshot\/v1/);
});

test('README main command: the sample image hives give verdicts for every rule, ACLs from security descriptors, exit 1', () => {
  const readme = readFileSync('README.md', 'utf8');
  const command = /npm ci && npx driftscan (check [^\n]+)/.exec(readme);
  assert.ok(command, 'README starts with the npm ci && npx driftscan check … command');
  const args = command[1]!.trim().split(/\s+/);
  assert.deepEqual(args, ['check', 'policies/rdp-access-denied.yaml', '--windows-dir', 'examples/image']);
  const table = runCli(args);
  assert.equal(table.status, 1, table.stderr);
  assert.match(table.stdout, /FAIL +│ high +│ rdp-cert-store-readable/);
  assert.match(table.stdout, /expected DWORD 65535/);
  assert.match(table.stdout, /found DWORD 12000 \(0x00002ee0\)/);
  const json = JSON.parse(runCli([...args, '--format', 'json']).stdout) as { results: Array<Record<string, string>> };
  const byId = Object.fromEntries(json.results.map((x) => [x.ruleId, x]));
  assert.equal(byId['rdp-cert-store-readable']!.status, 'fail');
  assert.match(byId['rdp-cert-store-readable']!.actual!, /^BUILTIN\\Remote Desktop Users \(S-1-5-32-555\) has no Allow ACE with ReadKey; ACEs present: /);
  assert.equal(byId['rdp-ignore-user-config-errors']!.status, 'pass');
  assert.equal(byId['termservice-runs-as-network-service']!.status, 'pass');
  assert.equal(json.results.filter((x) => x.status === 'skipped').length, 0);
});

test('--fail-on-severity gates only on failures at or above the threshold; --fail-on-skipped counts skips', () => {
  const base = ['check', 'policies/rdp-access-denied.yaml', '--reg', 'examples/drifted.reg', '--format', 'json'];
  // The only failure (kerberos-max-token-size) is high; the ACL rule is skipped (.reg has no ACLs).
  assert.equal(runCli([...base, '--fail-on-severity', 'high']).status, 1);
  const critical = runCli([...base, '--fail-on-severity', 'critical']);
  assert.equal(critical.status, 0, critical.stderr);
  assert.equal((JSON.parse(critical.stdout) as { summary: { fail: number } }).summary.fail, 1, 'failures are still reported');
  assert.equal(runCli([...base, '--param', 'maxTokenSize=12000']).status, 0);
  assert.equal(runCli([...base, '--param', 'maxTokenSize=12000', '--fail-on-skipped']).status, 1);
  assert.equal(runCli([...base, '--fail-on-severity', 'urgent']).status, 2);
});
