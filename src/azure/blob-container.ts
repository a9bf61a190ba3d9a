/**
 * The Blob Storage container packages are published to, as a `@azure/storage-blob` 12.32.0 client
 * on the command's connection (cloud, deadline, user agent, TLS trust), authenticated with Entra ID.
 *
 * - Where: `https://<account>.blob.<cloud storage suffix>` (`cloud.ts`), or `--blob-endpoint`, the
 *   account URL as it is (a private endpoint's name, Azurite's `https://127.0.0.1:PORT/devstoreaccount1`).
 *   HTTPS only: the SDK's bearer-token policy refuses to send a token over plain HTTP, even to
 *   loopback (shared/reference/azure-sdk-js.md §4.2), and Get User Delegation Key requires HTTPS
 *   (Storage REST "Get User Delegation Key").
 * - Who: the Storage token audience `https://storage.azure.com/.default` is the same in every
 *   cloud (it is the SDK's default, `StorageOAuthScopes`); the token comes from
 *   `DRIFTSCAN_STORAGE_TOKEN` or DefaultAzureCredential (`credential.ts`). The identity needs a
 *   data-plane role: Storage Blob Data Contributor to upload, and it is also what Get User
 *   Delegation Key checks (`Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action`).
 * - Retries: storage-blob replaces core-rest-pipeline's retry policy with its own, which retries
 *   500 and 503 (Blob Storage's "ServerBusy"/"OperationTimedOut" throttling answers; it never sends
 *   429) and dropped connections, with exponential back-off, but reads no Retry-After: `maxTries`
 *   is counted in tries, not retries (§9). Every call also carries the deadline's abort signal,
 *   which ends a back-off wait too (`StorageRetryPolicy` waits on the request's signal).
 */
import { setMaxListeners } from 'node:events';
import type { TokenCredential } from '@azure/core-auth';
import { BlobServiceClient, type ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { usageError } from '../core/diagnostics.js';
import { checkArmEndpoint, type AzureCloud } from './cloud.js';
import type { AzureConnection } from './connection.js';
import { resolveCredential, type CredentialSource } from './credential.js';

/** Entra ID scope for Blob Storage (every cloud). */
export const STORAGE_SCOPE = 'https://storage.azure.com/.default';

/** storage-blob's retry settings (`StorageRetryOptions`); `maxTries` counts the first try. */
export interface BlobRetrySettings {
  maxTries?: number;
  retryDelayInMs?: number;
  maxRetryDelayInMs?: number;
}

/**
 * Default retries: 5 tries, back-off (2^(n-1) − 1) × 2 s = 0, 2, 6, 14 s, at most 30 s a wait —
 * about 22 s of waiting for a throttled account before the upload fails, well inside the default
 * 30-minute deadline, which cuts any wait short anyway.
 */
export const BLOB_RETRY_DEFAULTS: Required<BlobRetrySettings> = { maxTries: 5, retryDelayInMs: 2000, maxRetryDelayInMs: 30_000 };

export interface BlobContainerOptions {
  /** `--storage-account`. */
  account: string;
  /** `--container`. */
  container: string;
  /** `--blob-endpoint`: the account URL, replacing `https://<account>.blob.<suffix>`. */
  blobEndpoint?: string | undefined;
  retry?: BlobRetrySettings;
  /** `--tenant` (DefaultAzureCredential only). */
  tenant?: string | undefined;
  /** A credential to use instead of DRIFTSCAN_STORAGE_TOKEN / DefaultAzureCredential (tests). */
  credential?: TokenCredential;
  env?: NodeJS.ProcessEnv;
  /** `--verbose`: one line per storage call (method, blob URL without query, status, time). */
  verbose?: ((line: string) => void) | undefined;
}

export interface BlobContainer {
  readonly client: ContainerClient;
  readonly service: BlobServiceClient;
  /** The account URL, no trailing slash. */
  readonly accountUrl: string;
  readonly container: string;
  readonly credentialSource: CredentialSource | 'injected';
  /** The deadline's signal, for every call's `abortSignal`. */
  readonly abortSignal: AbortSignal;
  /** `--verbose` sink, when given. */
  readonly verbose: ((line: string) => void) | undefined;
}

/** Storage account names: 3–24 lower-case letters and digits (Microsoft.Storage naming rules). */
export function checkAccountName(name: string): string {
  if (!/^[a-z0-9]{3,24}$/.test(name)) throw usageError(`--storage-account '${name}' is not a storage account name (3-24 lower-case letters and digits)`);
  return name;
}

/** Container names: 3–63 characters, lower-case letters, digits and single hyphens, starting and ending with a letter or digit. */
export function checkContainerName(name: string): string {
  if (!/^(?=.{3,63}$)[a-z0-9]+(?:-[a-z0-9]+)*$/.test(name)) {
    throw usageError(`--container '${name}' is not a container name (3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit)`);
  }
  return name;
}

/** The account URL: `--blob-endpoint` (checked: https, no query or credentials) or the cloud's default. */
export function blobAccountUrl(account: string, cloud: AzureCloud, blobEndpoint?: string): string {
  if (blobEndpoint === undefined || blobEndpoint === '') return `https://${account}.blob.${cloud.storageSuffix}`;
  const checked = checkArmEndpoint(blobEndpoint, '--blob-endpoint');
  if (checked.insecureLoopback) {
    throw usageError(`--blob-endpoint ${checked.endpoint} is plain HTTP: Blob Storage is reached over https:// only (the Azure SDK never sends a bearer token over plain HTTP, even to loopback)`);
  }
  return checked.endpoint;
}

/** Opens the publish container on the connection. Nothing is sent until a call is made. */
export function openBlobContainer(connection: AzureConnection, options: BlobContainerOptions): BlobContainer {
  const account = checkAccountName(options.account);
  const container = checkContainerName(options.container);
  const accountUrl = blobAccountUrl(account, connection.target.cloud, options.blobEndpoint);
  const resolved = options.credential
    ? { credential: options.credential, source: 'injected' as const }
    : resolveCredential({ cloud: connection.target.cloud, tokenVariable: 'DRIFTSCAN_STORAGE_TOKEN', tenant: options.tenant, ...(options.env ? { env: options.env } : {}) });
  const base = connection.clientOptions();
  const pipelineOptions: StoragePipelineOptions & Pick<typeof base, 'tlsOptions'> = {
    userAgentOptions: { userAgentPrefix: connection.userAgent },
    retryOptions: { ...BLOB_RETRY_DEFAULTS, ...options.retry },
    audience: STORAGE_SCOPE,
    // The connection's extra certificate authority (tests that run in-process); storage-blob passes
    // pipeline options it does not know on to core-rest-pipeline.
    ...(base.tlsOptions ? { tlsOptions: base.tlsOptions } : {}),
  };
  const service = new BlobServiceClient(accountUrl, resolved.credential, pipelineOptions);
  // Every call (up to 8 at once, each through several SDK layers) listens on the deadline's one
  // signal; Node warns past 10 listeners on an EventTarget, which here is not a leak.
  setMaxListeners(100, connection.deadline.signal);
  return {
    client: service.getContainerClient(container),
    service,
    accountUrl,
    container,
    credentialSource: resolved.source,
    abortSignal: connection.deadline.signal,
    verbose: options.verbose,
  };
}
