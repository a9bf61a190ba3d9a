/**
 * Stable names for what `deploy` creates, so a rerun updates in place instead of creating anew.
 * Definitions and set definitions keep the names compile gave them (baseline name + effect).
 *
 * - Policy assignment names: ARM allows 64 characters at subscription scope but only **24** at
 *   management group scope (learn.microsoft.com/azure/governance/policy/concepts/assignment-structure;
 *   the REST spec only has the character pattern `^[^<>*%&:\?.+/]*[^<>*%&:\?.+/ ]+$`). driftscan
 *   always keeps to 24, so moving a deployment between scopes never renames it.
 * - Exemption names: at most 64 characters, same character rules.
 * - Role assignment names are GUIDs: a version-5 UUID of scope, role and policy assignment.
 */
import { createHash } from 'node:crypto';
import { uuidV5 } from './deterministic-uuid.js';

export const MAX_ASSIGNMENT_NAME = 24;
export const MAX_EXEMPTION_NAME = 64;

/** driftscan's UUID namespace for role assignment names (a fixed random UUID: never change it). */
export const ROLE_ASSIGNMENT_NAMESPACE = '5c0e3a0e-6b1f-4d6e-9a55-0d1f7e2b9c41';

function digest(s: string, n: number): string {
  return createHash('sha256').update(s, 'utf8').digest('hex').slice(0, n);
}

function clean(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '-').replace(/-+/g, '-').replace(/^-+|-+$/g, '');
}

/** `policies-initiative` → `driftscan-policies`; longer stems are cut and keep a digest of the set name. */
export function assignmentName(setDefinitionName: string): string {
  const stem = clean(setDefinitionName.replace(/-initiative$/, '')) || 'baselines';
  const plain = `driftscan-${stem}`;
  if (plain.length <= MAX_ASSIGNMENT_NAME) return plain;
  const tail = `-${digest(setDefinitionName, 6)}`;
  return `ds-${stem.slice(0, MAX_ASSIGNMENT_NAME - 3 - tail.length).replace(/-+$/, '')}${tail}`;
}

/** `driftscan-policies` + `rdp-hardening` → `driftscan-policies-rdp-hardening-waiver`. */
export function exemptionName(assignment: string, baselineName: string): string {
  const plain = `${assignment}-${clean(baselineName)}-waiver`;
  if (plain.length <= MAX_EXEMPTION_NAME && clean(baselineName) === baselineName) return plain;
  const tail = `-${digest(`${assignment}/${baselineName}`, 8)}-waiver`;
  return `${assignment}-${clean(baselineName).slice(0, MAX_EXEMPTION_NAME - assignment.length - 1 - tail.length).replace(/-+$/, '')}${tail}`;
}

/** The GUID name of the role assignment granting `roleGuid` at `scope` to `policyAssignmentId`'s identity. */
export function roleAssignmentName(scope: string, roleGuid: string, policyAssignmentId: string): string {
  return uuidV5(ROLE_ASSIGNMENT_NAMESPACE, `${scope.toLowerCase()}|${roleGuid.toLowerCase()}|${policyAssignmentId.toLowerCase()}`);
}
