/**
 * Azure Policy exemptions through REST (`@azure/arm-policy` 6.0.0 has no exemptions):
 * `{scope}/providers/Microsoft.Authorization/policyExemptions/{name}`, api-version 2022-07-01-preview.
 * Body: `properties.policyAssignmentId`, `exemptionCategory` (`Waiver` | `Mitigated`), optional
 * `policyDefinitionReferenceIds`, `expiresOn`, `displayName`, `description`.
 */
import { API_VERSIONS } from './api-versions.js';
import { deleteResource, getResource, putResource, type ArmResource } from './arm-resource.js';
import type { ArmRestClient } from './arm-rest-client.js';

export const POLICY_EXEMPTIONS_API_VERSION = API_VERSIONS.policyExemptions;

export function policyExemptionId(scope: string, name: string): string {
  return `/${scope.replace(/^\/+|\/+$/g, '')}/providers/Microsoft.Authorization/policyExemptions/${name}`;
}

export const putPolicyExemption = (client: ArmRestClient, scope: string, name: string, body: unknown) =>
  putResource<ArmResource>(client, policyExemptionId(scope, name), POLICY_EXEMPTIONS_API_VERSION, body);
export const getPolicyExemption = (client: ArmRestClient, scope: string, name: string) =>
  getResource<ArmResource>(client, policyExemptionId(scope, name), POLICY_EXEMPTIONS_API_VERSION);
export const deletePolicyExemption = (client: ArmRestClient, scope: string, name: string) =>
  deleteResource(client, policyExemptionId(scope, name), POLICY_EXEMPTIONS_API_VERSION);
