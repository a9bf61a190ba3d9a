/**
 * One line per failed call to an issue tracker, naming the service, what was asked (method and
 * path, never the query or a header) and what the service answered (status and its own message).
 * The token is never part of it: it travels in a header this error does not keep, and the message
 * is redacted (a service that echoes the credential back is redacted too: `core/redact.ts`).
 *
 * A `service` error, like `AzureError`: the CLI exits 3 when nothing else failed first.
 */
import { DriftscanError } from '../core/diagnostics.js';
import { redactSecrets } from '../core/redact.js';
import { oneLine } from '../azure/errors.js';
import { pathOf } from '../azure/resource-id.js';

export type TrackerService = 'GitHub' | 'Azure DevOps';

export type NotifyFailure = 'refused' | 'unavailable' | 'network' | 'deadline';

export interface NotifyErrorInit {
  service: TrackerService;
  failure: NotifyFailure;
  method: string;
  /** The request URL; only its path is kept. */
  url: string;
  status?: number | undefined;
  serviceMessage?: string | undefined;
  attempts?: number | undefined;
  note?: string | undefined;
  cause?: unknown;
}

const MAX_SERVICE_MESSAGE = 300;

export class NotifyError extends DriftscanError {
  readonly service: TrackerService;
  readonly failure: NotifyFailure;
  readonly status: number | undefined;

  constructor(init: NotifyErrorInit) {
    super(formatNotifyError(init), { kind: 'service', cause: init.cause });
    this.name = 'NotifyError';
    this.service = init.service;
    this.failure = init.failure;
    this.status = init.status;
  }
}

function formatNotifyError(init: NotifyErrorInit): string {
  const what = `${init.method.toUpperCase()} ${pathOf(init.url)}`;
  const said = init.serviceMessage ? oneLine(init.serviceMessage, MAX_SERVICE_MESSAGE) : '';
  const reply = [init.status === undefined ? '' : `HTTP ${init.status}`, said].filter(Boolean).join(': ');
  const extra = [init.note, init.attempts !== undefined && init.attempts > 1 ? `${init.attempts} attempts` : ''].filter(Boolean).join(', ');
  let head: string;
  switch (init.failure) {
    case 'refused':
      head = init.status === 401 ? `${init.service} did not accept the token for ${what}`
        : init.status === 403 ? `${init.service} gave the token no permission for ${what}`
          : init.status === 404 ? `${init.service} found nothing at ${what}`
            : `${init.service} refused ${what}`;
      break;
    case 'unavailable':
      head = `${init.service} kept failing ${what}`;
      break;
    case 'network':
      head = `no answer from ${init.service} for ${what}`;
      break;
    case 'deadline':
      head = `gave up on ${init.service} for ${what}`;
      break;
  }
  return redactSecrets(`${head}${reply ? `: ${reply}` : ''}${extra ? ` (${extra})` : ''}`);
}
