/**
 * The Resource Graph queries a fleet scan sends, and nothing else: every string here is checked by
 * Microsoft's Kusto parser in the tests (test/fleet-kql.test.ts), and answered by the emulator's
 * evaluator, never matched as text. The split follows the issue: two queries that summarise on the
 * server (machines per subscription; assignments per subscription × baseline × compliance) and one
 * that returns rows only for the failing resources of non-compliant assignments.
 *
 * Facts they rely on (shared/reference/machine-configuration.md §5, azure-fleet.md §2):
 * - `guestconfigurationresources` holds one row per guest assignment; `properties.guestConfiguration.name`
 *   is the package name, which driftscan makes the baseline name; the row's `subscriptionId` is the
 *   machine's (an assignment is a child resource of its machine).
 * - `properties.complianceStatus` is Compliant | NonCompliant | Pending; `latestAssignmentReport.resources[]`
 *   has `resourceId` (`[DriftscanRegistryValue]<rule id>`), `complianceStatus` (a boolean) and `reasons[]`.
 * - `mv-expand` yields at most 128 rows per input row unless told (`limit`, at most 400).
 */

export const MACHINE_TYPES = ['microsoft.compute/virtualmachines', 'microsoft.compute/virtualmachinescalesets', 'microsoft.hybridcompute/machines'] as const;

/** At most this many DSC resources of one report are expanded (Resource Graph's `mv-expand` maximum). */
export const MV_EXPAND_LIMIT = 400;

