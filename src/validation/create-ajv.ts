/**
 * Builds the ajv instance for a `ValidatorSpec`. Shared by the build-time precompiler and the
 * run-time fallback so both produce the same validator. ajv and ajv-formats are CommonJS and are
 * `require`d on first use: loading ajv's code generator costs tens of milliseconds of start-up,
 * which a CLI run with a precompiled validator never needs to pay.
 */
import { createRequire } from 'node:module';
import type { Options } from 'ajv';
import type { ValidatorSpec } from './validator-spec.js';

const require = createRequire(import.meta.url);

/** A fresh ajv instance for `spec`; `extra` adds options such as `code: { source: true }` for standalone output. */
export function createAjv(spec: ValidatorSpec, extra: Options = {}): import('ajv').default {
  const Ajv = (require('ajv') as typeof import('ajv')).default;
  const ajv = new Ajv({ ...spec.options, ...extra });
  if (spec.formats) (require('ajv-formats') as typeof import('ajv-formats')).default(ajv);
  return ajv;
}
