/**
 * Who driftscan is when it calls Azure. Two sources, chosen by the environment:
 *
 * - `DRIFTSCAN_ARM_TOKEN`: a bearer token a pipeline already holds (for example from
 *   `az account get-access-token`), used as it is until it expires. Its `exp` claim, when it is a JWT,
 *   tells the pipeline when it expires; an expired token is refused before anything is sent, with a
 *   message that never contains the token.
 * - otherwise `DefaultAzureCredential` from @azure/identity: environment service principal, workload
 *   identity federation (GitHub Actions, Azure Pipelines), managed identity, Azure CLI, Azure
 *   Developer CLI, Azure PowerShell — in that order (@azure/identity README), with `--tenant` and the
 *   cloud's authority host.
 *
 * The credential is only ever asked for the connection's explicit scope (`cloud.ts`); the policies in
 * this folder never let a client fall back to a scope derived from the endpoint.
 *
 * Blob Storage is a different token audience (`https://storage.azure.com`), so a pipeline's static
 * token for it comes in its own variable, `DRIFTSCAN_STORAGE_TOKEN` (`az account get-access-token
 * --resource https://storage.azure.com`); `DefaultAzureCredential` serves both audiences itself.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import { DriftscanError, usageError } from '../core/diagnostics.js';
import type { AzureCloud } from './cloud.js';

/** How long a static token without a readable `exp` claim is assumed to live. */
const OPAQUE_TOKEN_LIFETIME_MS = 60 * 60 * 1000;

export interface CredentialOptions {
  cloud: AzureCloud;
  /** `--tenant`: the Entra ID tenant (id or domain) to authenticate in. */
  tenant?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** The variable holding a static token for this audience (default `DRIFTSCAN_ARM_TOKEN`). */
  tokenVariable?: TokenVariable;
}

/** The environment variables a static bearer token can come from, one per token audience. */
export type TokenVariable = 'DRIFTSCAN_ARM_TOKEN' | 'DRIFTSCAN_STORAGE_TOKEN';

/** Where the credential came from, for `--verbose` and error messages (never the token itself). */
export type CredentialSource = TokenVariable | 'DefaultAzureCredential';

export interface ResolvedCredential {
  credential: TokenCredential;
  source: CredentialSource;
}

/** The `exp` claim of a JWT, in milliseconds since the epoch, or undefined for an opaque token. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' && Number.isFinite(payload.exp) ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A credential that answers every request with the same bearer token. Its expiry is the JWT's `exp`
 * (so the SDK's bearer policy never treats it as fresh longer than it is), or an hour from now for an
 * opaque token; once expired, `getToken` fails with a one-line error naming the variable.
 */
export function staticTokenCredential(token: string, from = 'DRIFTSCAN_ARM_TOKEN', now: () => number = Date.now): TokenCredential {
  const trimmed = token.trim().replace(/^Bearer\s+/i, '');
  if (trimmed === '' || /\s/.test(trimmed)) throw usageError(`${from} must hold one bearer token (no spaces or line breaks)`);
  const expiry = jwtExpiry(trimmed);
  const opaqueExpiry = now() + OPAQUE_TOKEN_LIFETIME_MS;
  return {
    async getToken(_scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
      const expiresOnTimestamp = expiry ?? opaqueExpiry;
      if (expiresOnTimestamp <= now()) {
        throw new DriftscanError(`the token in ${from} expired at ${new Date(expiresOnTimestamp).toISOString()}: get a new one (az account get-access-token)`, { kind: 'usage' });
      }
      return { token: trimmed, expiresOnTimestamp };
    },
  };
}

/** The credential for a command: the token variable (`DRIFTSCAN_ARM_TOKEN`) when set, else `DefaultAzureCredential`. */
export function resolveCredential(options: CredentialOptions): ResolvedCredential {
  const env = options.env ?? process.env;
  const variable = options.tokenVariable ?? 'DRIFTSCAN_ARM_TOKEN';
  const token = env[variable];
  if (token !== undefined && token !== '') {
    return { credential: staticTokenCredential(token, variable), source: variable };
  }
  const credential = new DefaultAzureCredential({
    ...(options.tenant ? { tenantId: options.tenant } : {}),
    authorityHost: options.cloud.authorityHost,
  });
  return { credential, source: 'DefaultAzureCredential' };
}
