/**
 * A fleet scan: which machines comply with which baseline, from Resource Graph, recorded in the
 * history store in one transaction.
 *
 * 1. Scopes. `--subscription` ids and `--all-subscriptions` are each checked with a GET of the
 *    subscription: Resource Graph leaves the rows of a subscription the caller cannot read out of
 *    its answers without saying so, so an empty answer must not be read as "no machines". A 403 is
 *    `forbidden`, anything else that keeps failing is `failed`; both are listed with their error and
 *    make the scan incomplete (exit 3). `--management-group` lists the subscriptions under the
 *    group at any depth with the management groups API (`descendants`, which also lists those the
 *    caller cannot read, unlike Resource Graph) and checks each one the same way.
 * 2. Batches of at most `batchSize` subscriptions (Resource Graph's guidance: under 300 per request).
 *    Per batch: two queries summarised on the server (`queries.ts`) and the policy exemptions, sent
 *    together with the first page of the failing resources of non-compliant assignments, which then
 *    stream page by page into the store's staging file. A batch whose request fails
 *    after the connection's retries is halved until the failing subscription stands alone; its
 *    rows already written are discarded, so the other subscriptions stay exact.
 *    Azure Policy exemptions of driftscan's policy assignments waive the failing rules under their
 *    scope (`exemptions.ts`), like the baselines' own waivers.
 * 3. Totals per subscription × baseline: Compliant, NonCompliant, Pending (any other status: the
 *    assignment has not reported), Missing (Windows machines without an assignment of the baseline),
 *    and — at commit — Waived (non-compliant only on waived rules).
 */
import type { Baseline } from '../rules/model.js';
import type { AzureConnection } from '../azure/connection.js';
import { AzureError } from '../azure/errors.js';
import { createArmRestClient } from '../azure/arm-rest-client.js';
import { queryResourceGraph, type GraphQuery } from '../azure/resource-graph.js';
import { GraphQuota } from '../azure/resource-graph-quota.js';
import { getSubscription, listSubscriptions } from '../azure/subscription-client.js';
import { RuleIndex, type FailingResourceRow } from './findings.js';
import { assignmentTotalsQuery, exemptionsQuery, failingResourcesQuery, machinesQuery } from './queries.js';
import { listDescendantSubscriptions } from '../azure/management-groups.js';
import { Exemptions, type ExemptionRow } from './exemptions.js';
import type { Compliance, HistoryStore, ScopeRecord, ScanWriter } from './history/store.js';

export interface ScanRequest {
  subscriptions?: readonly string[];
  managementGroup?: string | undefined;
  allSubscriptions?: boolean;
  baselines: readonly Baseline[];
  /** Subscriptions per Resource Graph request (default 200; at most 1000). */
  batchSize?: number;
  /** `$top` per page (default 1000). */
  pageSize?: number;
}

/** What a scan reports while it runs (progress on a terminal, log lines in CI). */
export type ScanEvent =
  | { type: 'scopes'; subscriptions: number; unreachable: number }
  | { type: 'batch'; index: number; of: number; subscriptions: number }
  | { type: 'page'; query: GraphQueryName; rows: number; totalRows: number; requests: number }
  | { type: 'wait'; ms: number }
  | { type: 'shrink'; top: number }
  | { type: 'scope-failed'; scope: ScopeRecord }
  | { type: 'retry-split'; subscriptions: number; error: string }
  /** Every page is in: the scan is being recorded in the history store (one transaction). */
  | { type: 'commit'; findings: number };

type GraphQueryName = 'machines' | 'totals' | 'exemptions' | 'findings' | 'subscriptions';

export interface ScanOutcome {
  scanId: number;
  scopes: ScopeRecord[];
  complete: boolean;
  exitCode: number;
  /** Resource Graph pages fetched (requests that answered). */
  requests: number;
  /** ARM subscription look-ups. */
  subscriptionRequests: number;
  quotaWaits: number;
  quotaWaitedMs: number;
  findingsWritten: number;
}

const MAX_SUBSCRIPTION_LOOKUPS = 8;

