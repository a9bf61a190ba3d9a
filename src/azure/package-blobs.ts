/**
 * Machine Configuration packages as block blobs in the publish container (`blob-container.ts`):
 * what a blob holds now (Get Blob Properties, a HEAD), uploading one without ever replacing
 * another's bytes, reading one back to hash it, and read-only user-delegation SAS URLs.
 *
 * - Upload is Put Blob with `If-None-Match: *`: the service answers 409 BlobAlreadyExists instead
 *   of overwriting (Storage REST "Specifying conditional headers"), so a blob a running assignment
 *   points to is never changed, even by a concurrent publish. The package's SHA-256 is stored as
 *   blob metadata `sha256` (lower-case hex) so a later publish can compare without downloading.
 *   Content-Type is `application/zip`.
 * - A user-delegation SAS is signed with a key from Get User Delegation Key, which the service
 *   issues for at most 7 days ahead (Storage REST "Get User Delegation Key": start and expiry
 *   "must be within 7 days of the current time"), so a SAS lives at most 7 days. It is read-only
 *   (`sp=r`), for one blob (`sr=b`), HTTPS only (`spr=https`), and starts 5 minutes back to absorb
 *   clock skew between this machine and Storage (the SDK documentation's advice).
 *
 * Every failure is one `AzureError` line naming the blob's path, never a URL's query.
 */
import { createHash } from 'node:crypto';
import { isRestError } from '@azure/core-rest-pipeline';
import { BlobSASPermissions, SASProtocol, type UserDelegationKey } from '@azure/storage-blob';
import { DriftscanError } from '../core/diagnostics.js';
import { AzureError, type AzureFailure } from './errors.js';
import type { BlobContainer } from './blob-container.js';

/** Metadata key holding the package's SHA-256 (lower-case hex). */
export const SHA256_METADATA = 'sha256';

/**
 * The SAS version (`sv`) publish signs with. 2025-11-05 is a released Blob service version, and
 * the newest Azurite 3.35.0 (the test service, and the newest Azurite that runs on Node 20)
 * validates: with storage-blob 12.32.0's default (2026-04-06) Azurite 3.35.0 answers 403
 * signature mismatch (shared/reference/azure-sdk-js.md §10).
 */
export const SAS_VERSION = '2025-11-05';

/** Longest SAS lifetime: a user delegation key is valid at most 7 days. */
export const MAX_SAS_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

/** How far back a SAS (and its key) starts, for clock skew. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** What the container holds under a blob name now. */
export type BlobState =
  | { exists: false }
  | { exists: true; size: number; /** Upper-case hex from the `sha256` metadata, when present. */ sha256?: string };

/**
 * The storage error code (`BlobNotFound`, `ContainerNotFound`, `ServerBusy`, …). A HEAD response has
 * no body, so there it is only in the `x-ms-error-code` header, which storage-blob does not copy
 * into `RestError.code`.
 */
function errorCode(err: unknown): string | undefined {
  if (!isRestError(err)) return undefined;
  return err.code ?? err.response?.headers.get('x-ms-error-code') ?? undefined;
}

/** A storage call that failed, as one AzureError (or the error as it is when it is not the SDK's). */
function storageFailure(err: unknown, method: string, url: string, signal: AbortSignal): unknown {
  if (signal.aborted) {
    return new AzureError({ failure: 'deadline', method, url, note: String((signal.reason as Error | undefined)?.message ?? 'the deadline (--timeout) passed'), cause: err });
  }
  if (!isRestError(err)) return err;
  const status = err.statusCode;
  const failure: AzureFailure = status === undefined ? 'network' : status >= 500 || status === 408 ? 'unavailable' : 'refused';
  // Storage messages end with "RequestId:…\nTime:…": the first line says what went wrong.
  const said = (err.message ?? '').split('\n')[0];
  const code = errorCode(err);
  return new AzureError({ failure, method, url, status, code, serviceMessage: status === undefined ? `${code ?? ''} ${said}`.trim() : said, cause: err });
}

/**
 * Runs one storage call, with a `--verbose` line after it: the operation as it is on the wire and
 * the URL without its query (the storage-blob pipeline is the SDK's own, so the connection's
 * per-attempt log policy is not in it; retries inside the call are not listed separately).
 */
