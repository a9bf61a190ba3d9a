/**
 * The guest configuration assignment `assign` writes on a machine (Machine Configuration applied
 * without Azure Policy), and how it is compared with what the machine holds.
 *
 * - The assignment's name is the package (configuration) name: the agent looks the configuration up
 *   by the assignment's name, which is why the DeployIfNotExists template names it
 *   `<machine>/Microsoft.GuestConfiguration/<configuration name>` (machine-configuration.md §3.5).
 * - The body carries only writable fields (guestconfiguration.json 2024-04-05): `location` (the
 *   machine's) and `properties.guestConfiguration.{name, version, contentUri, contentHash,
 *   assignmentType, configurationParameter, contentManagedIdentity}`. `contentType` is read-only and
 *   never sent; `configurationParameter` is sent only when the package declares parameters, in their
 *   declared order (the service hashes them in order: machine-configuration.md §3.4).
 * - The diff compares only those fields; ARM's additions (`provisioningState`, `complianceStatus`,
 *   `contentType`, `assignmentHash`, …) never count as drift, so a rerun plans no writes. Locations
 *   and the managed identity's resource id compare without case (ARM echoes them in its own case).
 */
import { DriftscanError, usageError } from '../core/diagnostics.js';
import { closest } from '../core/suggest.js';
import type { ManifestPackage } from '../compile/build-manifest.js';
import type { AssignmentType } from '../rules/model.js';
import { planChange, type PlannedChange } from './plan.js';
import type { DiffOptions } from './field-diff.js';

export const GUEST_ASSIGNMENT_KIND = 'guestConfigurationAssignment';

/** A type alias, not an interface, so it is assignable where the REST layer takes any JSON object. */
export type AssignmentBody = {
  location: string;
  properties: {
    guestConfiguration: {
      name: string;
      version: string;
      contentUri: string;
      contentHash: string;
      assignmentType: AssignmentType;
      configurationParameter?: Array<{ name: string; value: string }>;
      contentManagedIdentity?: string;
    };
  };
};

export const GUEST_ASSIGNMENT_DIFF: DiffOptions = {
  caseInsensitive: ['location', 'properties.guestConfiguration.contentManagedIdentity'],
};

/**
 * The `configurationParameter` list: every declared parameter, in declared order, with the value
 * from `--param NAME=VALUE` or its default. An undeclared name is a usage error naming the flag.
 */
export function assignmentParameters(pkg: ManifestPackage, params: ReadonlyMap<string, string>): Array<{ name: string; value: string }> {
  const declared = pkg.configurationParameters.map((p) => p.name);
  for (const name of params.keys()) {
    if (!declared.includes(name)) {
      const near = closest(name, declared);
      throw usageError(`--param ${name}: package '${pkg.name}' declares no such parameter${near ? ` (did you mean ${near}?)` : declared.length ? ` (it declares ${declared.join(', ')})` : ' (it declares none)'}`);
    }
  }
  return pkg.configurationParameters.map((p) => ({ name: p.reference, value: params.get(p.name) ?? p.defaultValue }));
}

/** The body `assign` PUTs on a machine in `location`. Needs the package's contentUri. */
export function assignmentBody(pkg: ManifestPackage, location: string, parameters: Array<{ name: string; value: string }>): AssignmentBody {
  if (!pkg.contentUri) {
    throw new DriftscanError(`package '${pkg.name}' has no contentUri in the manifest: machines need a URL to download it from — run driftscan publish, or compile --content-uri-base URL`);
  }
  return {
    location,
    properties: {
      guestConfiguration: {
        name: pkg.name,
        version: pkg.version,
        contentUri: pkg.contentUri,
        contentHash: pkg.contentHash,
        assignmentType: pkg.assignmentType,
        ...(parameters.length ? { configurationParameter: parameters } : {}),
        ...(pkg.contentManagedIdentity ? { contentManagedIdentity: pkg.contentManagedIdentity } : {}),
      },
    },
  };
}

/** `vm001/Baseline` for the tables. */
export function assignmentDisplayName(machineId: string, name: string): string {
  return `${machineId.split('/').pop()}/${name}`;
}

/** The planned change for one machine: create, update (with the differing fields) or unchanged. */
export function planAssignment(input: { assignmentId: string; machineId: string; desired: AssignmentBody; actual: unknown }): PlannedChange {
  const before = versionOf(input.actual);
  const after = input.desired.properties.guestConfiguration.version;
  return planChange({
    kind: GUEST_ASSIGNMENT_KIND,
    id: input.assignmentId,
    name: assignmentDisplayName(input.machineId, input.desired.properties.guestConfiguration.name),
    wave: 0,
    desired: input.desired,
    actual: input.actual,
    diff: GUEST_ASSIGNMENT_DIFF,
    ...(before !== undefined && before !== after ? { note: `v${after} (was ${before})` } : {}),
  });
}

function versionOf(actual: unknown): string | undefined {
  const v = (actual as { properties?: { guestConfiguration?: { version?: unknown } } } | undefined)?.properties?.guestConfiguration?.version;
  return typeof v === 'string' ? v : undefined;
}

/** Provisioning states after which nothing more happens to an assignment until it is written again. */
export type ProvisioningOutcome = 'succeeded' | 'failed' | 'pending';

/**
 * How a `provisioningState` reads: `Succeeded`; `Failed` or `Canceled`; anything else — `Created`
 * (the spec's value for an assignment the machine's agent has not picked up), `Updating`, or a
 * value the service adds later (the enum is `modelAsString`) — is still on its way.
 */
export function provisioningOutcome(state: unknown): ProvisioningOutcome {
  const s = typeof state === 'string' ? state.toLowerCase() : '';
  if (s === 'succeeded') return 'succeeded';
  if (s === 'failed' || s === 'canceled' || s === 'cancelled') return 'failed';
  return 'pending';
}
