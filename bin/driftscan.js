#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (prepare) or `npm run build`.
import module from 'node:module';

// Node 22.1+ can cache compiled modules on disk; a CI gate runs the CLI many times. (No-op on Node 20.)
module.enableCompileCache?.();

const { main } = await import('../dist/src/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
