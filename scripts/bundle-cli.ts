/**
 * Build step (run by `npm run build` / `prepare` after `tsc` and the validator precompiler):
 * bundles the compiled CLI (dist/src/cli/main.js and everything it imports, commander, yaml and
 * table included) into one CommonJS script, dist/src/bundle/driftscan.cjs, which bin/driftscan.js
 * loads when present. Node then compiles one file instead of resolving and loading ~100 modules,
 * which is most of what start-up costs beyond Node itself. CommonJS rather than an ES module
 * because Node 20 can cache V8's compilation of a script (`vm.Script` cachedData) but not of a
 * module: the launcher keeps that cache beside the bundle. A script cannot `await` at top level,
 * and a dynamic `import()` inside it would fail (it is compiled by `vm`), so the bundle must have
 * neither; the build refuses one that does.
 *
 * Files found relative to a module stay where they are: in every dist/src module bundled,
 * `import.meta.url` is replaced by the URL that module has in dist/src/ (computed from the
 * bundle's own `__filename`), so the precompiled ajv
 * validators written beside their modules, schema/*.json, package.json and the CommonJS packages
 * loaded with createRequire (ajv, table) resolve exactly as in the unbundled build, wherever the
 * restructured sources put them. dist/src therefore stays complete; the bundle sits beside it.
 *
 * Run from the build: node dist/scripts/bundle-cli.js
 */
import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join, relative, sep } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { PRECOMPILED_VALIDATORS } from './precompile-validators.js';

/** Where `bin/driftscan.js` looks for the bundle. */
export const BUNDLE_DIR = 'bundle';
export const BUNDLE_FILE = 'driftscan.cjs';

/** The bundle's own file URL, defined by the banner. */
const BUNDLE_URL = '__driftscanBundleUrl';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Gives every module under `srcDir` its own `import.meta.url` back: the URL of its file in
 * `srcDir`, computed from the bundle's own URL at run time so the installed package can move.
 */
