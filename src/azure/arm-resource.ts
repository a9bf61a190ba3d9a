/**
 * Plain ARM resource calls by id and api-version on the REST client: GET (absent → undefined),
 * PUT, DELETE (absent → false) and list (following `nextLink`). Used for the resource types with
 * no Node-20 HLC client (`api-versions.ts`). Ids are passed as ARM returns them (leading slash);
 * `restPath` encodes each segment once and never produces `//`.
 */
import { isNotFound } from './errors.js';
import { restPath, type ArmRestClient } from './arm-rest-client.js';

export type ArmResource = { id?: string; name?: string; type?: string; [key: string]: unknown };

export async function getResource<T = ArmResource>(client: ArmRestClient, id: string, apiVersion: string): Promise<T | undefined> {
  try {
    const r = await client.pathUnchecked(restPath(id)).get({ queryParameters: { 'api-version': apiVersion } });
    return r.body as T;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function putResource<T = ArmResource>(client: ArmRestClient, id: string, apiVersion: string, body: unknown): Promise<{ status: number; body: T }> {
  const r = await client.pathUnchecked(restPath(id)).put({ queryParameters: { 'api-version': apiVersion }, body });
  return { status: Number(r.status), body: r.body as T };
}

/** Deletes `id`; false when it did not exist (404, or ARM's 204 No Content). */
export async function deleteResource(client: ArmRestClient, id: string, apiVersion: string): Promise<boolean> {
  try {
    const r = await client.pathUnchecked(restPath(id)).delete({ queryParameters: { 'api-version': apiVersion } });
    return Number(r.status) !== 204;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Every item of a list operation at `path`, following `nextLink` (absolute URLs, used verbatim). */
export async function listResources<T = ArmResource>(client: ArmRestClient, path: string, apiVersion: string, query: Record<string, string> = {}): Promise<T[]> {
  const items: T[] = [];
  let r = await client.pathUnchecked(restPath(path)).get({ queryParameters: { 'api-version': apiVersion, ...query } });
  for (;;) {
    const body = (r.body ?? {}) as { value?: T[]; nextLink?: string | null };
    items.push(...(body.value ?? []));
    if (!body.nextLink) return items;
    // A nextLink is a full URL; pathUnchecked accepts it and skips the endpoint.
    r = await client.pathUnchecked(body.nextLink).get();
  }
}
