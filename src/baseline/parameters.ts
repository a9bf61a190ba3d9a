/**
 * Baseline parameters: their declarations (`spec.parameters`) checked against themselves, and
 * `--param NAME=VALUE` values checked against the declarations. Names are user-chosen, so they
 * live in Maps and are only ever read from YAML data as own properties: a parameter called
 * `constructor` or `toString` is a parameter like any other.
 *
 * Command-line values are text and are read by the declared type:
 *   integer  decimal digits with an optional minus (`-?[0-9]+`), within ±(2^53−1): values travel
 *            as JSON numbers, and the rule that uses one applies its own range (DWord 0–4294967295);
 *            hex, exponents, `+`, spaces and an empty value are errors
 *   boolean  `true` or `false`
 *   string   the text as given, including an empty value
 *   array    items separated by commas (`a,b`; an empty value is an empty list); items are whole
 *            numbers when the declaration's items are, else strings
 * and when the declaration has `allowedValues`, the value (for an array: each item) must be one.
 */
import { DriftscanError, formatLocation, usageError, type SourceLocation } from '../core/diagnostics.js';
import { closest } from '../core/suggest.js';
import type { ParameterDef } from '../rules/model.js';

/** A declaration as the schema lets it through (`type` and `default` present). */
export interface RawParameter {
  type: ParameterDef['type'];
  default: unknown;
  description?: string;
  allowedValues?: unknown[];
}

/** `--param` values by name; a plain object is read by its own properties only. */
export type ParameterOverrides = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

/** A checked declaration: the definition plus what array items are. */
export interface DeclaredParameter {
  def: ParameterDef;
  /** For `array` parameters: the type of their items. */
  items?: 'string' | 'integer';
  /** False when the declaration itself is wrong (its errors are already reported). */
  valid: boolean;
}

type Locate = (path: ReadonlyArray<string | number>, key?: boolean) => SourceLocation;

const SAFE = Number.MAX_SAFE_INTEGER;

/** The overrides as a Map, reading a plain object's own properties only (never its prototype's). */
export function overrideMap(overrides: ParameterOverrides | undefined): ReadonlyMap<string, string> {
  if (overrides === undefined) return new Map();
  if (overrides instanceof Map) return overrides;
  return new Map(Object.entries(overrides as Readonly<Record<string, string>>));
}

function isWhole(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** A value as JSON, cut short: a message line must stay one readable line. */
function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/**
 * Checks `spec.parameters` (already schema-valid: each has a known `type` and a `default`) and
 * returns the definitions; each problem is pushed to `errors`, located at the offending value.
 */
export function declareParameters(raw: Readonly<Record<string, RawParameter>> | undefined, at: Locate, errors: DriftscanError[]): DeclaredParameter[] {
  const out: DeclaredParameter[] = [];
  for (const [name, decl] of Object.entries(raw ?? {})) {
    const where = ['spec', 'parameters', name];
    const err = (message: string, ...path: Array<string | number>) => errors.push(new DriftscanError(`parameter "${name}": ${message}`, { location: at([...where, ...path]) }));
    const before = errors.length;
    let items: DeclaredParameter['items'];
    // Whether `v` is a value of the declared type (for arrays: of the item type), and why not.
    let problem: (v: unknown) => string | undefined;
    switch (decl.type) {
      case 'string':
        problem = (v) => (typeof v === 'string' ? undefined : 'is not a string');
        break;
      case 'boolean':
        problem = (v) => (typeof v === 'boolean' ? undefined : 'is not true or false');
        break;
      case 'integer':
        problem = (v) => wholeProblem(v);
        break;
      case 'array': {
        const sample = [...(Array.isArray(decl.default) ? decl.default : []), ...(decl.allowedValues ?? [])];
        items = sample.length > 0 && sample.every((v) => typeof v === 'number') ? 'integer' : 'string';
        problem = items === 'integer' ? (v) => wholeProblem(v) : (v) => (typeof v === 'string' ? undefined : 'is not a string (array items are all strings or all whole numbers)');
        break;
      }
    }
    if (decl.type === 'array') {
      if (!Array.isArray(decl.default)) err(`declared array but its default ${show(decl.default)} is not a list`, 'default');
      else decl.default.forEach((v, i) => { const p = problem(v); if (p) err(`default item ${show(v)} ${p}`, 'default', i); });
    } else {
      const p = problem(decl.default);
      if (p) err(`declared ${decl.type} but its default ${show(decl.default)} ${p}`, 'default');
    }
    if (decl.allowedValues) {
      if (decl.allowedValues.length === 0) err('allowedValues is empty; list the values or remove it', 'allowedValues');
      decl.allowedValues.forEach((v, i) => { const p = problem(v); if (p) err(`allowed value ${show(v)} ${p}`, 'allowedValues', i); });
    }
    const allowed = decl.allowedValues;
    if (errors.length === before && allowed && allowed.length > 0) {
      const values = decl.type === 'array' ? (decl.default as unknown[]) : [decl.default];
      values.forEach((v, i) => {
        if (!allowed.includes(v)) err(`default ${decl.type === 'array' ? 'item ' : ''}${show(v)} is not among allowedValues ${allowed.map(show).join(', ')}`, ...(decl.type === 'array' ? ['default', i] : ['default']));
      });
    }
    const def: ParameterDef = { name, type: decl.type, default: decl.default as ParameterDef['default'], location: at(where, true) };
    if (decl.description !== undefined) def.description = decl.description;
    if (allowed) def.allowedValues = allowed as ParameterDef['allowedValues'];
    const valid = errors.length === before;
    out.push(items ? { def, items, valid } : { def, valid });
  }
  return out;
}

function wholeProblem(v: unknown): string | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v)) return 'is not a whole number';
  if (!Number.isSafeInteger(v)) return `is outside ±${SAFE} (a YAML number that large has already lost digits)`;
  return undefined;
}

