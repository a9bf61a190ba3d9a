/**
 * `policyRule.if` for Windows machines and the guest assignment `existenceCondition`, after the
 * GuestConfiguration module's templates `3-Images-Windows.json`, `3-Images-Windows-VMSS.json`
 * and `4-Action-*.json` (machine-configuration.md §3.3–§3.5).
 */
import { armStringLiteral } from './arm-expression.js';
import type { PolicyCondition } from './model.js';

export const VM_TYPE = 'Microsoft.Compute/virtualMachines';
export const VMSS_TYPE = 'Microsoft.Compute/virtualMachineScaleSets';
export const ARC_TYPE = 'Microsoft.HybridCompute/machines';
export const VSPHERE_TYPE = 'Microsoft.ConnectedVMwarevSphere/virtualMachines';
export const ASSIGNMENT_TYPE = 'Microsoft.GuestConfiguration/guestConfigurationAssignments';

/** The policy parameter that opts Arc-connected machines in (billed per machine, so off by default). */
export const INCLUDE_ARC_PARAMETER = 'IncludeArcMachines';

export interface MachineTargets {
  arc: boolean;
  vmss: boolean;
}

const PUBLISHER = 'Microsoft.Compute/imagePublisher';
const OFFER = 'Microsoft.Compute/imageOffer';
const SKU = 'Microsoft.Compute/imageSKU';

/** Marketplace publishers whose every image is Windows. */
const WINDOWS_PUBLISHERS = [
  'esri', 'incredibuild', 'MicrosoftDynamicsAX', 'MicrosoftSharepoint', 'MicrosoftVisualStudio',
  'MicrosoftWindowsDesktop', 'MicrosoftWindowsServerHPCPack',
];

/** Third-party publishers with Windows offers, matched by offer name. */
const WINDOWS_OFFERS: Array<[publisher: string, offer: PolicyCondition]> = [
  ['microsoft-dsvm', { field: OFFER, like: 'dsvm-win*' }],
  ['microsoft-ads', { field: OFFER, in: ['standard-data-science-vm', 'windows-data-science-vm'] }],
  ['batch', { field: OFFER, equals: 'rendering-windows2016' }],
  ['center-for-internet-security-inc', { field: OFFER, like: 'cis-windows-server-201*' }],
  ['pivotal', { field: OFFER, like: 'bosh-windows-server*' }],
  ['cloud-infrastructure-services', { field: OFFER, like: 'ad*' }],
];

/**
 * Azure VMs (and scale sets) running Windows: known Windows marketplace images, or any image
 * whose OS profile says Windows. Windows Server 2008 and SQL Server 2008 images are excluded:
 * the guest configuration extension does not support them.
 */
function azureWindowsCondition(vmss: boolean): PolicyCondition {
  const osIsWindows: PolicyCondition[] = [
    { field: `${VM_TYPE}/osProfile.windowsConfiguration`, exists: 'true' },
    { field: `${VM_TYPE}/storageProfile.osDisk.osType`, like: 'Windows*' },
  ];
  if (vmss) {
    osIsWindows.push(
      { field: 'Microsoft.Compute/VirtualMachineScaleSets/osProfile.windowsConfiguration', exists: 'true' },
      { field: `${VMSS_TYPE}/virtualMachineProfile.storageProfile.osDisk.osType`, like: 'Windows*' },
    );
  }
  const type: PolicyCondition[] = vmss
    ? [
        { field: 'type', in: [VM_TYPE, VMSS_TYPE] },
        // AKS node pools are scale sets the AKS control plane owns; guest assignments on them fight it.
        { field: "tags['aks-managed-orchestrator']", exists: 'false' },
        { field: "tags['aks-managed-poolName']", exists: 'false' },
      ]
    : [{ field: 'type', equals: VM_TYPE }];
  return {
    allOf: [
      ...type,
      {
        anyOf: [
          { field: PUBLISHER, in: WINDOWS_PUBLISHERS },
          { allOf: [{ field: PUBLISHER, equals: 'MicrosoftWindowsServer' }, { field: SKU, notLike: '2008*' }] },
          { allOf: [{ field: PUBLISHER, equals: 'MicrosoftSQLServer' }, { field: OFFER, notLike: 'SQL2008*' }] },
          ...WINDOWS_OFFERS.map(([publisher, offer]): PolicyCondition => ({ allOf: [{ field: PUBLISHER, equals: publisher }, offer] })),
          {
            allOf: [
              { anyOf: osIsWindows },
              {
                anyOf: [
                  { field: SKU, exists: 'false' },
                  { allOf: [{ field: OFFER, notLike: 'SQL2008*' }, { field: SKU, notLike: '2008*' }] },
                ],
              },
            ],
          },
        ],
      },
    ],
  };
}

/** Arc-enabled servers and Arc-enabled VMware vSphere VMs running Windows, when the assignment opts in. */
function arcWindowsCondition(): PolicyCondition {
  return {
    allOf: [
      { value: `[parameters(${armStringLiteral(INCLUDE_ARC_PARAMETER)})]`, equals: 'true' },
      {
        anyOf: [
          { allOf: [{ field: 'type', equals: ARC_TYPE }, { field: 'Microsoft.HybridCompute/imageOffer', like: 'windows*' }] },
          { allOf: [{ field: 'type', equals: VSPHERE_TYPE }, { field: `${VSPHERE_TYPE}/osProfile.osType`, like: 'windows*' }] },
        ],
      },
    ],
  };
}

/** `policyRule.if`: the Windows machines the definition applies to. */
export function windowsMachinesCondition(targets: MachineTargets): PolicyCondition {
  const azure = azureWindowsCondition(targets.vmss);
  return targets.arc ? { anyOf: [azure, arcWindowsCondition()] } : azure;
}

/** One parameter of the guest assignment: its `[Type]Id;Property` name and the policy parameter that sets it. */
export interface AssignmentParameter {
  mofName: string;
  policyParameter: string;
}

/**
 * The service's `parameterHash` for the assignment's parameters: base64 of
 * `name1=value1,name2=value2` in configurationParameter order (§3.4), computed in the policy so a
 * changed parameter value makes the existing assignment non-matching.
 */
export function parameterHashExpression(parameters: readonly AssignmentParameter[]): string {
  const parts = parameters.flatMap((p, i) => [
    ...(i > 0 ? ["','"] : []),
    armStringLiteral(p.mofName),
    "'='",
    `parameters(${armStringLiteral(p.policyParameter)})`,
  ]);
  return `[base64(concat(${parts.join(', ')}))]`;
}

/** The guest assignment counts when it reports Compliant and, with parameters, carries the assigned values. */
export function existenceCondition(parameters: readonly AssignmentParameter[]): PolicyCondition {
  const compliant: PolicyCondition = { field: `${ASSIGNMENT_TYPE}/complianceStatus`, equals: 'Compliant' };
  if (parameters.length === 0) return compliant;
  return { allOf: [compliant, { field: `${ASSIGNMENT_TYPE}/parameterHash`, equals: parameterHashExpression(parameters) }] };
}
