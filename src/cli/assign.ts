/**
 * `driftscan assign`: a compiled package assigned directly to machines as guest configuration
 * assignments (no Azure Policy). Reads the package entry of `build/manifest.json`, finds the
 * Windows machines the selectors name (Resource Graph), reads each machine's current assignment
 * (GET), plans create / update / unchanged with the rollout model, and with `--apply` PUTs exactly
 * the planned writes with bounded concurrency through `runRollout`.
 *
 * Why a GET per machine and not one Resource Graph query over `guestconfigurationresources`:
 * Resource Graph lags ARM by minutes after a write, so a plan read from it right after an
 * `--apply` would plan the same PUTs again (a rerun must be zero writes), and its rows need not
 * carry `contentUri`/`contentHash` (the spec's example answers null for them). 1,000 GETs at 16
 * in flight take seconds and stay far inside ARM's read quota.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DriftscanError, usageError } from '../core/diagnostics.js';
import { readInputFile } from '../io/input-file.js';
import { stderr, stdout } from '../io/console.js';
import { findManifestPackage, parseBuildManifest, type ManifestPackage } from '../compile/build-manifest.js';
import { assignmentBody, assignmentParameters, planAssignment, provisioningOutcome, type AssignmentBody } from '../rollout/guest-assignment.js';
import type { Plan, PlannedChange } from '../rollout/plan.js';
import { openConnection, wantsApply, type AzureFlags, type RolloutFlags } from './azure-options.js';
import { parseDuration } from './duration.js';
import { parseParams } from './options.js';
import { preparePlanOutputs, runRollout } from './rollout.js';

export interface AssignFlags extends AzureFlags, RolloutFlags {
  build?: string;
  machine?: string[];
  resourceGroup?: string[];
  subscription?: string[];
  param?: string[];
  concurrency?: string;
  wait?: string;
}

export const DEFAULT_CONCURRENCY = 16;
const MAX_CONCURRENCY = 64;

/** Where the package argument points: the manifest and the package name in it. */
export function resolvePackageArgument(arg: string, buildDir: string | undefined): { manifest: string; name: string } {
  const trimmed = arg.replace(/[\\/]+$/, '');
  if (/\.zip$/i.test(trimmed)) {
    // build/<name>/<name>.zip: the manifest is two levels up, the name is the folder's.
    const folder = dirname(trimmed);
    return { manifest: join(dirname(folder), 'manifest.json'), name: basename(folder) };
  }
  if (existsSync(trimmed) && statSync(trimmed).isDirectory()) {
    return { manifest: join(dirname(trimmed), 'manifest.json'), name: basename(trimmed) };
  }
  if (!/[\\/]/.test(trimmed)) return { manifest: join(buildDir ?? 'build', 'manifest.json'), name: trimmed };
  throw usageError(`${arg}: not a package folder (build/<name>), its zip (build/<name>/<name>.zip) or a package name: run driftscan compile first`);
}

interface CheckedFlags {
  apply: boolean;
  machines: string[];
  resourceGroups: string[];
  subscriptions: string[];
  params: Map<string, string>;
  concurrency: number;
  waitMs: number | undefined;
}

