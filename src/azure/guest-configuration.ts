/**
 * Guest configuration assignments (Machine Configuration applied directly to a machine), through
 * REST at api-version 2024-04-05 (`@azure/arm-guestconfiguration` is not on the registry).
 *
 * The assignment is an extension resource of the machine:
 * `{machineId}/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/{name}`, where
 * the machine is an Azure VM (`Microsoft.Compute/virtualMachines`), a scale set
 * (`Microsoft.Compute/virtualMachineScaleSets`) or an Arc machine (`Microsoft.HybridCompute/machines`)
 * — the three families of guestconfiguration.json 2024-04-05. CreateOrUpdate is not long-running
 * there (200/201); `provisioningState` may still read `Created`/`Updating` for a while, so callers
 * that wait must bound the wait (the connection's deadline does).
 */
import { usageError } from '../core/diagnostics.js';
import { API_VERSIONS } from './api-versions.js';
import { deleteResource, getResource, listResources, putResource } from './arm-resource.js';
import type { ArmRestClient } from './arm-rest-client.js';

export const GUEST_CONFIGURATION_API_VERSION = API_VERSIONS.guestConfiguration;

/** The writable part of `properties.guestConfiguration` (guestconfiguration.json `GuestConfigurationNavigation`). */
export interface GuestConfigurationNavigation {
  name: string;
  version?: string;
  contentUri?: string;
  contentHash?: string;
  contentManagedIdentity?: string;
  assignmentType?: 'Audit' | 'DeployAndAutoCorrect' | 'ApplyAndAutoCorrect' | 'ApplyAndMonitor';
  configurationParameter?: Array<{ name: string; value: string }>;
  kind?: string;
  [key: string]: unknown;
}

export interface GuestConfigurationAssignment {
  id?: string;
  name?: string;
  location?: string;
  type?: string;
  properties?: {
    guestConfiguration?: GuestConfigurationNavigation;
    complianceStatus?: string;
    provisioningState?: string;
    assignmentHash?: string;
    context?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

const MACHINE = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/(Microsoft\.Compute\/virtualMachines|Microsoft\.Compute\/virtualMachineScaleSets|Microsoft\.HybridCompute\/machines)\/[^/]+$/i;

/** `id` as a machine id, or a usage error saying which resource types can hold an assignment. */
export function checkMachineId(id: string): string {
  const canonical = `/${id.replace(/^\/+|\/+$/g, '')}`;
  if (!MACHINE.test(canonical)) {
    throw usageError(`'${id}' is not a machine id: expected /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Compute/virtualMachines/<name> (or virtualMachineScaleSets, or Microsoft.HybridCompute/machines)`);
  }
  return canonical;
}

export function guestAssignmentId(machineId: string, name: string): string {
  return `${checkMachineId(machineId)}/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/${name}`;
}

export async function putGuestAssignment(client: ArmRestClient, machineId: string, name: string, body: GuestConfigurationAssignment): Promise<{ status: number; body: GuestConfigurationAssignment }> {
  return putResource<GuestConfigurationAssignment>(client, guestAssignmentId(machineId, name), GUEST_CONFIGURATION_API_VERSION, body);
}

export async function getGuestAssignment(client: ArmRestClient, machineId: string, name: string): Promise<GuestConfigurationAssignment | undefined> {
  return getResource<GuestConfigurationAssignment>(client, guestAssignmentId(machineId, name), GUEST_CONFIGURATION_API_VERSION);
}

export async function deleteGuestAssignment(client: ArmRestClient, machineId: string, name: string): Promise<boolean> {
  return deleteResource(client, guestAssignmentId(machineId, name), GUEST_CONFIGURATION_API_VERSION);
}

export async function listGuestAssignments(client: ArmRestClient, machineId: string): Promise<GuestConfigurationAssignment[]> {
  return listResources<GuestConfigurationAssignment>(client, `${checkMachineId(machineId)}/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments`, GUEST_CONFIGURATION_API_VERSION);
}
