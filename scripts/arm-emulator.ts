/**
 * `npm run emulator -- [--port N] [--state FILE] [--log FILE] [--faults JSON|@FILE] [--page-size N]
 * [--forbid SUBSCRIPTION]… [--guest-provisioning STATE,…] [--http] [--token-sha256 HEX] [--specs DIR]`
 *
 * Starts the ARM emulator (test/support/arm-emulator/, documented in docs/arm-emulator.md) on
 * 127.0.0.1, prints one JSON line `{"endpoint": "...", "ca": "<path of its CA certificate>"}` on
 * stdout and serves until killed (SIGINT/SIGTERM remove the certificate folder). Point driftscan at
 * it with `DRIFTSCAN_ARM_ENDPOINT=<endpoint> NODE_EXTRA_CA_CERTS=<ca> DRIFTSCAN_ARM_TOKEN=<any>`.
 * Test tooling: not part of the published package.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { ArmEmulator, defaultSpecsRoot } from '../test/support/arm-emulator/server.js';
import { checkFaultRule } from '../test/support/arm-emulator/faults.js';
import { readStateFile } from '../test/support/arm-emulator/state.js';

function fail(message: string): never {
  process.stderr.write(`arm-emulator: ${message}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
const opts: { port?: number; state?: string; log?: string; faults?: string; pageSize?: number; forbid: string[]; http: boolean; tokenSha256?: string; specs?: string; guestProvisioning?: string[] } = { forbid: [], http: false };
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  const value = () => {
    const v = args[++i];
    if (v === undefined) fail(`${a} needs a value`);
    return v;
  };
  const count = (v: string) => {
    if (!/^\d+$/.test(v)) fail(`${a} needs a whole number, not '${v}'`);
    return Number(v);
  };
  switch (a) {
    case '--port': opts.port = count(value()); break;
    case '--state': opts.state = value(); break;
    case '--log': opts.log = value(); break;
    case '--faults': opts.faults = value(); break;
    case '--page-size': opts.pageSize = count(value()); break;
    case '--forbid': opts.forbid.push(value()); break;
    case '--http': opts.http = true; break;
    case '--guest-provisioning': opts.guestProvisioning = value().split(',').map((x) => x.trim()).filter(Boolean); break;
    case '--token-sha256': opts.tokenSha256 = value(); break;
    case '--specs': opts.specs = value(); break;
    case '--help':
      process.stdout.write(`${readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*?|^ \* ?/gm, '')}\n`);
      process.exit(0);
    default: fail(`unknown option '${a}' (see --help)`);
  }
}

let state;
try {
  state = opts.state ? readStateFile(opts.state) : { subscriptions: [] };
} catch (err) {
  fail((err as Error).message);
}
let rules: unknown[] = [];
if (opts.faults) {
  const text = opts.faults.startsWith('@') ? readFileSync(opts.faults.slice(1), 'utf8') : opts.faults;
  try {
    const parsed = JSON.parse(text) as unknown;
    rules = Array.isArray(parsed) ? parsed : [parsed];
  } catch (err) {
    fail(`--faults is not JSON: ${(err as Error).message}`);
  }
}
if (opts.log) writeFileSync(opts.log, '');
const log = opts.log;
const emulator = await ArmEmulator.start({
  specsRoot: opts.specs ?? defaultSpecsRoot,
  state,
  ...(opts.port !== undefined ? { port: opts.port } : {}),
  ...(opts.pageSize !== undefined ? { pageSize: opts.pageSize } : {}),
  ...(opts.tokenSha256 ? { tokenSha256: opts.tokenSha256 } : {}),
  http: opts.http,
  ...(log ? { onLog: (e) => appendFileSync(log, `${JSON.stringify({ method: e.method, path: e.path, 'api-version': e.apiVersion, status: e.status, body: e.body, time: e.time, ...(e.operationId ? { operationId: e.operationId } : {}), ...(e.fault ? { fault: JSON.parse(e.fault) as unknown } : {}) })}\n`) } : {}),
});
try {
  rules.forEach((r, i) => emulator.faults.add(checkFaultRule(r, `--faults[${i}]`)));
} catch (err) {
  await emulator.close();
  fail((err as Error).message);
}
for (const s of opts.forbid) emulator.faults.forbidSubscription(s);
if (opts.guestProvisioning) {
  const bad = opts.guestProvisioning.find((x) => !['Succeeded', 'Failed', 'Canceled', 'Created'].includes(x));
  if (bad !== undefined || !opts.guestProvisioning.length) {
    await emulator.close();
    fail(`--guest-provisioning takes Succeeded, Failed, Canceled or Created, comma-separated, not '${bad ?? ''}'`);
  }
  emulator.guestProvisioning.sequence = opts.guestProvisioning;
}
process.stdout.write(`${JSON.stringify({ endpoint: emulator.endpoint, ca: emulator.caPath ?? null })}\n`);
const stop = () => {
  void emulator.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
