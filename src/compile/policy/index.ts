/**
 * Azure Policy output of `driftscan compile`: per baseline an AuditIfNotExists and a
 * DeployIfNotExists guest configuration definition, per baseline folder a policy set.
 * See docs/policy-definitions.md.
 */
export { buildPolicyDefinitions, GUEST_CONFIGURATION_CONTRIBUTOR_ROLE, type PolicyInput } from './definitions.js';
export { buildInitiative, initiativeParameterName, type InitiativeOptions } from './initiative.js';
export { policyDefinitionName, policySetDefinitionName, MAX_POLICY_NAME } from './names.js';
export { policyJson } from './json.js';
export { armLiteral, armUnescape, isArmExpression } from './arm-expression.js';
export { GUEST_CONFIGURATION_API_VERSION } from './deployment-template.js';
export { parameterText } from './parameters.js';
export type { PolicyDefinition, PolicySetDefinition, PolicyParameter, PolicyDefinitionReference, GuestConfigurationMetadata } from './model.js';
