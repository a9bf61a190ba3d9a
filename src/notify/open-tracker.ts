/** The tracker for a resolved `--notify` target, with its HTTP client and authorisation header. */
import type { Deadline } from '../azure/deadline.js';
import type { RetrySettings } from '../azure/policies/retry-policy.js';
import { azureDevOpsWorkItemTracker } from './azure-devops-work-items.js';
import { githubIssueTracker } from './github-issues.js';
import type { NotifyTarget } from './target.js';
import { createTrackerHttp } from './tracker-http.js';
import type { IssueTracker } from './tracker.js';

export interface TrackerOptions {
  deadline: Deadline;
  retry?: RetrySettings | undefined;
  attemptTimeoutMs?: number | undefined;
}

/** The tracker for `target`; nothing is sent until `prepare`. */
export function openTracker(target: NotifyTarget, options: TrackerOptions): IssueTracker {
  if (target.service === 'github') {
    const http = createTrackerHttp({
      service: 'GitHub',
      baseUrl: target.apiUrl,
      headers: { authorization: `Bearer ${target.token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
      deadline: options.deadline,
      retry: options.retry,
      attemptTimeoutMs: options.attemptTimeoutMs,
    });
    return githubIssueTracker(http, { owner: target.owner, name: target.repo });
  }
  const authorization = target.tokenKind === 'bearer' ? `Bearer ${target.token}` : `Basic ${Buffer.from(`:${target.token}`).toString('base64')}`;
  const http = createTrackerHttp({
    service: 'Azure DevOps',
    baseUrl: `${target.orgUrl.replace(/\/+$/, '')}/${encodeURIComponent(target.project)}/_apis/`,
    headers: { authorization, accept: 'application/json' },
    deadline: options.deadline,
    retry: options.retry,
    attemptTimeoutMs: options.attemptTimeoutMs,
  });
  return azureDevOpsWorkItemTracker(http, { orgUrl: target.orgUrl, project: target.project, workItemType: target.workItemType });
}