function keepModuleUrls(srcDir: string, outDir: string): Plugin {
  return {
    name: 'keep-module-urls',
    setup(b) {
      b.onLoad({ filter: new RegExp(`^${escapeRegExp(srcDir + sep)}.*\\.js$`) }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        // import.meta.dirname / .filename / .resolve would need the same treatment: refuse rather than guess.
        const other = /\bimport\.meta(?!\.url\b)(\.\w+)?/.exec(text);
        if (other) return { errors: [{ text: `${args.path}: ${other[0]} is not handled by scripts/bundle-cli.ts (only import.meta.url is)` }] };
        const rel = relative(outDir, args.path).split(sep).join('/');
        return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, ${BUNDLE_URL}).href`), loader: 'js' };
      });
    },
  };
}

/**
 * Replaces validation/require-precompiled.js with a module that returns the precompiled validators
 * (written by scripts/precompile-validators.ts before bundling) from inside the bundle, so their
 * 140 kB of generated code is compiled from the code cache with the rest instead of from source at
 * every run. Any other URL is still required from disk.
 */
function bundlePrecompiledValidators(srcDir: string): Plugin {
  return {
    name: 'bundle-precompiled-validators',
    setup(b) {
      b.onLoad({ filter: new RegExp(`^${escapeRegExp(`${srcDir}${sep}validation${sep}require-precompiled.js`)}$`) }, () => {
        const cases = PRECOMPILED_VALIDATORS.map((rel) => {
          const file = `${srcDir}${sep}${rel.split('/').join(sep)}`;
          if (!existsSync(file)) throw new Error(`${file} is missing: run node dist/scripts/precompile-validators.js before bundling`);
          return `  if (url.href.endsWith(${JSON.stringify(`/${rel}`)})) return require(${JSON.stringify(file)});`;
        });
        return {
          contents: [
            "import { createRequire } from 'node:module';",
            "import { fileURLToPath } from 'node:url';",
            'export function requirePrecompiled(url) {',
            ...cases,
            '  return createRequire(url)(fileURLToPath(url));',
            '}',
          ].join('\n'),
          loader: 'js',
          resolveDir: `${srcDir}${sep}validation`,
        };
      });
    },
  };
}

/**
 * commander requires node:child_process at load, for executable subcommands driftscan does not
 * have; loading it (with dgram, net, the socket list …) costs every start-up. commander gets an
 * object that requires the module on first property access instead.
 */
function lazyChildProcessForCommander(): Plugin {
  return {
    name: 'lazy-child-process-for-commander',
    setup(b) {
      b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
        /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-builtin' } : undefined);
      b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, () => ({
        contents: "module.exports = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });",
        loader: 'js',
      }));
    },
  };
}

/**
 * The lazy bundle (driftscan-azure.cjs): the implementations of the Azure and fleet commands
 * (compile, package, publish, deploy, assign, scan, history, report, remediate + notify) and the
 * Azure SDK glue. Their command modules import these lazily inside their actions; without a split
 * esbuild would still put them in the one bundle, and every `check` would read and deserialise
 * their code (with its code cache) at start-up. Each is a module under dist/src, as imported.
 * The core bundle replaces each with a stub that runs the lazy bundle on first use.
 */
export const LAZY_ENTRY_POINTS = [
  'cli/publish.js', 'cli/deploy.js', 'cli/assign.js', 'cli/remediate.js', 'azure/connection.js',
  'compile/compiler.js', 'compile/modules/lock.js', 'compile/policy-files.js', 'compile/inspect.js',
  'fleet/scan.js', 'fleet/scan-output.js', 'cli/scan-progress.js',
  'fleet/history/store.js', 'fleet/history/trends.js', 'fleet/history/parquet.js', 'fleet/history/remediation.js',
  'fleet/report-model.js', 'fleet-report/index.js', 'fleet-report/html.js',
];
export const LAZY_BUNDLE_FILE = 'driftscan-azure.cjs';

/**
 * Left in node_modules by both bundles and required where first used (esbuild turns their static
 * imports into require() calls inside the lazily initialised modules that import them):
 * - DuckDB loads a native addon (.node) next to its package: it cannot be bundled;
 * - the Azure SDK (with storage-blob and identity, ~3 MB) and listr2 serve the Azure and fleet
 *   commands only: bundled, every `check` would read and deserialise them at start-up (measured:
 *   the bundle grew from 1.3 to 4.4 MB and the gate's overhead from ~1.1x to 1.5x node's start-up).
 *   All of them ship CommonJS builds (`exports.require`).
 * - vega and vega-lite (~2 MB) draw the charts of `report --format html` only (CommonJS
 *   builds: vega 5 and vega-lite 5; vega 6 has top-level await, which require() cannot load).
 */
export const EXTERNAL_PACKAGES = ['vega', 'vega-lite', '@duckdb/node-api', '@duckdb/node-bindings', '@duckdb/node-bindings-*', '@azure/*', '@azure-rest/*', '@typespec/ts-http-runtime', '@typespec/ts-http-runtime/*', 'listr2'];

/** Defined by the core bundle's banner: runs another bundle file (the launcher's, with its code cache). */
const RUN_BUNDLE = '__driftscanRunBundle';
/** Virtual modules. */
const LOADER = 'driftscan:lazy-loader';
const CORE_LINK = 'driftscan:core-link';
const VIRTUAL = 'driftscan-virtual';

/** The shared esbuild options of both bundles. */
function commonOptions(srcDir: string, outDir: string, root: string) {
  return {
    outdir: outDir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    charset: 'ascii',
    target: 'node20',
    // One file per bundle: measured faster for `check` than esbuild's code splitting, whose shared
    // chunks made `check` load ~40 small modules again.
    splitting: false,
    sourcemap: 'linked',
    metafile: true,
    absWorkingDir: root,
    external: EXTERNAL_PACKAGES,
    logLevel: 'warning',
  } as const;
}

/** A module's key in the core registry: its path from the repository root, with forward slashes. */
const keyOf = (root: string, file: string) => relative(root, file).split(sep).join('/');

/**
 * In the core bundle, an import of a lazy entry point becomes a stub whose exports are the lazy
 * bundle's module of that name; the loader runs the lazy bundle once and hands it the core
 * registry, through which the lazy bundle's modules share the core's own modules (one
 * io/console.js with its redactions, one copy of yaml …) rather than carrying copies.
 */
function coreSide(srcDir: string, root: string, lazyFiles: Set<string>, shared: string[], buildId: string): Plugin {
  return {
    name: 'driftscan-core-side',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => {
        const file = join(args.resolveDir, args.path);
        return lazyFiles.has(file) ? { path: keyOf(root, file), namespace: 'driftscan-lazy-stub' } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'driftscan-lazy-stub' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(LOADER)}).lazyModule(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
      b.onResolve({ filter: new RegExp(`^${escapeRegExp(LOADER)}$`) }, () => ({ path: LOADER, namespace: VIRTUAL }));
      b.onLoad({ filter: /.*/, namespace: VIRTUAL }, () => ({
        contents: [
          'let lazy;',
          '/** The core modules the lazy bundle imports, by key (its stubs call this). */',
          'function core(key) {',
          '  switch (key) {',
          ...shared.map((key) => `    case ${JSON.stringify(key)}: return require(${JSON.stringify(join(root, key))});`),
          '  }',
          "  throw new Error(`driftscan: the core bundle has no module ${key}`);",
          '}',
          'exports.lazyModule = (key) => {',
          '  if (lazy === undefined) {',
          `    const file = require('node:path').join(__dirname, ${JSON.stringify(LAZY_BUNDLE_FILE)});`,
          `    const loaded = ${RUN_BUNDLE}(file);`,
          '    // Both bundles come from one build; another build\'s lazy bundle would share modules that are not there.',
          `    if (loaded.buildId !== ${JSON.stringify(buildId)}) throw new Error(\`\${file} is from another build than the bundle beside it: run npm run build\`);`,
          '    loaded.link(core);',
          '    lazy = loaded;',
          '  }',
          '  return lazy.modules[key]();',
          '};',
        ].join('\n'),
        loader: 'js',
        resolveDir: srcDir,
      }));
    },
  };
}

