/**
 * Azure Policy resources as driftscan writes them: the ARM resource shapes of
 * `Microsoft.Authorization/policyDefinitions` and `policySetDefinitions` (REST 2024-05-01
 * `PolicyDefinitionProperties` / `PolicySetDefinitionProperties`). Objects are built with their
 * keys in a fixed order, so `JSON.stringify` output is reproducible from compile to compile.
 */

/** A policy-language / ARM value: strings that look like `[...]` are expressions. */
export type PolicyValue = string | number | boolean | null | PolicyValue[] | { [key: string]: PolicyValue };

/** A condition or logical operator of a policy rule (`field`/`value` + operator, `allOf`, `anyOf`, `not`). */
export type PolicyCondition = { [key: string]: PolicyValue };

/** A policy (or policy set) parameter declaration. Guest configuration parameters are always strings. */
export interface PolicyParameter {
  type: 'String';
  metadata: { displayName: string; description: string; portalReview?: string };
  defaultValue?: string;
  allowedValues?: string[];
}

/** `metadata.guestConfiguration`: what the service turns into a guest configuration assignment. */
export interface GuestConfigurationMetadata {
  name: string;
  version: string;
  contentType: 'Custom';
  contentUri: string;
  contentHash: string;
  /**
   * The user-assigned identity (resource id) machines download the package with, instead of a SAS
   * in `contentUri` (`publish --content-managed-identity`; REST 2024-04-05 `contentManagedIdentity`).
   */
  contentManagedIdentity?: string;
  /** Policy parameter name → `[Type]Id;Property` (an object map here, an array in ARM/REST). */
  configurationParameter?: Record<string, string>;
}

export interface PolicyDefinition {
  /** Resource name: stable, derived from the baseline name (`policyDefinitionName`). */
  name: string;
  properties: {
    displayName: string;
    policyType: 'Custom';
    mode: 'Indexed';
    description: string;
    metadata: {
      category: 'Guest Configuration';
      version: string;
      requiredProviders: string[];
      guestConfiguration: GuestConfigurationMetadata;
    };
    parameters: Record<string, PolicyParameter>;
    policyRule: { if: PolicyCondition; then: { effect: string; details: { [key: string]: PolicyValue } } };
  };
}

/** One member of a policy set: which definition, under which reference id, with which parameter values. */
export interface PolicyDefinitionReference {
  policyDefinitionReferenceId: string;
  policyDefinitionId: string;
  parameters: Record<string, { value: PolicyValue }>;
}

export interface PolicySetDefinition {
  name: string;
  properties: {
    displayName: string;
    policyType: 'Custom';
    description: string;
    metadata: { category: 'Guest Configuration'; baselines: Array<{ name: string; version: string; file: string }> };
    parameters: Record<string, PolicyParameter>;
    policyDefinitions: PolicyDefinitionReference[];
  };
}
