/**
 * The HTTP client for issue trackers (GitHub's REST API, Azure DevOps' REST API), on
 * `@azure/core-rest-pipeline` like every driftscan client: its retry phase gets `tracker-retry.ts`
 * (429/5xx/rate-limit 403 with Retry-After, backoff, the deadline), every attempt has a timeout and
 * the notification deadline's abort signal, and any answer outside 2xx becomes one `NotifyError`
 * naming the service, the request path and the HTTP status — never the token, which only travels in
 * the `Authorization` header this module is given.
 *
 * `http://` is sent only to a loopback address (the local fakes in tests); everything else must be
 * `https://` (checked when the target is resolved, and again here).
 */
import { createDefaultHttpClient, createHttpHeaders, createPipelineFromOptions, createPipelineRequest, RestError, type HttpMethods, type Pipeline, type PipelineResponse } from '@azure/core-rest-pipeline';
import { isLoopbackHost } from '../azure/cloud.js';
import type { Deadline } from '../azure/deadline.js';
import type { RetrySettings } from '../azure/policies/retry-policy.js';
import { VERSION } from '../core/version.js';
import { NotifyError, type TrackerService } from './errors.js';
import { trackerRetryPolicy } from './tracker-retry.js';

export interface TrackerHttpOptions {
  service: TrackerService;
  /** Base URL every path is resolved against (a trailing `/` is added when missing). */
  baseUrl: string;
  /** Headers on every request: `Authorization`, `Accept`, API version headers. */
  headers: Record<string, string>;
  deadline: Deadline;
  retry?: RetrySettings | undefined;
  /** Per-attempt timeout (default 30 s). */
  attemptTimeoutMs?: number | undefined;
}

export interface TrackerRequest {
  /** Query parameters (added URL-encoded). */
  query?: Record<string, string>;
  /** A JSON body (serialised here). */
  body?: unknown;
  /** Content type of the body (default `application/json`). */
  contentType?: string;
  /** Statuses outside 2xx the caller handles itself (a 404 that means "absent"). */
  accept?: readonly number[];
}

export interface TrackerResponse {
  status: number;
  /** The parsed JSON body, or undefined for an empty or non-JSON body. */
  json: unknown;
  header(name: string): string | undefined;
}

export interface TrackerHttp {
  readonly service: TrackerService;
  send(method: HttpMethods, path: string, request?: TrackerRequest): Promise<TrackerResponse>;
}

export function createTrackerHttp(options: TrackerHttpOptions): TrackerHttp {
  const base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
  const insecure = base.protocol === 'http:';
  if (insecure && !isLoopbackHost(base.hostname)) throw new Error(`${options.service}: refusing to send a token over http:// to ${base.host}`);
  const pipeline: Pipeline = createPipelineFromOptions({ userAgentOptions: { userAgentPrefix: `driftscan/${VERSION}` }, retryOptions: { maxRetries: 0 } });
  pipeline.removePolicy({ name: 'defaultRetryPolicy' });
  pipeline.addPolicy(trackerRetryPolicy(options.service, options.deadline, options.retry), { phase: 'Retry' });
  const attempts = new WeakMap<object, number>();
  pipeline.addPolicy({ name: 'driftscanTrackerAttempts', sendRequest: (req, next) => (attempts.set(req, (attempts.get(req) ?? 0) + 1), next(req)) }, { afterPhase: 'Retry' });
  const httpClient = createDefaultHttpClient();

  return {
    service: options.service,
    async send(method, path, request = {}) {
      const url = new URL(path.replace(/^\/+/, ''), base);
      for (const [k, v] of Object.entries(request.query ?? {})) url.searchParams.set(k, v);
      const headers = createHttpHeaders(options.headers);
      if (request.body !== undefined) headers.set('Content-Type', request.contentType ?? 'application/json');
      const req = createPipelineRequest({
        url: url.toString(),
        method,
        headers,
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        timeout: options.attemptTimeoutMs ?? 30_000,
        abortSignal: options.deadline.signal,
        allowInsecureConnection: insecure,
      });
      let response: PipelineResponse;
      try {
        response = await pipeline.sendRequest(httpClient, req);
      } catch (err) {
        if (err instanceof NotifyError) throw err;
        const aborted = options.deadline.expired();
        throw new NotifyError({
          service: options.service,
          failure: aborted ? 'deadline' : 'network',
          method,
          url: req.url,
          status: err instanceof RestError ? err.statusCode : undefined,
          serviceMessage: aborted ? undefined : err instanceof Error ? err.message : String(err),
          note: aborted ? `the ${Math.round(options.deadline.timeoutMs / 1000)} s notification deadline passed` : undefined,
          attempts: attempts.get(req),
          cause: err,
        });
      }
      const json = parseJson(response);
      const status = response.status;
      if (status === 203) {
        // Azure DevOps answers a rejected personal access token with 203 and its HTML sign-in page.
        throw new NotifyError({ service: options.service, failure: 'refused', method, url: req.url, status, serviceMessage: 'answered with a sign-in page: the token was not accepted' });
      }
      if ((status < 200 || status > 299) && !(request.accept ?? []).includes(status)) {
        throw new NotifyError({
          service: options.service,
          failure: status === 408 || status === 429 || status >= 500 ? 'unavailable' : 'refused',
          method,
          url: req.url,
          status,
          serviceMessage: serviceMessage(json, response.bodyAsText ?? undefined),
          attempts: attempts.get(req),
        });
      }
      return { status, json, header: (name) => response.headers.get(name) };
    },
  };
}

function parseJson(response: PipelineResponse): unknown {
  const text = response.bodyAsText;
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** GitHub: `{ message, errors: [{ message | code, field }] }`; Azure DevOps: `{ message, typeKey }`. */
function serviceMessage(json: unknown, text: string | undefined): string | undefined {
  if (json !== null && typeof json === 'object') {
    const o = json as { message?: unknown; errors?: unknown };
    const details = Array.isArray(o.errors)
      ? o.errors.flatMap((e: { message?: unknown; code?: unknown; field?: unknown }) => {
        const m = typeof e?.message === 'string' ? e.message : typeof e?.code === 'string' ? `${typeof e.field === 'string' ? `${e.field} ` : ''}${e.code}` : '';
        return m ? [m] : [];
      })
      : [];
    const all = [typeof o.message === 'string' ? o.message : '', ...details].filter(Boolean).join(' — ');
    if (all) return all;
  }
  return text?.trim() ? text.slice(0, 300) : undefined;
}
