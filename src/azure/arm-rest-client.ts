/**
 * A generic ARM REST client (`@azure-rest/core-client` 2.7.0) on the connection, for the services
 * with no Node-20 HLC package: guest configuration assignments (`@azure/arm-guestconfiguration` is
 * not on the registry), Resource Graph (the HLC package is a beta with a Dictionary quirk),
 * policy exemptions and role assignments. Non-2xx answers become `AzureError`s in the pipeline, as
 * for the HLC clients, so callers read `body` only from successful responses.
 */
import { getClient, type Client } from '@azure-rest/core-client';
import type { AzureConnection } from './connection.js';

export type ArmRestClient = Client;

export function createArmRestClient(connection: AzureConnection): ArmRestClient {
  const { endpoint, credentialScopes: _scopes, ...options } = connection.clientOptions();
  // No credential here: the connection adds its own auth policy with the explicit scope.
  return connection.configure(getClient(endpoint, options));
}

/** The path of an ARM id for `client.pathUnchecked`: one leading slash, each segment encoded once. */
export function restPath(id: string): string {
  return `/${id.replace(/^\/+|\/+$/g, '').split('/').map((s) => encodeURIComponent(decodeURIComponentSafe(s))).join('/')}`;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
