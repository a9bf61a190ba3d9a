/**
 * Azure Resource Graph queries (`POST /providers/Microsoft.ResourceGraph/resources`, api-version
 * 2024-04-01) through REST. Resource Graph pages with `$skipToken` in the response body, not a
 * nextLink, and no client follows it (azure-sdk-js.md §7): `queryResourceGraph` does, yielding rows
 * (`resultFormat: objectArray`) until the last page. Page size is `$top` (Resource Graph allows at
 * most 1000). Beyond paging:
 *
 * - a page larger than Resource Graph's response limit (16 MiB) fails with `BadRequest` /
 *   `ResponsePayloadTooLarge`; the same page is asked again with half the `$top` (down to 1), as
 *   EPAC's `Search-AzGraphAllItems.ps1` does (azure-fleet.md §2);
 * - with a `GraphQuota`, the quota headers of each answer are honoured before the next query
 *   (`resource-graph-quota.ts`), so a long scan slows down instead of running into 429s.
 */
import { API_VERSIONS } from './api-versions.js';
import type { ArmRestClient } from './arm-rest-client.js';
import { AzureError } from './errors.js';
import type { GraphQuota } from './resource-graph-quota.js';

export const RESOURCE_GRAPH_API_VERSION = API_VERSIONS.resourceGraph;

export interface GraphQuery {
  query: string;
  /** Subscriptions to query; Resource Graph answers for every accessible one when omitted. */
  subscriptions?: string[];
  managementGroups?: string[];
  /** Rows per page, 1–1000 (default 1000). */
  pageSize?: number;
}

export interface GraphPageInfo {
  rows: number;
  /** `$top` the page was asked with (smaller after ResponsePayloadTooLarge). */
  top: number;
}

export interface GraphQueryOptions {
  quota?: GraphQuota;
  /** Ends a wait for the quota early (the connection's deadline already bounds the requests themselves). */
  signal?: AbortSignal;
  /** Called after each page arrives. */
  onPage?: (info: GraphPageInfo) => void;
  /** Called before a wait for the quota to refill. */
  onQuotaWait?: (ms: number) => void;
  /** Called when a page was too large and is asked again smaller. */
  onShrink?: (top: number) => void;
}

interface GraphPage {
  totalRecords: number;
  count: number;
  data: Array<Record<string, unknown>>;
  $skipToken?: string;
}

/** True for Resource Graph's "the page is too large" answer (400 with detail ResponsePayloadTooLarge). */
export function isPayloadTooLarge(err: unknown): boolean {
  return err instanceof AzureError && err.status === 400 && /ResponsePayloadTooLarge/i.test(err.message);
}

/**
 * Every row of `query`, page by page. The next page is requested as soon as a page arrives, before
 * its rows are handed out, so the caller's work on one page overlaps the service's latency for the
 * next (a scan's wall time stays near requests × latency). At most one request is in flight.
 */
export async function* queryResourceGraph(client: ArmRestClient, q: GraphQuery, options: GraphQueryOptions = {}): AsyncGenerator<Record<string, unknown>> {
  let top = q.pageSize ?? 1000;
  if (!Number.isInteger(top) || top < 1 || top > 1000) throw new RangeError(`Resource Graph page size must be 1–1000, not ${top}`);

  const fetchPage = async (skipToken: string | undefined): Promise<GraphPage> => {
    for (;;) {
      await options.quota?.beforeQuery(options.signal, options.onQuotaWait);
      try {
        const r = await client.pathUnchecked('/providers/Microsoft.ResourceGraph/resources').post({
          queryParameters: { 'api-version': RESOURCE_GRAPH_API_VERSION },
          body: {
            ...(q.subscriptions ? { subscriptions: q.subscriptions } : {}),
            ...(q.managementGroups ? { managementGroups: q.managementGroups } : {}),
            query: q.query,
            options: { $top: top, resultFormat: 'objectArray', ...(skipToken ? { $skipToken: skipToken } : {}) },
          },
        });
        options.quota?.observe(r.headers as Record<string, string | undefined>);
        const page = r.body as GraphPage;
        options.onPage?.({ rows: page.data?.length ?? 0, top });
        return page;
      } catch (err) {
        options.quota?.abandon();
        // The same page again, smaller: the token stays valid for a different $top (EPAC does this).
        if (isPayloadTooLarge(err) && top > 1) {
          top = Math.max(1, Math.floor(top / 2));
          options.onShrink?.(top);
          continue;
        }
        throw err;
      }
    }
  };

  let pending: Promise<GraphPage> | undefined = fetchPage(undefined);
  try {
    while (pending) {
      const page: GraphPage = await pending;
      const next = page.$skipToken || undefined;
      pending = next ? fetchPage(next) : undefined;
      // A failure of the prefetched page surfaces when it is awaited, not as an unhandled rejection.
      pending?.catch(() => undefined);
      // One turn of the event loop before the rows are handed out, so the next page's request is on
      // the wire first: the pipeline reaches the socket through process.nextTick steps, which Node
      // runs only once the promise jobs drain, and a caller that awaits per row keeps them from
      // draining until the whole page is processed. Without this turn each page's request left
      // ~8 ms late (1,000 findings per page; README, Fleet scan).
      if (pending) await new Promise<void>((resolve) => setImmediate(resolve));
      yield* page.data ?? [];
    }
  } finally {
    // The caller stopped early (break, throw): the prefetched page is dropped.
    pending?.catch(() => undefined);
  }
}
