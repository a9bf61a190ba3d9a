/**
 * Role assignments through REST (api-version 2022-04-01): the roles a DeployIfNotExists
 * assignment's managed identity needs. `{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}`;
 * the name must be a GUID, and ARM refuses a second assignment of the same role to the same principal
 * at the same scope (409 RoleAssignmentExists) — a rerun must look before it writes.
 */
import { API_VERSIONS } from './api-versions.js';
import { deleteResource, getResource, putResource, type ArmResource } from './arm-resource.js';
import type { ArmRestClient } from './arm-rest-client.js';

export const ROLE_ASSIGNMENTS_API_VERSION = API_VERSIONS.roleAssignments;

export function roleAssignmentId(scope: string, name: string): string {
  return `/${scope.replace(/^\/+|\/+$/g, '')}/providers/Microsoft.Authorization/roleAssignments/${name}`;
}

export const putRoleAssignment = (client: ArmRestClient, scope: string, name: string, body: unknown) =>
  putResource<ArmResource>(client, roleAssignmentId(scope, name), ROLE_ASSIGNMENTS_API_VERSION, body);
export const getRoleAssignment = (client: ArmRestClient, scope: string, name: string) =>
  getResource<ArmResource>(client, roleAssignmentId(scope, name), ROLE_ASSIGNMENTS_API_VERSION);
export const deleteRoleAssignment = (client: ArmRestClient, scope: string, name: string) =>
  deleteResource(client, roleAssignmentId(scope, name), ROLE_ASSIGNMENTS_API_VERSION);
