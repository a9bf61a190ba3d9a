/** Failed remediation tasks as `remediate --wait` reports them, for the `--notify` tests. */
import type { FailedRemediation } from '../../src/rollout/remediation/failures.js';

const SUB = '00000000-0000-0000-0000-000000000001';

export function machineId(name: string, group = 'rg-app'): string {
  return `/subscriptions/${SUB}/resourceGroups/${group}/providers/Microsoft.Compute/virtualMachines/${name}`;
}

/** A failed task named `taskName` with `machines` failed deployments. */
export function failedTask(taskName: string, machines = 2, overrides: Partial<FailedRemediation> = {}): FailedRemediation {
  return {
    taskName,
    taskId: `/subscriptions/${SUB}/providers/Microsoft.PolicyInsights/remediations/${taskName}`,
    state: 'Failed',
    assignmentId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/policyAssignments/driftscan-cis`,
    policyDefinitionReferenceId: 'driftscan-cis-audit-logon',
    baseline: 'cis-windows-2022',
    subscriptionId: SUB,
    deployments: Array.from({ length: machines }, (_, i) => ({
      resourceId: machineId(`vm-${String(i).padStart(3, '0')}`),
      status: 'Failed',
      error: `The guest configuration assignment failed on vm-${i}: access denied`,
      ruleId: 'audit-logon',
      reason: 'expected Success and Failure, found No Auditing',
    })),
    ...overrides,
  };
}
