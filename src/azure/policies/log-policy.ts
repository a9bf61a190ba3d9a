/**
 * One line per attempt for `--verbose`: method, URL, status (or the transport error) and time
 * taken, handed to a sink that prints through the redacting console (`io/console.ts`), so a SAS in
 * a blob URL or a token echoed by a proxy never reaches a CI log. Headers and bodies are not logged.
 * Added after the `Sign` phase: it sees each attempt as sent, after retries and authentication.
 */
import type { PipelinePolicy } from '@azure/core-rest-pipeline';

export const requestLogPolicyName = 'driftscanRequestLog';

export function requestLogPolicy(sink: (line: string) => void, now: () => number = Date.now): PipelinePolicy {
  return {
    name: requestLogPolicyName,
    async sendRequest(request, next) {
      const started = now();
      try {
        const response = await next(request);
        sink(`azure: ${request.method} ${request.url} → ${response.status} (${now() - started} ms)`);
        return response;
      } catch (err) {
        const code = (err as { code?: string }).code ?? (err as Error).name;
        sink(`azure: ${request.method} ${request.url} → ${code} (${now() - started} ms)`);
        throw err;
      }
    },
  };
}
