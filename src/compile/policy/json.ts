/**
 * Policy JSON files as driftscan writes them. Objects are built with a fixed key order, so plain
 * `JSON.stringify` is deterministic; two-space indent and a final newline keep diffs readable.
 * `JSON.stringify` escapes every control character and quote, so no value can break the file.
 */
import type { PolicyDefinition, PolicySetDefinition } from './model.js';

/** The file text of a policy or policy set definition. */
export function policyJson(resource: PolicyDefinition | PolicySetDefinition): string {
  return `${JSON.stringify(resource, null, 2)}\n`;
}
