/**
 * A local fake of the parts of GitHub's REST API (2022-11-28) that `--notify github` uses: labels,
 * listing a repository's issues by label and state (paged, with a `Link` header), creating and
 * updating issues, and issue comments. It enforces what GitHub does: the token in `Authorization`
 * (401 "Bad credentials" otherwise), JSON bodies, 422 for a body or comment over 65,536 characters
 * or a title over 256, 404 for another repository. Optional `pathPrefix` serves it under `/api/v3`
 * like GitHub Enterprise Server. `echoCredentials` makes it a careless server that repeats the
 * token it was sent in its error messages (the client must redact it).
 */
import { HttpFake, type FakeResponse, type RecordedRequest } from './http-fake.js';

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: 'open' | 'closed';
  state_reason: string | null;
  comments: string[];
  /** Set for pull requests, which GitHub's issues list includes. */
  pull_request?: { url: string };
}

export interface GitHubFakeOptions {
  token: string;
  owner: string;
  repo: string;
  pathPrefix?: string;
  echoCredentials?: boolean;
  /** Issues per page when the client does not ask (GitHub: 30) and the most it allows (100). */
  maxPerPage?: number;
}

const BODY_LIMIT = 65_536;

export class GitHubFake extends HttpFake {
  readonly issues: FakeIssue[] = [];
  readonly labels = new Set<string>();

  constructor(readonly options: GitHubFakeOptions) {
    super((req) => this.answer(req));
  }

  /** The API root to put in GITHUB_API_URL. */
  get apiUrl(): string {
    return `${this.url}${this.options.pathPrefix ?? ''}`;
  }

  /** Adds an issue as if someone had opened it. */
  seed(issue: Omit<FakeIssue, 'number' | 'comments'> & { comments?: string[] }): FakeIssue {
    const full: FakeIssue = { ...issue, number: this.issues.length + 1, comments: issue.comments ?? [] };
    this.issues.push(full);
    return full;
  }

  private json(status: number, body: unknown, headers?: Record<string, string>): FakeResponse {
    return { status, body, ...(headers ? { headers } : {}) };
  }

