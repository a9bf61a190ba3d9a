/**
 * The DeployIfNotExists deployment: an ARM template that PUTs the guest configuration
 * assignment (REST 2024-04-05 `GuestConfigurationAssignment`) as an extension resource of the
 * machine, one conditional resource per machine type (`4-Action-Set*.json`, §3.5). Only template
 * parameters are evaluated by ARM at deploy time; every constant string goes through
 * `armLiteral`, so a value shaped like `[...]` stays a value.
 */
import type { AssignmentType } from '../../rules/model.js';
import { armLiteral, armStringLiteral } from './arm-expression.js';
import { ARC_TYPE, VM_TYPE, VMSS_TYPE, VSPHERE_TYPE, type AssignmentParameter, type MachineTargets } from './conditions.js';
import type { PolicyValue } from './model.js';

/** Guest configuration REST API version (latest stable, §4). */
export const GUEST_CONFIGURATION_API_VERSION = '2024-04-05';

export interface AssignmentContent {
  name: string;
  version: string;
  contentUri: string;
  contentHash: string;
  contentManagedIdentity?: string | undefined;
  assignmentType: AssignmentType;
  parameters: readonly AssignmentParameter[];
}

/** Machine types the template can assign to, in template order. */
function machineTypes(targets: MachineTargets): string[] {
  return [VM_TYPE, ...(targets.arc ? [ARC_TYPE, VSPHERE_TYPE] : []), ...(targets.vmss ? [VMSS_TYPE] : [])];
}

const param = (name: string): string => `[parameters(${armStringLiteral(name)})]`;

/** `properties.guestConfiguration` of the assignment (REST `GuestConfigurationNavigation`). */
function guestConfiguration(c: AssignmentContent): { [key: string]: PolicyValue } {
  const g: { [key: string]: PolicyValue } = {
    name: armLiteral(c.name),
    version: armLiteral(c.version),
    // Read-only in REST (the service derives it), but the module sends it and the service accepts it.
    contentType: 'Custom',
    contentUri: armLiteral(c.contentUri),
    contentHash: armLiteral(c.contentHash),
    ...(c.contentManagedIdentity !== undefined ? { contentManagedIdentity: armLiteral(c.contentManagedIdentity) } : {}),
    assignmentType: c.assignmentType,
  };
  if (c.parameters.length) {
    g.configurationParameter = c.parameters.map((p) => ({ name: armLiteral(p.mofName), value: param(p.policyParameter) }));
  }
  return g;
}

/** The ARM template deployed on a non-compliant machine. */
export function assignmentTemplate(c: AssignmentContent, targets: MachineTargets): { [key: string]: PolicyValue } {
  const parameters: { [key: string]: PolicyValue } = {
    vmName: { type: 'string' },
    location: { type: 'string' },
    type: { type: 'string' },
    assignmentName: { type: 'string' },
  };
  for (const p of c.parameters) parameters[p.policyParameter] = { type: 'string' };
  const resources = machineTypes(targets).map((machine) => ({
    condition: `[equals(toLower(parameters('type')), toLower(${armStringLiteral(machine)}))]`,
    apiVersion: GUEST_CONFIGURATION_API_VERSION,
    type: `${machine}/providers/guestConfigurationAssignments`,
    name: "[concat(parameters('vmName'), '/Microsoft.GuestConfiguration/', parameters('assignmentName'))]",
    location: "[parameters('location')]",
    properties: { guestConfiguration: guestConfiguration(c) },
  }));
  return {
    $schema: 'https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters,
    resources,
  };
}

/** `deployment.properties` of the DINE details: the template plus its parameters, from the machine's fields. */
export function assignmentDeployment(c: AssignmentContent, targets: MachineTargets, assignmentName: string): { [key: string]: PolicyValue } {
  const parameters: { [key: string]: PolicyValue } = {
    vmName: { value: "[field('name')]" },
    location: { value: "[field('location')]" },
    type: { value: "[field('type')]" },
    assignmentName: { value: assignmentName },
  };
  for (const p of c.parameters) parameters[p.policyParameter] = { value: param(p.policyParameter) };
  return { properties: { mode: 'Incremental', parameters, template: assignmentTemplate(c, targets) } };
}
