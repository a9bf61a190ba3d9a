/**
 * "The same rule must give the same verdict, with the same wording, everywhere": the sample image's
 * hives, a .reg export of them and a JSON snapshot of them (both written by `driftscan export`) must
 * give identical results for every rule of every shipped baseline — except that a .reg file carries
 * no ACLs, so ACL rules are skipped there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/cli.js';

const CONFIG = 'examples/image/Windows/System32/config';

interface Row { ruleId: string; status: string; expected: string; actual: string; message: string; kind: string }

function results(args: string[]): Row[] {
  const r = runCli(['check', 'policies/', ...args, '--format', 'json']);
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return (JSON.parse(r.stdout) as { results: Row[] }).results;
}

test('hives, a .reg export and a snapshot of the same machine give the same verdicts and messages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-consistency-'));
  try {
    const reg: string[] = [];
    const snapshotKeys: unknown[] = [];
    for (const hive of ['SYSTEM', 'SOFTWARE']) {
      const file = join(dir, `${hive}.reg`);
      const e = runCli(['export', '--hive', join(CONFIG, hive), '--output', file]);
      assert.equal(e.status, 0, e.stderr);
      reg.push('--reg', file);
      const j = runCli(['export', '--hive', join(CONFIG, hive), '--format', 'json', '--security']);
      assert.equal(j.status, 0, j.stderr);
      snapshotKeys.push(...(JSON.parse(j.stdout) as { keys: unknown[] }).keys);
    }
    const snapshot = join(dir, 'snapshot.json');
    writeFileSync(snapshot, JSON.stringify({ schema: 'driftscan-snapshot/v1', keys: snapshotKeys }));

    const fromHives = results(['--windows-dir', 'examples/image']);
    const fromReg = results(reg);
    const fromSnapshot = results(['--snapshot', snapshot]);
    assert.ok(fromHives.length >= 10);
    assert.ok(fromHives.some((r) => r.status === 'fail') && fromHives.some((r) => r.status === 'pass'));
    for (let i = 0; i < fromHives.length; i++) {
      const h = fromHives[i]!;
      const pick = (r: Row) => ({ ruleId: r.ruleId, status: r.status, expected: r.expected, actual: r.actual, message: r.message });
      assert.deepEqual(pick(fromSnapshot[i]!), pick(h), `snapshot vs hive: ${h.ruleId}`);
      if (h.kind === 'registryAcl') {
        assert.equal(fromReg[i]!.status, 'skipped', h.ruleId);
        assert.match(fromReg[i]!.message, /carries no ACLs/);
      } else {
        assert.deepEqual(pick(fromReg[i]!), pick(h), `.reg vs hive: ${h.ruleId}`);
      }
    }
    assert.ok(readFileSync(join(dir, 'SYSTEM.reg')).subarray(0, 2).equals(Buffer.from([0xff, 0xfe])), '.reg export is UTF-16LE with BOM');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
