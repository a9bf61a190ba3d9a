/**
 * The Windows machines a command is pointed at, found through Resource Graph: Azure VMs
 * (`Microsoft.Compute/virtualMachines`), scale sets (`Microsoft.Compute/virtualMachineScaleSets`)
 * and Arc machines (`Microsoft.HybridCompute/machines`) — the three families a guest configuration
 * assignment can sit on (guestconfiguration.json 2024-04-05).
 *
 * Selectors: machine ids, resource groups (`/subscriptions/<id>/resourceGroups/<name>`) and
 * subscriptions. Each kind of selector is one paged query over the `resources` table (Resource
 * Graph's KQL has `or`, but keeping each query to one `in~` list keeps it short and lets the id
 * list be batched), projecting only the columns needed — id, type, location and the OS fields —
 * because a VM's full `properties` is kilobytes and 1,000 of them would be megabytes per page.
 *
 * Windows only: a VM says `properties.storageProfile.osDisk.osType`, a scale set
 * `properties.virtualMachineProfile.storageProfile.osDisk.osType`, an Arc machine
 * `properties.osType` (`windows`) or `properties.osName`. Every machine left out is returned with
 * the reason, and so is every selector that found nothing (Resource Graph leaves out subscriptions
 * the caller cannot read instead of failing: the reason says so).
 */
import type { ArmRestClient } from './arm-rest-client.js';
import { checkMachineId } from './guest-configuration.js';
import { queryResourceGraph } from './resource-graph.js';

export interface Machine {
  /** The id as Resource Graph returns it. */
  id: string;
  /** ARM's type (`Microsoft.Compute/virtualMachines`). */
  type: string;
  location: string;
}

export interface MachineSelectors {
  machines: readonly string[];
  resourceGroups: readonly string[];
  subscriptions: readonly string[];
}

export interface MachineSearch {
  /** Windows machines, sorted by id, each once. */
  machines: Machine[];
  /** Machines and selectors left out, with the reason. */
  skipped: Array<{ id: string; reason: string }>;
}

const TYPES: ReadonlyMap<string, string> = new Map([
  ['microsoft.compute/virtualmachines', 'Microsoft.Compute/virtualMachines'],
  ['microsoft.compute/virtualmachinescalesets', 'Microsoft.Compute/virtualMachineScaleSets'],
  ['microsoft.hybridcompute/machines', 'Microsoft.HybridCompute/machines'],
]);

const RESOURCE_GROUP = /^\/subscriptions\/([0-9a-f-]{36})\/resourceGroups\/([-\w._()]+)$/i;
const SUBSCRIPTION = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids per `id in~ (…)` query: keeps each query well under Resource Graph's request size. */
const IDS_PER_QUERY = 200;

/** Normalises `--resource-group`; a usage-style error message when it is not a resource group id. */
export function parseResourceGroupId(value: string): { subscription: string; group: string } | undefined {
  const m = RESOURCE_GROUP.exec(`/${value.replace(/^\/+|\/+$/g, '')}`);
  return m ? { subscription: m[1]!.toLowerCase(), group: m[2]! } : undefined;
}

export function isSubscriptionId(value: string): boolean {
  return SUBSCRIPTION.test(value);
}

/** KQL string literal: single quotes, backslash and quote escaped. */
function kqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const MACHINE_QUERY = `resources | where type in~ (${[...TYPES.keys()].map(kqlString).join(', ')})`;
const PROJECTION = '| project id, type, location, subscriptionId, resourceGroup, ' +
  'vmOsType = tostring(properties.storageProfile.osDisk.osType), ' +
  'vmssOsType = tostring(properties.virtualMachineProfile.storageProfile.osDisk.osType), ' +
  'arcOsType = tostring(properties.osType), arcOsName = tostring(properties.osName) | order by id asc';

