/**
 * The build-time precompiled (ajv standalone) validators must behave exactly like the ones ajv
 * compiles at run time: same verdict and the same error objects, since baseline messages quote
 * their `verbose` fields (`parentSchema`, `data`). Oracle: ajv's own run-time compilation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import type { ValidateFunction } from 'ajv';
import { precompiledSource } from '../scripts/precompile-validators.js';
import { createAjv } from '../src/validation/create-ajv.js';
import { loadValidator } from '../src/validation/precompiled-validator.js';
import type { ValidatorSpec } from '../src/validation/validator-spec.js';
import { BASELINE_VALIDATOR } from '../src/baseline/load.js';
import { SNAPSHOT_VALIDATOR } from '../src/state/snapshot/source.js';
import { repoRoot } from './support/paths.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Writes `source` as a CommonJS module in a temp dir that can resolve the repository's node_modules. */
function withModuleDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-validator-'));
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

async function precompiled(spec: ValidatorSpec, dir: string, name: string): Promise<ValidateFunction> {
  const file = join(dir, `${name}.cjs`);
  writeFileSync(file, precompiledSource(spec));
  return (createRequire(import.meta.url)(file) as { validate: ValidateFunction }).validate;
}

/** Every path (keys and indices) inside `value`. */
function paths(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  if (Array.isArray(value)) value.forEach((v, i) => out.push([...prefix, i], ...paths(v, [...prefix, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push([...prefix, k], ...paths(v, [...prefix, k]));
  return out;
}

/** `doc` with the node at `path` deleted or replaced. */
function mutate(doc: Json, path: Array<string | number>, replacement: Json | undefined): Json {
  const copy = structuredClone(doc);
  let parent: any = copy;
  for (const seg of path.slice(0, -1)) parent = parent[seg];
  const last = path[path.length - 1]!;
  if (replacement === undefined) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = replacement;
  return copy;
}

/** Mutations of the valid documents: delete a node, or replace it with arbitrary JSON or a near-miss scalar. */
function mutations(valid: Json[]): fc.Arbitrary<Json> {
  return fc
    .tuple(fc.nat({ max: valid.length - 1 }), fc.nat(), fc.option(fc.oneof(fc.jsonValue(), fc.constantFrom<Json>('', 'x', -1, 0, 1.5, 4294967296, true, null, [], {}, 'HKLM\\X', 'S-1-5-32-544')), { nil: undefined }))
    .map(([d, p, replacement]) => {
      const doc = valid[d]!;
      const all = paths(doc);
      return all.length ? mutate(doc, all[p % all.length]!, replacement as Json | undefined) : doc;
    });
}

function assertSame(runtime: ValidateFunction, standalone: ValidateFunction, data: Json): void {
  const a = runtime(data);
  const b = standalone(data);
  assert.equal(b, a, `verdict differs for ${JSON.stringify(data).slice(0, 200)}`);
  assert.deepEqual(standalone.errors, runtime.errors);
}

const baselineDocs = (): Json[] =>
  readdirSync(join(repoRoot, 'policies'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => parseYaml(readFileSync(join(repoRoot, 'policies', f), 'utf8')) as Json);

test('precompiled baseline validator: same verdicts and error objects as run-time ajv', async () => {
  await withModuleDir(async (dir) => {
    const standalone = await precompiled(BASELINE_VALIDATOR, dir, 'baseline');
    const runtime = createAjv(BASELINE_VALIDATOR).compile(BASELINE_VALIDATOR.schema());
    const docs = baselineDocs();
    assert.ok(docs.length >= 2);
    for (const d of docs) {
      assert.equal(standalone(d), true, 'a shipped policy must validate');
      assertSame(runtime, standalone, d);
    }
    let failures = 0;
    fc.assert(
      fc.property(mutations(docs), (doc) => {
        if (!runtime(doc)) failures++;
        assertSame(runtime, standalone, doc);
      }),
      { numRuns: 600 },
    );
    // The property must exercise error objects, not just valid documents.
    assert.ok(failures > 100, `only ${failures} invalid documents generated`);
    for (const junk of [null, [], 'text', 42, {}, { apiVersion: 'driftscan/v1' }] as Json[]) assertSame(runtime, standalone, junk);
  });
});

test('precompiled snapshot validator (with ajv-formats): same verdicts and error objects as run-time ajv', async () => {
  await withModuleDir(async (dir) => {
    const standalone = await precompiled(SNAPSHOT_VALIDATOR, dir, 'snapshot');
    const runtime = createAjv(SNAPSHOT_VALIDATOR).compile(SNAPSHOT_VALIDATOR.schema());
    const example = JSON.parse(readFileSync(join(repoRoot, 'examples', 'snapshot.json'), 'utf8')) as Json;
    assert.equal(standalone(example), true);
    // date-time is checked by ajv-formats' code, which the standalone module must `require`.
    assertSame(runtime, standalone, mutate(example, ['collectedAt'], 'yesterday'));
    assert.equal(runtime(mutate(example, ['collectedAt'], 'yesterday')), false);
    let failures = 0;
    fc.assert(
      fc.property(mutations([example]), (doc) => {
        if (!runtime(doc)) failures++;
        assertSame(runtime, standalone, doc);
      }),
      { numRuns: 400 },
    );
    assert.ok(failures > 50, `only ${failures} invalid documents generated`);
  });
});

test('loadValidator uses a precompiled module only when it was built from the current schema and options', async () => {
  await withModuleDir(async (dir) => {
    const spec: ValidatorSpec = { schema: () => ({ type: 'object', required: ['a'] }), options: { allErrors: true } };
    const marker = 'function validate() { return true; }\nvalidate.marker = "precompiled";';
    const write = (name: string, schemaText: string, optionsText: string) => {
      const file = join(dir, name);
      writeFileSync(file, `${marker}\nmodule.exports = { validate, schemaText: ${JSON.stringify(schemaText)}, optionsText: ${JSON.stringify(optionsText)} };\n`);
      return pathToFileURL(file);
    };
    const current = (loadValidator(spec, write('current.cjs', JSON.stringify(spec.schema()), JSON.stringify(spec.options))))();
    assert.equal((current as ValidateFunction & { marker?: string }).marker, 'precompiled', 'an up-to-date precompiled module is used');
    for (const [name, schemaText, optionsText] of [
      ['stale-schema.cjs', JSON.stringify({ type: 'object' }), JSON.stringify(spec.options)],
      ['stale-options.cjs', JSON.stringify(spec.schema()), JSON.stringify({ allErrors: false })],
    ] as const) {
      const v = (loadValidator(spec, write(name, schemaText, optionsText)))();
      assert.equal(v({}), false, `${name} must be ignored and the schema compiled`);
      assert.equal(v.errors?.[0]?.params && (v.errors[0].params as { missingProperty?: string }).missingProperty, 'a');
    }
    const missing = (loadValidator(spec, pathToFileURL(join(dir, 'absent.cjs'))))();
    assert.equal(missing({ a: 1 }), true);
    assert.equal(missing({}), false);
  });
});

const fromBuild = import.meta.url.endsWith('.js');

test('the build ships precompiled validators and the CLI path never loads ajv', { skip: fromBuild ? false : 'runs from the build (dist/test) only' }, () => {
  // Validate a bad baseline and a snapshot through the built modules, then list the CommonJS modules
  // loaded: ajv's compiler (ajv/dist/core.js) must not be among them, or the precompiled copy was
  // missing or judged stale and start-up pays for compiling the schema again.
  const script = `
    import { createRequire } from 'node:module';
    const { loadBaselineText } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist', 'src', 'baseline', 'load.js')).href)});
    const { loadSnapshot } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist', 'src', 'state', 'snapshot', 'source.js')).href)});
    let message = '';
    try { loadBaselineText('apiVersion: driftscan/v1\\nkind: Baseline\\nmetadata: {name: x}\\n', 'x.yaml'); } catch (e) { message = e.message; }
    loadSnapshot(new TextEncoder().encode('{"schema":"driftscan-snapshot/v1","keys":[]}'), 's.json');
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify({ message, ajvCore: loaded.some((f) => /[\\/]ajv[\\/]dist[\\/]core\\.js$/.test(f)) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { message: string; ajvCore: boolean };
  assert.match(out.message, /^x\.yaml:\d+:\d+: /, 'the bad baseline is reported with its location');
  assert.equal(out.ajvCore, false, 'ajv was loaded: the precompiled validator was not used');
});
