/**
 * Adapter from compiled packages to the Azure Policy files written beside them, built by
 * `src/compile/policy/`: `<name>/<name>_AuditIfNotExists.json` for every package,
 * `<name>/<name>_DeployIfNotExists.json` for enforcing ones (an Audit package cannot back an
 * Apply policy, §3.1), and one initiative per baseline folder under `initiatives/`.
 * Policies need the package's final URL: without `--content-uri-base` none are written.
 */
import { basename, dirname } from 'node:path';
import { buildInitiative, buildPolicyDefinitions, policyJson, type InitiativeOptions, type PolicyDefinition } from './policy/index.js';
import type { CompiledPackage, OutputFile } from './compiler.js';

/**
 * Policy definition and initiative files for the packages (empty without content URIs).
 * `options.definitionScope` is where the definitions will be created, so initiative members can
 * reference them (`--policy-scope`).
 */
export function policyFiles(packages: readonly CompiledPackage[], options: InitiativeOptions = {}): OutputFile[] {
  const files: OutputFile[] = [];
  const byFolder = new Map<string, { defs: PolicyDefinition[]; baselines: CompiledPackage['baseline'][] }>();
  for (const p of packages) {
    if (!p.contentUri) continue;
    const c = p.configuration;
    const defs = buildPolicyDefinitions({
      baseline: p.baseline,
      packageName: c.name,
      version: c.version,
      contentUri: p.contentUri,
      contentHash: p.package.contentHash,
      assignmentType: c.assignmentType,
      configurationParameters: c.parameters.map((x) => ({ ruleId: x.ruleId, property: x.property, param: x.definition, mofName: x.reference })),
    });
    const emitted = [defs.auditIfNotExists];
    files.push({ path: `${c.name}/${c.name}_AuditIfNotExists.json`, data: policyJson(defs.auditIfNotExists) });
    if (c.assignmentType !== 'Audit') {
      files.push({ path: `${c.name}/${c.name}_DeployIfNotExists.json`, data: policyJson(defs.deployIfNotExists) });
      emitted.push(defs.deployIfNotExists);
    }
    const folder = basename(dirname(p.baseline.file)) || 'baselines';
    const entry = byFolder.get(folder) ?? { defs: [], baselines: [] };
    entry.defs.push(...emitted);
    entry.baselines.push(p.baseline);
    byFolder.set(folder, entry);
  }
  for (const [folder, { defs, baselines }] of [...byFolder].sort(([a], [b]) => (a < b ? -1 : 1))) {
    files.push({ path: `initiatives/${folder}.json`, data: policyJson(buildInitiative(folder, defs, baselines, options)) });
  }
  return files;
}
