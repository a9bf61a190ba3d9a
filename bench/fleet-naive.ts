/**
 * The naive fleet scan the benchmark compares against: one report GET per guest assignment
 * (`…/guestConfigurationAssignments/{name}/reports`, api-version 2024-04-05), one after another,
 * for the first SAMPLE assignments of the fleet. Prints `{ requests, ms }`.
 *
 *     node dist/bench/fleet-naive.js ENDPOINT SPEC_JSON SAMPLE
 */
import { Fleet, type FleetSpec } from '../test/support/fleet-fixtures.js';

const [endpoint, specJson, sampleText] = process.argv.slice(2) as [string, string, string];
const fleet = new Fleet(JSON.parse(specJson) as FleetSpec);
const sample = Number(sampleText);
let requests = 0;
const t = performance.now();
outer: for (let i = 0; i < fleet.spec.machines; i++) {
  for (let j = 0; j < fleet.spec.baselines.length; j++) {
    if (requests >= sample) break outer;
    if (!fleet.windows(i) || fleet.state(i, j) === 'missing') continue;
    const url = `${endpoint}${fleet.machineId(i)}/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/${fleet.spec.baselines[j]!.name}/reports?api-version=2024-04-05`;
    const r = await fetch(url, { headers: { authorization: 'Bearer bench' } });
    await r.arrayBuffer();
    requests += 1;
  }
}
process.stdout.write(`${JSON.stringify({ requests, ms: performance.now() - t })}\n`);