/** Why a machine row is not a Windows machine, or undefined when it is one. */
export function notWindowsReason(row: Record<string, unknown>): string | undefined {
  const type = String(row.type ?? '').toLowerCase();
  const text = (k: string): string => (typeof row[k] === 'string' ? (row[k] as string) : '');
  let os: string;
  if (type === 'microsoft.compute/virtualmachines') os = text('vmOsType');
  else if (type === 'microsoft.compute/virtualmachinescalesets') os = text('vmssOsType');
  else if (type === 'microsoft.hybridcompute/machines') os = text('arcOsType') || (/windows/i.test(text('arcOsName')) ? 'Windows' : text('arcOsName'));
  else return `not a machine type a guest assignment can sit on (${type || 'no type'})`;
  if (os.toLowerCase() === 'windows') return undefined;
  return os ? `not Windows (the machine reports ${os})` : 'its operating system is not reported (Resource Graph has no OS type for it)';
}

/** Every Windows machine the selectors name, and what was left out. */
export async function findMachines(client: ArmRestClient, selectors: MachineSelectors): Promise<MachineSearch> {
  const rows = new Map<string, Record<string, unknown>>();
  const skipped: MachineSearch['skipped'] = [];
  const run = async (query: string, subscriptions: string[]): Promise<Array<Record<string, unknown>>> => {
    const out: Array<Record<string, unknown>> = [];
    for await (const row of queryResourceGraph(client, { query, subscriptions })) out.push(row);
    return out;
  };
  const keep = (list: Array<Record<string, unknown>>): void => {
    for (const r of list) rows.set(String(r.id).toLowerCase(), r);
  };

  // Machine ids: in batches, each batch over the subscriptions its ids name.
  const ids = [...new Set(selectors.machines.map((m) => checkMachineId(m)))];
  for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
    const batch = ids.slice(i, i + IDS_PER_QUERY);
    const subs = [...new Set(batch.map((id) => id.split('/')[2]!.toLowerCase()))];
    const found = await run(`${MACHINE_QUERY} | where id in~ (${batch.map(kqlString).join(', ')}) ${PROJECTION}`, subs);
    keep(found);
    const seen = new Set(found.map((r) => String(r.id).toLowerCase()));
    for (const id of batch) if (!seen.has(id.toLowerCase())) skipped.push({ id, reason: 'not found: Resource Graph has no such machine in a subscription you can read (a new machine appears there within minutes)' });
  }

  if (selectors.resourceGroups.length) {
    const groups = selectors.resourceGroups.map((g) => parseResourceGroupId(g)!);
    const subs = [...new Set(groups.map((g) => g.subscription))];
    const names = [...new Set(groups.map((g) => g.group))];
    const found = await run(`${MACHINE_QUERY} | where resourceGroup in~ (${names.map(kqlString).join(', ')}) ${PROJECTION}`, subs);
    for (const g of groups) {
      // The query spans every listed group in every listed subscription: keep only the pairs asked for.
      const mine = found.filter((r) => String(r.subscriptionId).toLowerCase() === g.subscription && String(r.resourceGroup).toLowerCase() === g.group.toLowerCase());
      keep(mine);
      if (!mine.length) skipped.push({ id: `/subscriptions/${g.subscription}/resourceGroups/${g.group}`, reason: 'no machines found in this resource group (or no permission to read it)' });
    }
  }

  if (selectors.subscriptions.length) {
    const subs = [...new Set(selectors.subscriptions.map((s) => s.toLowerCase()))];
    const found = await run(`${MACHINE_QUERY} ${PROJECTION}`, subs);
    keep(found);
    for (const s of subs) {
      if (!found.some((r) => String(r.subscriptionId).toLowerCase() === s)) skipped.push({ id: `/subscriptions/${s}`, reason: 'no machines found in this subscription (or no permission to read it)' });
    }
  }

  const machines: Machine[] = [];
  for (const r of [...rows.values()].sort((a, b) => String(a.id).localeCompare(String(b.id)))) {
    const reason = notWindowsReason(r);
    if (reason) {
      skipped.push({ id: String(r.id), reason });
      continue;
    }
    machines.push({ id: String(r.id), type: TYPES.get(String(r.type).toLowerCase())!, location: String(r.location ?? '') });
  }
  return { machines, skipped };
}
