/** Shared values for the Azure tests: subscriptions, a JWT-shaped token, spec-valid bodies, emulator state. */
import { createHash } from 'node:crypto';
import type { EmulatorState, Row } from './arm-emulator/state.js';

export const SUB = '00000000-0000-0000-0000-000000000001';
export const SUB2 = '00000000-0000-0000-0000-000000000002';
/** Recognisable, JWT-shaped (`{"alg":"none","typ":"JWT"}` . `{"exp":4102444800,"sub":"driftscan-test"}` . signature). */
export const TOKEN = 'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJleHAiOjQxMDI0NDQ4MDAsInN1YiI6ImRyaWZ0c2Nhbi10ZXN0In0.c2lnbmF0dXJlLXNlY3JldA';
export const TOKEN_SHA256 = createHash('sha256').update(TOKEN).digest('hex');

export function machineRow(sub: string, rg: string, name: string): Row {
  return {
    id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`,
    name,
    type: 'microsoft.compute/virtualmachines',
    tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    kind: '',
    location: 'westeurope',
    resourceGroup: rg,
    subscriptionId: sub,
    managementGroup: '',
    properties: { storageProfile: { osDisk: { osType: 'Windows' } } },
    tags: null,
  };
}

/** A machine row of another kind or OS: a Linux VM, a scale set, an Arc machine. */
export function machineVariant(sub: string, rg: string, name: string, kind: 'linux-vm' | 'vmss' | 'arc-windows' | 'arc-linux'): Row {
  const base = machineRow(sub, rg, name);
  switch (kind) {
    case 'linux-vm':
      return { ...base, properties: { storageProfile: { osDisk: { osType: 'Linux' } } } };
    case 'vmss':
      return { ...base, id: String(base.id).replace('virtualMachines', 'virtualMachineScaleSets'), type: 'microsoft.compute/virtualmachinescalesets', properties: { virtualMachineProfile: { storageProfile: { osDisk: { osType: 'Windows' } } } } };
    case 'arc-windows':
    case 'arc-linux':
      return {
        ...base,
        id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.HybridCompute/machines/${name}`,
        type: 'microsoft.hybridcompute/machines',
        properties: kind === 'arc-windows' ? { osType: 'windows', osName: 'Windows Server 2022 Datacenter' } : { osType: 'linux', osName: 'Ubuntu 22.04' },
      };
  }
}

export function fleetState(machines = 3): EmulatorState {
  return {
    subscriptions: [
      { subscriptionId: SUB, displayName: 'Development' },
      { subscriptionId: SUB2, displayName: 'Production' },
    ],
    tables: { resources: Array.from({ length: machines }, (_, i) => machineRow(SUB, 'rg-fleet', `vm${String(i).padStart(3, '0')}`)) },
  };
}

/** A Custom policy definition body as `compile` emits them (the shape of the spec example). */
export function policyDefinition(name: string) {
  return {
    policyType: 'Custom' as const,
    mode: 'Indexed',
    displayName: `driftscan ${name}`,
    description: 'Audits a registry value through Machine Configuration.',
    metadata: { category: 'Guest Configuration', driftscan: { baseline: name } },
    parameters: { effect: { type: 'String' as const, defaultValue: 'AuditIfNotExists', allowedValues: ['AuditIfNotExists', 'Disabled'] } },
    policyRule: {
      if: { allOf: [{ field: 'type', equals: 'Microsoft.Compute/virtualMachines' }] },
      then: { effect: "[parameters('effect')]", details: { type: 'Microsoft.GuestConfiguration/guestConfigurationAssignments', name: name } },
    },
  };
}
