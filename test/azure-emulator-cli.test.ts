/**
 * The standalone emulator (`npm run emulator`, scripts/arm-emulator.ts) as a user runs it: one JSON
 * line with endpoint and CA, `--state`, `--log` (one JSON line per request), `--faults`, `--forbid`,
 * `--page-size`, `--token-sha256`; and a separate driftscan process (test/support/azure-probe.ts)
 * that trusts the emulator only through NODE_EXTRA_CA_CERTS, with SDK logging turned on — the token
 * must appear nowhere in its output or the emulator's log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { SPECS_RELATIVE } from './support/arm-emulator/server.js';
import { needShared, repoRoot } from './support/paths.js';
import { SUB, SUB2, TOKEN, TOKEN_SHA256, fleetState } from './support/azure-fixtures.js';

const skip = needShared(SPECS_RELATIVE);
const fromSources = import.meta.url.endsWith('.ts');
const script = (name: string) => (fromSources ? ['--import', import.meta.resolve('tsx'), join(repoRoot, `${name}.ts`)] : [join(repoRoot, 'dist', `${name}.js`)]);

async function startEmulator(args: string[]): Promise<{ child: ChildProcess; endpoint: string; ca: string }> {
  const child = spawn(process.execPath, [...script('scripts/arm-emulator'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const first = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`emulator exited ${code}: ${err}`)));
  });
  const { endpoint, ca } = JSON.parse(first) as { endpoint: string; ca: string };
  return { child, endpoint, ca };
}

test('npm run emulator: --state, --log, --faults, --forbid, and a driftscan process that trusts it through NODE_EXTRA_CA_CERTS', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-emulator-cli-'));
  const state = join(dir, 'state.json');
  const log = join(dir, 'requests.jsonl');
  writeFileSync(state, JSON.stringify(fleetState(2)));
  const faults = JSON.stringify([{ method: 'PUT', path: 'policyDefinitions/probe', status: 429, retryAfterMs: 50, times: 1 }]);
  const { child, endpoint, ca } = await startEmulator(['--state', state, '--log', log, '--faults', faults, '--forbid', SUB2, '--page-size', '1', '--token-sha256', TOKEN_SHA256]);
  try {
    assert.match(endpoint, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(readFileSync(ca, 'utf8'), /^-----BEGIN CERTIFICATE-----/);
    const env = { ...process.env, DRIFTSCAN_ARM_ENDPOINT: endpoint, DRIFTSCAN_ARM_TOKEN: TOKEN, NODE_EXTRA_CA_CERTS: ca, AZURE_LOG_LEVEL: 'verbose' };
    const probe = spawnSync(process.execPath, [...script('test/support/azure-probe'), SUB, SUB2], { env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(probe.status, 3, probe.stderr);
    assert.match(probe.stdout, /^subscriptions: Development, Production\ncreated \/subscriptions\/00000000-0000-0000-0000-000000000001\/providers\/Microsoft\.Authorization\/policyDefinitions\/probe\n$/);
    const lines = probe.stderr.trimEnd().split('\n');
    assert.equal(lines.at(-1), `driftscan: no permission in subscription 'Production' (${SUB2}) for PUT /subscriptions/${SUB2}/providers/Microsoft.Authorization/policyDefinitions/probe: 403 AuthorizationFailed: The client 'driftscan-test' with object id '00000000-0000-0000-0000-0000000000aa' does not have authorization to perform action 'Microsoft.Authorization/policyDefinitions/write' over scope '/subscriptions/${SUB2}/providers/Microsoft.Authorization/policyDefinitions/probe' or the scope is invalid.`);
    assert.ok(lines.some((l) => /^azure: PUT https:\/\/127\.0\.0\.1:\d+\/subscriptions\/.*\/probe\?api-version=2024-05-01 → 429/.test(l)), 'verbose request lines');
    assert.ok(lines.some((l) => /Authorization/i.test(l)), 'SDK log lines (AZURE_LOG_LEVEL=verbose) went through the console');

    const entries = readFileSync(log, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const e of entries) for (const k of ['method', 'path', 'api-version', 'status', 'body']) assert.ok(k in e, `${k} in ${JSON.stringify(e)}`);
    assert.deepEqual(entries.filter((e) => e.method === 'GET' && e.path === '/subscriptions').map((e) => e.status), [200, 200], 'two pages of one');
    const puts = entries.filter((e) => e.method === 'PUT');
    assert.deepEqual(puts.map((e) => e.status), [429, 201, 403]);
    assert.equal(puts[1]!['api-version'], '2024-05-01');
    assert.equal((puts[1]!.body as { properties: { mode: string } }).properties.mode, 'Indexed');

    const everything = [probe.stdout, probe.stderr, readFileSync(log, 'utf8')].join('\n');
    for (const piece of [TOKEN, TOKEN.split('.')[1]!, TOKEN.split('.')[2]!]) assert.ok(!everything.includes(piece), 'the token leaked');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(existsSync(dirname(ca)), false, 'the certificate folder is removed on SIGTERM');
});

test('npm run emulator refuses a bad state file or fault rule with one line and exit 2', { skip, timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-emulator-cli-'));
  try {
    const state = join(dir, 'state.json');
    writeFileSync(state, JSON.stringify({ subscriptions: [{ subscriptionId: 'nope', displayName: 'x' }] }));
    const bad = spawnSync(process.execPath, [...script('scripts/arm-emulator'), '--state', state], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, `arm-emulator: ${state}: subscriptions[0].subscriptionId must be a GUID\n`);
    const rows = spawnSync(process.execPath, [...script('scripts/arm-emulator'), '--faults', '[{"status":429,"retryAfter":"1"}]'], { encoding: 'utf8' });
    assert.equal(rows.status, 2);
    assert.equal(rows.stderr, 'arm-emulator: --faults[0].retryAfter must be a non-negative number\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
