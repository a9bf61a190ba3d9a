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

/** Bundles `<srcDir>/cli/main.js` into `<srcDir>/bundle/driftscan.cjs`; returns the bundle's path. */
export async function bundleCli(srcDir: string): Promise<string> {
  const outDir = `${srcDir}${sep}${BUNDLE_DIR}`;
  rmSync(outDir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { [BUNDLE_FILE.replace(/\.cjs$/, '')]: `${srcDir}${sep}cli${sep}main.js` },
    outdir: outDir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    charset: 'ascii',
    target: 'node20',
    // One file: measured faster for `check` than code splitting, whose shared chunks made `check`
    // load ~40 small modules again. Lazily imported command modules are kept lazy inside the bundle
    // (esbuild runs their top-level code on first import), so `check` still never initialises the compiler.
    splitting: false,
    sourcemap: 'linked',
    banner: { js: `const ${BUNDLE_URL} = require('node:url').pathToFileURL(__filename).href;` },
    // First: keepModuleUrls would otherwise load require-precompiled.js as it is.
    plugins: [bundlePrecompiledValidators(srcDir), keepModuleUrls(srcDir, outDir), lazyChildProcessForCommander()],
    metafile: true,
    // Left in node_modules and required where first used (esbuild turns their static imports into
    // require() calls inside the lazily initialised modules that import them):
    // - DuckDB loads a native addon (.node) next to its package: it cannot be bundled;
    // - the Azure SDK (with storage-blob and identity, ~3 MB) and listr2 serve the Azure and fleet
    //   commands only: bundled, every `check` would read and deserialise them at start-up (measured:
    //   the bundle grew from 1.3 to 4.4 MB and the gate's overhead from ~1.1x to 1.5x node's start-up).
    //   All of them ship CommonJS builds (`exports.require`).
    // - vega and vega-lite (~2 MB) draw the charts of `report --format html` only (CommonJS
    //   builds: vega 5 and vega-lite 5; vega 6 has top-level await, which require() cannot load).
    external: ['vega', 'vega-lite', '@duckdb/node-api', '@duckdb/node-bindings', '@duckdb/node-bindings-*', '@azure/*', '@azure-rest/*', '@typespec/ts-http-runtime', '@typespec/ts-http-runtime/*', 'listr2'],
    logLevel: 'warning',
  });
  // esbuild turns import() of bundled modules into calls; one left over names something outside
  // the bundle, which a script compiled by vm cannot load.
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    const dynamic = output.imports.filter((i) => i.kind === 'dynamic-import');
    if (dynamic.length > 0) throw new Error(`${file}: import() of ${dynamic.map((i) => i.path).join(', ')} left in the bundle: the launcher runs it as a script, which cannot import()`);
  }
  // The launcher reads the bundle as Latin-1, a plain copy, where UTF-8 must be decoded (measured
  // ~2x faster for its 1.3 MB). esbuild escapes non-ASCII in code (charset ascii), but keeps some
  // comments as written: escape what is left there, and check that nothing else is.
  const file = `${outDir}${sep}${BUNDLE_FILE}`;
  const text = readFileSync(file, 'utf8');
  const ascii = text.replace(/[^\x00-\x7f]/gu, (c) => [...c].map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''));
  if (ascii !== text) writeFileSync(file, ascii);
  return file;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // dist/scripts/bundle-cli.js bundles dist/src; run from src (tsx) there is nothing compiled to bundle.
  if (!import.meta.url.includes('/dist/scripts/')) {
    process.stderr.write('bundle-cli: run the built copy: node dist/scripts/bundle-cli.js\n');
    process.exit(2);
  }
  // esbuild reports real paths; a repository reached through a symlink must not escape the rewrite.
  const srcDir = realpathSync(fileURLToPath(new URL('../src', import.meta.url)));
  const file = await bundleCli(srcDir);
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
  process.stdout.write(`bundle-cli: wrote ${relative(root, file)}\n`);
}
