/**
 * Azure DevOps work items as the tracker (REST API 7.1, learn.microsoft.com/rest/api/azure/devops/wit).
 *
 * Deduplication: every work item driftscan creates is tagged `driftscan-remediation` and titled
 * `driftscan remediation failed: TASK` — the same title on every run. Before creating, a WIQL query
 * (`POST {org}/{project}/_apis/wit/wiql`) asks for items in the project with that tag and exactly
 * that title; WIQL reads the work item store, so an item created a moment ago is found. The oldest
 * match gets a comment (`POST …/workItems/{id}/comments?format=markdown`, api-version
 * 7.1-preview.4); none → create one with a JSON Patch document (`application/json-patch+json`,
 * `op: add` per field) of the configured type, default **Issue** (in the Basic, Agile and CMMI
 * processes; Scrum has no Issue type: pass `--notify-work-item-type Bug`). A `Bug`'s text goes to
 * Repro Steps, which its form shows, every other type's to Description; both are stored as
 * Markdown (`/multilineFieldsFormat/<field>: Markdown`).
 *
 * Items in a closed state are commented on, not reopened: state names differ per process.
 *
 * Token: `System.AccessToken` is an OAuth token (`Authorization: Bearer`); a personal access token
 * (`AZURE_DEVOPS_EXT_PAT`) goes as Basic with an empty user name, as Azure DevOps documents.
 */
import type { FailedRemediation } from '../rollout/remediation/failures.js';
import type { TrackerHttp } from './tracker-http.js';
import type { IssueTracker, TrackedItem } from './tracker.js';
import { AZURE_DEVOPS_TITLE_LIMIT, TRACKING_LABEL, trackingBody, trackingTitle } from './tracking-body.js';

/**
 * The longest text driftscan writes to a work item field or comment. Azure DevOps documents no one
 * figure for rich-text fields; 32,000 characters stays well inside what it accepts and inside what a
 * work item form shows comfortably.
 */
export const AZURE_DEVOPS_BODY_LIMIT = 32_000;

export const DEFAULT_WORK_ITEM_TYPE = 'Issue';

const API_VERSION = '7.1';
const COMMENTS_API_VERSION = '7.1-preview.4';

/** A WIQL string literal: single quotes doubled. */
function wiqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The field that holds a work item type's text on its form. */
function textField(workItemType: string): string {
  return workItemType.toLowerCase() === 'bug' ? 'Microsoft.VSTS.TCM.ReproSteps' : 'System.Description';
}

export interface AzureDevOpsProject {
  /** The organisation (collection) URL, e.g. `https://dev.azure.com/contoso/`. */
  orgUrl: string;
  project: string;
  workItemType: string;
}

export function azureDevOpsWorkItemTracker(http: TrackerHttp, target: AzureDevOpsProject): IssueTracker {
  const created = new Map<string, number>();
  const webUrl = (id: number) => `${target.orgUrl.replace(/\/+$/, '')}/${encodeURIComponent(target.project)}/_workitems/edit/${id}`;

  const findExisting = async (title: string): Promise<number | undefined> => {
    const query = `SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project AND [System.Tags] CONTAINS ${wiqlString(TRACKING_LABEL)} AND [System.Title] = ${wiqlString(title)} ORDER BY [System.Id] ASC`;
    const res = await http.send('POST', 'wit/wiql', { query: { 'api-version': API_VERSION, $top: '10' }, body: { query } });
    const items = (res.json as { workItems?: { id?: unknown }[] } | undefined)?.workItems ?? [];
    const ids = items.map((w) => w.id).filter((id): id is number => typeof id === 'number');
    return ids.length ? Math.min(...ids) : undefined;
  };

  return {
    service: 'Azure DevOps',
    destination: `${target.orgUrl.replace(/\/+$/, '')}/${target.project}`,
    async prepare() {
      // Access and the project are checked by the first query; nothing to load ahead.
    },
    async track(failure: FailedRemediation): Promise<TrackedItem> {
      const title = trackingTitle(failure.taskName, AZURE_DEVOPS_TITLE_LIMIT);
      const existing = created.get(title) ?? (await findExisting(title));
      if (existing !== undefined) {
        await http.send('POST', `wit/workItems/${existing}/comments`, {
          query: { format: 'markdown', 'api-version': COMMENTS_API_VERSION },
          body: { text: trackingBody(failure, { limit: AZURE_DEVOPS_BODY_LIMIT, kind: 'update' }) },
        });
        return { action: 'updated', reference: `work item ${existing}`, url: webUrl(existing) };
      }
      const field = textField(target.workItemType);
      const patch = [
        { op: 'add', path: '/fields/System.Title', value: title },
        { op: 'add', path: `/fields/${field}`, value: trackingBody(failure, { limit: AZURE_DEVOPS_BODY_LIMIT, kind: 'new' }) },
        { op: 'add', path: `/multilineFieldsFormat/${field}`, value: 'Markdown' },
        { op: 'add', path: '/fields/System.Tags', value: TRACKING_LABEL },
      ];
      const res = await http.send('POST', `wit/workitems/$${encodeURIComponent(target.workItemType)}`, {
        query: { 'api-version': API_VERSION },
        contentType: 'application/json-patch+json',
        body: patch,
      });
      const id = Number((res.json as { id?: unknown } | undefined)?.id);
      created.set(title, id);
      return { action: 'created', reference: `work item ${id}`, url: webUrl(id) };
    },
  };
}
