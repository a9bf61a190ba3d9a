/**
 * Loads baseline files: text (UTF-8 or UTF-16) → YAML (yaml.ts, with source positions) → schema
 * validation (ajv) → semantic checks (duplicate ids, paths, identities, regexes, parameters in
 * parameters.ts, waivers) → the rule model. Every problem is reported as
 * `file:line:col: what is wrong`, with a suggestion where one helps.
 */
import { readdirSync, statSync } from 'node:fs';
import { readInputText } from '../io/input-text.js';
import { extname, join } from 'node:path';
import { pointerToPath } from '../core/source-position.js';
import type { ErrorObject } from 'ajv';
import { DriftscanError, type SourceLocation } from '../core/diagnostics.js';
import { baselineSchema } from './schema.js';
import type { Baseline, ParameterDef, ParameterUse, Rule, Severity, Waiver, AssignmentSettings } from '../rules/model.js';
import { declareParameters, overrideMap, parseOverride, unknownOverrides, type ParameterOverrides, type RawParameter } from './parameters.js';
import { parseYaml } from './yaml.js';
import { RULE_KINDS, ruleKind } from '../rules/index.js';
import type { Identity, ParseContext } from '../rules/kind.js';
import { formatRegistryPath, parseRegistryPath } from '../windows/registry-path.js';
import { resolveIdentity, suggestIdentities } from '../windows/identity.js';
import { isSid, parseSid } from '../windows/sid.js';
import { closest } from '../core/suggest.js';
import { HKLM_KEYS, MACHINE_HIVES } from '../windows/hives.js';
import { waiverMatches } from '../rules/waiver.js';
import { loadValidator } from '../validation/precompiled-validator.js';
import type { ValidatorSpec } from '../validation/validator-spec.js';

/**
 * Several located problems found in one run; the message holds one line per problem. Messages
 * quote the user's text (keys, ids, values), which may hold newlines or terminal escapes: those are
 * shown as `\n`, `\x1b`… so each problem stays one line and the log stays readable.
 */
export class BaselineErrors extends DriftscanError {
  readonly errors: DriftscanError[];
  constructor(errors: DriftscanError[]) {
    const lines = errors.map(oneLine);
    super(lines.map((e) => e.message).join('\n'), lines[0]?.location ? { location: lines[0].location } : {});
    this.message = lines.map((e) => e.message).join('\n');
    this.errors = lines;
  }
}

// C0 and C1 controls, DEL and the Unicode line and paragraph separators.
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function oneLine(e: DriftscanError): DriftscanError {
  const detail = e.detail.replace(LINE_BREAKING, (c) => {
    const code = c.charCodeAt(0);
    return c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
  if (detail === e.detail) return e;
  return new DriftscanError(detail, { kind: e.kind, ...(e.location ? { location: e.location } : {}) });
}

export interface LoadOptions {
  /**
   * Parameter values that override defaults (`--param NAME=VALUE`), checked against each loaded
   * baseline's declaration; a name no loaded baseline declares is an error. A plain object is read
   * by its own properties only.
   */
  parameters?: ParameterOverrides;
  /** "Today" for waiver expiry (tests); defaults to the current UTC date. */
  today?: string;
}

/** The baseline schema validator; `verbose` because messages quote `parentSchema` and `data`. */
export const BASELINE_VALIDATOR: ValidatorSpec = { schema: baselineSchema, options: { allErrors: true, strict: false, verbose: true } };
/** The precompiled validator the build writes beside this module (dist/src/baseline/). */
export const BASELINE_VALIDATOR_FILE = 'baseline-validator.cjs';
const validator = loadValidator(BASELINE_VALIDATOR, new URL(`./${BASELINE_VALIDATOR_FILE}`, import.meta.url));
function validate(data: unknown) {
  const v = validator();
  return v(data) ? [] : (v.errors ?? []);
}

/** Expands files and folders (`*.yaml`/`*.yml`, recursively) into a sorted file list. */
export function expandBaselinePaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new DriftscanError(`baseline path not found: ${p}`, { kind: 'usage' });
    }
    if (st.isDirectory()) {
      const walk = (dir: string) => {
        for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
          const full = join(dir, entry.name);
          if (entry.isDirectory()) walk(full);
          else if (['.yaml', '.yml'].includes(extname(entry.name).toLowerCase())) out.push(full);
        }
      };
      walk(p);
    } else out.push(p);
  }
  if (out.length === 0) throw new DriftscanError(`no baseline files (*.yaml, *.yml) found in ${paths.join(', ')}`, { kind: 'usage' });
  return out;
}

