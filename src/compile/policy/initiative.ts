/**
 * One policy set (initiative) per baseline folder, so a team assigns its whole folder once.
 * Every member definition's parameters are passed through as set parameters. Set parameter
 * names must not change when another baseline joins the folder (renaming a parameter that
 * assignments set is a breaking update), so they are namespaced by what they belong to:
 * `<baseline>_<parameter>` for baseline parameters, `<definition>_effect` for effects, and one
 * shared `IncludeArcMachines`.
 */
import { basename } from 'node:path';
import type { Baseline } from '../../rules/model.js';
import { INCLUDE_ARC_PARAMETER } from './conditions.js';
import type { PolicyDefinition, PolicyDefinitionReference, PolicyParameter, PolicySetDefinition } from './model.js';
import { displayText, MAX_DESCRIPTION, MAX_DISPLAY_NAME } from './display-text.js';
import { policySetDefinitionName } from './names.js';
import { EFFECT_PARAMETER } from './parameters.js';

export interface InitiativeOptions {
  /**
   * Where the member definitions are deployed: `/subscriptions/<id>` or
   * `/providers/Microsoft.Management/managementGroups/<id>`. Member ids are
   * `<scope>/providers/Microsoft.Authorization/policyDefinitions/<name>`; without a scope they
   * start at `/providers/…`, which Azure resolves only for built-ins: pass the scope to deploy.
   */
  definitionScope?: string;
}

/** The set parameter a member definition's parameter is exposed as. */
export function initiativeParameterName(definition: PolicyDefinition, parameter: string): string {
  if (parameter === INCLUDE_ARC_PARAMETER) return parameter;
  if (parameter === EFFECT_PARAMETER) return `${definition.name}_${parameter}`;
  return `${definition.properties.metadata.guestConfiguration.name}_${parameter}`;
}

/** Groups the definitions of one baseline folder into a policy set with all their parameters passed through. */
export function buildInitiative(folderName: string, definitions: PolicyDefinition[], baselines: Baseline[], options: InitiativeOptions = {}): PolicySetDefinition {
  const scope = (options.definitionScope ?? '').replace(/\/+$/, '');
  const folder = basename(folderName.replace(/[\\/]+$/, '')) || folderName;
  const parameters: Record<string, PolicyParameter> = {};
  const declaredBy = new Map<string, string>();
  const members: PolicyDefinitionReference[] = [];
  const sorted = [...definitions].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of sorted) {
    if (members.some((m) => m.policyDefinitionReferenceId === d.name)) throw new Error(`policy definition ${d.name} is listed twice for ${folder}`);
    const values: Record<string, { value: string }> = {};
    for (const [name, decl] of Object.entries(d.properties.parameters)) {
      const setName = initiativeParameterName(d, name);
      const json = JSON.stringify(decl);
      const previous = declaredBy.get(setName);
      // The AINE and DINE of one baseline declare its parameters identically; anything else is a driftscan bug.
      if (previous !== undefined && previous !== json) throw new Error(`policy set parameter ${setName} is declared differently by two definitions`);
      declaredBy.set(setName, json);
      // The portal lists set parameters flat: say whose parameter each one is.
      parameters[setName] = setName === name ? decl : { ...decl, metadata: { ...decl.metadata, displayName: `${setName.slice(0, -name.length - 1)}: ${decl.metadata.displayName}` } };
      values[name] = { value: `[parameters('${setName.replace(/'/g, "''")}')]` };
    }
    members.push({
      policyDefinitionReferenceId: d.name,
      policyDefinitionId: `${scope}/providers/Microsoft.Authorization/policyDefinitions/${d.name}`,
      parameters: values,
    });
  }
  const listed = [...baselines].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  const titles = listed.map((b) => `${b.metadata.title} (${b.metadata.name} ${b.metadata.version})`);
  return {
    name: policySetDefinitionName(folder),
    properties: {
      displayName: displayText(`driftscan baselines: ${folder}`, MAX_DISPLAY_NAME),
      policyType: 'Custom',
      description: displayText(`Machine Configuration baselines compiled by driftscan from ${folder}/: ${titles.join('; ')}.`, MAX_DESCRIPTION),
      metadata: {
        category: 'Guest Configuration',
        baselines: listed.map((b) => ({ name: b.metadata.name, version: b.metadata.version, file: basename(b.file) })),
      },
      parameters: Object.fromEntries(Object.entries(parameters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      policyDefinitions: members,
    },
  };
}
