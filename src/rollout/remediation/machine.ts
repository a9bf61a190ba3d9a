/** A drifted machine as remediation plans carry it: its id and why it is there. */
export interface PlannedMachine {
  machineId: string;
  subscriptionId: string;
  /** The failing rules that make the machine drifted (rule id and the reason it reported). */
  rules: Array<{ ruleId: string; reason: string }>;
}
