/**
 * Acceptance of the offline-hive gate: `driftscan check policies/rdp-access-denied.yaml
 * --hive SYSTEM=<real SYSTEM hive>` gives verdicts that agree with what reglookup (an
 * independent reader) shows for the same keys, and skips the SOFTWARE rule with a reason.
 */
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { needShared, repoRoot } from './support/paths.js';
import { sharedHiveFile } from './support/shared-hives.js';
import { haveReglookup, runReglookup } from './support/reglookup.js';
import { runCli } from './support/cli.js';

const skip = needShared('hives/SYSTEM.xz') || (haveReglookup() ? false : 'reglookup is not installed (apt-get install reglookup); skipping');

/** The value reglookup prints for KEY\VALUE (under the control set Select\Current names), or undefined. */
function oracle(hive: string, key: string, value: string): { type: string; value: string } | undefined {
  const current = runReglookup(hive, { path: 'Select' }).find((r) => r.valueName === 'Current');
  assert.ok(current, 'reglookup shows Select\\Current');
  const set = `ControlSet${String(Number(current.value)).padStart(3, '0')}`;
  const rows = runReglookup(hive, { path: `${set}\\${key}` });
  const row = rows.find((r) => r.valueName?.toLowerCase() === value.toLowerCase() && r.keyPath.toLowerCase() === `${set}\\${key}`.toLowerCase());
  return row ? { type: row.type, value: row.value } : undefined;
}

test('check --hive SYSTEM=<real hive>: SYSTEM rules agree with reglookup, the SOFTWARE rule is skipped with a reason', { skip }, () => {
  const hive = sharedHiveFile('SYSTEM.xz');
  const r = runCli(['check', 'policies/rdp-access-denied.yaml', '--hive', `SYSTEM=${hive}`, '--format', 'json']);
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  const results = Object.fromEntries((JSON.parse(r.stdout) as { results: Array<Record<string, string>> }).results.map((x) => [x.ruleId, x]));

  const ignore = oracle(hive, 'Control\\Terminal Server', 'IgnoreRegUserConfigErrors');
  const expectIgnore = ignore?.type === 'DWORD' && Number(ignore.value) === 1 ? 'pass' : 'fail';
  assert.equal(results['rdp-ignore-user-config-errors']!.status, expectIgnore);
  if (!ignore) assert.equal(results['rdp-ignore-user-config-errors']!.actual, 'no value');

  const token = oracle(hive, 'Control\\Lsa\\Kerberos\\Parameters', 'MaxTokenSize');
  assert.equal(results['kerberos-max-token-size']!.status, token?.type === 'DWORD' && Number(token.value) === 65535 ? 'pass' : 'fail');
  if (!token) assert.equal(results['kerberos-max-token-size']!.actual, 'no value');

  const obj = oracle(hive, 'Services\\TermService', 'ObjectName');
  assert.ok(obj, 'reglookup shows TermService ObjectName');
  const isNetworkService = /^nt authority\\(networkservice|network service)$/i.test(obj.value.replace(/%5C/gi, '\\'));
  assert.equal(results['termservice-runs-as-network-service']!.status, isNetworkService ? 'pass' : 'fail');

  const acl = results['rdp-cert-store-readable']!;
  assert.equal(acl.status, 'skipped');
  assert.match(acl.message!, /no SOFTWARE hive given/);
  assert.equal(r.status, Object.values(results).some((x) => x.status === 'fail') ? 1 : 0);
});

test('check with a damaged hive exits 2 with one line naming the file and byte offset', { skip: needShared('hives/corrupted_system_hive.xz') }, () => {
  const hive = sharedHiveFile('corrupted_system_hive.xz');
  const r = runCli(['check', 'policies/rdp-access-denied.yaml', '--hive', `SYSTEM=${hive}`]);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.match(r.stdout + r.stderr, /corrupted_system_hive.*byte 0x[0-9a-f]+/);
});

test('a hive read from a FIFO (read whole) gives the verdicts it gives as a file (read cell by cell)', { skip: process.platform === 'win32' ? 'no mkfifo' : false }, () => {
  // A regular file is read as its cells are needed; a FIFO has no size and is read whole first.
  const file = join(repoRoot, 'examples', 'image', 'Windows', 'System32', 'config', 'SYSTEM');
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-fifo-'));
  try {
    const fifo = join(dir, 'SYSTEM');
    execFileSync('mkfifo', [fifo]);
    const verdicts = (r: { status: number; stdout: string; stderr: string }) => {
      assert.equal(r.status, 1, r.stderr);
      return (JSON.parse(r.stdout) as { results: unknown[] }).results;
    };
    const args = ['check', 'policies/rdp-access-denied.yaml', '--format', 'json', '--hive'];
    const fromFile = verdicts(runCli([...args, `SYSTEM=${file}`]));
    // The shell writes the hive into the FIFO while the CLI reads it.
    const fromFifo = verdicts(runCli([...args, `SYSTEM=${fifo}`], { under: ['sh', '-c', 'cat "$0" > "$1" & shift; exec "$@"', file, fifo], timeoutMs: 60_000 }));
    assert.deepEqual(fromFifo, fromFile);
    assert.ok(fromFile.length > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
