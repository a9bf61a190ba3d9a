/**
 * Keeps every request on the ARM endpoint, with a clean path.
 *
 * - Collapses `//` in request paths. The SDK's `/{+scope}` templates turn a resource id with its
 *   leading slash into `https://management.azure.com//subscriptions/…` (azure-sdk-js.md §6), and
 *   whether ARM accepts that is not documented; ARM ids have no empty segments, so a doubled slash
 *   is always a mistake. Callers should still pass `sdkScope(id)` (`resource-id.ts`); this catches
 *   the ones that do not, including ids read back from responses.
 * - Refuses a request to any other origin. Clients follow `nextLink` URLs verbatim, and the bearer
 *   policy would attach the ARM token to whatever host a response names; a token for ARM goes to
 *   ARM only.
 */
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { DriftscanError } from '../../core/diagnostics.js';
import { collapsePathSlashes, pathOf } from '../resource-id.js';

export const pathPolicyName = 'driftscanArmPath';

export function pathPolicy(endpoint: string): PipelinePolicy {
  const origin = new URL(endpoint).origin;
  return {
    name: pathPolicyName,
    sendRequest(request, next) {
      request.url = collapsePathSlashes(request.url);
      const target = new URL(request.url).origin;
      if (target !== origin) {
        throw new DriftscanError(`refusing to send ${request.method} ${pathOf(request.url)} to ${target}: this connection talks to ${origin} only`);
      }
      return next(request);
    },
  };
}