/**
 * In the lazy bundle, an import of a module the core bundle has becomes a stub that takes the
 * core's instance; `used` collects their keys (the core registry must list exactly those).
 */
function lazySide(root: string, coreFiles: Set<string>, lazyFiles: Set<string>, used: Set<string>, buildId: string): Plugin {
  return {
    name: 'driftscan-lazy-side',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.path === CORE_LINK) return { path: CORE_LINK, namespace: VIRTUAL };
        if (args.pluginData === 'resolving' || args.namespace === VIRTUAL || args.kind === 'entry-point') return undefined;
        const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'resolving' });
        if (r.errors.length > 0 || r.external || r.namespace !== 'file' || lazyFiles.has(r.path) || !coreFiles.has(r.path)) return undefined;
        const key = keyOf(root, r.path);
        used.add(key);
        return { path: key, namespace: 'driftscan-core-stub' };
      });
      b.onLoad({ filter: /.*/, namespace: 'driftscan-core-stub' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(CORE_LINK)}).core(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
      b.onLoad({ filter: /.*/, namespace: VIRTUAL }, (args) => ({
        contents: args.path === CORE_LINK
          ? 'let registry;\nexports.link = (r) => { registry = r; };\nexports.core = (key) => registry(key);'
          : [
            `exports.buildId = ${JSON.stringify(buildId)};`,
            `exports.link = require(${JSON.stringify(CORE_LINK)}).link;`,
            'exports.modules = {',
            ...[...lazyFiles].map((file) => `  ${JSON.stringify(keyOf(root, file))}: () => require(${JSON.stringify(file)}),`),
            '};',
          ].join('\n'),
        loader: 'js',
        resolveDir: root,
      }));
      b.onResolve({ filter: /^driftscan:lazy-entry$/ }, () => ({ path: 'lazy-entry', namespace: VIRTUAL }));
    },
  };
}

/**
 * Bundles `<srcDir>/cli/main.js` into `<srcDir>/bundle/driftscan.cjs` (the core) and the lazy
 * entry points into `<srcDir>/bundle/driftscan-azure.cjs`; returns both paths.
 */
