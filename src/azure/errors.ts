/**
 * One line per Azure failure, naming what was asked of which resource and what ARM answered.
 *
 * ARM answers errors with `{ "error": { "code", "message", "details"? } }` (common-types
 * `ErrorResponse`, Azure REST API guidelines); a few resource providers put `code`/`message` at the
 * top level. `AzureError` keeps status, code, method and resource for callers that handle a case
 * (a 404 during a plan means "create"), and its message is what the CLI prints: redacted, one line.
 *
 * `failure` tells the CLI how the call ended: `refused` (a 4xx the caller can fix: permissions, a bad
 * body), `unavailable` (429/5xx that kept coming after every retry), `network` (no answer: reset,
 * refused, DNS), `deadline` (the command's overall deadline passed). Every AzureError is a `service`
 * error: the CLI exits 3 (the last three mean the service failed; `refused` means Azure said no —
 * a permission, a policy, a body it rejects — which re-running the same input will not fix).
 */
import { DriftscanError } from '../core/diagnostics.js';
import { redactSecrets } from '../core/redact.js';
import { pathOf, subscriptionOf } from './resource-id.js';

export type AzureFailure = 'refused' | 'unavailable' | 'network' | 'deadline';

export interface AzureErrorInit {
  failure: AzureFailure;
  method: string;
  /** The request URL; only its path is kept (the query may hold a SAS or a skip token). */
  url: string;
  status?: number | undefined;
  code?: string | undefined;
  /** The service's own message (or the network error's). */
  serviceMessage?: string | undefined;
  attempts?: number | undefined;
  /** Display names of subscriptions by id, to name the subscription in a 403. */
  subscriptionName?: string | undefined;
  /** Extra words appended in parentheses (`the 10 m deadline (--timeout)`). */
  note?: string | undefined;
  cause?: unknown;
}

const MAX_SERVICE_MESSAGE = 400;

/** A failed Azure call, as one line; `status`/`code` stay available for callers that handle it. */
export class AzureError extends DriftscanError {
  readonly failure: AzureFailure;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly method: string;
  /** The resource path the request was for (`/subscriptions/…/policyDefinitions/x`). */
  readonly resource: string;
  readonly subscription: string | undefined;
  readonly attempts: number | undefined;

  constructor(init: AzureErrorInit) {
    super(formatAzureError(init), { kind: 'service', cause: init.cause });
    this.name = 'AzureError';
    this.failure = init.failure;
    this.status = init.status;
    this.code = init.code;
    this.method = init.method.toUpperCase();
    this.resource = pathOf(init.url);
    this.subscription = subscriptionOf(this.resource);
    this.attempts = init.attempts;
  }
}

/** True for an AzureError with HTTP status 404 (the resource does not exist). */
export function isNotFound(err: unknown): boolean {
  return err instanceof AzureError && err.status === 404;
}

/** A service's message on one line, cut to `max` characters: services answer with pages of text. */
export function oneLine(text: string, max = MAX_SERVICE_MESSAGE): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function formatAzureError(init: AzureErrorInit): string {
  const what = `${init.method.toUpperCase()} ${pathOf(init.url)}`;
  const answer = [init.status, init.code].filter((x) => x !== undefined && x !== '').join(' ');
  const said = init.serviceMessage ? oneLine(init.serviceMessage) : '';
  const reply = [answer, said].filter(Boolean).join(': ');
  const tries = init.attempts !== undefined && init.attempts > 1 ? `${init.attempts} attempts` : '';
  const extra = [init.note, tries].filter(Boolean).join(', ');
  let head: string;
  switch (init.failure) {
    case 'refused': {
      const sub = subscriptionOf(pathOf(init.url));
      if (init.status === 403 && sub) {
        const name = init.subscriptionName ? `'${init.subscriptionName}' (${sub})` : sub;
        head = `no permission in subscription ${name} for ${what}`;
      } else if (init.status === 403) head = `no permission for ${what}`;
      else if (init.status === 401) head = `Azure did not accept the credential for ${what}`;
      else if (init.status === 404) head = `not found: ${what}`;
      else head = `Azure refused ${what}`;
      break;
    }
    case 'unavailable':
      head = `Azure kept failing ${what}`;
      break;
    case 'network':
      head = `no answer from Azure for ${what}`;
      break;
    case 'deadline':
      head = `gave up on ${what}`;
      break;
  }
  const line = `${head}${reply ? `: ${reply}` : ''}${extra ? ` (${extra})` : ''}`;
  return redactSecrets(line);
}

/** `code` and `message` of an ARM error body (`{error:{code,message}}` or `{code,message}`). */
export function parseArmError(body: unknown): { code?: string; message?: string } {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return body.trim() ? { message: body } : {};
    }
  }
  if (value === null || typeof value !== 'object') return {};
  const outer = value as { error?: unknown; code?: unknown; message?: unknown };
  const inner = (outer.error !== null && typeof outer.error === 'object' ? outer.error : outer) as { code?: unknown; message?: unknown; details?: unknown };
  // `details` often says what is wrong (Resource Graph: the query error; validation: the field).
  const details = Array.isArray(inner.details)
    ? inner.details.flatMap((d: { code?: unknown; message?: unknown }) => (typeof d?.message === 'string' ? [`${typeof d.code === 'string' ? `${d.code}: ` : ''}${d.message}`] : []))
    : [];
  const message = [typeof inner.message === 'string' ? inner.message : '', ...details].filter(Boolean).join(' — ');
  return {
    ...(typeof inner.code === 'string' ? { code: inner.code } : {}),
    ...(message ? { message } : {}),
  };
}
