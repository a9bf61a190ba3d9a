/**
 * What `driftscan remediate --wait` learns about remediation work that did not succeed: one entry per
 * remediation task (or, for direct-mode assignments, per guest configuration assignment re-PUT) that
 * ended Failed or with failed deployments. `--notify` turns each into one tracking issue / work item,
 * deduplicated by `taskName`, so the name must be the deterministic task name the plan chose.
 */
export interface FailedDeployment {
  /** ARM id of the machine the deployment targeted. */
  readonly resourceId: string;
  /** The deployment's status as Azure reports it (for PolicyInsights: `Failed`, `Canceled`, ...). */
  readonly status: string;
  /** The error message Azure gave for this deployment, verbatim; undefined when it gave none. */
  readonly error?: string;
  /** The baseline rule the machine drifted from, as the scan mapped it (undefined when unknown). */
  readonly ruleId?: string;
  /** The reason the machine reported for that rule ("expected X, found Y"). */
  readonly reason?: string;
}

export interface FailedRemediation {
  /** Deterministic task name: the deduplication key for notifications. */
  readonly taskName: string;
  /** ARM id of the remediation task (or of the guest configuration assignment in direct mode). */
  readonly taskId: string;
  /** Terminal state of the task: `Failed`, `Canceled`, or `Succeeded` with failed deployments. */
  readonly state: string;
  /** ARM id of the policy assignment (or the guest configuration assignment in direct mode). */
  readonly assignmentId: string;
  /** The initiative member the task remediates, when the assignment is an initiative. */
  readonly policyDefinitionReferenceId?: string;
  /** The baseline the assignment enforces. */
  readonly baseline: string;
  /** Subscription the machines live in. */
  readonly subscriptionId: string;
  /** The deployments that failed, each with its machine and error. */
  readonly deployments: readonly FailedDeployment[];
}
