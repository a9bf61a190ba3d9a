/**
 * Where `--notify` sends its items and with which token, resolved from flags and the environment
 * before any Azure work starts (`cli/notify-options.ts`), and the tracker built from it.
 */
import type { Deadline } from '../azure/deadline.js';
import type { RetrySettings } from '../azure/policies/retry-policy.js';
import { azureDevOpsWorkItemTracker } from './azure-devops-work-items.js';
import { githubIssueTracker } from './github-issues.js';
import { createTrackerHttp } from './tracker-http.js';
import type { IssueTracker } from './tracker.js';

export const NOTIFY_SERVICES = ['github', 'azure-devops'] as const;
export type NotifyService = (typeof NOTIFY_SERVICES)[number];

export interface GitHubTarget {
  service: 'github';
  /** REST API root: `https://api.github.com`, or GitHub Enterprise Server's `https://HOST/api/v3`. */
  apiUrl: string;
  owner: string;
  repo: string;
  token: string;
  /** The environment variable the token came from (for messages). */
  tokenVariable: string;
}

export interface AzureDevOpsTarget {
  service: 'azure-devops';
  /** Organisation (collection) URL: `https://dev.azure.com/ORG/`. */
  orgUrl: string;
  project: string;
  workItemType: string;
  token: string;
  /** `bearer` for System.AccessToken (OAuth), `basic` for a personal access token. */
  tokenKind: 'bearer' | 'basic';
  tokenVariable: string;
}

export type NotifyTarget = GitHubTarget | AzureDevOpsTarget;

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
