/**
 * Baseline parameters as Azure Policy parameters. Machine Configuration writes every parameter
 * into the MOF as a string (`Set-GuestConfigurationPackageParameters`), and the module declares
 * every policy parameter as `String` (machine-configuration.md §3.1), so integers, booleans and
 * arrays become strings here too: `3`, `true`, `a,b` — the same text the package compiler puts
 * in the MOF as the default. `allowedValues` of scalar parameters carry over as strings, which
 * keeps the portal's value check; an array parameter's `allowedValues` constrain its elements,
 * which a policy string parameter cannot express, so they are dropped.
 */
import type { ParameterDef } from '../../rules/model.js';
import { DriftscanError } from '../../core/diagnostics.js';
import { INCLUDE_ARC_PARAMETER, type AssignmentParameter } from './conditions.js';
import type { PolicyParameter } from './model.js';

/** The policy parameter that switches a definition between its effect and `Disabled`. */
export const EFFECT_PARAMETER = 'effect';

/** Parameter names driftscan declares itself; a baseline parameter may not take them (policy names are case-insensitive). */
const RESERVED = [INCLUDE_ARC_PARAMETER, EFFECT_PARAMETER, 'EnableAutoRemediation'];

/** Baseline parameter names are identifiers (`src/baseline/schema.ts`); anything else would need quoting in expressions. */
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** A rule parameter of the package, as the package compiler hands it over. */
export interface ConfigurationParameterInput {
  ruleId: string;
  property: string;
  param: ParameterDef;
  /** `[Type]Id;Property`, the MOF address the value is written to. */
  mofName: string;
}

/** The string Machine Configuration and the policy use for a parameter value. */
export function parameterText(value: string | number | boolean | readonly string[]): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** The policy parameter for one baseline parameter. */
export function policyParameter(def: ParameterDef, use: { ruleId: string; property: string }): PolicyParameter {
  const description = def.description ?? `Value for ${use.property} of rule ${use.ruleId}.`;
  const p: PolicyParameter = { type: 'String', metadata: { displayName: def.name, description }, defaultValue: parameterText(def.default) };
  if (def.allowedValues && def.type !== 'array') {
    p.allowedValues = [...new Set(def.allowedValues.map((v) => parameterText(v)))];
  }
  return p;
}

/**
 * Checks the package's rule parameters can become policy parameters: identifier names, none
 * reserved, each addressing one MOF property (the metadata map is keyed by policy parameter).
 */
export function assignmentParameters(inputs: readonly ConfigurationParameterInput[]): AssignmentParameter[] {
  const seen = new Map<string, ConfigurationParameterInput>();
  for (const c of inputs) {
    const name = c.param.name;
    const at = { location: c.param.location };
    if (!NAME.test(name)) throw new DriftscanError(`parameter ${JSON.stringify(name)} cannot be an Azure Policy parameter: use letters, digits and _`, at);
    const reserved = RESERVED.find((r) => r.toLowerCase() === name.toLowerCase());
    if (reserved) throw new DriftscanError(`parameter ${name} clashes with the policy parameter ${reserved} driftscan declares; rename it`, at);
    const other = seen.get(name.toLowerCase());
    if (other) {
      throw new DriftscanError(
        `parameter ${name} is used by rule ${other.ruleId} and rule ${c.ruleId}; a Machine Configuration policy parameter sets exactly one resource property`,
        at,
      );
    }
    seen.set(name.toLowerCase(), c);
  }
  return inputs.map((c) => ({ mofName: c.mofName, policyParameter: c.param.name }));
}

/** `IncludeArcMachines`, as the module declares it (§3.2): Arc machines are billed, so the default is "false". */
export function includeArcParameter(): PolicyParameter {
  return {
    type: 'String',
    metadata: {
      displayName: 'Include Arc connected machines',
      description: 'By selecting this option, you agree to be charged monthly per Arc connected machine.',
      portalReview: 'true',
    },
    defaultValue: 'false',
    allowedValues: ['true', 'false'],
  };
}

/** The `effect` parameter built-in guest configuration policies declare: the effect or `Disabled`. */
export function effectParameter(effect: 'AuditIfNotExists' | 'DeployIfNotExists'): PolicyParameter {
  return {
    type: 'String',
    metadata: { displayName: 'Effect', description: 'Enable or disable the execution of this policy.' },
    defaultValue: effect,
    allowedValues: [effect, 'Disabled'],
  };
}
