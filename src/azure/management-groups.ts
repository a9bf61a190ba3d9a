/**
 * Management group descendants through REST (`GET /providers/Microsoft.Management/managementGroups/
 * {groupId}/descendants`, api-version 2023-04-01, operation ManagementGroups_GetDescendants): every
 * management group and subscription under the group at any depth, paged with `nextLink`. It needs
 * read on the group only, and lists every subscription under it — including those the caller has
 * no role in. Resource Graph, asked with `managementGroups`, leaves such subscriptions out without a
 * word, so a fleet scan takes its subscriptions from here and then checks each one (a 403 is then
 * reported as forbidden instead of silently missing).
 */
import type { AzureConnection } from './connection.js';
import { API_VERSIONS } from './api-versions.js';
import { createArmRestClient } from './arm-rest-client.js';
import { listResources } from './arm-resource.js';

interface DescendantInfo {
  id?: string | null;
  type?: string | null;
  name?: string;
  properties?: { displayName?: string | null } | null;
}

export interface DescendantSubscription {
  subscriptionId: string;
  displayName?: string | undefined;
}

/** Descendant types that are subscriptions (the service documents both spellings). */
function isSubscription(d: DescendantInfo): boolean {
  const type = (d.type ?? '').toLowerCase();
  return type === 'microsoft.management/managementgroups/subscriptions' || type === '/subscriptions' || /^\/subscriptions\/[^/]+$/i.test(d.id ?? '');
}

/** The subscriptions under `groupId` at any depth (all pages), remembering their names on the connection. */
export async function listDescendantSubscriptions(connection: AzureConnection, groupId: string): Promise<DescendantSubscription[]> {
  const client = createArmRestClient(connection);
  const path = `/providers/Microsoft.Management/managementGroups/${groupId}/descendants`;
  const out = new Map<string, DescendantSubscription>();
  for (const d of await listResources<DescendantInfo>(client, path, API_VERSIONS.managementGroups)) {
    if (!isSubscription(d)) continue;
    const subscriptionId = d.name ?? (d.id ?? '').split('/').pop() ?? '';
    if (!subscriptionId) continue;
    const displayName = d.properties?.displayName ?? undefined;
    if (displayName) connection.subscriptionNames.set(subscriptionId.toLowerCase(), displayName);
    out.set(subscriptionId.toLowerCase(), { subscriptionId, displayName });
  }
  return [...out.values()];
}
