/**
 * Azure Policy remediation tasks (`Microsoft.PolicyInsights/remediations`, api-version 2024-10-01,
 * remediations.json of the PolicyInsights specs) through REST on the connection's pipeline.
 *
 * Service behaviour this relies on (shared/reference/machine-configuration.md §6.1, azure-fleet.md §4):
 * - a task lives at `{scope}/providers/Microsoft.PolicyInsights/remediations/{name}`, where scope is a
 *   management group, subscription or resource group at or below its policy assignment's scope;
 *   PUT answers 201 (created) or 200 (updated) and is not long-running; a started task is immutable;
 * - `filters.resourceIds` holds at most 100 machine ids; `parallelDeployments` is 1–30,
 *   `failureThreshold.percentage` a fraction 0–1; `resourceDiscoveryMode: ExistingNonCompliant`;
 * - `provisioningState` is a free string; Succeeded, Failed, Canceled and Complete are terminal;
 * - at most 100 tasks run at once in a tenant (counted over every scope, tasks of others included);
 * - `POST …/{name}/listDeployments` pages the deployments (one per remediated resource) with their
 *   status and error.
 */
import type { RemediationBody } from '../rollout/remediation/plan.js';
import { API_VERSIONS } from './api-versions.js';
import { getResource, listResources, putResource } from './arm-resource.js';
import { restPath, type ArmRestClient } from './arm-rest-client.js';

export const REMEDIATIONS_API_VERSION = API_VERSIONS.policyInsights;

/** The tenant-wide limit of remediation tasks running at once (documented; no per-subscription limit). */
export const TENANT_RUNNING_TASK_LIMIT = 100;

/** At most this many ids in `filters.resourceIds`. */
export const MAX_TASK_RESOURCE_IDS = 100;

export const TERMINAL_STATES = ['Succeeded', 'Failed', 'Canceled', 'Complete'] as const;

/** True when a task in `state` will not change any more. */
export function isTerminal(state: string | undefined): boolean {
  return state !== undefined && TERMINAL_STATES.some((s) => s.toLowerCase() === state.toLowerCase());
}

export interface Remediation {
  id?: string;
  name?: string;
  properties?: {
    policyAssignmentId?: string;
    policyDefinitionReferenceId?: string;
    provisioningState?: string;
    filters?: { resourceIds?: string[] };
    deploymentStatus?: { totalDeployments?: number; successfulDeployments?: number; failedDeployments?: number };
    statusMessage?: string;
    createdOn?: string;
    lastUpdatedOn?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface RemediationDeployment {
  remediatedResourceId?: string;
  deploymentId?: string;
  status?: string;
  resourceLocation?: string;
  error?: { code?: string; message?: string };
  createdOn?: string;
  lastUpdatedOn?: string;
}

/** The task id of `name` at `scope`. */
export function remediationId(scope: string, name: string): string {
  return `/${scope.replace(/^\/+|\/+$/g, '')}/providers/Microsoft.PolicyInsights/remediations/${name}`;
}

export type { RemediationBody };

export async function putRemediation(client: ArmRestClient, id: string, body: RemediationBody): Promise<Remediation> {
  return (await putResource<Remediation>(client, id, REMEDIATIONS_API_VERSION, body)).body;
}

export const getRemediation = (client: ArmRestClient, id: string) => getResource<Remediation>(client, id, REMEDIATIONS_API_VERSION);

/** Every task at `scope` (a subscription's list includes its resource groups' tasks), all pages. */
export const listRemediations = (client: ArmRestClient, scope: string) =>
  listResources<Remediation>(client, `/${scope.replace(/^\/+|\/+$/g, '')}/providers/Microsoft.PolicyInsights/remediations`, REMEDIATIONS_API_VERSION);

/** Every deployment of task `id` (POST listDeployments, then `nextLink` pages). */
export async function listRemediationDeployments(client: ArmRestClient, id: string): Promise<RemediationDeployment[]> {
  const items: RemediationDeployment[] = [];
  let r = await client.pathUnchecked(`${restPath(id)}/listDeployments`).post({ queryParameters: { 'api-version': REMEDIATIONS_API_VERSION } });
  for (;;) {
    const body = (r.body ?? {}) as { value?: RemediationDeployment[]; nextLink?: string | null };
    items.push(...(body.value ?? []));
    if (!body.nextLink) return items;
    // AutoRest pages x-ms-pageable operations with GET on the nextLink, POST operations included.
    r = await client.pathUnchecked(body.nextLink).get();
  }
}