async function logged<T>(c: BlobContainer, method: string, url: string, call: () => Promise<T>): Promise<T> {
  if (!c.verbose) return call();
  const started = Date.now();
  const shown = url.split('?')[0];
  try {
    const r = await call();
    c.verbose(`storage: ${method} ${shown} → ok (${Date.now() - started} ms)`);
    return r;
  } catch (err) {
    const status = isRestError(err) ? (err.statusCode ?? err.code) : (err as Error).name;
    c.verbose(`storage: ${method} ${shown} → ${status} (${Date.now() - started} ms)`);
    throw err;
  }
}

/** The state of blob `name`: absent (404), or its size and recorded SHA-256. */
export async function probeBlob(c: BlobContainer, name: string): Promise<BlobState> {
  const blob = c.client.getBlockBlobClient(name);
  try {
    const p = await logged(c, 'HEAD', blob.url, () => blob.getProperties({ abortSignal: c.abortSignal }));
    const recorded = p.metadata?.[SHA256_METADATA];
    return { exists: true, size: p.contentLength ?? 0, ...(recorded ? { sha256: recorded.toUpperCase() } : {}) };
  } catch (err) {
    if (isRestError(err) && err.statusCode === 404 && errorCode(err) === 'ContainerNotFound') {
      throw new DriftscanError(`container ${c.client.url} does not exist: create it first (publish never creates containers: who may read them is yours to decide)`, { kind: 'service' });
    }
    if (isRestError(err) && err.statusCode === 404) return { exists: false };
    throw storageFailure(err, 'HEAD', blob.url, c.abortSignal);
  }
}

/**
 * Uploads `bytes` as blob `name` unless a blob of that name exists (then `false`: nothing was
 * written, the caller verifies what is there). `sha256` is the package's contentHash.
 */
export async function uploadBlobIfAbsent(c: BlobContainer, name: string, bytes: Uint8Array, sha256: string): Promise<boolean> {
  const blob = c.client.getBlockBlobClient(name);
  try {
    await logged(c, 'PUT', blob.url, () => blob.uploadData(bytes, {
      blobHTTPHeaders: { blobContentType: 'application/zip' },
      metadata: { [SHA256_METADATA]: sha256.toLowerCase() },
      conditions: { ifNoneMatch: '*' },
      abortSignal: c.abortSignal,
    }));
    return true;
  } catch (err) {
    if (isRestError(err) && (err.statusCode === 409 || err.statusCode === 412) && errorCode(err) === 'BlobAlreadyExists') return false;
    throw storageFailure(err, 'PUT', blob.url, c.abortSignal);
  }
}

/** Downloads blob `name` as a stream and returns its SHA-256 (upper-case hex) and size. */
export async function blobSha256(c: BlobContainer, name: string): Promise<{ sha256: string; size: number }> {
  const blob = c.client.getBlockBlobClient(name);
  try {
    const response = await logged(c, 'GET', blob.url, () => blob.download(0, undefined, { abortSignal: c.abortSignal }));
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of response.readableStreamBody!) {
      const b = chunk as Buffer;
      hash.update(b);
      size += b.length;
    }
    return { sha256: hash.digest('hex').toUpperCase(), size };
  } catch (err) {
    throw storageFailure(err, 'GET', blob.url, c.abortSignal);
  }
}

/** A user delegation key valid from 5 minutes ago until `expiresOn` (at most 7 days ahead). */
export async function userDelegationKey(c: BlobContainer, expiresOn: Date, now: Date = new Date()): Promise<UserDelegationKey> {
  const startsOn = new Date(now.getTime() - CLOCK_SKEW_MS);
  try {
    return await logged(c, 'POST', `${c.accountUrl}/?restype=service&comp=userdelegationkey`, () => c.service.getUserDelegationKey(startsOn, expiresOn, { abortSignal: c.abortSignal }));
  } catch (err) {
    throw storageFailure(err, 'POST', `${c.accountUrl}/?restype=service&comp=userdelegationkey`, c.abortSignal);
  }
}

/** The blob's URL without a SAS (what a managed identity downloads). */
export function blobUrl(c: BlobContainer, name: string): string {
  return c.client.getBlockBlobClient(name).url;
}

/** A read-only, HTTPS-only SAS URL for blob `name`, signed with `key`, expiring with it at `expiresOn`. */
export async function readOnlySasUrl(c: BlobContainer, name: string, key: UserDelegationKey, expiresOn: Date, now: Date = new Date()): Promise<string> {
  return c.client.getBlockBlobClient(name).generateUserDelegationSasUrl({
    permissions: BlobSASPermissions.parse('r'),
    startsOn: new Date(now.getTime() - CLOCK_SKEW_MS),
    expiresOn,
    protocol: SASProtocol.Https,
    version: SAS_VERSION,
  }, key);
}
