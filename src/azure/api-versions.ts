/**
 * Every api-version driftscan sends, in one place. Each is the version whose OpenAPI document the
 * ARM emulator validates against (Azure/azure-rest-api-specs, see docs/arm-emulator.md), and the
 * newest stable one for the service unless noted.
 */
export const API_VERSIONS = {
  /** @azure/arm-policy 6.0.0 (definitions, set definitions, assignments). */
  policy: '2024-05-01',
  /** Policy exemptions: not in @azure/arm-policy 6; the preview is the version with exemptions in the specs set. */
  policyExemptions: '2022-07-01-preview',
  /** Role assignments (Microsoft.Authorization). */
  roleAssignments: '2022-04-01',
  /** @azure/arm-resources-subscriptions 2.1.1. */
  subscriptions: '2022-12-01',
  /** Guest configuration assignments (VMs, scale sets, Arc machines). */
  guestConfiguration: '2024-04-05',
  /** Resource Graph `resources` query. */
  resourceGraph: '2024-04-01',
  /** Management group descendants (Microsoft.Management). */
  managementGroups: '2023-04-01',
  /** PolicyInsights remediations and policy states. */
  policyInsights: '2024-10-01',
} as const;
