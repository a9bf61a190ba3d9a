/** Every rule kind driftscan knows. A new kind is one module plus one entry here. */
import type { RuleKind } from './kind.js';
import { registryValue } from './registry-value.js';
import { registryKey } from './registry-key.js';
import { registryAcl } from './registry-acl.js';
import { service } from './service.js';
import { userRight } from './user-right/index.js';

export const RULE_KINDS: readonly RuleKind<any>[] = [registryValue, registryKey, registryAcl, service, userRight];

/** The kind registered under `name`, or undefined. */
export function ruleKind(name: string): RuleKind<any> | undefined {
  return RULE_KINDS.find((k) => k.name === name);
}
