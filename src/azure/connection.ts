/**
 * The Azure connection every driftscan command shares: where ARM is (`cloud.ts`), who is calling
 * (`credential.ts`), and one pipeline configuration that every client built through it gets,
 * whatever the client (HLC `@azure/arm-*` clients or `@azure-rest/core-client`):
 *
 * | policy (file) | pipeline place | what it does |
 * |---|---|---|
 * | `policies/error-policy.ts` | per call | every failure → one-line `AzureError` |
 * | `policies/deadline-policy.ts` | per call | the command's one overall deadline on every request |
 * | `policies/path-policy.ts` | per call | no `//` in request paths |
 * | `policies/retry-policy.ts` | Retry phase (replaces the SDK's) | Retry-After / retry-after-ms / x-ms-retry-after-ms, bare 429, 5xx, dropped connections, capped by the deadline |
 * | `policies/pacing-policy.ts` | after Retry | paces writes on `x-ms-ratelimit-remaining-*` |
 * | `policies/auth-policy.ts` | Sign phase (replaces the client's) | bearer token for the explicit scope |
 * | `policies/log-policy.ts` | after Sign, `--verbose` only | one redacted line per attempt |
 *
 * plus the user agent `driftscan/<version>` ahead of the SDK's own, and SDK logging routed through
 * the redacting console (`sdk-logging.ts`). Client factories (`policy-client.ts`,
 * `subscription-client.ts`, `arm-rest-client.ts`) build clients on it; nothing else in driftscan
 * imports an `@azure/*` package.
 */
import { rootCertificates } from 'node:tls';
import type { TokenCredential } from '@azure/core-auth';
import { bearerTokenAuthenticationPolicyName, type Pipeline, type PipelineOptions } from '@azure/core-rest-pipeline';
import { VERSION } from '../core/version.js';
import { stderr } from '../io/console.js';
import { resolveArmTarget, type ArmTarget, type TargetOptions } from './cloud.js';
import { resolveCredential, type CredentialSource } from './credential.js';
import { createDeadline, type Deadline } from './deadline.js';
import { authPolicy } from './policies/auth-policy.js';
import { deadlinePolicy } from './policies/deadline-policy.js';
import { errorPolicy } from './policies/error-policy.js';
import { requestLogPolicy } from './policies/log-policy.js';
import { writePacer, type PacingSettings, type WritePacer } from './policies/pacing-policy.js';
import { pathPolicy } from './policies/path-policy.js';
import { armRetryPolicy, attemptCountPolicy, type AttemptLedger, type RetrySettings } from './policies/retry-policy.js';
import { routeAzureSdkLogs } from './sdk-logging.js';

/** A command's default overall deadline: 30 minutes. */
export const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

/** The name of the SDK's default retry policy, which `configure` replaces. */
const SDK_RETRY_POLICY_NAME = 'defaultRetryPolicy';

export interface ConnectionOptions extends TargetOptions {
  /** `--tenant` (DefaultAzureCredential only). */
  tenant?: string | undefined;
  /** The command's overall deadline in milliseconds (default 30 minutes). */
  timeoutMs?: number | undefined;
  retry?: RetrySettings;
  pacing?: PacingSettings;
  /** Sink for `--verbose` request lines (printed redacted); quiet when absent. */
  verbose?: ((line: string) => void) | undefined;
  /** A credential to use instead of DRIFTSCAN_ARM_TOKEN / DefaultAzureCredential. */
  credential?: TokenCredential;
  /**
   * PEM of one more certificate authority to trust, on top of Node's list. For tests that start the
   * ARM emulator inside their own process; users (and spawned processes) use `NODE_EXTRA_CA_CERTS`.
   */
  extraCaPem?: string | undefined;
}

export interface AzureConnection {
  readonly target: ArmTarget;
  /** The ARM endpoint, no trailing slash. */
  readonly endpoint: string;
  /** The token scopes every request is authorised for. */
  readonly scopes: string[];
  readonly credential: TokenCredential;
  readonly credentialSource: CredentialSource | 'injected';
  readonly deadline: Deadline;
  /** `driftscan/<version>`, the user-agent prefix. */
  readonly userAgent: string;
  readonly pacer: WritePacer;
  /** Subscription display names by lower-case id, filled by `listSubscriptions`; names the subscription in a 403. */
  readonly subscriptionNames: Map<string, string>;
  /** Options for any Azure SDK client constructor (endpoint, scopes, user agent, TLS). */
  clientOptions(): PipelineOptions & { endpoint: string; credentialScopes: string[] };
  /** Replaces the client's retry and auth policies with driftscan's and adds the rest; returns the client. */
  configure<T extends { pipeline: Pipeline }>(client: T): T;
  /** Stops the deadline timer. */
  close(): void;
}

/** Opens the connection for a command. Nothing is sent until a client makes a call. */
export function openAzureConnection(options: ConnectionOptions = {}): AzureConnection {
  const target = resolveArmTarget(options);
  const scopes = [target.cloud.armScope];
  const resolved = options.credential
    ? { credential: options.credential, source: 'injected' as const }
    : resolveCredential({ cloud: target.cloud, tenant: options.tenant, ...(options.env ? { env: options.env } : {}) });
  const deadline = createDeadline(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const pacer = writePacer(options.pacing);
  const attempts: AttemptLedger = new WeakMap();
  const subscriptionNames = new Map<string, string>();
  const userAgent = `driftscan/${VERSION}`;
  const verbose = options.verbose;
  routeAzureSdkLogs(verbose ?? ((line) => stderr.line(line)));

  const connection: AzureConnection = {
    target,
    endpoint: target.endpoint,
    scopes,
    credential: resolved.credential,
    credentialSource: resolved.source,
    deadline,
    userAgent,
    pacer,
    subscriptionNames,
    clientOptions() {
      return {
        endpoint: target.endpoint,
        credentialScopes: scopes,
        userAgentOptions: { userAgentPrefix: userAgent },
        allowInsecureConnection: target.insecureLoopback,
        // `configure` replaces the retry policy; no SDK retries in the meantime.
        retryOptions: { maxRetries: 0 },
        ...(options.extraCaPem ? { tlsOptions: { ca: [...rootCertificates, options.extraCaPem] } } : {}),
      } as PipelineOptions & { endpoint: string; credentialScopes: string[] };
    },
    configure(client) {
      const p = client.pipeline;
      p.removePolicy({ name: SDK_RETRY_POLICY_NAME });
      p.removePolicy({ name: bearerTokenAuthenticationPolicyName });
      p.addPolicy(errorPolicy(attempts, subscriptionNames));
      p.addPolicy(deadlinePolicy(deadline, attempts));
      p.addPolicy(pathPolicy(target.endpoint));
      p.addPolicy(armRetryPolicy(deadline, options.retry), { phase: 'Retry' });
      p.addPolicy(attemptCountPolicy(attempts), { afterPhase: 'Retry' });
      p.addPolicy(pacer.policy, { afterPhase: 'Retry' });
      p.addPolicy(authPolicy(resolved.credential, scopes, target.insecureLoopback), { phase: 'Sign' });
      if (verbose) p.addPolicy(requestLogPolicy(verbose), { afterPhase: 'Sign' });
      return client;
    },
    close() {
      deadline.dispose();
    },
  };
  return connection;
}
