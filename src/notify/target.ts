/**
 * Where `--notify` sends its items and with which token, resolved from flags and the environment
 * before any Azure work starts (`cli/notify-options.ts`). Data only: the trackers, and the HTTP
 * stack behind them, are loaded by `open-tracker.ts` when there is something to send.
 */

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
