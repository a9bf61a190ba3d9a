/**
 * Azure Policy definitions, set definitions and assignments as plain ARM resources by id
 * (api-version 2024-05-01, the version @azure/arm-policy 6.0.0 sends), plus the scope listings
 * `deploy` reads to find what it manages. REST instead of the `PolicyClient` of `policy-client.ts`
 * because the HLC client flattens `properties` into its own model: `deploy` compares Azure's
 * answer with the build/ files field by field, and both must have ARM's JSON shape for that.
 *
 * Listings (all pages, `nextLink` followed) are narrowed to resources **at** the scope: ARM's list
 * at a subscription also returns definitions inherited from management groups and built-ins
 * (hence `$filter=policyType eq 'Custom'`), and assignments, exemptions and role assignments of
 * resource groups below it.
 */
import { API_VERSIONS } from './api-versions.js';
import { deleteResource, getResource, listResources, putResource, type ArmResource } from './arm-resource.js';
import type { ArmRestClient } from './arm-rest-client.js';

export const POLICY_RESOURCE_API_VERSION = API_VERSIONS.policy;

/** The api-version for each resource type driftscan deploys, by ARM type (lower case). */
const API_BY_TYPE: Record<string, string> = {
  'microsoft.authorization/policydefinitions': API_VERSIONS.policy,
  'microsoft.authorization/policysetdefinitions': API_VERSIONS.policy,
  'microsoft.authorization/policyassignments': API_VERSIONS.policy,
  'microsoft.authorization/policyexemptions': API_VERSIONS.policyExemptions,
  'microsoft.authorization/roleassignments': API_VERSIONS.roleAssignments,
};

/** The api-version for the resource `id` (by the type after its last `/providers/`). */
export function apiVersionFor(id: string): string {
  const m = /\/providers\/([^/]+\/[^/]+)\/[^/]+$/i.exec(id);
  const v = m ? API_BY_TYPE[m[1]!.toLowerCase()] : undefined;
  if (!v) throw new Error(`no api-version for ${id}`);
  return v;
}

export const getPolicyResource = (client: ArmRestClient, id: string) => getResource<ArmResource>(client, id, apiVersionFor(id));
export const putPolicyResource = (client: ArmRestClient, id: string, body: unknown) => putResource<ArmResource>(client, id, apiVersionFor(id), body);
export const deletePolicyResource = (client: ArmRestClient, id: string) => deleteResource(client, id, apiVersionFor(id));

/** True when `id` is a resource directly at `scope` (`{scope}/providers/{ns}/{type}/{name}`). */
export function isAtScope(id: string | undefined, scope: string): boolean {
  if (!id) return false;
  const prefix = `${scope.replace(/\/+$/, '')}/providers/`.toLowerCase();
  const lower = id.toLowerCase();
  return lower.startsWith(prefix) && lower.slice(prefix.length).split('/').length === 3;
}

/** Every resource of `collection` (`Microsoft.Authorization/policyDefinitions`) at `scope`. */
async function listAtScope(client: ArmRestClient, scope: string, collection: string, apiVersion: string, query: Record<string, string> = {}): Promise<ArmResource[]> {
  const items = await listResources<ArmResource>(client, `${scope}/providers/${collection}`, apiVersion, query);
  return items.filter((r) => isAtScope(r.id, scope));
}

export interface PolicyScopeContents {
  definitions: ArmResource[];
  initiatives: ArmResource[];
  assignments: ArmResource[];
  exemptions: ArmResource[];
  roleAssignments: ArmResource[];
}

/** What Azure holds at `scope` of the five resource types `deploy` manages (five list calls, in parallel). */
export async function listPolicyScope(client: ArmRestClient, scope: string): Promise<PolicyScopeContents> {
  const [definitions, initiatives, assignments, exemptions, roleAssignments] = await Promise.all([
    listAtScope(client, scope, 'Microsoft.Authorization/policyDefinitions', API_VERSIONS.policy, { $filter: "policyType eq 'Custom'" }),
    listAtScope(client, scope, 'Microsoft.Authorization/policySetDefinitions', API_VERSIONS.policy, { $filter: "policyType eq 'Custom'" }),
    listAtScope(client, scope, 'Microsoft.Authorization/policyAssignments', API_VERSIONS.policy, { $filter: 'atScope()' }),
    listAtScope(client, scope, 'Microsoft.Authorization/policyExemptions', API_VERSIONS.policyExemptions, { $filter: 'atScope()' }),
    listAtScope(client, scope, 'Microsoft.Authorization/roleAssignments', API_VERSIONS.roleAssignments, { $filter: 'atScope()' }),
  ]);
  return { definitions, initiatives, assignments, exemptions, roleAssignments };
}
