/**
 * The rule model: what a loaded, validated baseline looks like to the evaluator, the
 * compiler and the report writers. Loading (`load.ts`) turns YAML into these types and
 * records where each thing came from, so every later message can point at a file and line.
 */
import type { SourceLocation } from '../core/diagnostics.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Machine Configuration assignment types (metaconfig `Type` / policy `assignmentType`). */
export const ASSIGNMENT_TYPES = ['Audit', 'ApplyAndMonitor', 'ApplyAndAutoCorrect'] as const;
export type AssignmentType = (typeof ASSIGNMENT_TYPES)[number];

export interface BaselineMetadata {
  /** Package-safe identifier: becomes the Machine Configuration package and configuration name. */
  name: string;
  /** Semantic version (`1.2.3`). */
  version: string;
  title: string;
  description?: string;
  owner?: string;
  references: string[];
}

/** How the compiled package is assigned (see issue #4 and `../shared/reference/machine-configuration.md` §3.6). */
export interface AssignmentSettings {
  type: AssignmentType;
  /** Evaluation frequency in minutes (metaconfig `ConfigurationModeFrequencyMins`), when set. */
  frequencyMinutes?: number;
  /**
   * Required to enforce (non-Audit) rules that touch remote access: the reason the team accepts
   * the lock-out risk. Absent = the compiler refuses such baselines.
   */
  remoteAccessAcknowledgement?: string;
  /**
   * What the compiler does with a rule no DSC resource can check faithfully (regex, ranges, ACL
   * absence…): `fail` the compile (default), or `omit` it from the package — it is then audited
   * only by `driftscan check`, and the manifest lists it.
   */
  unsupportedRules?: 'fail' | 'omit';
}

/** A baseline parameter (`spec.parameters.NAME`); becomes an Azure Policy parameter when compiled. */
export interface ParameterDef {
  name: string;
  type: 'string' | 'integer' | 'boolean' | 'array';
  default: string | number | boolean | string[];
  description?: string;
  allowedValues?: Array<string | number | boolean>;
  location: SourceLocation;
}

/** Where a rule uses a parameter: `property` is the check's YAML key (e.g. `equals`, `account`). */
export interface ParameterUse {
  property: string;
  param: string;
}

/** A rule after loading. `check` is the normalised, kind-specific body (see `src/rules/<kind>.ts`). */
export interface Rule<Check = unknown> {
  id: string;
  title: string;
  severity: Severity;
  rationale?: string;
  remediation?: string;
  tags: string[];
  /** The check kind: `registryValue`, `registryKey`, `registryAcl`, `service`. */
  kind: string;
  check: Check;
  /** Parameters this rule's check uses, with their resolved values already in `check`. */
  parameters: ParameterUse[];
  /** Where the rule starts in its baseline file. */
  location: SourceLocation;
}

export interface Waiver {
  /** A rule id or a glob (`rdp-*`). */
  rule: string;
  reason: string;
  owner: string;
  /** ISO date `YYYY-MM-DD`; the waiver applies through the end of that day (UTC). */
  expires: string;
  location: SourceLocation;
}

export interface Baseline {
  /** The file it was loaded from, as given on the command line. */
  file: string;
  metadata: BaselineMetadata;
  assignment: AssignmentSettings;
  parameters: ParameterDef[];
  rules: Rule[];
  waivers: Waiver[];
}

/** The definition of parameter `name`; the loader has already checked that it exists. */
export function parameterDef(parameters: readonly ParameterDef[], name: string): ParameterDef {
  const def = parameters.find((d) => d.name === name);
  if (!def) throw new Error(`parameter ${name} is not defined`);
  return def;
}
