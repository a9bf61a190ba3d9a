/**
 * Gate benchmark: the whole `driftscan check policies/rdp-access-denied.yaml --hive SYSTEM=…`
 * process against the largest real SYSTEM hive (regipy SYSTEM_B, 12.8 MB), next to
 *   - bare Node.js start-up (`node -e ""`), the floor of any Node CLI, and
 *   - `reglookup` doing the same lookups in the same hive, one process per lookup.
 * All variants run interleaved in one loop. The target (issue #7): the gate's overhead above bare
 * Node, median(check) - median(node), is at most bare Node's own start-up, median(node).
 *
 * The lookups driftscan makes for this baseline with only a SYSTEM hive (the shared data has no
 * SOFTWARE hive, so the registryAcl rule on HKLM\SOFTWARE\…\Remote Desktop\Certificates is
 * reported "skipped" without touching any hive):
 *   1. SYSTEM\Select, value Current: resolves CurrentControlSet to ControlSet00<n> (once per run)
 *   2. ControlSet00<n>\Control\Terminal Server, value IgnoreRegUserConfigErrors
 *   3. ControlSet00<n>\Control\Lsa\Kerberos\Parameters, value MaxTokenSize
 *   4. ControlSet00<n>\Services\TermService, value ObjectName (the rule checks the account only)
 * The reglookup reference makes exactly these four lookups with `reglookup -H -p <key>/<value>`,
 * and like a shell gate it reads Select\Current from the first call's output to build the others.
 * (SYSTEM_B's Terminal Server and Kerberos keys lack those values; both tools still look them up.)
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  bareNode, cliLaunchers, have, interleave, median, met, paired, printSamples, quantile, repoRoot, rounds, run, times, unpackHive,
  type Variant,
} from './support.js';

const BASELINE = join(repoRoot, 'policies', 'rdp-access-denied.yaml');
const VALUE_LOOKUPS = [
  ['Control', 'Terminal Server', 'IgnoreRegUserConfigErrors'],
  ['Control', 'Lsa', 'Kerberos', 'Parameters', 'MaxTokenSize'],
  ['Services', 'TermService', 'ObjectName'],
];
const NODE = 'node -e ""';
const REGLOOKUP = `reglookup ×${VALUE_LOOKUPS.length + 1}`;

/** The four lookups as a reglookup-based gate would make them; returns the values' output lines. */
function reglookupGate(hive: string): string[] {
  // reglookup -H prints "path,type,value,mtime"; Select\Current is a DWORD such as 0x00000001.
  const select = run('reglookup', ['-H', '-p', '/Select/Current', hive]);
  const current = /^\/Select\/Current,DWORD,(0x[0-9a-f]+),/im.exec(select);
  if (!current) throw new Error(`reglookup found no Select\\Current DWORD in ${hive}: ${select.slice(0, 200)}`);
  const controlSet = `ControlSet${String(Number(current[1])).padStart(3, '0')}`;
  return VALUE_LOOKUPS.map((p) => run('reglookup', ['-H', '-p', `/${controlSet}/${p.join('/')}`, hive]));
}

/**
 * Whether a `check` run loaded ajv's schema compiler (`ajv/dist/ajv.js`): it should not, the build
 * precompiles the validators. Checked once per launcher so the timings are known to be of that path.
 */
function ajvCompilerLoaded(args: string[], env: NodeJS.ProcessEnv): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-bench-probe-'));
  try {
    const probe = join(dir, 'probe.cjs');
    const report = join(dir, 'loaded.txt');
    writeFileSync(probe, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, Object.keys(require.cache).join('\\n')));\n`);
    closeSync(openSync(report, 'w'));
    spawnSync(process.execPath, ['--require', probe, join(repoRoot, 'bin', 'driftscan.js'), ...args], { cwd: repoRoot, env, stdio: 'ignore' });
    return readFileSync(report, 'utf8').split('\n').some((f) => /[\\/]ajv[\\/]dist[\\/]ajv\.js$/.test(f));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function benchGate(): void {
  if (!have('reglookup')) {
    process.stdout.write('reglookup not installed: skipping the gate benchmark\n');
    return;
  }
  const hive = unpackHive('SYSTEM_B');
  if (!hive) {
    process.stdout.write('shared data hives/SYSTEM_B.xz (or xz) not found: skipping the gate benchmark\n');
    return;
  }
  try {
    const args = ['check', BASELINE, '--hive', `SYSTEM=${hive.file}`];
    const launchers = cliLaunchers();
    const variants: Variant[] = [
      { label: NODE, fn: bareNode },
      // 0 or 1 are verdicts; anything else means the gate did not run and must not be timed as if it had.
      ...launchers.map((c) => ({ label: `${c.label} check`, fn: () => void c.run(args, { okCodes: [0, 1] }) })),
      { label: REGLOOKUP, fn: () => void reglookupGate(hive.file) },
    ];
    const n = rounds(31);
    const samples = interleave(variants, n);
    printSamples(
      `gate: ${variants.map((v) => v.label).join(' / ')}, round-robin, ${n} rounds after 1 warm-up each\n` +
        `  check policies/rdp-access-denied.yaml --hive SYSTEM=SYSTEM_B (12.8 MB); reglookup makes the same ${VALUE_LOOKUPS.length + 1} lookups`,
      samples,
      [NODE, REGLOOKUP],
    );
    const node = samples[0]!;
    const nodeMs = median(node.ms);
    for (const s of samples.slice(1, 1 + launchers.length)) {
      const overhead = median(s.ms) - nodeMs;
      const perRound = paired(s.ms, node.ms);
      process.stdout.write(
        `${s.label}: gate overhead above bare node: ${overhead.toFixed(1)} ms = ${times(overhead / nodeMs)} node start-up ` +
          `(target <= 1×): met ${met(overhead <= nodeMs)}  [per-round difference IQR ${quantile(perRound, 0.25).toFixed(1)}–${quantile(perRound, 0.75).toFixed(1)} ms]\n`,
      );
    }
    for (const c of launchers) {
      const loaded = ajvCompilerLoaded(args, c.env);
      process.stdout.write(`${c.label} check: ${loaded ? 'LOADED ajv\'s compiler: the precompiled validator was not used' : 'uses the precompiled validator (ajv\'s compiler not loaded)'}\n`);
    }
  } finally {
    hive.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) benchGate();
