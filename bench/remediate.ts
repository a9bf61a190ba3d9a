/**
 * Remediation benchmark (issue #12): `driftscan remediate` for 10,000 drifted machines over three
 * DeployIfNotExists assignments (one per subscription) against an emulator in another process
 * whose tasks run on a clock (`BENCH_REMEDIATE_STEP_MS`, default 100 ms per step: Accepted one step,
 * then 10 deployments per step) under the tenant's limit of 100 running tasks. The history store
 * holds one recorded scan of the fleet (made once, not timed).
 *
 * Per round, interleaved: bare `node -e ""` (the reference), `remediate --plan`, then
 * `remediate --apply --wait` on an emulator reset to no tasks. Printed: tasks opened, the
 * emulator's peak of running tasks, wall times (median, spread) and the apply's wall against its
 * floor.
 *
 * Floor of `--apply --wait`: the plan's own time, plus ⌈tasks / 100⌉ waves × one task's duration
 * (step × (1 + ⌈100 / 10⌉)) — no client can finish sooner, because the limit lets at most 100 tasks
 * run at once and each task takes that long on the clock. Target: ≤ 1.5 × floor (the rest is
 * PUTs, polling granularity and listing deployments). Also: tasks opened = ⌈n/100⌉ per
 * assignment, peak ≤ 100.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, met, repoRoot, rounds, spread, times } from './support.js';
import { Fleet, subscriptionIds, type FleetSpec } from '../test/support/fleet-fixtures.js';
import { TOKEN } from '../test/support/azure-fixtures.js';
import { EmulatorProcess } from './emulator-process.js';

const DRIFTED = Number(process.env.BENCH_REMEDIATE_MACHINES ?? 10_000);
const STEP_MS = Number(process.env.BENCH_REMEDIATE_STEP_MS ?? 100);
const RULES = 4;
const LIMIT = 100;

const BASELINE = `apiVersion: driftscan/v1\nkind: Baseline\nmetadata:\n  name: fleet-0\n  version: 1.0.0\n  title: fleet 0\nspec:\n  assignment:\n    type: ApplyAndMonitor\n  rules:\n${Array.from({ length: RULES }, (_, r) => `    - id: fleet-0-rule-${r}\n      title: rule ${r}\n      severity: high\n      registryValue:\n        path: HKLM\\SOFTWARE\\Contoso\\F0\n        name: V${r}\n        type: DWord\n        equals: ${r}\n`).join('')}`;

export async function benchRemediate(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-bench-remediate-'));
  const baselines = join(dir, 'baselines');
  mkdirSync(baselines);
  writeFileSync(join(baselines, 'fleet-0.yaml'), BASELINE);
  const subs = subscriptionIds(3);
  const base: FleetSpec = { machines: 0, subscriptions: subs, baselines: [{ name: 'fleet-0', rules: Array.from({ length: RULES }, (_, r) => `fleet-0-rule-${r}`) }], missingPerMille: 0, pendingPerMille: 0, nonCompliantPerMille: 1000 };
  // The smallest fleet with exactly DRIFTED drifted Windows machines (Linux ones and Flexible scale sets carry no assignment).
  const probe = new Fleet({ ...base, machines: 2 * DRIFTED });
  let machines = 0;
  for (let count = 0; count < DRIFTED; machines++) if (probe.counted(machines)) count += 1;
  const spec: FleetSpec = { ...base, machines };
  const perSub = subs.map((s) => Array.from({ length: machines }, (_, i) => i).filter((i) => probe.counted(i) && probe.subscription(i) === s).length);
  const expectedTasks = perSub.reduce((n, k) => n + Math.ceil(k / LIMIT), 0);
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'bench', 'remediate-emulator.js'), JSON.stringify(spec), String(STEP_MS), '0'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const emulator = new EmulatorProcess(child);
  try {
    const { endpoint } = await emulator.ask<{ endpoint: string }>();
    const env = { ...process.env, DRIFTSCAN_ARM_ENDPOINT: endpoint, DRIFTSCAN_ARM_TOKEN: TOKEN };
    const history = join(dir, 'history.duckdb');
    const cli = (args: string[], ok: number) => {
      const t = performance.now();
      const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'driftscan.js'), ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      if (r.status !== ok) throw new Error(`driftscan ${args[0]} exited ${r.status}: ${r.stderr.slice(0, 500)}`);
      return performance.now() - t;
    };
    cli(['scan', baselines, '--all-subscriptions', '--history', history, '--quiet', '--format', 'csv', '-o', '/dev/null'], 1);
    const plan = () => cli(['remediate', baselines, '--history', history, '--quiet'], 0);
    const apply = () => cli(['remediate', baselines, '--history', history, '--apply', '--wait', '--poll-interval', `${STEP_MS}ms`, '--quiet'], 0);
    const node = () => {
      const t = performance.now();
      spawnSync(process.execPath, ['-e', '']);
      return performance.now() - t;
    };
    // Warm-up (page cache, the emulator's query cache), then interleaved rounds.
    node();
    plan();
    apply();
    await emulator.ask('reset');
    const n = rounds(3);
    const s = { node: [] as number[], plan: [] as number[], apply: [] as number[], peak: [] as number[], tasks: [] as number[] };
    for (let round = 0; round < n; round++) {
      s.node.push(node());
      s.plan.push(plan());
      s.apply.push(apply());
      const stats = await emulator.ask<{ tasks: number; peakRunning: number; refused: number }>('stats');
      s.peak.push(stats.peakRunning);
      s.tasks.push(stats.tasks);
      await emulator.ask('reset');
    }
    const taskMs = STEP_MS * (1 + Math.ceil(LIMIT / 10));
    const floor = median(s.plan) + Math.ceil(expectedTasks / LIMIT) * taskMs;
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(`\nremediate: ${DRIFTED.toLocaleString('en')} drifted machines (${perSub.join(' + ')}) over 3 assignments, tasks on a ${STEP_MS} ms clock (one task: ${taskMs} ms), tenant limit ${LIMIT}, ${n} rounds after 1 warm-up; load average ${loadavg()[0]!.toFixed(1)} at the start`);
    out(`tasks opened per --apply --wait: ${[...new Set(s.tasks)].join(', ')}; target ${expectedTasks} (⌈n/100⌉ per assignment): ${met(s.tasks.every((t) => t === expectedTasks))}`);
    out(`peak running tasks (emulator): max ${Math.max(...s.peak)}; target ≤ ${LIMIT}: ${met(Math.max(...s.peak) <= LIMIT)}`);
    out(`node -e "": median ${median(s.node).toFixed(0)} ms (${spread(s.node)} ms)`);
    out(`remediate --plan: median ${(median(s.plan) / 1000).toFixed(2)} s (${spread(s.plan)} ms), ${times(median(s.plan) / median(s.node))} node start-up`);
    out(`remediate --apply --wait: median ${(median(s.apply) / 1000).toFixed(2)} s (${spread(s.apply)} ms); floor ${(floor / 1000).toFixed(2)} s = plan + ${Math.ceil(expectedTasks / LIMIT)} waves × ${taskMs} ms; ratio ${times(median(s.apply) / floor)}; target ≤ 1.50×: ${met(median(s.apply) / floor <= 1.5)}`);
  } finally {
    child.stdin!.end();
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchRemediate();
