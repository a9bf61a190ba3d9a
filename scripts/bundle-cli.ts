/**
 * Build step (run by `npm run build` / `prepare` after `tsc` and the validator precompiler):
 * bundles the compiled CLI (dist/src/cli/main.js and everything it imports, commander and yaml
 * included) into one ES module, dist/src/bundle/driftscan.mjs, which bin/driftscan.js loads when
 * present. Node then compiles one file instead of resolving and loading ~100 modules, which is
 * most of what start-up costs beyond Node itself.
 *
 * Files found relative to a module stay where they are: in every dist/src module bundled,
 * `import.meta.url` is replaced by the URL that module has in dist/src/, so the precompiled ajv
 * validators written beside their modules, schema/*.json, package.json and the CommonJS packages
 * loaded with createRequire (ajv, table) resolve exactly as in the unbundled build, wherever the
 * restructured sources put them. dist/src therefore stays complete; the bundle sits beside it.
 *
 * Run from the build: node dist/scripts/bundle-cli.js
 */
import { readFileSync, realpathSync, rmSync } from 'node:fs';
import { dirname, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

/** Where `bin/driftscan.js` looks for the bundle. */
export const BUNDLE_DIR = 'bundle';
export const BUNDLE_FILE = 'driftscan.mjs';

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
        return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'js' };
      });
    },
  };
}

/** Bundles `<srcDir>/cli/main.js` into `<srcDir>/bundle/driftscan.mjs`; returns the bundle's path. */
export async function bundleCli(srcDir: string): Promise<string> {
  const outDir = `${srcDir}${sep}${BUNDLE_DIR}`;
  rmSync(outDir, { recursive: true, force: true });
  await build({
    entryPoints: { [BUNDLE_FILE.replace(/\.mjs$/, '')]: `${srcDir}${sep}cli${sep}main.js` },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // One file: measured faster for `check` than code splitting, whose shared chunks made `check`
    // load ~40 small modules again. Lazily imported command modules are kept lazy inside the bundle
    // (esbuild runs their top-level code on first import), so `check` still never initialises the compiler.
    splitting: false,
    sourcemap: 'linked',
    // Bundled CommonJS packages (commander) call require() for Node built-ins.
    banner: { js: "import { createRequire as __driftscanCreateRequire } from 'node:module';\nconst require = __driftscanCreateRequire(import.meta.url);" },
    plugins: [keepModuleUrls(srcDir, outDir)],
    // DuckDB loads a native addon (.node) next to its package: it cannot be bundled, and the history
    // store imports it only when a fleet command runs.
    external: ['@duckdb/node-api', '@duckdb/node-bindings', '@duckdb/node-bindings-*'],
    logLevel: 'warning',
  });
  return `${outDir}${sep}${BUNDLE_FILE}`;
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
  const m = (await import(pathToFileURL(file).href)) as { main?: unknown };
  if (typeof m.main !== 'function') {
    process.stderr.write(`bundle-cli: ${file} does not export main()\n`);
    process.exit(1);
  }
  process.stdout.write(`bundle-cli: wrote ${relative(dirname(dirname(srcDir)), file)}\n`);
}