/** Loads and validates baselines from files and folders; throws `BaselineErrors` listing every problem. */
export function loadBaselines(paths: readonly string[], options: LoadOptions = {}): Baseline[] {
  const files = expandBaselinePaths(paths);
  const overrides = overrideMap(options.parameters);
  const errors: DriftscanError[] = [];
  const baselines: Baseline[] = [];
  const names = new Map<string, string>();
  const declared = new Map<string, ParameterDef[]>();
  for (const file of files) {
    try {
      const b = loadOne(readInputText(file, 'baseline'), file, options.today, overrides, declared);
      const other = names.get(b.metadata.name);
      if (other) {
        errors.push(new DriftscanError(`baseline name "${b.metadata.name}" is already used by ${other}; names must be unique (they become package names)`, { location: { file, line: 1, col: 1 } }));
      } else names.set(b.metadata.name, file);
      baselines.push(b);
    } catch (err) {
      if (err instanceof BaselineErrors) errors.push(...err.errors);
      else if (err instanceof DriftscanError) errors.push(err);
      else throw err;
    }
  }
  // Unknown --param names only once every file got as far as declaring its parameters: a name
  // declared by a file that failed earlier is not unknown.
  if (declared.size === files.length) errors.push(...unknownOverrides([...declared.values()].flat(), overrides));
  if (errors.length) throw new BaselineErrors(errors);
  return baselines;
}

/**
 * Loads one baseline from YAML text; `file` is used in messages. `options.parameters` are checked
 * as if this were the only baseline loaded: a name it does not declare is an error.
 */
export function loadBaselineText(text: string, file: string, options: LoadOptions = {}): Baseline {
  const overrides = overrideMap(options.parameters);
  const declared = new Map<string, ParameterDef[]>();
  const errors: DriftscanError[] = [];
  let baseline: Baseline | undefined;
  try {
    baseline = loadOne(text.replace(/^\uFEFF/, ''), file, options.today, overrides, declared);
  } catch (err) {
    if (err instanceof BaselineErrors) errors.push(...err.errors);
    else if (err instanceof DriftscanError) errors.push(err);
    else throw err;
  }
  if (declared.size === 1) errors.push(...unknownOverrides([...declared.values()].flat(), overrides));
  if (errors.length || !baseline) throw new BaselineErrors(errors);
  return baseline;
}

/** Loads one baseline; records its parameter declarations in `declared` as soon as they are known. */
function loadOne(text: string, file: string, today: string | undefined, overrides: ReadonlyMap<string, string>, declared: Map<string, ParameterDef[]>): Baseline {
  const { data, at } = parseYaml(text, file);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new DriftscanError('a baseline must be a YAML mapping with apiVersion, kind, metadata and spec', { location: { file, line: 1, col: 1 } });
  }
  const schemaErrors = validate(data);
  if (schemaErrors.length) throw new BaselineErrors(describeSchemaErrors(schemaErrors, at));
  return build(data as RawBaseline, file, at, today, overrides, declared);
}

