/**
 * Stable resource names. Azure identifies a policy (set) definition by its name within a scope,
 * so a name derived only from the baseline (no GUID, no clock) makes a redeploy update the
 * definition in place and keeps existing assignments attached. Policy definition names may not
 * contain `<>*%&:\?.+/` or control characters and are limited to 64 characters at management
 * group scope; driftscan keeps to `[A-Za-z0-9_-]`, which is valid at every scope.
 */
import { createHash } from 'node:crypto';
import { armStringLiteral } from './arm-expression.js';

/** The Azure limit for policy and policy set definition names (management group scope). */
export const MAX_POLICY_NAME = 64;

/** Short, deterministic digest of `s`, for names that had to be cut or cleaned. */
function digest(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 8);
}

/**
 * `stem` + `-` + `suffix`, cleaned to `[A-Za-z0-9_-]` and at most 64 characters. When the stem
 * had to change, a digest of the original keeps distinct stems distinct.
 */
function stableName(stem: string, suffix: string): string {
  const clean = stem.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^-+|-+$/g, '') || 'baseline';
  const plain = `${clean}-${suffix}`;
  if (clean === stem && plain.length <= MAX_POLICY_NAME) return plain;
  const tail = `-${digest(stem)}-${suffix}`;
  return `${clean.slice(0, MAX_POLICY_NAME - tail.length).replace(/-+$/, '')}${tail}`;
}

/** `rdp-hardening` → `rdp-hardening-aine` / `rdp-hardening-dine`. */
export function policyDefinitionName(baselineName: string, effect: 'aine' | 'dine'): string {
  return stableName(baselineName, effect);
}

/** The policy set (initiative) for a baseline folder: `policies` → `policies-initiative`. */
export function policySetDefinitionName(folderName: string): string {
  const base = folderName.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? folderName;
  return stableName(base, 'initiative');
}

/**
 * The guest assignment name expression the GuestConfiguration module uses: configuration name,
 * literal `$pid`, then a uniqueString per policy assignment and definition reference, so several
 * assignments of one package on one machine do not collide (machine-configuration.md §3.4).
 */
export function guestAssignmentNameExpression(configurationName: string): string {
  return `[concat(${armStringLiteral(`${configurationName}$pid`)}, uniqueString(policy().assignmentId, policy().definitionReferenceId))]`;
}
