/**
 * Direct mode: machines `driftscan assign` gave a guest configuration assignment without Azure
 * Policy have no remediation task to open. An `ApplyAndMonitor` assignment applies its configuration
 * once and then only reports drift; writing the assignment again (the same body) makes the machine's
 * agent apply it again (machine-configuration.md §3.6: "creating/updating an assignment sets
 * complianceStatus Pending; Apply* modes then apply"). So `remediate` re-PUTs it — under the same
 * plan/apply rules as tasks: a deterministic name per scan and assignment, recorded in the history
 * store, so a rerun for the same scan writes nothing it already wrote (a re-PUT cut short by a kill
 * is repeated on the rerun, which is harmless: the body is the same).
 *
 * `assign` names the assignment after the package, i.e. the baseline; assignments that policies
 * create carry `$pid` and a hash in their name and are not touched here. An `Audit` assignment
 * cannot change the machine (say so); an `ApplyAndAutoCorrect` one corrects on its own.
 */
import { createHash } from 'node:crypto';
import type { PlannedMachine } from './machine.js';

export interface GuestAssignmentSeen {
  id: string;
  location?: string;
  guestConfiguration: Record<string, unknown>;
}

export interface DirectReapply {
  /** `driftscan-s<scan>-d-<12 hex of the assignment id>`. */
  name: string;
  /** The guest assignment's ARM id. */
  assignmentId: string;
  baseline: string;
  machine: PlannedMachine;
  status: 'reapply' | 'done' | 'audit' | 'autocorrect';
  /** The PUT body: the assignment's own guest configuration, unchanged. */
  body: { location?: string; properties: { guestConfiguration: Record<string, unknown> } };
}

export function directName(scanId: number, assignmentId: string): string {
  return `driftscan-s${scanId}-d-${createHash('sha256').update(assignmentId.toLowerCase(), 'utf8').digest('hex').slice(0, 12)}`;
}

/** The writable fields of `properties.guestConfiguration` (guestconfiguration.json 2024-04-05) that a re-PUT sends back. */
const WRITABLE = ['name', 'version', 'contentUri', 'contentHash', 'assignmentType', 'configurationParameter', 'configurationProtectedParameter', 'contentManagedIdentity', 'kind'];

export function planDirect(scanId: number, found: ReadonlyArray<{ baseline: string; machine: PlannedMachine; assignment: GuestAssignmentSeen }>, recorded: ReadonlySet<string>): DirectReapply[] {
  return found.map(({ baseline, machine, assignment }) => {
    const name = directName(scanId, assignment.id);
    const type = String(assignment.guestConfiguration.assignmentType ?? '');
    const gc = Object.fromEntries(WRITABLE.filter((k) => assignment.guestConfiguration[k] !== undefined && assignment.guestConfiguration[k] !== null).map((k) => [k, assignment.guestConfiguration[k]]));
    return {
      name,
      assignmentId: assignment.id,
      baseline,
      machine,
      status: recorded.has(name) ? 'done' : type === 'Audit' ? 'audit' : type === 'ApplyAndAutoCorrect' ? 'autocorrect' : 'reapply',
      body: { ...(assignment.location ? { location: assignment.location } : {}), properties: { guestConfiguration: gc } },
    };
  });
}

/** The plan with its direct-mode re-applies: those machines no longer count as not covered. */
export function withDirect<P extends { uncovered: Array<{ baseline: string; machines: number; example: string }>; uncoveredMachines: Array<{ baseline: string; machine: PlannedMachine }>; direct: DirectReapply[] }>(plan: P, direct: DirectReapply[]): P {
  const handled = new Set(direct.map((d) => `${d.baseline.toLowerCase()}|${d.machine.machineId.toLowerCase()}`));
  const left = plan.uncoveredMachines.filter((u) => !handled.has(`${u.baseline.toLowerCase()}|${u.machine.machineId.toLowerCase()}`));
  const uncovered = new Map<string, { baseline: string; machines: number; example: string }>();
  for (const u of left) {
    const e = uncovered.get(u.baseline.toLowerCase()) ?? { baseline: u.baseline, machines: 0, example: u.machine.machineId };
    e.machines += 1;
    uncovered.set(u.baseline.toLowerCase(), e);
  }
  return { ...plan, direct, uncoveredMachines: left, uncovered: [...uncovered.values()].sort((a, b) => (a.baseline < b.baseline ? -1 : a.baseline > b.baseline ? 1 : 0)) };
}
