/**
 * The Azure SDK logs through @azure/logger (and its runtime through @typespec/ts-http-runtime's
 * logger) when `AZURE_LOG_LEVEL` / `TYPESPEC_RUNTIME_LOG_LEVEL` is set, by default straight to
 * stderr — past driftscan's redacting console. Both loggers' `log` functions are pointed at a sink
 * that prints through `io/console.ts`, so SDK diagnostics a user turns on still never show a token
 * or a SAS. The SDK's log policy already replaces the Authorization header with REDACTED; the
 * console catches what it does not (query parameters, tokens inside messages).
 */
import { format } from 'node:util';
import { AzureLogger } from '@azure/logger';
import { TypeSpecRuntimeLogger } from '@typespec/ts-http-runtime';

/** Sends every Azure SDK log line to `sink` (one call per line). */
export function routeAzureSdkLogs(sink: (line: string) => void): void {
  const write = (...args: unknown[]) => {
    for (const line of format(...args).split(/\r?\n/)) if (line !== '') sink(line);
  };
  AzureLogger.log = write;
  TypeSpecRuntimeLogger.log = write;
}
