#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (prepare) or `npm run build`, which also
// bundles it into one file (scripts/bundle-cli.ts); the bundle starts faster because Node loads one
// module instead of ~100. Without the bundle, or with DRIFTSCAN_UNBUNDLED=1, the tsc output is used.
import { existsSync } from 'node:fs';
import module from 'node:module';

// Node 22.1+ can cache compiled modules on disk; a CI gate runs the CLI many times. (No-op on Node 20.)
module.enableCompileCache?.();

const bundle = new URL('../dist/src/bundle/driftscan.mjs', import.meta.url);
const entry = process.env.DRIFTSCAN_UNBUNDLED !== '1' && existsSync(bundle) ? bundle : new URL('../dist/src/cli/main.js', import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
