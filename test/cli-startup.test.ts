/**
 * Start-up cost of the CLI: `--version`, `--help` and each command load only what they use
 * (command implementations are imported inside their actions), and the eagerly defined option
 * choices stay equal to the lists the implementations accept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPORT_FORMATS } from '../src/report/index.js';
import { EXPORT_FORMATS } from '../src/export/formats.js';
import { runCli } from './support/cli.js';
import { repoRoot } from './support/paths.js';

const fromSources = import.meta.url.endsWith('.ts');
const mainModule = pathToFileURL(join(repoRoot, fromSources ? 'src' : 'dist/src', 'cli', fromSources ? 'main.ts' : 'main.js')).href;

/** The CommonJS packages (yaml, ajv, table, fflate, …) loaded after `main(args)` in a fresh process. */
function packagesLoadedBy(args: string[]): string[] {
  const script = `
    import { createRequire } from 'node:module';
    const { main } = await import(${JSON.stringify(mainModule)});
    const code = await main(${JSON.stringify(args)});
    const names = Object.keys(createRequire(import.meta.url).cache)
      .map((f) => /[\\\\/]node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(f)?.[1]).filter(Boolean);
    process.stderr.write('\\n' + JSON.stringify({ code, packages: [...new Set(names)].sort() }) + '\\n');`;
  const r = spawnSync(process.execPath, [...(fromSources ? ['--import', import.meta.resolve('tsx')] : []), '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const last = JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { code: number; packages: string[] };
  assert.equal(last.code, 0, r.stdout + r.stderr);
  return last.packages;
}

const ours = (packages: string[]) => packages.filter((p) => !['tsx', 'get-tsconfig', 'esbuild'].includes(p));

test('--version loads no package; --help loads commander only, not the implementations', () => {
  assert.deepEqual(ours(packagesLoadedBy(['--version'])), []);
  for (const args of [['--help'], ['check', '--help'], ['compile', '--help'], ['export', '--help']]) {
    assert.deepEqual(ours(packagesLoadedBy(args)), ['commander'], args.join(' '));
  }
});

test('the --version shortcut prints what commander prints', () => {
  const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
  // `--debug --version` goes through commander; `--version` and `-V` alone take the shortcut.
  for (const args of [['--version'], ['-V'], ['--debug', '--version']]) {
    const r = runCli(args);
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, `${version}\n`, ''], args.join(' '));
  }
});

test('schema loads no YAML, ajv, table or zip code', () => {
  const loaded = packagesLoadedBy(['schema', '-o', process.platform === 'win32' ? 'NUL' : '/dev/null']);
  for (const heavy of ['yaml', 'ajv', 'table', 'fflate']) assert.ok(!loaded.includes(heavy), `schema loaded ${heavy}`);
});

test('the eagerly defined --format choices are the formats the writers accept', () => {
  const choices = (help: string) => JSON.parse(`[${/\(choices: (.*?), default:/.exec(help.replace(/\s+/g, ' '))![1]}]`) as string[];
  assert.deepEqual(choices(runCli(['check', '--help']).stdout), [...REPORT_FORMATS]);
  assert.deepEqual(choices(runCli(['export', '--help']).stdout), [...EXPORT_FORMATS]);
});

test('each command is registered under the name it is run by (main registers only the one run); --help and a misspelt command still see them all', async () => {
  const [{ Command }, { commands }] = await Promise.all([import('commander'), import('../src/cli/commands/index.js')]);
  for (const [name, register] of Object.entries(commands)) {
    const program = new Command('driftscan');
    register(program, () => {});
    assert.deepEqual(program.commands.map((c) => c.name()), [name]);
  }
  // --help still lists every command (main registers all when no command is named).
  const help = runCli(['--help']);
  for (const name of Object.keys(commands)) assert.match(help.stdout, new RegExp(`^  ${name}\\b`, 'm'), name);
  // A misspelt command is still answered with the closest one.
  const typo = runCli(['chek']);
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /unknown command 'chek'[\s\S]*check/);
});
