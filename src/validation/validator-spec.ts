/**
 * A JSON Schema validator driftscan uses, described once so the build can precompile it with ajv's
 * standalone code generation and the runtime can compile the very same thing when no precompiled
 * copy is available (tsx runs from src/) or the copy is stale.
 */
import type { Options, ValidateFunction } from 'ajv';

export interface ValidatorSpec {
  /** The schema; called once per process. */
  schema: () => object;
  /** ajv options; must be the same at build and run time or error objects would differ. */
  options: Options;
  /** Register ajv-formats' full format set (date-time, uri, …). */
  formats?: boolean;
}

/** What `scripts/precompile-validators.ts` writes: the validator plus the schema it was built from. */
export interface PrecompiledModule {
  validate: ValidateFunction;
  /** `JSON.stringify(schema)` at build time; a mismatch means the build output is stale. */
  schemaText: string;
  /** `JSON.stringify(options)` at build time. */
  optionsText: string;
}