  private answer(req: RecordedRequest): FakeResponse {
    const auth = req.headers.authorization ?? '';
    if (auth !== `Bearer ${this.options.token}` && auth !== `token ${this.options.token}`) {
      return this.json(401, { message: this.options.echoCredentials ? `Bad credentials (got '${auth.replace(/^\S+\s+/, '')}')` : 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }
    if (!String(req.headers.accept ?? '').includes('application/vnd.github+json')) return this.json(415, { message: 'Accept must include application/vnd.github+json' });
    if (req.headers['x-github-api-version'] !== '2022-11-28') return this.json(400, { message: 'X-GitHub-Api-Version must be 2022-11-28' });
    if (!req.headers['user-agent']) return this.json(403, { message: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header' });
    let payload: Record<string, unknown> = {};
    if (req.method === 'POST' || req.method === 'PATCH') {
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return this.json(415, { message: 'Content-Type must be application/json' });
      try {
        payload = JSON.parse(req.body) as Record<string, unknown>;
      } catch {
        return this.json(400, { message: 'Problems parsing JSON' });
      }
    }
    const prefix = `${this.options.pathPrefix ?? ''}/repos/${this.options.owner}/${this.options.repo}`;
    if (!req.path.startsWith(`${prefix}/`)) return this.json(404, { message: 'Not Found' });
    const rest = req.path.slice(prefix.length);
    let m: RegExpExecArray | null;
    if ((m = /^\/labels\/([^/]+)$/.exec(rest)) && req.method === 'GET') {
      return this.labels.has(m[1]!) ? this.json(200, { name: m[1] }) : this.json(404, { message: 'Not Found' });
    }
    if (rest === '/labels' && req.method === 'POST') {
      const name = String(payload.name ?? '');
      if (!name) return this.json(422, { message: 'Validation Failed', errors: [{ resource: 'Label', code: 'missing_field', field: 'name' }] });
      if (this.labels.has(name)) return this.json(422, { message: 'Validation Failed', errors: [{ resource: 'Label', code: 'already_exists', field: 'name' }] });
      this.labels.add(name);
      return this.json(201, { name });
    }
    if (rest === '/issues' && req.method === 'GET') {
      const wanted = (req.query.get('labels') ?? '').split(',').filter(Boolean);
      const state = req.query.get('state') ?? 'open';
      const perPage = Math.min(Number(req.query.get('per_page') ?? 30), this.options.maxPerPage ?? 100);
      const page = Number(req.query.get('page') ?? 1);
      const all = this.issues.filter((i) => wanted.every((l) => i.labels.includes(l)) && (state === 'all' || i.state === state));
      const slice = all.slice((page - 1) * perPage, page * perPage);
      const headers: Record<string, string> = {};
      if (page * perPage < all.length) headers.link = `<${this.url}${req.path}?page=${page + 1}>; rel="next", <${this.url}${req.path}?page=${Math.ceil(all.length / perPage)}>; rel="last"`;
      return this.json(200, slice.map((i) => this.view(i)), headers);
    }
    if (rest === '/issues' && req.method === 'POST') {
      const title = payload.title;
      const body = typeof payload.body === 'string' ? payload.body : '';
      if (typeof title !== 'string' || !title) return this.json(422, { message: 'Validation Failed', errors: [{ resource: 'Issue', code: 'missing_field', field: 'title' }] });
      if (title.length > 256) return this.json(422, { message: 'Validation Failed', errors: [{ resource: 'Issue', code: 'custom', field: 'title', message: 'title is too long (maximum is 256 characters)' }] });
      if (body.length > BODY_LIMIT) return this.json(422, { message: 'Validation Failed', errors: [{ resource: 'Issue', code: 'custom', field: 'body', message: `body is too long (maximum is ${BODY_LIMIT} characters)` }] });
      const labels = Array.isArray(payload.labels) ? payload.labels.map(String) : [];
      for (const l of labels) this.labels.add(l); // GitHub creates labels named on a new issue
      const issue = this.seed({ title, body, labels, state: 'open', state_reason: null });
      return this.json(201, this.view(issue));
    }
    if ((m = /^\/issues\/(\d+)$/.exec(rest)) && req.method === 'PATCH') {
      const issue = this.issues.find((i) => i.number === Number(m![1]));
      if (!issue) return this.json(404, { message: 'Not Found' });
      if (payload.state === 'open' || payload.state === 'closed') issue.state = payload.state;
      if ('state_reason' in payload) issue.state_reason = payload.state_reason === null ? null : String(payload.state_reason);
      if (typeof payload.body === 'string') issue.body = payload.body;
      return this.json(200, this.view(issue));
    }
    if ((m = /^\/issues\/(\d+)\/comments$/.exec(rest)) && req.method === 'POST') {
      const issue = this.issues.find((i) => i.number === Number(m![1]));
      if (!issue) return this.json(404, { message: 'Not Found' });
      const body = payload.body;
      if (typeof body !== 'string' || !body) return this.json(422, { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }] });
      if (body.length > BODY_LIMIT) return this.json(422, { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: `body is too long (maximum is ${BODY_LIMIT} characters)` }] });
      issue.comments.push(body);
      return this.json(201, { id: issue.comments.length, body });
    }
    return this.json(404, { message: 'Not Found' });
  }

  private view(i: FakeIssue): Record<string, unknown> {
    return {
      number: i.number,
      title: i.title,
      body: i.body,
      state: i.state,
      state_reason: i.state_reason,
      labels: i.labels.map((name) => ({ name })),
      html_url: `https://github.example/${this.options.owner}/${this.options.repo}/issues/${i.number}`,
      comments: i.comments.length,
      ...(i.pull_request ? { pull_request: i.pull_request } : {}),
    };
  }
}
