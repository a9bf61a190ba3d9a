/**
 * What driftscan manages in Azure, and how it recognises it again. Delete candidates are exactly the
 * resources that carry this mark and that the current build no longer produces; anything without
 * it — built-ins, other teams' policies, role assignments made in the portal — is never updated or
 * deleted by `deploy`, whatever its name.
 *
 * - policy definitions, set definitions, assignments and exemptions: `properties.metadata.driftscan`
 *   = `{ managedBy: "driftscan" }` (metadata is free-form in all four; ARM keeps unknown keys);
 * - role assignments have no metadata: their `description` ends with MANAGED_SUFFIX.
 */
export const MANAGED_BY = 'driftscan';
export const MANAGED_SUFFIX = '(managed by driftscan deploy)';

/** The mark written into `properties.metadata.driftscan`. */
export function managedMark(extra: Record<string, string> = {}): { managedBy: string } & Record<string, string> {
  return { managedBy: MANAGED_BY, ...extra };
}

type Resource = { properties?: { metadata?: unknown; description?: unknown } } | undefined;

/** True when `r` carries driftscan's metadata mark. */
export function hasManagedMetadata(r: Resource): boolean {
  const m = r?.properties?.metadata as { driftscan?: { managedBy?: unknown } } | undefined;
  return m?.driftscan?.managedBy === MANAGED_BY;
}

/** True when a role assignment's description says driftscan made it. */
export function hasManagedDescription(r: Resource): boolean {
  const d = r?.properties?.description;
  return typeof d === 'string' && d.endsWith(MANAGED_SUFFIX);
}
