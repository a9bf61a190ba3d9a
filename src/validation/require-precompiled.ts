/**
 * Loads a generated validator module (scripts/precompile-validators.ts) by its URL. A seam of its
 * own because the CLI bundle replaces this module (scripts/bundle-cli.ts) with one that returns
 * the validators bundled in, so V8's code cache covers their code too.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { PrecompiledModule } from './validator-spec.js';

export function requirePrecompiled(url: URL): PrecompiledModule {
  return createRequire(url)(fileURLToPath(url)) as PrecompiledModule;
}
