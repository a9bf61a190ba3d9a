/**
 * GitHub Issues as the tracker (REST API 2022-11-28, docs.github.com/rest/issues).
 *
 * Deduplication: every issue driftscan opens carries the label `driftscan-remediation` and, in its
 * body, the hidden marker `<!-- driftscan-remediation: TASK -->` (`tracking-body.ts`). `prepare`
 * lists the label's issues, open and closed (`GET /repos/{owner}/{repo}/issues?labels=…&state=all`,
 * paged by its `Link` header), and indexes them by the marker. That listing reads the database, so
 * an issue opened a moment ago is found — unlike the search API, whose index lags. Pull requests,
 * which the issues list includes, are skipped.
 *
 * For each failed task: no issue → create one (with the label); an open issue → add a comment with
 * the new outcome; a closed one → reopen it and comment, unless it was closed as "not planned", which
 * is respected (comment only). The label is created first when the repository lacks it, so it cannot
 * be dropped silently.
 *
 * Token: `Authorization: Bearer` (GITHUB_TOKEN in Actions needs `permissions: issues: write`).
 */
import type { FailedRemediation } from '../rollout/remediation/failures.js';
import type { TrackerHttp } from './tracker-http.js';
import type { IssueTracker, TrackedItem } from './tracker.js';
import { GITHUB_BODY_LIMIT, GITHUB_TITLE_LIMIT, markedTaskName, TRACKING_LABEL, trackingBody, trackingTitle } from './tracking-body.js';

export interface GitHubRepository {
  owner: string;
  name: string;
}

interface KnownIssue {
  number: number;
  state: 'open' | 'closed';
  stateReason: string | null;
  url: string;
}

interface ApiIssue {
  number?: unknown;
  state?: unknown;
  state_reason?: unknown;
  html_url?: unknown;
  body?: unknown;
  pull_request?: unknown;
}

/** Pages of 100 issues read at most while indexing: 10,000 tracking issues. */
const MAX_PAGES = 100;

export function githubIssueTracker(http: TrackerHttp, repo: GitHubRepository): IssueTracker {
  const repoPath = `repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.name)}`;
  const known = new Map<string, KnownIssue>();

  const remember = (issue: ApiIssue): void => {
    if (issue.pull_request !== undefined || typeof issue.number !== 'number') return;
    const task = markedTaskName(typeof issue.body === 'string' ? issue.body : undefined);
    if (task === undefined) return;
    const entry: KnownIssue = {
      number: issue.number,
      state: issue.state === 'closed' ? 'closed' : 'open',
      stateReason: typeof issue.state_reason === 'string' ? issue.state_reason : null,
      url: typeof issue.html_url === 'string' ? issue.html_url : '',
    };
    const prior = known.get(task);
    // Two issues for one task (opened by hand, or before the label existed): prefer an open one, then the oldest.
    if (!prior || (prior.state === 'closed' && entry.state === 'open') || (prior.state === entry.state && entry.number < prior.number)) known.set(task, entry);
  };

  return {
    service: 'GitHub',
    destination: `${repo.owner}/${repo.name}`,
    async prepare() {
      const label = await http.send('GET', `${repoPath}/labels/${encodeURIComponent(TRACKING_LABEL)}`, { accept: [404] });
      if (label.status === 404) {
        // 422 "already_exists": another run created it in the meantime.
        await http.send('POST', `${repoPath}/labels`, { body: { name: TRACKING_LABEL, color: 'd93f0b', description: 'driftscan: a remediation task failed' }, accept: [422] });
      }
      for (let page = 1; page <= MAX_PAGES; page++) {
        const res = await http.send('GET', `${repoPath}/issues`, { query: { labels: TRACKING_LABEL, state: 'all', per_page: '100', page: String(page), sort: 'created', direction: 'asc' } });
        const issues = Array.isArray(res.json) ? (res.json as ApiIssue[]) : [];
        issues.forEach(remember);
        if (!/<[^>]*>;\s*rel="next"/.test(res.header('link') ?? '')) break;
      }
    },
    async track(failure: FailedRemediation): Promise<TrackedItem> {
      const existing = known.get(failure.taskName);
      if (!existing) {
        const res = await http.send('POST', `${repoPath}/issues`, {
          body: { title: trackingTitle(failure.taskName, GITHUB_TITLE_LIMIT), body: trackingBody(failure, { limit: GITHUB_BODY_LIMIT, kind: 'new' }), labels: [TRACKING_LABEL] },
        });
        const created = res.json as ApiIssue;
        const issue: KnownIssue = { number: Number(created.number), state: 'open', stateReason: null, url: typeof created.html_url === 'string' ? created.html_url : '' };
        known.set(failure.taskName, issue);
        return { action: 'created', reference: `#${issue.number}`, url: issue.url };
      }
      let action: TrackedItem['action'] = 'updated';
      if (existing.state === 'closed' && existing.stateReason !== 'not_planned') {
        await http.send('PATCH', `${repoPath}/issues/${existing.number}`, { body: { state: 'open', state_reason: 'reopened' } });
        existing.state = 'open';
        action = 'reopened';
      }
      await http.send('POST', `${repoPath}/issues/${existing.number}/comments`, { body: { body: trackingBody(failure, { limit: GITHUB_BODY_LIMIT, kind: 'update' }) } });
      return { action, reference: `#${existing.number}`, url: existing.url };
    },
  };
}
