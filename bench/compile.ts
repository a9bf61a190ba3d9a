/**
 * Compile benchmark: 100 baselines × 50 rules (registry values, keys, services, ACLs) into
 * packages carrying the DriftscanDsc module. Prints wall time, packages/s and
 * package bytes/s. Run after a build: `node dist/bench/compile.js` (or `node --import tsx bench/compile.ts`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBaselines } from '../src/baseline/load.js';
import { compileBaselines } from '../src/compile/compiler.js';
import { emptyLock } from '../src/compile/modules/lock.js';
import { buildEngineModule } from '../src/dsc/engine-module.js';
import { readEngineSources } from '../src/io/engine-sources.js';
import { VERSION } from '../src/core/version.js';

const BASELINES = Number(process.env.BENCH_BASELINES ?? 100);
const RULES = Number(process.env.BENCH_RULES ?? 50);

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

const dir = mkdtempSync(join(tmpdir(), 'driftscan-bench-compile-'));
try {
  for (let n = 0; n < BASELINES; n++) writeFileSync(join(dir, `b${String(n).padStart(3, '0')}.yaml`), baselineYaml(n));
  const lock = emptyLock();
  const t0 = performance.now();
  const baselines = loadBaselines([dir]);
  const t1 = performance.now();
  const r = await compileBaselines(baselines, lock, { modules: (needed) => needed.map(() => buildEngineModule(readEngineSources(), VERSION)), baselineText: (f) => readFileSync(f, 'utf8') });
  const t2 = performance.now();
  const bytes = r.packages.reduce((s, p) => s + p.package.zip.length, 0);
  const mofBytes = r.packages.reduce((s, p) => s + p.configuration.mof.length, 0);
  const secs = (t2 - t1) / 1000;
  console.log(`compile: ${BASELINES} baselines x ${RULES} rules: load ${(t1 - t0).toFixed(0)} ms, compile+package ${(t2 - t1).toFixed(0)} ms ` +
    `(${(BASELINES / secs).toFixed(1)} packages/s, ${(bytes / secs / 1e6).toFixed(2)} MB/s of zip, ${(mofBytes / secs / 1e6).toFixed(2)} MB/s of MOF; ${bytes} zip bytes)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