/** Turns ajv errors into one plain-words error per place, most specific first. */
function describeSchemaErrors(errors: ErrorObject[], at: (p: ReadonlyArray<string | number>, key?: boolean) => SourceLocation): DriftscanError[] {
  // Errors inside an anyOf branch are noise once the anyOf itself is reported.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const out = new Map<string, DriftscanError>();
  for (const e of errors) {
    if (e.keyword !== 'anyOf' && [...anyOfPaths].some((p) => e.instancePath === p || e.instancePath.startsWith(`${p}/`))) continue;
    if (e.keyword === 'if' || e.keyword === 'oneOf') continue;
    // A propertyNames failure comes with a second error on the name itself (`propertyName` set); report that one.
    if (e.keyword === 'propertyNames') continue;
    const path = pointerToPath(e.instancePath);
    const name = path.length ? String(path[path.length - 1]) : 'document';
    let message: string;
    let loc: SourceLocation;
    switch (e.keyword) {
      case 'additionalProperties': {
        const prop = (e.params as { additionalProperty: string }).additionalProperty;
        const allowed = Object.keys(((e.parentSchema as { properties?: object })?.properties) ?? {});
        const hint = closest(prop, allowed);
        message = `unknown key "${prop}"${hint ? `; did you mean "${hint}"?` : allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`;
        loc = at([...path, prop], true);
        break;
      }
      case 'required': {
        const prop = (e.params as { missingProperty: string }).missingProperty;
        message = `${path.length ? `"${name}"` : 'the document'} is missing required key "${prop}"`;
        loc = at(path, true);
        break;
      }
      case 'enum': {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
        const hint = closest(String(e.data), allowed);
        message = `"${name}" must be one of ${allowed.join(', ')} (found "${String(e.data)}")${hint ? `; did you mean "${hint}"?` : ''}`;
        loc = at(path);
        break;
      }
      case 'const':
        message = `"${name}" must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)} (found ${JSON.stringify(e.data)})`;
        loc = at(path);
        break;
      case 'type':
        message = `"${name}" must be ${(e.params as { type: string }).type === 'integer' ? 'a whole number' : `a ${String((e.params as { type: string }).type)}`} (found ${JSON.stringify(e.data)})`;
        loc = at(path);
        break;
      case 'pattern':
        if (e.propertyName !== undefined) {
          // Only parameter names are constrained (schema.ts): they become Azure Policy parameter names.
          message = `parameter name "${e.propertyName}" must start with a letter and contain only letters, digits and _`;
          loc = at([...path, e.propertyName], true);
          break;
        }
        message = patternMessage(name, String(e.data));
        loc = at(path);
        break;
      case 'anyOf':
        message = `"${name}" has an invalid value ${JSON.stringify(e.data)}${Array.isArray(e.data) || typeof e.data !== 'object' ? '' : ' (use a value or { param: NAME })'}`;
        loc = at(path);
        break;
      case 'minItems':
        message = `"${name}" must not be empty`;
        loc = at(path);
        break;
      default:
        message = `"${name}" ${e.message ?? 'is invalid'}`;
        loc = at(path);
    }
    const k = `${e.instancePath}|${message}`;
    if (!out.has(k)) out.set(k, new DriftscanError(message, { location: loc }));
  }
  return [...out.values()];
}

function patternMessage(name: string, value: string): string {
  switch (name) {
    case 'version': return `version "${value}" is not a semantic version; use MAJOR.MINOR.PATCH such as 1.0.0`;
    case 'name': return `name "${value}" is not package-safe; use letters, digits, "-" and "_", starting with a letter (at most 64 characters)`;
    case 'id': return `rule id "${value}" may only contain letters, digits, ".", "-" and "_" (at most 100 characters)`;
    case 'expires': return `expires "${value}" must be a date YYYY-MM-DD`;
    case 'sid': return `"${value}" is not a SID (S-1-…)`;
    default: return `"${name}" has an invalid value "${value}"`;
  }
}

interface RawRule { id: string; title: string; severity: Severity; rationale?: string; remediation?: string; tags?: string[]; [k: string]: unknown }
interface RawBaseline {
  metadata: { name: string; version: string; title: string; description?: string; owner?: string; references?: string[] };
  spec: {
    assignment?: { type?: AssignmentSettings['type']; frequencyMinutes?: number; remoteAccessAcknowledgement?: string; unsupportedRules?: 'fail' | 'omit' };
    parameters?: Record<string, RawParameter>;
    rules: RawRule[];
    waivers?: Array<{ rule: string; reason: string; owner: string; expires: string }>;
  };
}

type Locate = (p: ReadonlyArray<string | number>, key?: boolean) => SourceLocation;