/** Every flag checked before a file is read or a request sent (exit 2, naming the flag). */
async function checkFlags(o: AssignFlags): Promise<CheckedFlags> {
  const apply = wantsApply(o);
  const { checkMachineId } = await import('../azure/guest-configuration.js');
  const { isSubscriptionId, parseResourceGroupId } = await import('../azure/machines.js');
  const machines = (o.machine ?? []).map((m) => {
    try {
      return checkMachineId(m);
    } catch (err) {
      throw usageError(`--machine ${(err as Error).message}`);
    }
  });
  const resourceGroups = (o.resourceGroup ?? []).map((g) => {
    if (!parseResourceGroupId(g)) throw usageError(`--resource-group '${g}' is not a resource group id: expected /subscriptions/<subscription id>/resourceGroups/<name>`);
    return g;
  });
  const subscriptions = (o.subscription ?? []).map((s) => {
    if (!isSubscriptionId(s)) throw usageError(`--subscription '${s}' is not a subscription id (a GUID)`);
    return s;
  });
  if (!machines.length && !resourceGroups.length && !subscriptions.length) {
    throw usageError('name the machines to assign to: --machine ID, --resource-group /subscriptions/<id>/resourceGroups/<name> or --subscription ID (each repeatable)');
  }
  const c = o.concurrency ?? String(DEFAULT_CONCURRENCY);
  if (!/^\d+$/.test(c) || Number(c) < 1 || Number(c) > MAX_CONCURRENCY) throw usageError(`--concurrency expects a whole number from 1 to ${MAX_CONCURRENCY}, not "${c}"`);
  const waitMs = o.wait === undefined ? undefined : parseDuration('--wait', o.wait, { min: 1000, max: 86_400_000 });
  return { apply, machines, resourceGroups, subscriptions, params: parseParams(o.param), concurrency: Number(c), waitMs };
}

function describeTarget(pkg: ManifestPackage, f: CheckedFlags): string {
  const parts = [
    ...(f.machines.length ? [`${f.machines.length} machine${f.machines.length === 1 ? '' : 's'} named by --machine`] : []),
    ...f.resourceGroups.map((g) => `resource group ${g.replace(/^.*\/resourceGroups\//i, '')}`),
    ...f.subscriptions.map((s) => `subscription ${s}`),
  ];
  return `${pkg.name} v${pkg.version} on ${parts.join(', ')}`;
}