/** A KQL string literal: single-quoted; backslash, quote and line breaks escaped (a literal cannot span lines). */
export function kqlString(s: string): string {
  const escaped = s.replace(/[\\'\n\r\t]/g, (c) => ({ '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!);
  return `'${escaped}'`;
}

function baselineList(baselines: readonly string[]): string {
  if (baselines.length === 0) throw new RangeError('a fleet query needs at least one baseline');
  return `(${baselines.map(kqlString).join(', ')})`;
}

/**
 * Windows machines per subscription: virtual machines, scale sets in Uniform orchestration (counted
 * once each: their assignment targets the scale set) and Arc-enabled servers. A scale set in
 * Flexible orchestration (`properties.orchestrationMode == 'Flexible'`) is not counted: its
 * instances are ordinary `Microsoft.Compute/virtualMachines` (with `properties.virtualMachineScaleSet.id`)
 * that carry their own guest assignments and are counted as VMs (Microsoft's docs list Flexible
 * sets as supported through those VMs, Uniform ones as not: machine-configuration.md §3.3); counting
 * the set too would show it Missing every baseline forever. A set without `orchestrationMode` is
 * Uniform (the mode's default). The OS sits at a different path per type, hence the coalesce; Arc
 * reports `windows` in lower case, hence `=~`.
 */
export function machinesQuery(): string {
  return [
    'resources',
    `| where type in~ (${MACHINE_TYPES.map(kqlString).join(', ')})`,
    '| extend osType = coalesce(tostring(properties.storageProfile.osDisk.osType), tostring(properties.virtualMachineProfile.storageProfile.osDisk.osType), tostring(properties.osType))',
    "| where osType =~ 'windows'",
    "| where not(type =~ 'microsoft.compute/virtualmachinescalesets' and tostring(properties.orchestrationMode) =~ 'Flexible')",
    '| summarize machines = count() by subscriptionId',
  ].join('\n');
}

/** Guest assignments of the baselines per subscription × baseline × compliance status. */
export function assignmentTotalsQuery(baselines: readonly string[]): string {
  return [
    'guestconfigurationresources',
    "| where type =~ 'microsoft.guestconfiguration/guestconfigurationassignments'",
    '| extend baseline = tostring(properties.guestConfiguration.name), compliance = tostring(properties.complianceStatus)',
    `| where baseline in~ ${baselineList(baselines)}`,
    '| summarize machines = count() by subscriptionId, baseline, compliance',
  ].join('\n');
}

/**
 * One row per failing DSC resource of a non-compliant assignment of the baselines: the machine, the
 * DSC resource id (which names the rule) and the reasons the machine reported. Compliant and pending
 * assignments never leave the service.
 */
export function failingResourcesQuery(baselines: readonly string[]): string {
  return [
    'guestconfigurationresources',
    "| where type =~ 'microsoft.guestconfiguration/guestconfigurationassignments'",
    "| where tostring(properties.complianceStatus) == 'NonCompliant'",
    '| extend baseline = tostring(properties.guestConfiguration.name)',
    `| where baseline in~ ${baselineList(baselines)}`,
    `| mv-expand resource = properties.latestAssignmentReport.resources limit ${MV_EXPAND_LIMIT}`,
    '| where tobool(resource.complianceStatus) == false',
    '| project machineId = tostring(properties.targetResourceId), subscriptionId, baseline, resourceId = tostring(resource.resourceId), reasons = resource.reasons',
  ].join('\n');
}

/**
 * Azure Policy exemptions, the assignments they name, driftscan's policy definitions (compile
 * writes `metadata.driftscan.baseline`) and the policy set definitions (initiatives) an assignment
 * may name instead, in one query: exemptions are few, and joining them to assignments, sets and
 * definitions on the client keeps the query inside what Resource Graph joins allow and the batch at
 * one request for it. Rows stay small: of a set only its members (`policyDefinitions[]`: the
 * definition id and reference id are read; each member's parameters come along, Resource Graph
 * having no operator that trims the elements of an array), and built-in and static sets are left
 * out — they cannot hold a custom definition such as driftscan's. An exemption's
 * `policyDefinitionReferenceIds` narrow it to those members of a set assignment (`exemptions.ts`).
 */
export function exemptionsQuery(): string {
  return [
    'policyresources',
    "| where type in~ ('microsoft.authorization/policyexemptions', 'microsoft.authorization/policyassignments', 'microsoft.authorization/policydefinitions', 'microsoft.authorization/policysetdefinitions')",
    "| extend baseline = tostring(properties.metadata.driftscan.baseline)",
    "| where type !~ 'microsoft.authorization/policydefinitions' or isnotempty(baseline)",
    "| where type !~ 'microsoft.authorization/policysetdefinitions' or tostring(properties.policyType) !in~ ('BuiltIn', 'Static')",
    '| project id, name, type, baseline, assignmentId = tostring(properties.policyAssignmentId), definitionId = tostring(properties.policyDefinitionId),',
    '    category = tostring(properties.exemptionCategory), expiresOn = tostring(properties.expiresOn),',
    '    referenceIds = properties.policyDefinitionReferenceIds, members = properties.policyDefinitions',
  ].join('\n');
}

/**
 * What `remediate` needs to know which assignment can remediate which baseline (rollout/remediation/
 * targets.ts): every policy assignment and policy set definition, and driftscan's policy definitions
 * (`metadata.driftscan.baseline`, written by compile) — built-ins and other custom definitions
 * never leave the service. `properties` whole: the effect is resolved through the assignment's, the
 * set's and the definition's parameters on the client.
 */
export function remediationTargetsQuery(): string {
  return [
    'policyresources',
    "| where type in~ ('microsoft.authorization/policyassignments', 'microsoft.authorization/policysetdefinitions', 'microsoft.authorization/policydefinitions')",
    "| where type !~ 'microsoft.authorization/policydefinitions' or isnotempty(tostring(properties.metadata.driftscan.baseline))",
    '| project id, type, properties',
  ].join('\n');
}

/** Every query a scan of `baselines` (and `remediate`) sends (for the parser checks). */
export function allScanQueries(baselines: readonly string[]): string[] {
  return [machinesQuery(), assignmentTotalsQuery(baselines), exemptionsQuery(), failingResourcesQuery(baselines), remediationTargetsQuery()];
}