function build(raw: RawBaseline, file: string, at: Locate, todayOption: string | undefined, overrides: ReadonlyMap<string, string>, declared: Map<string, ParameterDef[]>): Baseline {
  const errors: DriftscanError[] = [];
  const err = (message: string, path: ReadonlyArray<string | number>, key = false) => errors.push(new DriftscanError(message, { location: at(path, key) }));

  // Parameters: declarations checked, then each value is the default or its --param override
  // read by the declared type. Names are user-chosen: Maps only, never plain-object lookups.
  const declarations = declareParameters(raw.spec.parameters, at, errors);
  const parameters = declarations.map((d) => d.def);
  declared.set(file, parameters);
  const values = new Map<string, unknown>();
  const overridden = new Map<string, string>();
  // A rule using a wrongly declared parameter is not checked further: its errors would only repeat
  // the declaration's, reported once already.
  const broken = new Set(declarations.filter((d) => !d.valid).map((d) => d.def.name));
  for (const d of declarations) {
    if (!d.valid) continue;
    const text = overrides.get(d.def.name);
    if (text === undefined) {
      values.set(d.def.name, d.def.default);
      continue;
    }
    try {
      values.set(d.def.name, parseOverride(d, text));
      overridden.set(d.def.name, text);
    } catch (e) {
      if (!(e instanceof DriftscanError)) throw e;
      errors.push(e);
      values.set(d.def.name, d.def.default);
    }
  }
  const usedParams = new Set<string>();

  const rules: Rule[] = [];
  const ids = new Map<string, number>();
  raw.spec.rules.forEach((r, i) => {
    const where = ['spec', 'rules', i];
    const previous = ids.get(r.id.toLowerCase());
    if (previous !== undefined) {
      err(`duplicate rule id "${r.id}" (also rule ${previous + 1} at line ${at(['spec', 'rules', previous, 'id']).line}); ids must be unique`, [...where, 'id']);
      return;
    }
    ids.set(r.id.toLowerCase(), i);
    const kinds = RULE_KINDS.map((k) => k.name).filter((k) => r[k] !== undefined);
    if (kinds.length !== 1) {
      err(kinds.length === 0
        ? `rule "${r.id}" has no check; add exactly one of ${RULE_KINDS.map((k) => k.name).join(', ')}`
        : `rule "${r.id}" has ${kinds.length} checks (${kinds.join(', ')}); a rule has exactly one`, where);
      return;
    }
    const kind = ruleKind(kinds[0]!)!;
    const bodyPath = [...where, kind.name];
    const body = { ...(r[kind.name] as Record<string, unknown>) };
    const uses: ParameterUse[] = [];
    let usesBroken = false;
    for (const [prop, v] of Object.entries(body)) {
      if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, 'param')) continue;
      const pname = String((v as { param: unknown }).param);
      if (!Object.hasOwn(kind.parameterizable, prop)) { err(`"${prop}" cannot take a parameter`, [...bodyPath, prop]); continue; }
      if (broken.has(pname)) {
        usedParams.add(pname);
        usesBroken = true;
        continue;
      }
      if (!values.has(pname)) {
        const hint = closest(pname, [...values.keys()]);
        err(`unknown parameter "${pname}"${hint ? `; did you mean "${hint}"?` : values.size ? '' : ' (declare it under spec.parameters)'}`, [...bodyPath, prop, 'param']);
        continue;
      }
      usedParams.add(pname);
      body[prop] = values.get(pname);
      uses.push({ property: prop, param: pname });
    }
    if (usesBroken) return;
    const ctx = contextFor(file, bodyPath, at);
    try {
      const check = kind.parse(body, ctx);
      const rule: Rule = {
        id: r.id, title: r.title, severity: r.severity, tags: r.tags ?? [], kind: kind.name, check, parameters: uses, location: at(where),
      };
      if (r.rationale !== undefined) rule.rationale = r.rationale;
      if (r.remediation !== undefined) rule.remediation = r.remediation;
      rules.push(rule);
    } catch (e) {
      if (!(e instanceof DriftscanError)) throw e;
      // A --param value the rule rejects (a DWord above 4294967295…): say where the value came from.
      const use = uses.find((u) => overridden.has(u.param) && sameLocation(e.location, at([...bodyPath, u.property])));
      errors.push(use ? new DriftscanError(`${e.detail} (value from --param ${use.param}=${overridden.get(use.param)!})`, e.location ? { location: e.location } : {}) : e);
    }
  });
  for (const p of parameters) {
    if (!usedParams.has(p.name)) err(`parameter "${p.name}" is declared but no rule uses it`, ['spec', 'parameters', p.name], true);
  }

  const today = todayOption ?? new Date().toISOString().slice(0, 10);
  const waivers: Waiver[] = [];
  (raw.spec.waivers ?? []).forEach((w, i) => {
    const where = ['spec', 'waivers', i];
    if (Number.isNaN(Date.parse(`${w.expires}T00:00:00Z`)) || new Date(`${w.expires}T00:00:00Z`).toISOString().slice(0, 10) !== w.expires) {
      err(`expires "${w.expires}" is not a real date`, [...where, 'expires']);
      return;
    }
    if (w.expires < today) {
      err(`waiver for "${w.rule}" (owner ${w.owner}) expired on ${w.expires}; renew it with a new date or remove it`, [...where, 'expires']);
      return;
    }
    if (!raw.spec.rules.some((r) => waiverMatches(w.rule, r.id))) {
      const hint = closest(w.rule, raw.spec.rules.map((r) => r.id));
      err(`waiver rule "${w.rule}" matches no rule in this baseline${hint ? `; did you mean "${hint}"?` : ''}`, [...where, 'rule']);
      return;
    }
    waivers.push({ rule: w.rule, reason: w.reason, owner: w.owner, expires: w.expires, location: at(where) });
  });

  if (errors.length) throw new BaselineErrors(errors);
  const m = raw.metadata;
  const metadata: Baseline['metadata'] = { name: m.name, version: m.version, title: m.title, references: m.references ?? [] };
  if (m.description !== undefined) metadata.description = m.description;
  if (m.owner !== undefined) metadata.owner = m.owner;
  const assignment: AssignmentSettings = { type: raw.spec.assignment?.type ?? 'Audit', unsupportedRules: raw.spec.assignment?.unsupportedRules ?? 'fail' };
  if (raw.spec.assignment?.frequencyMinutes !== undefined) assignment.frequencyMinutes = raw.spec.assignment.frequencyMinutes;
  if (raw.spec.assignment?.remoteAccessAcknowledgement !== undefined) assignment.remoteAccessAcknowledgement = raw.spec.assignment.remoteAccessAcknowledgement;
  return { file, metadata, assignment, parameters, rules, waivers };
}

