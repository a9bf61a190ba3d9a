/**
 * The layout rule of docs/architecture.md, enforced: dependency-cruiser checks src/ against
 * `.dependency-cruiser.cjs` (stages import only downward, no cycles, pure stages do no I/O), and
 * the same config is shown to reject a wrong-way import and a cycle in a scratch tree, naming both
 * files. A second check keeps every byte for stdout/stderr inside io/console.ts (the redacting writer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { repoRoot } from './support/paths.js';

const depcruise = join(repoRoot, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

function cruise(cwd: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [depcruise, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('src/ follows the stage rule: downward imports only, no cycles, no I/O in the pure stages', () => {
  const r = cruise(repoRoot);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /no dependency violations found/);
});

test('an upward import, a cycle and file I/O in a pure stage each fail the check, naming both files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-layers-'));
  try {
    copyFileSync(join(repoRoot, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
    const file = (path: string, text: string) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    file('src/cli/main.ts', "import { sid } from '../windows/sid.js';\nexport const main = () => sid;\n");
    file('src/windows/sid.ts', "import { main } from '../cli/main.js';\nexport const sid = 'S-1-5-18';\nexport const again = main;\n");
    file('src/rules/a.ts', "import { b } from './b.js';\nimport { readFileSync } from 'node:fs';\nexport const a = () => b() + String(readFileSync);\n");
    file('src/rules/b.ts', "import { a } from './a.js';\nexport const b = () => String(a);\n");
    const r = cruise(dir);
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /no-upward-from-windows: src\/windows\/sid\.ts → src\/cli\/main\.ts/);
    assert.match(r.out, /no-cycles: src\/rules\/(a|b)\.ts → \s*src\/rules\/(a|b)\.ts/);
    assert.match(r.out, /pure-core-no-io: src\/rules\/a\.ts → (node:)?fs/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('only io/console.ts writes to stdout or stderr: every other module prints through its redacting writer', () => {
  const offenders: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.ts') && relative(repoRoot, full) !== join('src', 'io', 'console.ts')) {
        readFileSync(full, 'utf8').split('\n').forEach((line, i) => {
          if (/process\.(stdout|stderr)\.write\b|console\.(log|error|warn|info)\(/.test(line)) offenders.push(`${relative(repoRoot, full)}:${i + 1}: ${line.trim()}`);
        });
      }
    }
  };
  walk(join(repoRoot, 'src'));
  assert.deepEqual(offenders, []);
});
