/**
 * Run-time side of validator precompilation: use the module `scripts/precompile-validators.ts`
 * generated next to the built code when it matches the current schema and options, otherwise
 * compile with ajv on first use (development under tsx, or a build where only `tsc` ran).
 */
import { existsSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import { createAjv } from './create-ajv.js';
import type { PrecompiledModule, ValidatorSpec } from './validator-spec.js';

/**
 * Resolves to a getter for `spec`'s validator. `precompiled` is the URL of the generated module
 * (absent under tsx). A stale module (schema or options changed since it was generated) is ignored.
 */
export async function loadValidator(spec: ValidatorSpec, precompiled: URL): Promise<() => ValidateFunction> {
  if (existsSync(precompiled)) {
    const m = (await import(precompiled.href)) as PrecompiledModule;
    if (m.schemaText === JSON.stringify(spec.schema()) && m.optionsText === JSON.stringify(spec.options)) return () => m.validate;
  }
  let validate: ValidateFunction | undefined;
  return () => (validate ??= createAjv(spec).compile(spec.schema()));
}
