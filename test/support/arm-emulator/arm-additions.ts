/**
 * What ARM adds on its own to Azure Policy resources it stores, so a client that compares its
 * desired body with ARM's answer is tested against the extra keys it will meet: Azure Policy stamps
 * `metadata.createdBy`, `createdOn`, `updatedBy` and `updatedOn` on custom definitions, set
 * definitions and assignments ("Azure Policy definition structure — metadata": "the following
 * properties are set by Azure Policy"; learn.microsoft.com/azure/governance/policy/concepts/
 * definition-structure-basics). `createdBy`/`createdOn` survive updates; `updated*` change with
 * each write. Only `metadata` is touched: it is a free-form object in every spec version, so the
 * answers stay spec-valid.
 */
type Json = Record<string, unknown>;

/** The emulator's caller, as its 403 messages name it. */
const CALLER = '00000000-0000-0000-0000-0000000000aa';

const STAMPED = new Set(['microsoft.authorization/policydefinitions', 'microsoft.authorization/policysetdefinitions', 'microsoft.authorization/policyassignments']);

/** Adds ARM's own metadata to `properties` of a resource of `type` being written (mutates it). */
export function addArmMetadata(type: string, properties: Json, existing: Json | undefined): void {
  if (!STAMPED.has(type.toLowerCase())) return;
  const now = new Date().toISOString();
  const before = ((existing?.properties as Json | undefined)?.metadata as Json | undefined) ?? {};
  const given = properties.metadata !== null && typeof properties.metadata === 'object' ? (properties.metadata as Json) : {};
  properties.metadata = {
    ...given,
    createdBy: before.createdBy ?? CALLER,
    createdOn: before.createdOn ?? now,
    updatedBy: existing ? CALLER : null,
    updatedOn: existing ? now : null,
  };
}
