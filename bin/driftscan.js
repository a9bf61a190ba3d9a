#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (prepare) or `npm run build`, which also
// bundles it into one file (scripts/bundle-cli.ts); the bundle starts faster because Node loads one
// module instead of ~100. The tsc output is used instead when there is no bundle, when it is older
// than the tsc output (tsc was run again without re-bundling), or with DRIFTSCAN_UNBUNDLED=1.
import { statSync } from 'node:fs';
import module from 'node:module';

// Node 22.1+ can cache compiled modules on disk; a CI gate runs the CLI many times. (No-op on Node 20.)
module.enableCompileCache?.();

const unbundled = new URL('../dist/src/cli/main.js', import.meta.url);
const bundle = new URL('../dist/src/bundle/driftscan.mjs', import.meta.url);
const useBundle = () => {
  if (process.env.DRIFTSCAN_UNBUNDLED === '1') return false;
  const b = statSync(bundle, { throwIfNoEntry: false });
  const u = statSync(unbundled, { throwIfNoEntry: false });
  return b !== undefined && (u === undefined || b.mtimeMs >= u.mtimeMs);
};
const { main } = await import((useBundle() ? bundle : unbundled).href);
process.exitCode = await main(process.argv.slice(2));