/**
 * The value of `param` given `--param NAME=text`, or a usage error naming the parameter, where
 * it is declared and what it takes.
 */
export function parseOverride(param: DeclaredParameter, text: string): string | number | boolean | Array<string | number> {
  const { def } = param;
  const what = `${def.type}${param.items ? ` of ${param.items === 'integer' ? 'whole numbers' : 'strings'}` : ''}`;
  const fail = (why: string): never => {
    throw usageError(`--param ${def.name}=${text}: parameter "${def.name}" (${what}, declared at ${formatLocation(def.location)}) ${why}`);
  };
  const allowedList = () => def.allowedValues!.map((v) => (typeof v === 'string' ? v : show(v))).join(', ');
  // `item` names an array item ("item 2 \"x\""); without it the whole value is meant.
  const allow = <T>(v: T, item?: string): T => {
    if (def.allowedValues && !def.allowedValues.some((a) => a === v)) fail(item ? `${item} is not one of ${allowedList()}` : `allows only ${allowedList()}`);
    return v;
  };
  const whole = (s: string, item?: string): number => {
    const hint = /^-?0x[0-9a-f]+$/i.test(s) ? `; write ${Number.parseInt(s, 16)} for ${s}` : '';
    if (!/^-?[0-9]+$/.test(s)) {
      if (item) return fail(`${item} is not a whole number in decimal digits (-?[0-9]+)${hint}`);
      return fail(s === '' ? 'needs a whole number; the value is empty' : `takes a whole number in decimal digits (-?[0-9]+)${hint}`);
    }
    const n = Number(BigInt(s));
    if (!Number.isSafeInteger(n)) return fail(`${item ? `${item} is outside` : 'takes whole numbers within'} ±${SAFE}`);
    return n;
  };
  switch (def.type) {
    case 'string':
      return allow(text);
    case 'boolean':
      if (text !== 'true' && text !== 'false') return fail('takes true or false');
      return allow(text === 'true');
    case 'integer':
      return allow(whole(text));
    case 'array': {
      if (text === '') return [];
      return text.split(',').map((item, i) => {
        const label = `item ${i + 1} ${JSON.stringify(item)}`;
        return allow(param.items === 'integer' ? whole(item, label) : item, label);
      });
    }
  }
}

/**
 * `--param` names none of `parameters` (every loaded baseline's declarations) has, as usage
 * errors that list the declared names (with a "did you mean" for a near miss).
 */
export function unknownOverrides(parameters: readonly ParameterDef[], overrides: ReadonlyMap<string, string>): DriftscanError[] {
  const declared = new Map<string, ParameterDef>();
  for (const p of parameters) if (!declared.has(p.name)) declared.set(p.name, p);
  const names = [...declared.keys()].sort();
  const errors: DriftscanError[] = [];
  for (const [name, value] of overrides) {
    if (declared.has(name)) continue;
    const hint = closest(name, names);
    const list = names.length ? `declared: ${names.map((n) => `${n} (${formatLocation(declared.get(n)!.location)})`).join(', ')}` : 'the loaded baselines declare no parameters';
    errors.push(usageError(`--param ${name}=${value}: no loaded baseline declares a parameter "${name}"${hint ? `; did you mean "${hint}"?` : ''} (${list})`));
  }
  return errors;
}