export async function runAssign(packageArg: string, o: AssignFlags): Promise<void> {
  const flags = await checkFlags(o);
  const { manifest, name } = resolvePackageArgument(packageArg, o.build);
  if (!existsSync(manifest)) throw new DriftscanError(`no build manifest at ${manifest}: run driftscan compile (with --out ${dirname(manifest)}) first`, { location: { file: manifest } });
  const manifestText = readInputFile(manifest, 'build manifest').toString('utf8');
  const pkg = findManifestPackage(parseBuildManifest(manifestText, manifest), name, manifestText, manifest);
  const parameters = assignmentParameters(pkg, flags.params);
  // Before any Azure call: without a contentUri there is nothing a machine could download.
  if (!pkg.contentUri) {
    throw new DriftscanError(`package '${pkg.name}' has no contentUri: machines need a URL to download it from — run driftscan publish, or compile --content-uri-base URL`, { location: { file: manifest } });
  }
  const outputs = preparePlanOutputs(o.output, [{ file: manifest, what: 'build manifest' }]);

  const connection = await openConnection(o);
  try {
    const [{ createArmRestClient }, { findMachines }, { getGuestAssignment, guestAssignmentId, putGuestAssignment }, { mapConcurrent }] = await Promise.all([
      import('../azure/arm-rest-client.js'),
      import('../azure/machines.js'),
      import('../azure/guest-configuration.js'),
      import('../azure/concurrent-calls.js'),
    ]);
    const client = createArmRestClient(connection);
    const found = await findMachines(client, { machines: flags.machines, resourceGroups: flags.resourceGroups, subscriptions: flags.subscriptions });
    if (found.machines.length > 50) stderr.line(`reading the current assignment of ${found.machines.length} machines (${flags.concurrency} at a time)`);
    const current = await mapConcurrent(found.machines, flags.concurrency, (m) => getGuestAssignment(client, m.id, pkg.name), connection.deadline.signal);

    const machineOf = new Map<PlannedChange, string>();
    const changes = found.machines.map((m, i) => {
      const change = planAssignment({ assignmentId: guestAssignmentId(m.id, pkg.name), machineId: m.id, desired: assignmentBody(pkg, m.location, parameters), actual: current[i] });
      machineOf.set(change, m.id);
      return change;
    });
    const plan: Plan = { command: 'assign', target: describeTarget(pkg, flags), changes, ...(found.skipped.length ? { skipped: found.skipped } : {}) };

    // Assignments whose PUT was accepted but not yet provisioned (Created, Updating).
    const pending = new Map<string, string>();
    const outcome = await runRollout({
      plan,
      apply: flags.apply,
      outputs,
      concurrency: flags.concurrency,
      signal: connection.deadline.signal,
      write: async (change) => {
        const r = await putGuestAssignment(client, machineOf.get(change)!, pkg.name, change.body as AssignmentBody);
        const state = r.body?.properties?.provisioningState;
        const verdict = provisioningOutcome(state);
        if (verdict === 'failed') throw new DriftscanError(`Azure accepted PUT ${change.id} but its provisioningState is ${state}`, { kind: 'service' });
        if (verdict === 'pending') pending.set(change.id, state ?? '(none)');
      },
    });
    // Printed after the plan (which lists every skip with its reason): a selector that matched no
    // machine is almost always a typo or a missing permission, and must not pass a pipeline silently.
    const missing = found.skipped.filter((sk) => flags.machines.some((m) => m.toLowerCase() === sk.id.toLowerCase()) && sk.reason.startsWith('not found'));
    if (found.machines.length === 0) throw new DriftscanError(`no Windows machine matched ${describeTarget(pkg, flags)}: the skipped list above says why`, { kind: 'usage' });
    if (outcome && pending.size > 0) {
      await reportPending(pending, flags, async (ids) => {
        const { waitForProvisioning } = await import('../azure/guest-assignment-wait.js');
        return waitForProvisioning(client, ids, {
          waitMs: flags.waitMs!,
          deadline: connection.deadline,
          concurrency: flags.concurrency,
          settled: (s) => provisioningOutcome(s) !== 'pending',
          onRound: (left, ms) => stderr.line(`waiting: ${left} assignment${left === 1 ? '' : 's'} still provisioning after ${Math.round(ms / 1000)} s`),
        });
      });
    }
    if (missing.length) throw new DriftscanError(`--machine ${missing.map((m) => m.id).join(', ')}: not found in Resource Graph (the others were ${flags.apply ? 'assigned' : 'planned'})`, { kind: 'usage' });
  } finally {
    connection.close();
  }
}

/**
 * After `--apply`: assignments Azure accepted but has not provisioned yet. Without `--wait`, says
 * so; with it, polls (bounded) and fails the command (exit 3) when one ends Failed.
 */
async function reportPending(pending: Map<string, string>, flags: CheckedFlags, wait: (ids: string[]) => Promise<Map<string, string | undefined>>): Promise<void> {
  const n = pending.size;
  if (flags.waitMs === undefined) {
    const states = [...new Set(pending.values())].join('/');
    stdout.line(`${n} assignment${n === 1 ? '' : 's'} accepted (provisioningState ${states}): the machine's agent applies ${n === 1 ? 'it' : 'them'} within about 15 minutes; pass --wait DURATION to wait for it`);
    return;
  }
  const states = await wait([...pending.keys()]);
  const failed: string[] = [];
  let succeeded = 0;
  let still = 0;
  for (const id of pending.keys()) {
    const verdict = provisioningOutcome(states.get(id) ?? pending.get(id));
    if (verdict === 'succeeded') succeeded += 1;
    else if (verdict === 'failed') failed.push(id);
    else still += 1;
  }
  stdout.line(`provisioning: ${succeeded} succeeded, ${failed.length} failed, ${still} still pending after the wait`);
  for (const id of failed) stdout.line(`  FAILED provisioning ${id}: ${states.get(id)}`);
  if (failed.length) throw new DriftscanError(`provisioning of ${failed.length} assignment${failed.length === 1 ? '' : 's'} ended ${states.get(failed[0]!)}, first ${failed[0]}`, { kind: 'service' });
}
