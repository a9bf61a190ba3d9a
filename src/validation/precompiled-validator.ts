/**
 * Run-time side of validator precompilation: use the module `scripts/precompile-validators.ts`
 * generated next to the built code when it matches the current schema and options, otherwise
 * compile with ajv on first use (development under tsx, or a build where only `tsc` ran).
 *
 * Synchronous and lazy: nothing is read until a document is validated, so importing a module that
 * validates costs nothing at start-up and needs no top-level `await` (the CLI bundle is a CommonJS
 * script, which cannot have one; see scripts/bundle-cli.ts). The generated module is CommonJS for
 * the same reason: `require` loads it synchronously on Node 20.
 */
import { existsSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import { createAjv } from './create-ajv.js';
import { requirePrecompiled } from './require-precompiled.js';
import type { ValidatorSpec } from './validator-spec.js';

/**
 * A getter for `spec`'s validator, resolved on its first call. `precompiled` is the URL of the
 * generated CommonJS module (absent under tsx). A stale module (schema or options changed since it
 * was generated) is ignored.
 */
export function loadValidator(spec: ValidatorSpec, precompiled: URL): () => ValidateFunction {
  let validate: ValidateFunction | undefined;
  return () => (validate ??= upToDate(spec, precompiled) ?? createAjv(spec).compile(spec.schema()));
}

function upToDate(spec: ValidatorSpec, precompiled: URL): ValidateFunction | undefined {
  if (!existsSync(precompiled)) return undefined;
  const m = requirePrecompiled(precompiled);
  return m.schemaText === JSON.stringify(spec.schema()) && m.optionsText === JSON.stringify(spec.options) ? m.validate : undefined;
}