function sameId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Runs `jobs` with at most `limit` at a time, in order of start. */
async function bounded<T>(items: readonly T[], limit: number, job: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await job(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function scopeError(err: unknown): { status: 'forbidden' | 'failed'; error: string } {
  if (err instanceof AzureError) return { status: err.status === 403 ? 'forbidden' : 'failed', error: err.message };
  throw err;
}

export async function runScan(connection: AzureConnection, storeReady: Promise<HistoryStore> | HistoryStore, request: ScanRequest, onEvent: (e: ScanEvent) => void = () => undefined): Promise<ScanOutcome> {
  const baselineNames = request.baselines.map((b) => b.metadata.name);
  const index = new RuleIndex(request.baselines);
  const batchSize = request.batchSize ?? 200;
  const rest = createArmRestClient(connection);
  const quota = new GraphQuota();
  let requests = 0;
  let subscriptionRequests = 0;
  const scopes: ScopeRecord[] = [];

  const graph = (q: GraphQuery, query: GraphQueryName) => {
    let totalRows = 0;
    return queryResourceGraph(rest, { pageSize: request.pageSize ?? 1000, ...q }, {
      quota,
      signal: connection.deadline.signal,
      onPage: ({ rows }) => {
        requests += 1;
        totalRows += rows;
        onEvent({ type: 'page', query, rows, totalRows, requests });
      },
      onQuotaWait: (ms) => onEvent({ type: 'wait', ms }),
      onShrink: (top) => onEvent({ type: 'shrink', top }),
    });
  };

  // 1. Scopes.
  const reachable: Array<{ id: string; name?: string | undefined }> = [];
  const check = async (id: string, name?: string) => {
    subscriptionRequests += 1;
    try {
      const s = await getSubscription(connection, id);
      reachable.push({ id: s.subscriptionId ?? id, name: s.displayName ?? name });
      scopes.push({ scopeId: (s.subscriptionId ?? id).toLowerCase(), kind: 'subscription', displayName: s.displayName ?? name, status: 'ok' });
    } catch (err) {
      const { status, error } = scopeError(err);
      const scope: ScopeRecord = { scopeId: id.toLowerCase(), kind: 'subscription', displayName: name, status, error };
      scopes.push(scope);
      onEvent({ type: 'scope-failed', scope });
    }
  };
  const explicit = [...new Map((request.subscriptions ?? []).map((s) => [s.toLowerCase(), s])).values()];
  if (request.managementGroup) {
    const group = request.managementGroup;
    subscriptionRequests += 1;
    try {
      for (const s of await listDescendantSubscriptions(connection, group)) if (!explicit.some((e) => sameId(e, s.subscriptionId))) explicit.push(s.subscriptionId);
      scopes.push({ scopeId: group, kind: 'managementGroup', status: 'ok' });
    } catch (err) {
      const { status, error } = scopeError(err);
      const scope: ScopeRecord = { scopeId: group, kind: 'managementGroup', status, error };
      scopes.push(scope);
      onEvent({ type: 'scope-failed', scope });
    }
  }
  if (request.allSubscriptions || (explicit.length === 0 && !request.managementGroup)) {
    subscriptionRequests += 1;
    const listed = await listSubscriptions(connection);
    for (const s of listed) if (s.subscriptionId && !explicit.some((e) => sameId(e, s.subscriptionId!))) explicit.push(s.subscriptionId);
  }
  await bounded(explicit.filter((id) => !reachable.some((r) => sameId(r.id, id))), MAX_SUBSCRIPTION_LOOKUPS, (id) => check(id, connection.subscriptionNames.get(id.toLowerCase())));
  onEvent({ type: 'scopes', subscriptions: reachable.length, unreachable: scopes.filter((s) => s.status !== 'ok').length });

  // The store may still be opening (DuckDB's first open and migrations take a second): it was
  // started alongside the scope checks.
  const store = await storeReady;
  const writer = await store.beginScan(new Date(), baselineNames);
  try {
    // 2. Batches, halved around a subscription that keeps failing.
    const scanBatch = async (subs: string[]): Promise<void> => {
      try {
        await scanSubscriptions(subs);
      } catch (err) {
        if (!(err instanceof AzureError)) throw err;
        writer.discardBatch();
        if (subs.length === 1) {
          const scope = scopes.find((s) => s.kind === 'subscription' && sameId(s.scopeId, subs[0]!));
          const { status, error } = scopeError(err);
          if (scope) Object.assign(scope, { status, error });
          onEvent({ type: 'scope-failed', scope: scope ?? { scopeId: subs[0]!, kind: 'subscription', status, error } });
          return;
        }
        onEvent({ type: 'retry-split', subscriptions: subs.length, error: err.message });
        const half = Math.ceil(subs.length / 2);
        await scanBatch(subs.slice(0, half));
        await scanBatch(subs.slice(half));
      }
    };

    const scanSubscriptions = async (subs: string[]): Promise<void> => {
      writer.startBatch();
      // The three summaries and the first page of findings are asked at once (the quota pacer counts
      // them in flight): the batch then waits one latency for them instead of four.
      const findingRows = graph({ query: failingResourcesQuery(baselineNames), subscriptions: subs }, 'findings');
      const firstFinding = findingRows.next();
      firstFinding.catch(() => undefined);
      const machines = new Map<string, number>();
      const totals = new Map<string, { sub: string; baseline: string; compliance: Compliance; machines: number }>();
      const assigned = new Map<string, number>();
      const exemptionRows: ExemptionRow[] = [];
      try {
        await Promise.all([
          (async () => {
            for await (const row of graph({ query: machinesQuery(), subscriptions: subs }, 'machines')) {
              machines.set(String(row.subscriptionId).toLowerCase(), Number(row.machines));
            }
          })(),
          (async () => {
            for await (const row of graph({ query: assignmentTotalsQuery(baselineNames), subscriptions: subs }, 'totals')) {
              const sub = String(row.subscriptionId).toLowerCase();
              const baseline = index.names.get(String(row.baseline).toLowerCase()) ?? String(row.baseline);
              const status = String(row.compliance ?? '');
              const compliance: Compliance = status === 'Compliant' ? 'Compliant' : status === 'NonCompliant' ? 'NonCompliant' : 'Pending';
              const n = Number(row.machines);
              const key = `${sub}\u0000${baseline}\u0000${compliance}`;
              totals.set(key, { sub, baseline, compliance, machines: (totals.get(key)?.machines ?? 0) + n });
              assigned.set(`${sub}\u0000${baseline}`, (assigned.get(`${sub}\u0000${baseline}`) ?? 0) + n);
            }
          })(),
          (async () => {
            for await (const row of graph({ query: exemptionsQuery(), subscriptions: subs }, 'exemptions')) exemptionRows.push(row as unknown as ExemptionRow);
          })(),
        ]);
      } catch (err) {
        await findingRows.return(undefined);
        throw err;
      }
      const exemptions = new Exemptions(exemptionRows);
      for (let r = await firstFinding; !r.done; r = await findingRows.next()) {
        const finding = index.finding(r.value as unknown as FailingResourceRow);
        const exempted = finding.waived ? undefined : exemptions.reasonFor(finding.machineId, finding.baseline);
        await writer.appendFinding(exempted ? { ...finding, waived: true, waiverReason: exempted } : finding);
      }
      // Written only once the batch's every query has answered: a failed batch leaves no totals.
      const rows = [...totals.values()].map((t) => ({ subscriptionId: t.sub, baseline: t.baseline, compliance: t.compliance, machines: t.machines }));
      for (const sub of subs.map((s) => s.toLowerCase())) {
        for (const baseline of baselineNames) {
          const missing = (machines.get(sub) ?? 0) - (assigned.get(`${sub}\u0000${baseline}`) ?? 0);
          if (missing > 0) rows.push({ subscriptionId: sub, baseline, compliance: 'Missing', machines: missing });
        }
      }
      await writer.addTotals(rows);
    };

    const ids = reachable.map((r) => r.id);
    const batches = Math.ceil(ids.length / batchSize);
    for (let b = 0; b < batches; b++) {
      const subs = ids.slice(b * batchSize, (b + 1) * batchSize);
      onEvent({ type: 'batch', index: b + 1, of: batches, subscriptions: subs.length });
      await scanBatch(subs);
    }

    await writer.addScopes(scopes);
    const complete = scopes.every((s) => s.status === 'ok');
    const findingsWritten = writer.findingsAppended;
    onEvent({ type: 'commit', findings: findingsWritten });
    const exitCode = await writer.commit({ finishedAt: new Date(), complete, requests });
    return { scanId: writer.scanId, scopes, complete, exitCode, requests, subscriptionRequests, quotaWaits: quota.waits, quotaWaitedMs: quota.waitedMs, findingsWritten };
  } catch (err) {
    await writer.rollback();
    throw err;
  }
}

export type { ScanWriter };