export async function bundleCli(srcDir: string): Promise<{ core: string; lazy: string }> {
  const outDir = `${srcDir}${sep}${BUNDLE_DIR}`;
  const root = dirname(dirname(srcDir));
  rmSync(outDir, { recursive: true, force: true });
  const lazyFiles = new Set(LAZY_ENTRY_POINTS.map((rel) => join(srcDir, ...rel.split('/'))));
  for (const file of lazyFiles) if (!existsSync(file)) throw new Error(`${file}: a lazy entry point in scripts/bundle-cli.ts that the build did not write`);
  const buildId = randomBytes(8).toString('hex');
  const shared = new Set<string>();
  const buildCore = (sharedKeys: string[]) => build({
    ...commonOptions(srcDir, outDir, root),
    entryPoints: { [BUNDLE_FILE.replace(/\.cjs$/, '')]: `${srcDir}${sep}cli${sep}main.js` },
    banner: {
      js: [
        `const ${BUNDLE_URL} = require('node:url').pathToFileURL(__filename).href;`,
        // The launcher passes its runBundle (code cache and all); required directly, plain require.
        `const ${RUN_BUNDLE} = typeof module.driftscanRunBundle === 'function' ? module.driftscanRunBundle : require;`,
      ].join('\n'),
    },
    // First: keepModuleUrls would otherwise load require-precompiled.js as it is.
    plugins: [coreSide(srcDir, root, lazyFiles, sharedKeys, buildId), bundlePrecompiledValidators(srcDir), keepModuleUrls(srcDir, outDir), lazyChildProcessForCommander()],
  });
  // 1. The core without a registry tells which modules the core has; 2. the lazy bundle, sharing
  // those, tells which of them it uses; 3. the core again, with a registry of exactly those
  // (listing them adds no module to the core, only require()s of modules it already has).
  const first = await buildCore([]);
  const coreFiles = new Set(Object.keys(first.metafile.inputs).filter((k) => !k.includes(':')).map((k) => join(root, k)));
  const lazyResult = await build({
    ...commonOptions(srcDir, outDir, root),
    entryPoints: { [LAZY_BUNDLE_FILE.replace(/\.cjs$/, '')]: 'driftscan:lazy-entry' },
    banner: { js: `const ${BUNDLE_URL} = require('node:url').pathToFileURL(__filename).href;` },
    plugins: [lazySide(root, coreFiles, lazyFiles, shared, buildId), bundlePrecompiledValidators(srcDir), keepModuleUrls(srcDir, outDir)],
  });
  const coreResult = await buildCore([...shared].sort());
  const coreInputs = new Set(Object.keys(coreResult.metafile.inputs));
  for (const key of Object.keys(first.metafile.inputs)) if (!coreInputs.has(key)) throw new Error(`bundle-cli: ${key} left the core bundle between passes`);
  for (const lazyKey of LAZY_ENTRY_POINTS.map((rel) => keyOf(root, join(srcDir, ...rel.split('/'))))) {
    if (coreInputs.has(lazyKey)) throw new Error(`bundle-cli: ${lazyKey} is a lazy entry point but is in the core bundle`);
  }
  // A lazy entry point imported statically by a core module would run the lazy bundle at every start-up.
  for (const [importer, input] of Object.entries(coreResult.metafile.inputs)) {
    const eager = input.imports.filter((i) => i.path.startsWith('driftscan-lazy-stub:') && i.kind !== 'dynamic-import');
    if (eager.length > 0) throw new Error(`bundle-cli: ${importer} imports ${eager.map((i) => i.path.slice('driftscan-lazy-stub:'.length)).join(', ')} statically: a lazy entry point must only be import()ed from the core`);
  }
  // esbuild turns import() of bundled modules into calls; one left over names something outside
  // the bundle, which a script compiled by vm cannot load.
  for (const [file, output] of [...Object.entries(coreResult.metafile.outputs), ...Object.entries(lazyResult.metafile.outputs)]) {
    const dynamic = output.imports.filter((i) => i.kind === 'dynamic-import');
    if (dynamic.length > 0) throw new Error(`${file}: import() of ${dynamic.map((i) => i.path).join(', ')} left in the bundle: the launcher runs it as a script, which cannot import()`);
  }
  // The launcher reads the bundles as Latin-1, a plain copy, where UTF-8 must be decoded (measured
  // ~2x faster for 1.3 MB). esbuild escapes non-ASCII in code (charset ascii), but keeps some
  // comments as written: escape what is left there.
  const files = { core: `${outDir}${sep}${BUNDLE_FILE}`, lazy: `${outDir}${sep}${LAZY_BUNDLE_FILE}` };
  for (const file of [files.core, files.lazy]) {
    const text = readFileSync(file, 'utf8');
    const ascii = text.replace(/[^\x00-\x7f]/gu, (c) => [...c].map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''));
    if (ascii !== text) writeFileSync(file, ascii);
  }
  return files;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // dist/scripts/bundle-cli.js bundles dist/src; run from src (tsx) there is nothing compiled to bundle.
  if (!import.meta.url.includes('/dist/scripts/')) {
    process.stderr.write('bundle-cli: run the built copy: node dist/scripts/bundle-cli.js\n');
    process.exit(2);
  }
  // esbuild reports real paths; a repository reached through a symlink must not escape the rewrite.
  const srcDir = realpathSync(fileURLToPath(new URL('../src', import.meta.url)));
  const { core: file, lazy } = await bundleCli(srcDir);
  // Loading the bundle catches what esbuild cannot see (a clash with the banner, a bad rewrite).
  const m = createRequire(import.meta.url)(file) as { main?: unknown };
  if (typeof m.main !== 'function') {
    process.stderr.write(`bundle-cli: ${file} does not export main()\n`);
    process.exit(1);
  }
  // One gate run through the launcher writes V8's code cache for this Node beside the bundle, holding
  // what `check` compiles (hive, YAML, table): without it the first run after a build writes it,
  // with whatever that run compiled (`--version` compiles little). Its exit code is the verdict (0 or 1).
  const root = dirname(dirname(srcDir));
  const primed = spawnSync(process.execPath, [join(root, 'bin', 'driftscan.js'), 'check', '--windows-dir', join(root, 'examples', 'image')], { cwd: root, stdio: 'ignore' });
  if (primed.status !== 0 && primed.status !== 1) {
    process.stderr.write(`bundle-cli: the bundled CLI failed on examples/image (exit ${primed.status ?? primed.signal})\n`);
    process.exit(1);
  }
  process.stdout.write(`bundle-cli: wrote ${relative(root, file)} and ${relative(root, lazy)}\n`);
}
