/**
 * Issue #8, "the gate passes when it evaluated nothing": `check` must fail closed. Each defect the
 * reporter found is reproduced here through the CLI, as a CI job would run it: a typo in a hive
 * name, a SAM hive given as SYSTEM, a bit flip in `Select\Current`, a `.reg` cut off mid-line or
 * after its header, and a run in which every rule was skipped.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/cli.js';
import { needShared } from './support/paths.js';
import { sharedHiveBytes, sharedHiveFile } from './support/shared-hives.js';

const dir = mkdtempSync(join(tmpdir(), 'driftscan-fail-closed-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const POLICY = 'policies/rdp-access-denied.yaml';
/** The rules of POLICY that read HKLM\SYSTEM\CurrentControlSet (the fourth reads SOFTWARE). */
const CCS_RULES = ['rdp-ignore-user-config-errors', 'kerberos-max-token-size', 'termservice-runs-as-network-service'];

type Result = { ruleId: string; status: string; message: string };
const results = (stdout: string): Record<string, Result> =>
  Object.fromEntries((JSON.parse(stdout) as { results: Result[] }).results.map((r) => [r.ruleId, r]));

/** stderr is exactly one `driftscan: …` line (no stack trace, no second line). */
function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, /^driftscan: /);
  return lines[0]!;
}

/** examples/drifted.reg (UTF-16LE with BOM) cut after the first occurrence of `marker`. */
function cutDriftedReg(marker: string, name: string): string {
  const bytes = readFileSync('examples/drifted.reg');
  const text = bytes.subarray(2).toString('utf16le');
  const end = text.indexOf(marker);
  assert.ok(end > 0, marker);
  const file = join(dir, name);
  writeFileSync(file, bytes.subarray(0, 2 + 2 * (end + marker.length)));
  return file;
}

test('a .reg cut off mid-line is a located error, not a shorter export', () => {
  // Cut inside the first key block: before the fix the one rule it answers passed and the others were skipped (exit 0).
  const dword = cutDriftedReg('"TSUserEnabled"=dword:000', 'cut-dword.reg');
  let r = runCli(['check', POLICY, '--reg', dword]);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.equal(r.stdout, '');
  assert.match(oneLine(r.stderr), new RegExp(`^driftscan: ${dword.replace(/[\\.]/g, '\\$&')}:11:26: file ends inside the value "TSUserEnabled" without a line break: the file looks truncated`));
  // Cut in the middle of a wrapped hex(2) value: the shorter data would otherwise be read as the value.
  const hex = cutDriftedReg('  74,00,25,00,5c,00,53,00,79', 'cut-hex.reg');
  r = runCli(['check', POLICY, '--reg', hex]);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(oneLine(r.stderr), /cut-hex\.reg:29:29: file ends inside the value "ImagePath" started at line 28 without a line break/);
  // The intact file still gives its verdicts.
  assert.equal(runCli(['check', POLICY, '--reg', 'examples/drifted.reg']).status, 1);
});

test('a .reg with only its header is an input error: it holds no registry state', () => {
  const file = join(dir, 'header-only.reg');
  writeFileSync(file, 'Windows Registry Editor Version 5.00\r\n\r\n');
  const r = runCli(['check', POLICY, '--reg', file]);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.equal(r.stdout, '');
  assert.match(oneLine(r.stderr), /header-only\.reg:3:1: no \[key\] block after the header/);
});

test('a run in which every rule is skipped exits 2 and says why in one line; --allow-all-skipped accepts it', () => {
  // A well-formed export of a key no rule reads: every rule is skipped.
  const file = join(dir, 'unrelated.reg');
  writeFileSync(file, 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\Software\\Unrelated]\r\n"x"=dword:00000001\r\n\r\n');
  const r = runCli(['check', POLICY, '--reg', file, '--format', 'json']);
  assert.equal(r.status, 2, r.stderr);
  assert.ok(Object.values(results(r.stdout)).every((x) => x.status === 'skipped'), 'the report is still written');
  assert.match(
    oneLine(r.stderr),
    /^driftscan: every rule was skipped \(4 rules\), nothing was checked; first: rdp-cert-store-readable: .*unrelated\.reg .* \(pass --allow-all-skipped to accept\)$/,
  );
  const allowed = runCli(['check', POLICY, '--reg', file, '--allow-all-skipped']);
  assert.equal(allowed.status, 0, allowed.stderr);
  assert.equal(allowed.stderr, '');
  // --fail-on-skipped still counts skips as failures when all-skipped runs are allowed.
  assert.equal(runCli(['check', POLICY, '--reg', file, '--allow-all-skipped', '--fail-on-skipped']).status, 1);
  // One evaluated rule is enough for the old rules: skipped rules alone do not fail the run.
  const partly = runCli(['check', POLICY, '--reg', 'examples/drifted.reg', '--param', 'maxTokenSize=12000']);
  assert.equal(partly.status, 0, partly.stderr);
});
