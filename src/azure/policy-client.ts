/**
 * Azure Policy definitions, set definitions (initiatives) and assignments through
 * `@azure/arm-policy` 6.0.0 (api-version 2024-05-01; 7.x needs Node 22). Scope parameters take ids
 * without their leading slash (`sdkScope`), because the client's URL template is `/{+scope}`.
 * Policy exemptions are not in this package version: `policy-exemptions.ts` calls them as REST.
 */
import { PolicyClient } from '@azure/arm-policy';
import type { AzureConnection } from './connection.js';

/** The api-version @azure/arm-policy 6.0.0 sends. */
export const POLICY_API_VERSION = '2024-05-01';

/** A PolicyClient on the connection. `subscriptionId` must be a GUID (the client checks it). */
export function createPolicyClient(connection: AzureConnection, subscriptionId: string): PolicyClient {
  return connection.configure(new PolicyClient(connection.credential, subscriptionId, connection.clientOptions()));
}
