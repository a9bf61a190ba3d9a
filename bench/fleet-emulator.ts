/**
 * The benchmark's ARM emulator, in its own process so the scan's peak RSS is driftscan's alone:
 * a generated fleet (test/support/fleet-fixtures.ts; rows made on demand), plain HTTP on loopback,
 * a fixed latency per request. Prints one JSON line `{ endpoint }`; then answers each stdin line
 * `count` with the number of requests since the last `count` (Resource Graph and other ARM), as
 * one JSON line.
 *
 *     node dist/bench/fleet-emulator.js SPEC_JSON LATENCY_MS
 */
import { createInterface } from 'node:readline';
import { ArmEmulator } from '../test/support/arm-emulator/server.js';
import { Fleet, type FleetSpec } from '../test/support/fleet-fixtures.js';

const spec = JSON.parse(process.argv[2]!) as FleetSpec;
const latency = Number(process.argv[3] ?? 0);
const fleet = new Fleet(spec);
let graph = 0;
let arm = 0;
const emulator = await ArmEmulator.start({
  http: true,
  state: { subscriptions: spec.subscriptions.map((s, i) => ({ subscriptionId: s, displayName: `Bench ${i + 1}` })) },
  generatedTables: fleet.tables(),
  graphLatencyMs: latency,
  armLatencyMs: latency,
  onLog: (e) => {
    if (/ResourceGraph/i.test(e.path)) graph += 1;
    else arm += 1;
  },
});
// The request log would hold every request body: the bench only counts.
emulator.requests.push = () => 0;
process.stdout.write(`${JSON.stringify({ endpoint: emulator.endpoint })}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'count') {
    process.stdout.write(`${JSON.stringify({ graph, arm })}\n`);
    graph = 0;
    arm = 0;
  }
});
process.stdin.on('end', () => void emulator.close().then(() => process.exit(0)));
