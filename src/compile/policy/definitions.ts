/**
 * AuditIfNotExists and DeployIfNotExists policy definitions for one compiled baseline, in the
 * shape `New-GuestConfigurationPolicy` writes (machine-configuration.md §3): `metadata.category`
 * "Guest Configuration" plus `metadata.guestConfiguration` make the service create the guest
 * assignment; the rule targets Windows machines; the effect checks the assignment is Compliant
 * with the assigned parameter values, and DINE deploys the assignment when it is not.
 */
import { basename } from 'node:path';
import type { AssignmentType, Baseline, ParameterDef } from '../../rules/model.js';
import { DriftscanError } from '../../core/diagnostics.js';
import { ASSIGNMENT_TYPE, existenceCondition, INCLUDE_ARC_PARAMETER, windowsMachinesCondition, type MachineTargets } from './conditions.js';
import { assignmentDeployment } from './deployment-template.js';
import { displayText, MAX_DESCRIPTION, MAX_DISPLAY_NAME } from './display-text.js';
import type { GuestConfigurationMetadata, PolicyDefinition, PolicyParameter } from './model.js';
import { guestAssignmentNameExpression, policyDefinitionName } from './names.js';
import { assignmentParameters, EFFECT_PARAMETER, effectParameter, includeArcParameter, policyParameter, type ConfigurationParameterInput } from './parameters.js';

/** What the package compiler knows about one package, for its policy definitions. */
export interface PolicyInput {
  baseline: Baseline;
  /** = baseline metadata name/version. */
  packageName: string;
  version: string;
  contentUri: string;
  /** SHA-256 of the zip as uploaded, 64 upper-case hex. */
  contentHash: string;
  /** The user-assigned identity machines download the package with (no SAS in contentUri). */
  contentManagedIdentity?: string;
  assignmentType: AssignmentType;
  configurationParameters: Array<{ ruleId: string; property: string; param: ParameterDef; mofName: string }>;
  /** Windows VMs are always targeted; Arc-enabled servers (opt-in per assignment) and scale sets on request. */
  targets?: { arc?: boolean; vmss?: boolean };
}

/** Guest Configuration Resource Contributor: the role the DINE managed identity needs to PUT assignments (§3.5). */
export const GUEST_CONFIGURATION_CONTRIBUTOR_ROLE = '/providers/Microsoft.Authorization/roleDefinitions/088ab73d-1256-47ae-bea9-9de8e7131f31';


/** `<title> <suffix>`, the title cut first so the suffix that tells the definitions apart survives. */
function displayName(title: string, suffix: string): string {
  const head = displayText(title, Math.max(1, MAX_DISPLAY_NAME - suffix.length - 1));
  return displayText(`${head} ${suffix}`, MAX_DISPLAY_NAME);
}

function checkInput(input: PolicyInput): void {
  const at = { location: { file: input.baseline.file } };
  if (!/^[0-9A-F]{64}$/.test(input.contentHash)) {
    throw new DriftscanError(`contentHash must be the package's SHA-256 as 64 upper-case hex digits, got ${JSON.stringify(input.contentHash)}`, at);
  }
  if (!/^https?:\/\/[^/\s]+\S*$/i.test(input.contentUri)) {
    throw new DriftscanError(`contentUri must be an absolute http(s) URL, got ${JSON.stringify(input.contentUri)}`, at);
  }
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(input.packageName)) {
    throw new DriftscanError(`package name ${JSON.stringify(input.packageName)} is not a valid configuration name`, at);
  }
}

/** Builds both definitions; throws DriftscanError (with the parameter's file:line:col) on inputs Azure would reject. */
export function buildPolicyDefinitions(input: PolicyInput): { auditIfNotExists: PolicyDefinition; deployIfNotExists: PolicyDefinition } {
  checkInput(input);
  const targets: MachineTargets = { arc: input.targets?.arc ?? false, vmss: input.targets?.vmss ?? false };
  const assignment = assignmentParameters(input.configurationParameters);
  const { metadata } = input.baseline;

  const userParameters: Record<string, PolicyParameter> = {};
  const configurationParameter: Record<string, string> = {};
  for (const c of input.configurationParameters) {
    userParameters[c.param.name] = policyParameter(c.param, c);
    configurationParameter[c.param.name] = c.mofName;
  }
  const guestConfiguration: GuestConfigurationMetadata = {
    name: input.packageName,
    version: input.version,
    contentType: 'Custom',
    contentUri: input.contentUri,
    contentHash: input.contentHash,
    ...(input.contentManagedIdentity !== undefined ? { contentManagedIdentity: input.contentManagedIdentity } : {}),
    ...(input.configurationParameters.length ? { configurationParameter } : {}),
  };
  const assignmentName = guestAssignmentNameExpression(input.packageName);
  const condition = windowsMachinesCondition(targets);
  const exists = existenceCondition(assignment);
  const rules = input.baseline.rules.length;
  const summary = `Machine Configuration package ${input.packageName} ${input.version} (${rules} rule${rules === 1 ? '' : 's'}, compiled by driftscan from ${basename(input.baseline.file)}).`;

  const definition = (effect: 'AuditIfNotExists' | 'DeployIfNotExists'): PolicyDefinition => {
    const audit = effect === 'AuditIfNotExists';
    const what = audit
      ? 'Reports Windows machines where the guest configuration assignment is missing or not compliant.'
      : `Assigns the configuration (${input.assignmentType}) to Windows machines where it is missing or not compliant.`;
    const parameters: Record<string, PolicyParameter> = {
      [EFFECT_PARAMETER]: effectParameter(effect),
      ...(targets.arc ? { [INCLUDE_ARC_PARAMETER]: includeArcParameter() } : {}),
      ...userParameters,
    };
    const details: PolicyDefinition['properties']['policyRule']['then']['details'] = {
      type: ASSIGNMENT_TYPE,
      name: assignmentName,
      ...(audit ? {} : { roleDefinitionIds: [GUEST_CONFIGURATION_CONTRIBUTOR_ROLE] }),
      existenceCondition: exists,
      ...(audit ? {} : { deployment: assignmentDeployment({ ...guestConfiguration, assignmentType: input.assignmentType, parameters: assignment }, targets, assignmentName) }),
    };
    return {
      name: policyDefinitionName(input.packageName, audit ? 'aine' : 'dine'),
      properties: {
        displayName: displayName(metadata.title, `(${audit ? 'audit' : input.assignmentType}, ${input.packageName} ${input.version})`),
        policyType: 'Custom',
        mode: 'Indexed',
        description: displayText(`${metadata.description ?? metadata.title} ${what} ${summary}`, MAX_DESCRIPTION),
        metadata: {
          category: 'Guest Configuration',
          version: input.version,
          requiredProviders: ['Microsoft.GuestConfiguration'],
          guestConfiguration,
        },
        parameters,
        policyRule: { if: condition, then: { effect: `[parameters('${EFFECT_PARAMETER}')]`, details } },
      },
    };
  };
  return { auditIfNotExists: definition('AuditIfNotExists'), deployIfNotExists: definition('DeployIfNotExists') };
}
