/**
 * Azure Resource Graph queries (`POST /providers/Microsoft.ResourceGraph/resources`, api-version
 * 2024-04-01) through REST. Resource Graph pages with `$skipToken` in the response body, not a
 * nextLink, and no client follows it (azure-sdk-js.md §7): `queryResourceGraph` does, yielding rows
 * (`resultFormat: objectArray`) until the last page. Page size is `$top` (Resource Graph allows at
 * most 1000).
 */
import { API_VERSIONS } from './api-versions.js';
import type { ArmRestClient } from './arm-rest-client.js';

export const RESOURCE_GRAPH_API_VERSION = API_VERSIONS.resourceGraph;

export interface GraphQuery {
  query: string;
  /** Subscriptions to query; Resource Graph answers for every accessible one when omitted. */
  subscriptions?: string[];
  managementGroups?: string[];
  /** Rows per page, 1–1000 (default 1000). */
  pageSize?: number;
}

interface GraphPage {
  totalRecords: number;
  count: number;
  data: Array<Record<string, unknown>>;
  $skipToken?: string;
}

/** Every row of `query`, page by page. */
export async function* queryResourceGraph(client: ArmRestClient, q: GraphQuery): AsyncGenerator<Record<string, unknown>> {
  const top = q.pageSize ?? 1000;
  if (!Number.isInteger(top) || top < 1 || top > 1000) throw new RangeError(`Resource Graph page size must be 1–1000, not ${top}`);
  let skipToken: string | undefined;
  do {
    const r = await client.pathUnchecked('/providers/Microsoft.ResourceGraph/resources').post({
      queryParameters: { 'api-version': RESOURCE_GRAPH_API_VERSION },
      body: {
        ...(q.subscriptions ? { subscriptions: q.subscriptions } : {}),
        ...(q.managementGroups ? { managementGroups: q.managementGroups } : {}),
        query: q.query,
        options: { $top: top, resultFormat: 'objectArray', ...(skipToken ? { $skipToken: skipToken } : {}) },
      },
    });
    const page = r.body as GraphPage;
    yield* page.data ?? [];
    skipToken = page.$skipToken || undefined;
  } while (skipToken);
}
