/**
 * Bearer authentication with the connection's explicit scope, for every client.
 *
 * Over HTTPS this is the SDK's own `bearerTokenAuthenticationPolicy` (token caching and refresh
 * before expiry, continuous access evaluation challenges), given the scope explicitly so no client
 * falls back to `${endpoint}/.default`. That policy refuses plain-HTTP URLs whatever the options
 * (azure-sdk-js.md §4.2), so for an `http://` loopback endpoint — a local proxy or the emulator
 * without TLS; `cloud.ts` refuses plain HTTP anywhere else — a minimal policy sets the same header
 * from the same credential, and still refuses any non-loopback plain-HTTP URL (a nextLink pointing
 * elsewhere must not receive the token).
 */
import { bearerTokenAuthenticationPolicy, type PipelinePolicy } from '@azure/core-rest-pipeline';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { DriftscanError } from '../../core/diagnostics.js';
import { isLoopbackHost } from '../cloud.js';

export const authPolicyName = 'driftscanBearerAuth';

/** Refresh a cached token this long before it expires. */
const REFRESH_MARGIN_MS = 2 * 60 * 1000;

function loopbackBearerPolicy(credential: TokenCredential, scopes: string[]): PipelinePolicy {
  let cached: AccessToken | undefined;
  return {
    name: authPolicyName,
    async sendRequest(request, next) {
      const url = new URL(request.url);
      if (url.protocol !== 'https:' && !isLoopbackHost(url.hostname)) {
        throw new DriftscanError(`refusing to send a bearer token over plain HTTP to ${url.origin}`);
      }
      if (!cached || cached.expiresOnTimestamp - REFRESH_MARGIN_MS <= Date.now()) {
        const token = await credential.getToken(scopes, { abortSignal: request.abortSignal as AbortSignal | undefined });
        if (!token) throw new DriftscanError(`the credential returned no token for ${scopes.join(' ')}`);
        cached = token;
      }
      request.headers.set('authorization', `Bearer ${cached.token}`);
      return next(request);
    },
  };
}

/** The auth policy for a connection (added in the `Sign` phase). */
export function authPolicy(credential: TokenCredential, scopes: string[], insecureLoopback: boolean): PipelinePolicy {
  if (insecureLoopback) return loopbackBearerPolicy(credential, scopes);
  return { ...bearerTokenAuthenticationPolicy({ credential, scopes }), name: authPolicyName };
}
