/**
 * The remediation benchmark's ARM emulator, in its own process (the CLI runs as child processes the
 * benchmark waits for): a generated fleet (test/support/fleet-fixtures.ts) over three subscriptions,
 * each with driftscan's DeployIfNotExists definition of baseline `fleet-0` assigned at the
 * subscription, remediation tasks on a clock with the tenant limit of 100. Prints one JSON line
 * `{ endpoint }`; answers each stdin line `stats` with `{ tasks, peakRunning, refused }` and `reset`
 * (forget every task) with `{ ok: true }`.
 *
 *     node dist/bench/remediate-emulator.js SPEC_JSON STEP_MS LATENCY_MS
 */
import { createInterface } from 'node:readline';
import { ArmEmulator } from '../test/support/arm-emulator/server.js';
import { Fleet, type FleetSpec } from '../test/support/fleet-fixtures.js';

const spec = JSON.parse(process.argv[2]!) as FleetSpec;
const stepMs = Number(process.argv[3] ?? 100);
const latency = Number(process.argv[4] ?? 0);
const fleet = new Fleet(spec);
const baseline = spec.baselines[0]!.name;
const rows = spec.subscriptions.flatMap((sub) => {
  const def = `/subscriptions/${sub}/providers/Microsoft.Authorization/policyDefinitions/${baseline}-dine`;
  return [
    {
      id: def, name: `${baseline}-dine`, type: 'microsoft.authorization/policydefinitions', subscriptionId: sub,
      properties: {
        policyType: 'Custom', mode: 'Indexed',
        metadata: { category: 'Guest Configuration', driftscan: { managedBy: 'driftscan', baseline } },
        parameters: { effect: { type: 'String', defaultValue: 'DeployIfNotExists' } },
        policyRule: { if: { field: 'type', equals: 'Microsoft.Compute/virtualMachines' }, then: { effect: "[parameters('effect')]" } },
      },
    },
    {
      id: `/subscriptions/${sub}/providers/Microsoft.Authorization/policyAssignments/driftscan-${baseline}`, name: `driftscan-${baseline}`,
      type: 'microsoft.authorization/policyassignments', subscriptionId: sub, location: 'westeurope',
      properties: { scope: `/subscriptions/${sub}`, notScopes: [], policyDefinitionId: def, parameters: {}, enforcementMode: 'Default' },
    },
  ];
});
const emulator = await ArmEmulator.start({
  http: true,
  state: { subscriptions: spec.subscriptions.map((s, i) => ({ subscriptionId: s, displayName: `Bench ${i + 1}` })), tables: { policyresources: rows } },
  generatedTables: fleet.tables(),
  graphLatencyMs: latency,
  armLatencyMs: latency,
  remediations: { stepMs },
});
// The request log would hold every request body: the bench only counts.
emulator.requests.push = () => 0;
process.stdout.write(`${JSON.stringify({ endpoint: emulator.endpoint })}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = line.trim();
  if (cmd === 'stats') process.stdout.write(`${JSON.stringify({ tasks: emulator.remediations.size, peakRunning: emulator.remediations.peakRunning, refused: emulator.remediations.refusedForLimit })}\n`);
  if (cmd === 'reset') {
    for (const [id, r] of emulator.store) if (String(r.type).toLowerCase() === 'microsoft.policyinsights/remediations') emulator.store.delete(id);
    emulator.remediations.reset();
    process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
  }
});
process.stdin.on('end', () => void emulator.close().then(() => process.exit(0)));