function sameLocation(a: SourceLocation | undefined, b: SourceLocation): boolean {
  return a !== undefined && a.file === b.file && a.line === b.line && a.col === b.col;
}


function contextFor(file: string, base: ReadonlyArray<string | number>, at: (p: ReadonlyArray<string | number>, key?: boolean) => SourceLocation): ParseContext {
  const ctx: ParseContext = {
    file,
    at: (...path) => at([...base, ...path]),
    fail(message, ...path): never {
      throw new DriftscanError(message, { location: at([...base, ...path]) });
    },
    registryPath(text, ...path) {
      if (typeof text !== 'string') return ctx.fail('path must be a string such as HKLM\\SOFTWARE\\…', ...path);
      try {
        const p = parseRegistryPath(text);
        if (p.root === 'HKLM' && p.segments.length > 0 && !HKLM_KEYS.includes(p.segments[0]!.toUpperCase())) {
          const hint = closest(p.segments[0]!, MACHINE_HIVES);
          return ctx.fail(`"${p.segments[0]}" is not a hive under HKLM (${MACHINE_HIVES.join(', ')})${hint ? `; did you mean ${hint}?` : ''}`, ...path);
        }
        return { path: p, pathText: formatRegistryPath(p) };
      } catch (e) {
        if (e instanceof DriftscanError) throw e;
        return ctx.fail((e as Error).message, ...path);
      }
    },
    identity(value, ...path): Identity {
      if (value !== null && typeof value === 'object') {
        const o = value as { sid?: unknown; name?: unknown };
        try {
          const sid = parseSid(String(o.sid));
          return o.name !== undefined ? { sid, name: String(o.name) } : { sid };
        } catch (e) {
          return ctx.fail(`invalid SID ${JSON.stringify(o.sid)}: ${(e as Error).message}`, ...path, 'sid');
        }
      }
      if (typeof value !== 'string') return ctx.fail('identity must be an account name, a SID, or { sid, name }', ...path);
      if (/^s-1-/i.test(value.trim())) {
        if (!isSid(value.trim())) return ctx.fail(`"${value}" is not a valid SID`, ...path);
        const sid = parseSid(value.trim());
        const known = resolveIdentity(sid);
        return known?.name ? { sid, name: known.name } : { sid };
      }
      const id = resolveIdentity(value);
      if (id) return id.name ? id : { sid: id.sid, name: value };
      const hints = suggestIdentities(value);
      return ctx.fail(
        `unknown identity "${value}": only well-known accounts can be resolved offline` +
          (hints.length ? `; did you mean ${hints.map((h) => `"${h}"`).join(' or ')}?` : '.') +
          ` For domain or local accounts give the SID: { sid: "S-1-5-21-…", name: "${value}" }`,
        ...path,
      );
    },
  };
  return ctx;
}
