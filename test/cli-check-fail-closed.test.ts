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

test('--hive SYTEM=<SYSTEM hive> (a typo) is a usage error naming the known hives, not a user hive', { skip: needShared('hives/SYSTEM.xz') }, () => {
  const hive = sharedHiveFile('SYSTEM.xz');
  const r = runCli(['check', POLICY, '--hive', `SYTEM=${hive}`]);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.equal(r.stdout, '');
  const line = oneLine(r.stderr);
  assert.match(line, /SYTEM/);
  assert.match(line, /did you mean SYSTEM\?/);
  assert.match(line, /SYSTEM, SOFTWARE, SAM, SECURITY/);
});

test('--hive SYSTEM=<a SAM hive> is an error saying what the file is', { skip: needShared('hives/SAM.xz') }, () => {
  const sam = sharedHiveFile('SAM.xz');
  const r = runCli(['check', POLICY, '--hive', `SYSTEM=${sam}`]);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.equal(r.stdout, '');
  const line = oneLine(r.stderr);
  assert.ok(line.startsWith(`driftscan: ${sam} @ byte 0x`), line);
  assert.match(line, /is a SAM hive, not a SYSTEM hive/);
});

/**
 * The file offset of the type field of `Select\Current`'s `vk` record, found by walking the regf
 * structure directly (base block → root nk → subkey list → Select nk → value list → vk), so the
 * test does not depend on the reader it tests.
 */
function selectCurrentTypeOffset(hive: Buffer): number {
  const BASE = 4096;
  const cell = (rel: number) => BASE + rel + 4;
  const nkName = (p: number) => hive.toString('latin1', p + 76, p + 76 + hive.readUInt16LE(p + 72));
  const subkeys = (nk: number): number[] => {
    const out: number[] = [];
    const walk = (rel: number) => {
      const p = cell(rel);
      const sig = hive.toString('latin1', p, p + 2);
      const n = hive.readUInt16LE(p + 2);
      if (sig === 'ri') for (let i = 0; i < n; i++) walk(hive.readUInt32LE(p + 4 + i * 4));
      else if (sig === 'li') for (let i = 0; i < n; i++) out.push(hive.readUInt32LE(p + 4 + i * 4));
      else for (let i = 0; i < n; i++) out.push(hive.readUInt32LE(p + 4 + i * 8));
    };
    walk(hive.readUInt32LE(nk + 28));
    return out.map(cell);
  };
  const root = cell(hive.readUInt32LE(36));
  const select = subkeys(root).find((nk) => nkName(nk) === 'Select');
  assert.ok(select, 'the SYSTEM hive has a Select key');
  const count = hive.readUInt32LE(select + 36);
  const list = cell(hive.readUInt32LE(select + 40));
  for (let i = 0; i < count; i++) {
    const vk = cell(hive.readUInt32LE(list + i * 4));
    if (hive.toString('latin1', vk + 20, vk + 20 + hive.readUInt16LE(vk + 2)) === 'Current') return vk + 12;
  }
  assert.fail('Select has no value Current');
}

test('a one-bit flip in the type of Select\\Current: every CurrentControlSet rule is an error, exit 2', { skip: needShared('hives/SYSTEM.xz') }, () => {
  const bytes = Buffer.from(sharedHiveBytes('SYSTEM.xz'));
  const at = selectCurrentTypeOffset(bytes);
  assert.equal(bytes.readUInt32LE(at), 4, 'Select\\Current is a REG_DWORD in the intact hive');
  bytes[at]! ^= 0x01; // REG_DWORD (4) → REG_DWORD_BIG_ENDIAN (5)
  const file = join(dir, 'SYSTEM');
  writeFileSync(file, bytes);
  const r = runCli(['check', POLICY, '--hive', `SYSTEM=${file}`, '--format', 'json']);
  assert.equal(r.status, 2, r.stderr);
  const byId = results(r.stdout);
  for (const id of CCS_RULES) {
    assert.equal(byId[id]!.status, 'error', id);
    assert.match(byId[id]!.message, /Select value Current is REG_DWORD_BIG_ENDIAN, not a REG_DWORD/, id);
    assert.ok(byId[id]!.message.includes(`${file} @ byte 0x`), byId[id]!.message);
  }
  // The SOFTWARE rule is still only skipped: no SOFTWARE hive was given.
  assert.equal(byId['rdp-cert-store-readable']!.status, 'skipped');
});

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
