/**
 * The rule-kind contract. Like InSpec resources, each kind of check is one module (or one folder,
 * e.g. `user-right/`) that owns its schema fragment, its parsing/validation, its evaluation, the
 * state it needs to read and its documentation — adding a kind touches its own files plus the list
 * in `index.ts`. All offline state is registry: a kind declares the keys, values, ACLs and subtrees
 * it reads (`references`), and every source serves them through `StateSource.key`.
 */
import type { SourceLocation } from '../core/diagnostics.js';
import type { StateSource } from '../state/source.js';
import type { StateReferences } from '../state/references.js';
import type { RegistryPath } from '../windows/registry-path.js';
import type { DscPlan } from '../dsc/resources.js';
import type { ParameterDef, Rule } from './model.js';

/** An identity in a rule: always a SID; `name` is what the user wrote or the well-known display name. */
export interface Identity {
  sid: string;
  name?: string;
}

/** Helpers the loader hands to a kind's `parse`; every error they raise names file:line:col. */
export interface ParseContext {
  readonly file: string;
  /** Location of a property inside the check body (`at('access', 0, 'rights')`), or of the body itself. */
  at(...path: Array<string | number>): SourceLocation;
  /** Throws a located validation error. */
  fail(message: string, ...path: Array<string | number>): never;
  /** Parses a registry key path (any accepted spelling) or fails at `path`. */
  registryPath(text: unknown, ...path: Array<string | number>): { path: RegistryPath; pathText: string };
  /** Resolves an identity written as a name, a SID, or `{ sid, name }`; unknown bare names fail with a hint. */
  identity(value: unknown, ...path: Array<string | number>): Identity;
}

/** The outcome of evaluating one check against one source (waivers are applied later by the evaluator). */
export interface Verdict {
  status: 'pass' | 'fail' | 'error' | 'skipped';
  expected: string;
  actual: string;
  /** Defaults to "expected …, found …". */
  message?: string;
  /** The key or service looked at, as found in the source. */
  target?: string;
}

export interface RuleKind<Check = unknown> {
  /** The YAML key that selects this kind in a rule (`registryValue`). */
  readonly name: string;
  /** One line for docs and `--help`. */
  readonly summary: string;
  /** JSON Schema (draft 2020-12 subset) of the check body. Values that may be parameters use `#/$defs/param`. */
  readonly schema: Record<string, unknown>;
  /** Properties of the body that accept `{ param: NAME }`, with the parameter type they need. */
  readonly parameterizable: Readonly<Record<string, 'string' | 'integer' | 'boolean' | 'array'>>;
  /** Validates and normalises the body (parameters already substituted). */
  parse(body: Record<string, unknown>, ctx: ParseContext): Check;
  /** The keys, values, ACLs, subtrees and services evaluation reads (drives the collector script). */
  references(check: Check): StateReferences;
  /** Evaluates against a state source. May throw `DriftscanError` for damaged data (→ `error`). */
  evaluate(check: Check, source: StateSource): Verdict;
  /** A one-line description of what the check requires, for plans and docs. */
  describe(check: Check): string;
  /** Machine Configuration translation (`src/dsc/resources.ts`); absent = the kind cannot be compiled. */
  readonly dsc?: DscMapping<Check>;
}

/** `expected X, found Y` — the same wording in every output and every source. */
export function expectedFound(expected: string, actual: string): string {
  return `expected ${expected}, found ${actual}`;
}

/** The `dsc` member of a rule kind: its Machine Configuration translation, in the vocabulary of `src/dsc/`. */
export interface DscMapping<Check> {
  /**
   * Translates a rule or throws `DscUnsupported`. `parameters` are the baseline's parameter
   * definitions: a parameterised property must stay faithful for every value an assignment may pass.
   */
  plan(rule: Rule<Check>, parameters: readonly ParameterDef[]): DscPlan;
  /** Why enforcing this check could cut off remote access (RDP, its certificates, logon rights), or undefined. */
  remoteAccess(check: Check): string | undefined;
}
