/**
 * Subscriptions through `@azure/arm-resources-subscriptions` 2.1.1 (api-version 2022-12-01;
 * `@azure/arm-subscriptions` has no list operation). Listing also records each subscription's
 * display name on the connection, so a later 403 names the subscription a user recognises.
 */
import { SubscriptionClient, type Subscription } from '@azure/arm-resources-subscriptions';
import type { AzureConnection } from './connection.js';

export const SUBSCRIPTIONS_API_VERSION = '2022-12-01';

export function createSubscriptionClient(connection: AzureConnection): SubscriptionClient {
  return connection.configure(new SubscriptionClient(connection.credential, connection.clientOptions()));
}

/** Every subscription the caller can see (all pages), remembering their names on the connection. */
export async function listSubscriptions(connection: AzureConnection): Promise<Subscription[]> {
  const client = createSubscriptionClient(connection);
  const all: Subscription[] = [];
  for await (const s of client.subscriptions.list()) {
    all.push(s);
    if (s.subscriptionId && s.displayName) connection.subscriptionNames.set(s.subscriptionId.toLowerCase(), s.displayName);
  }
  return all;
}

/**
 * One subscription by id, remembering its name. ARM answers 403 AuthorizationFailed when the caller
 * has no role in it — and then Resource Graph silently leaves its rows out of every query, which is
 * why a fleet scan asks here first instead of trusting an empty answer.
 */
export async function getSubscription(connection: AzureConnection, subscriptionId: string): Promise<Subscription> {
  const s = await createSubscriptionClient(connection).subscriptions.get(subscriptionId);
  if (s.subscriptionId && s.displayName) connection.subscriptionNames.set(s.subscriptionId.toLowerCase(), s.displayName);
  return s;
}
