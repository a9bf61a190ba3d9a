/**
 * Reading a JSON file of build/ back against its JSON Schema (ajv, precompiled at build time).
 * build/ is written by `compile` and `publish` and read by `publish`, `deploy` and `assign`; a user
 * can hand-edit or half-copy it, so every problem is one line naming `file:line:col` of the
 * offending value and what the file is, before anything is read from or sent to Azure.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { DriftscanError } from '../core/diagnostics.js';
import { locatePointer } from '../core/source-position.js';
import { jsonSyntaxError } from '../core/json-syntax.js';

/** Parses `text` (read from `file`) and checks it with `validator`; `what` opens the error ("not a driftscan build manifest"). */
export function parseBuildJson<T>(text: string, file: string, validator: () => ValidateFunction, what: string): T {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    const e = jsonSyntaxError(text, file);
    throw new DriftscanError(`${e.detail}; compile again to rewrite it`, { location: e.location! });
  }
  const v = validator();
  if (!v(data)) {
    const e = v.errors![0]!;
    const field = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(document)';
    throw new DriftscanError(`${what}: ${field} ${detailOf(e)}`, { location: locatePointer(text, file, e.instancePath) });
  }
  return data as T;
}

/** ajv's message, with the allowed values spelled out where ajv only says there are some. */
function detailOf(e: ErrorObject): string {
  const params = e.params as { missingProperty?: string; allowedValue?: unknown; allowedValues?: unknown[] };
  if (e.keyword === 'required') return `missing ${String(params.missingProperty)}`;
  if (e.keyword === 'const') return `must be ${JSON.stringify(params.allowedValue)}`;
  if (e.keyword === 'enum') return `must be one of ${(params.allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
  return e.message ?? 'is not valid';
}

/** Where in `text` the JSON pointer `pointer` is (for cross-field and cross-file checks made after parsing). */
export function locateInBuildFile(text: string, file: string, pointer: string) {
  return locatePointer(text, file, pointer);
}
