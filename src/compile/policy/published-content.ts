/**
 * Points compiled policy definitions at a package's published blob. `compile --content-uri-base`
 * writes definitions whose contentUri is `<base>/<name>/<name>.zip`; `publish` uploads the package
 * under a versioned, content-addressed name and then needs the same definitions with the final
 * URL — a SAS URL, or the plain blob URL plus `contentManagedIdentity`. The URL sits in two places
 * (`metadata.guestConfiguration`, which the service reads, and the DeployIfNotExists template's
 * `properties.guestConfiguration`, which ARM deploys), and both change together; nothing else does,
 * so the result is exactly what `buildPolicyDefinitions` gives for the final URL (the property
 * test in test/publish-definitions.test.ts holds the two to that).
 *
 * The definition is checked to belong to the package first (name, version, contentHash), so a
 * build/ folder whose definitions and manifest disagree is refused rather than published.
 */
import { DriftscanError } from '../../core/diagnostics.js';
import { armLiteral, armUnescape } from './arm-expression.js';
import type { PolicyDefinition, PolicyValue } from './model.js';

export interface PublishedContent {
  /** The package's final URL (with a SAS, or plain when machines read it with a managed identity). */
  contentUri: string;
  /** User-assigned identity resource id, for download without a SAS. */
  contentManagedIdentity?: string;
}

export interface PackageIdentity {
  name: string;
  version: string;
  /** Upper-case hex SHA-256. */
  contentHash: string;
}

type Json = { [key: string]: PolicyValue };

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `g` with contentUri replaced and contentManagedIdentity set (right after contentHash, where the builders put it) or removed. */
function withContent(g: Json, content: PublishedContent, literal: (s: string) => string): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(g)) {
    if (k === 'contentManagedIdentity') continue;
    out[k] = k === 'contentUri' ? literal(content.contentUri) : v;
    if (k === 'contentHash' && content.contentManagedIdentity !== undefined) out.contentManagedIdentity = literal(content.contentManagedIdentity);
  }
  return out;
}

/**
 * `definition` (parsed from `file`) for `pkg`, pointing at `content`. Throws a DriftscanError
 * naming the file when it is not a guest configuration definition of this package.
 */
export function withPublishedContent(definition: unknown, file: string, pkg: PackageIdentity, content: PublishedContent): PolicyDefinition {
  const fail = (what: string) => new DriftscanError(what, { location: { file } });
  if (!isObject(definition) || !isObject(definition.properties)) throw fail('not a policy definition (no properties object)');
  const props = definition.properties;
  const metadata = props.metadata;
  if (!isObject(metadata) || !isObject(metadata.guestConfiguration)) throw fail('not a Machine Configuration policy definition (no properties.metadata.guestConfiguration)');
  const g = metadata.guestConfiguration;
  for (const [field, want] of [['name', pkg.name], ['version', pkg.version], ['contentHash', pkg.contentHash]] as const) {
    if (g[field] !== want) {
      throw fail(`properties.metadata.guestConfiguration.${field} is ${JSON.stringify(g[field])} but the manifest says ${JSON.stringify(want)} for package ${pkg.name}: ` +
        'build/ is inconsistent, run driftscan compile');
    }
  }
  const rule = props.policyRule;
  const details = isObject(rule) && isObject(rule.then) && isObject(rule.then.details) ? rule.then.details : undefined;
  let newDetails = details;
  if (details && details.deployment !== undefined) {
    const deployment = details.deployment;
    const template = isObject(deployment) && isObject(deployment.properties) && isObject(deployment.properties.template) ? deployment.properties.template : undefined;
    const resources = template?.resources;
    if (!template || !Array.isArray(resources)) throw fail('the DeployIfNotExists deployment has no template resources');
    const newResources = resources.map((r, i) => {
      const rg = isObject(r) && isObject(r.properties) && isObject(r.properties.guestConfiguration) ? r.properties.guestConfiguration : undefined;
      if (!isObject(r) || !isObject(r.properties) || !rg) throw fail(`template resource ${i} has no properties.guestConfiguration`);
      if (typeof rg.contentHash !== 'string' || armUnescape(rg.contentHash) !== pkg.contentHash) {
        throw fail(`template resource ${i} deploys contentHash ${JSON.stringify(rg.contentHash)}, not the package's ${pkg.contentHash}: build/ is inconsistent, run driftscan compile`);
      }
      // Arc-enabled servers download content with the machine's own identity only: a user-assigned
      // identity is for Azure VMs (New-GuestConfigurationPolicy -ManagedIdentityResourceId requires -ExcludeArcMachines).
      if (content.contentManagedIdentity !== undefined && typeof r.type === 'string' && /^Microsoft\.HybridCompute\//i.test(r.type)) {
        throw fail('the definition also targets Arc-enabled servers, which cannot download content with a user-assigned managed identity: publish with a SAS instead');
      }
      return { ...r, properties: { ...r.properties, guestConfiguration: withContent(rg, content, armLiteral) } };
    });
    const newTemplate = { ...template, resources: newResources };
    const dep = deployment as Json & { properties: Json };
    newDetails = { ...details, deployment: { ...dep, properties: { ...dep.properties, template: newTemplate } } };
  }
  const newRule = newDetails === details ? rule : { ...(rule as Json), then: { ...((rule as Json).then as Json), details: newDetails! } };
  return {
    ...(definition as unknown as PolicyDefinition),
    properties: {
      ...(props as unknown as PolicyDefinition['properties']),
      metadata: { ...(metadata as unknown as PolicyDefinition['properties']['metadata']), guestConfiguration: withContent(g, content, (s) => s) as unknown as PolicyDefinition['properties']['metadata']['guestConfiguration'] },
      policyRule: newRule as unknown as PolicyDefinition['properties']['policyRule'],
    },
  };
}
