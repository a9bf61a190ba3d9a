/**
 * Compile benchmark: the whole `driftscan compile` process for 100 baselines × 50 rules
 * (registry values, keys, services, ACLs) into Machine Configuration packages carrying driftscan's
 * own DSC module (no network), next to bare `node -e ""`; the bundled
 * and unbundled CLI and node run interleaved in one loop. Prints packages/s from the medians.
 * `BENCH_BASELINES` / `BENCH_RULES` change the size.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bareNode, cliLaunchers, interleave, median, printSamples, rounds, type Variant } from './support.js';

const BASELINES = Number(process.env.BENCH_BASELINES ?? 100);
const RULES = Number(process.env.BENCH_RULES ?? 50);
const NODE = 'node -e ""';

function baselineYaml(n: number): string {
  const rules: string[] = [];
  for (let r = 0; r < RULES; r++) {
    const head = `    - id: rule-${n}-${r}\n      title: rule ${r}\n      severity: medium\n`;
    switch (r % 4) {
      case 0: rules.push(`${head}      registryValue:\n        path: HKLM\\SOFTWARE\\Contoso\\B${n}\\K${r}\n        name: V${r}\n        type: DWord\n        equals: ${r * 1000}\n`); break;
      case 1: rules.push(`${head}      registryValue:\n        path: HKLM\\SOFTWARE\\Contoso\\B${n}\\K${r}\n        name: S${r}\n        type: String\n        equals: "value ${r} \\"quoted\\""\n        ignoreCase: true\n`); break;
      case 2: rules.push(`${head}      service:\n        name: Svc${n}x${r}\n        startupType: Manual\n`); break;
      default: rules.push(`${head}      registryAcl:\n        path: HKLM\\SOFTWARE\\Contoso\\B${n}\\Acl${r}\n        access:\n          - identity: BUILTIN\\Users\n            rights: ReadKey\n`);
    }
  }
  return `apiVersion: driftscan/v1\nkind: Baseline\nmetadata:\n  name: bench-${n}\n  version: 1.0.0\n  title: bench ${n}\nspec:\n  assignment:\n    type: Audit\n  rules:\n${rules.join('')}`;
}

export function benchCompile(): void {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-bench-compile-'));
  try {
    const baselines = join(dir, 'baselines');
    mkdirSync(baselines);
    for (let n = 0; n < BASELINES; n++) writeFileSync(join(baselines, `b${String(n).padStart(3, '0')}.yaml`), baselineYaml(n));
    const launchers = cliLaunchers();
    // Each launcher writes its own output folder; the warm-up run writes baselines/modules.lock.json,
    // so every timed run sees the same lock and rewrites the same packages.
    const variants: Variant[] = [
      { label: NODE, fn: bareNode },
      ...launchers.map((c, i) => ({
        label: `${c.label} compile`,
        fn: () => void c.run(['compile', baselines, '--out', join(dir, `out${i}`)]),
      })),
    ];
    const n = rounds(7);
    const samples = interleave(variants, n);
    printSamples(`compile: ${BASELINES} baselines × ${RULES} rules to packages, round-robin, ${n} rounds after 1 warm-up each`, samples, [NODE]);
    for (const s of samples.slice(1)) {
      const m = median(s.ms);
      process.stdout.write(`${s.label}: ${(BASELINES / (m / 1000)).toFixed(0)} packages/s including start-up\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) benchCompile();
