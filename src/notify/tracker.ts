/**
 * The contract between `--notify` and an issue tracker: one tracking item per failed remediation
 * task, found again by the task name on every later run, so a task that fails twice gets a comment,
 * never a second item.
 */
import type { FailedRemediation } from '../rollout/remediation/failures.js';
import type { TrackerService } from './errors.js';

/** What happened to the task's tracking item. */
export type TrackedAction = 'created' | 'updated' | 'reopened';

export interface TrackedItem {
  action: TrackedAction;
  /** How people refer to the item: `#12` (GitHub issue), `work item 345`. */
  reference: string;
  /** Its web page. */
  url: string;
}

export interface IssueTracker {
  readonly service: TrackerService;
  /** Where the items go, for messages (`owner/repo`, `org/project`); no credentials. */
  readonly destination: string;
  /** Once per run, before the first `track`: checks access, loads what it needs to deduplicate. */
  prepare(): Promise<void>;
  /** Creates the task's item, or comments on (and reopens) the one that exists. */
  track(failure: FailedRemediation): Promise<TrackedItem>;
}
