/**
 * Sends one tracking item per failed remediation task through a tracker, in task order, and says
 * what happened to each: created, updated (commented), reopened, or failed with the one-line error.
 *
 * A failure for one task does not stop the others — except when the service refused the token or
 * the destination (401, 403 without a rate limit, 404): every later call would be refused the same
 * way, so the remaining tasks are reported failed with that error without being sent.
 * Tasks that appear twice in one run (same task name) share one item: the second is a comment.
 */
import { DriftscanError } from '../core/diagnostics.js';
import type { FailedRemediation } from '../rollout/remediation/failures.js';
import { NotifyError, type TrackerService } from './errors.js';
import type { IssueTracker, TrackedAction, TrackedItem } from './tracker.js';

export interface TaskNotification {
  taskName: string;
  outcome: TrackedAction | 'failed';
  item?: TrackedItem;
  /** Why it failed (one line, redacted). */
  error?: string;
}

export interface NotifyOutcome {
  service: TrackerService;
  destination: string;
  tasks: TaskNotification[];
  /** How many tasks have no up-to-date item. */
  failed: number;
}

function message(err: unknown): string {
  return err instanceof DriftscanError ? err.message : `internal error: ${err instanceof Error ? err.message : String(err)}`;
}

function blocksTheRest(err: unknown): boolean {
  return err instanceof NotifyError && err.failure === 'refused' && (err.status === 401 || err.status === 403 || err.status === 404);
}

export async function deliverNotifications(tracker: IssueTracker, failures: readonly FailedRemediation[], onTask: (task: TaskNotification) => void = () => {}): Promise<NotifyOutcome> {
  const tasks: TaskNotification[] = [];
  const record = (t: TaskNotification) => {
    tasks.push(t);
    onTask(t);
  };
  let blocked: string | undefined;
  if (failures.length > 0) {
    try {
      await tracker.prepare();
    } catch (err) {
      blocked = message(err);
    }
  }
  for (const failure of failures) {
    if (blocked !== undefined) {
      record({ taskName: failure.taskName, outcome: 'failed', error: blocked });
      continue;
    }
    try {
      const item = await tracker.track(failure);
      record({ taskName: failure.taskName, outcome: item.action, item });
    } catch (err) {
      record({ taskName: failure.taskName, outcome: 'failed', error: message(err) });
      if (blocksTheRest(err)) blocked = `not sent: ${message(err)}`;
    }
  }
  return { service: tracker.service, destination: tracker.destination, tasks, failed: tasks.filter((t) => t.outcome === 'failed').length };
}
