/**
 * Fleet scan benchmark (issue #11): `driftscan scan` of an emulated fleet — 100,000 machines ×
 * 5 baselines by default (`BENCH_MACHINES`, `BENCH_BASELINES`), 10 subscriptions, a fixed latency
 * per request (`BENCH_LATENCY_MS`, default 100) — in its own process against an emulator in
 * another. Per round: requests made (counted by the emulator), wall time against the floor
 * (requests × latency: what any client sending those requests one after another must wait), and
 * the scan process's peak RSS (`/usr/bin/time -f %M`). The naive scan (one report GET per
 * assignment) runs interleaved in the same loop on a sample of `BENCH_NAIVE_SAMPLE` assignments;
 * its whole-fleet time is that sample's per-request time × the fleet's assignments (extrapolated:
 * a full naive run of 500,000 sequential GETs would take hours).
 *
 * Targets: Resource Graph requests ≤ summary queries (3 per batch of subscriptions: machines,
 * assignment totals, policy exemptions) + ⌈non-compliant rows / 1000⌉; wall ≤ 1.2 ×
 * floor; peak RSS ≤ 300 MB.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, met, repoRoot, rounds, spread, times } from './support.js';
import { Fleet, subscriptionIds, type FleetSpec } from '../test/support/fleet-fixtures.js';
import { TOKEN } from '../test/support/azure-fixtures.js';
import { EmulatorProcess } from './emulator-process.js';

const MACHINES = Number(process.env.BENCH_MACHINES ?? 100_000);
const BASELINES = Number(process.env.BENCH_BASELINES ?? 5);
const RULES = 10;
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 100);
const NAIVE_SAMPLE = Number(process.env.BENCH_NAIVE_SAMPLE ?? 200);

function baselineYaml(n: number): string {
  const rules = Array.from({ length: RULES }, (_, r) => `    - id: fleet-${n}-rule-${r}\n      title: rule ${r}\n      severity: ${['critical', 'high', 'medium', 'low'][r % 4]}\n      registryValue:\n        path: HKLM\\SOFTWARE\\Contoso\\F${n}\n        name: V${r}\n        type: DWord\n        equals: ${r}\n`);
  return `apiVersion: driftscan/v1\nkind: Baseline\nmetadata:\n  name: fleet-${n}\n  version: 1.0.0\n  title: fleet ${n}\nspec:\n  assignment:\n    type: Audit\n  rules:\n${rules.join('')}`;
}

export async function benchFleet(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-bench-fleet-'));
  const baselines = join(dir, 'baselines');
  mkdirSync(baselines);
  for (let n = 0; n < BASELINES; n++) writeFileSync(join(baselines, `fleet-${n}.yaml`), baselineYaml(n));
  const spec: FleetSpec = {
    machines: MACHINES,
    subscriptions: subscriptionIds(10),
    baselines: Array.from({ length: BASELINES }, (_, n) => ({ name: `fleet-${n}`, rules: Array.from({ length: RULES }, (_, r) => `fleet-${n}-rule-${r}`) })),
  };
  const fleet = new Fleet(spec);
  const truth = fleet.truth(new Set(spec.subscriptions));
  const assignments = [...truth.totals].filter(([k]) => !k.endsWith('|Missing')).reduce((a, [, n]) => a + n, 0);
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'bench', 'fleet-emulator.js'), JSON.stringify(spec), String(LATENCY)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const emulator = new EmulatorProcess(child);
  try {
    const { endpoint } = await emulator.ask<{ endpoint: string }>();
    const env = { ...process.env, DRIFTSCAN_ARM_ENDPOINT: endpoint, DRIFTSCAN_ARM_TOKEN: TOKEN };
    const scan = () => {
      const t = performance.now();
      const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, join(repoRoot, 'bin', 'driftscan.js'), 'scan', baselines, '--all-subscriptions', '--history', join(dir, 'history.duckdb'), '--quiet', '--format', 'csv', '-o', '/dev/null'], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      const ms = performance.now() - t;
      if (r.status !== 1) throw new Error(`scan exited ${r.status}: ${r.stderr.slice(0, 500)}`);
      return { ms, rssMb: Number(r.stderr.trim().split('\n').pop()) / 1024 };
    };
    const naive = () => {
      const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'bench', 'fleet-naive.js'), endpoint, JSON.stringify(spec), String(NAIVE_SAMPLE)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`naive scan failed: ${r.stderr.slice(0, 300)}`);
      return JSON.parse(r.stdout) as { requests: number; ms: number };
    };
    // Warm-up: the emulator computes each query's rows once and serves later pages and rounds from
    // its cache, as Resource Graph's own compute is not what this measures.
    scan();
    naive();
    await emulator.ask<{ graph: number; arm: number }>('count');
    const n = rounds(3);
    const walls: number[] = [];
    const floors: number[] = [];
    const rss: number[] = [];
    const naivePerRequest: number[] = [];
    let counts = { graph: 0, arm: 0 };
    for (let round = 1; round <= n; round++) {
      const s = scan();
      counts = await emulator.ask<{ graph: number; arm: number }>('count');
      walls.push(s.ms);
      floors.push((counts.graph + counts.arm) * LATENCY);
      rss.push(s.rssMb);
      const v = naive();
      await emulator.ask<{ graph: number; arm: number }>('count');
      naivePerRequest.push(v.ms / v.requests);
    }
    const bound = 3 + Math.ceil(truth.failingRows / 1000);
    const wall = median(walls);
    const floor = median(floors);
    const naiveWall = median(naivePerRequest) * assignments;
    const out = (s: string) => process.stdout.write(`${s}\n`);
    out(`\nfleet scan: ${MACHINES.toLocaleString('en')} machines × ${BASELINES} baselines (${assignments.toLocaleString('en')} assignments, ${truth.nonCompliantAssignments.toLocaleString('en')} non-compliant, ${truth.failingRows.toLocaleString('en')} failing rule rows), 10 subscriptions, ${LATENCY} ms per request, ${n} rounds after 1 warm-up`);
    out(`requests: ${counts.graph} Resource Graph + ${counts.arm} ARM (subscription list and look-ups); target ≤ 3 summary (machines, assignment totals, exemptions) + ⌈${truth.failingRows} / 1000⌉ = ${bound} Resource Graph: ${met(counts.graph <= bound)}`);
    out(`wall: median ${(wall / 1000).toFixed(2)} s (${spread(walls)} ms); floor ${(floor / 1000).toFixed(2)} s = ${counts.graph + counts.arm} requests × ${LATENCY} ms; ratio ${times(wall / floor)}; target ≤ 1.20×: ${met(wall / floor <= 1.2)}`);
    out(`peak RSS of the scan process: median ${median(rss).toFixed(0)} MB (range ${Math.min(...rss).toFixed(0)}–${Math.max(...rss).toFixed(0)}); target ≤ 300 MB: ${met(Math.max(...rss) <= 300)}`);
    out(`naive (one report GET per assignment, sequential): ${median(naivePerRequest).toFixed(1)} ms per request over ${NAIVE_SAMPLE} sampled GETs per round → ${assignments.toLocaleString('en')} requests, ~${(naiveWall / 60_000).toFixed(0)} min extrapolated; driftscan scan is ${times(naiveWall / wall)} faster with ${times(assignments / (counts.graph + counts.arm))} fewer requests`);
  } finally {
    child.stdin!.end();
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchFleet();
