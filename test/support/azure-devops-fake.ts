/**
 * A local fake of the parts of Azure DevOps' work item REST API that `--notify azure-devops` uses:
 * WIQL queries (`POST {org}/{project}/_apis/wit/wiql`, api-version 7.1), creating a work item from
 * a JSON Patch document (`POST …/wit/workitems/$Type`, `application/json-patch+json`) and adding a
 * comment (`POST …/wit/workItems/{id}/comments`, api-version 7.1-preview.4). It enforces the token
 * (`Bearer` for System.AccessToken, `Basic :PAT` for a personal access token; 401 otherwise, or with
 * `signInPage` the 203 + HTML sign-in page Azure DevOps answers a bad PAT with), the api-version,
 * the content types, the JSON Patch shape (an array of `{op, path, value}` on `/fields/…` or
 * `/multilineFieldsFormat/…`), the work item types the project has, and `System.Title` ≤ 255.
 *
 * WIQL: the fake understands the one query shape the client sends (project, tag, exact title) and
 * answers 400 for anything else, so a change to the query fails the tests instead of passing
 * unchecked.
 */
import { HttpFake, type FakeResponse, type RecordedRequest } from './http-fake.js';

export interface FakeWorkItem {
  id: number;
  type: string;
  fields: Record<string, unknown>;
  formats: Record<string, string>;
  tags: string[];
  comments: { text: string; format: string }[];
}

export interface AzureDevOpsFakeOptions {
  token: string;
  org: string;
  project: string;
  /** Work item types the project's process has (default: Basic's Issue, Task, Epic). */
  types?: string[];
  signInPage?: boolean;
}

const WIQL = /^SELECT \[System\.Id\] FROM WorkItems WHERE \[System\.TeamProject\] = @project AND \[System\.Tags\] CONTAINS '((?:[^']|'')*)' AND \[System\.Title\] = '((?:[^']|'')*)' ORDER BY \[System\.Id\] ASC$/;

export class AzureDevOpsFake extends HttpFake {
  readonly items: FakeWorkItem[] = [];

  constructor(readonly options: AzureDevOpsFakeOptions) {
    super((req) => this.answer(req));
  }

  /** The organisation URL to put in SYSTEM_COLLECTIONURI. */
  get orgUrl(): string {
    return `${this.url}/${this.options.org}/`;
  }

  private json(status: number, body: unknown): FakeResponse {
    return { status, body };
  }

  private answer(req: RecordedRequest): FakeResponse {
    const auth = req.headers.authorization ?? '';
    const basic = /^Basic (.+)$/.exec(auth);
    const basicToken = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').replace(/^[^:]*:/, '') : undefined;
    if (auth !== `Bearer ${this.options.token}` && basicToken !== this.options.token) {
      if (this.options.signInPage) return { status: 203, headers: { 'content-type': 'text/html' }, body: undefined };
      return this.json(401, { message: 'TF400813: The user is not authorized to access this resource.', typeKey: 'UnauthorizedRequestException' });
    }
    const base = `/${this.options.org}/${this.options.project}/_apis/wit`;
    if (!req.path.startsWith(`${base}/`)) return this.json(404, { message: `TF200016: The following project does not exist: ${req.path.split('/')[2] ?? ''}`, typeKey: 'ProjectDoesNotExistException' });
    const rest = req.path.slice(base.length);
    const apiVersion = req.query.get('api-version');
    let payload: unknown;
    try {
      payload = req.body ? JSON.parse(req.body) : undefined;
    } catch {
      return this.json(400, { message: 'VS402328: the request body is not valid JSON', typeKey: 'InvalidArgumentValueException' });
    }
    const contentType = String(req.headers['content-type'] ?? '');
    let m: RegExpExecArray | null;
    if (rest === '/wiql' && req.method === 'POST') {
      if (apiVersion !== '7.1') return this.json(400, { message: `api-version '${apiVersion}' is not 7.1` });
      if (!contentType.startsWith('application/json')) return this.json(415, { message: 'VS403403: Content-Type must be application/json' });
      const query = (payload as { query?: unknown } | undefined)?.query;
      const q = typeof query === 'string' ? WIQL.exec(query) : null;
      if (!q) return this.json(400, { message: `TF51006: The query statement is not the one this fake understands: ${String(query)}`, typeKey: 'WiqlSyntaxException' });
      const tag = q[1]!.replace(/''/g, "'");
      const title = q[2]!.replace(/''/g, "'");
      const top = Number(req.query.get('$top') ?? 20000);
      const found = this.items.filter((i) => i.tags.some((t) => t.toLowerCase() === tag.toLowerCase()) && String(i.fields['System.Title']).toLowerCase() === title.toLowerCase()).slice(0, top);
      return this.json(200, { queryType: 'flat', workItems: found.map((i) => ({ id: i.id, url: `${this.orgUrl}_apis/wit/workItems/${i.id}` })) });
    }
    if ((m = /^\/workitems\/\$([^/]+)$/.exec(rest)) && req.method === 'POST') {
      if (apiVersion !== '7.1') return this.json(400, { message: `api-version '${apiVersion}' is not 7.1` });
      if (contentType.split(';')[0] !== 'application/json-patch+json') return this.json(415, { message: 'VS403427: Content-Type must be application/json-patch+json' });
      const type = (this.options.types ?? ['Issue', 'Task', 'Epic']).find((t) => t.toLowerCase() === m![1]!.toLowerCase());
      if (!type) return this.json(404, { message: `VS402323: Work item type ${m[1]} does not exist in project ${this.options.project} or you do not have permission to access it.`, typeKey: 'WorkItemTypeNotFoundException' });
      if (!Array.isArray(payload) || payload.length === 0) return this.json(400, { message: 'VS403392: the body must be a JSON Patch document (an array of operations)' });
      const item: FakeWorkItem = { id: 1000 + this.items.length + 1, type, fields: {}, formats: {}, tags: [], comments: [] };
      for (const op of payload as { op?: unknown; path?: unknown; value?: unknown }[]) {
        if (op === null || typeof op !== 'object' || op.op !== 'add' || typeof op.path !== 'string' || !('value' in op)) return this.json(400, { message: `VS403392: not a JSON Patch add operation: ${JSON.stringify(op)}` });
        const f = /^\/fields\/([A-Za-z][\w.]*)$/.exec(op.path);
        const fmt = /^\/multilineFieldsFormat\/([A-Za-z][\w.]*)$/.exec(op.path);
        if (f) item.fields[f[1]!] = op.value;
        else if (fmt && (op.value === 'Markdown' || op.value === 'Html')) item.formats[fmt[1]!] = op.value;
        else return this.json(400, { message: `VS403391: unsupported patch path or value: ${op.path}` });
      }
      const title = item.fields['System.Title'];
      if (typeof title !== 'string' || !title.trim()) return this.json(400, { message: 'TF401320: Rule Error for field Title. Error code: Required, HasValues.' });
      if (title.length > 255) return this.json(400, { message: 'TF401320: Rule Error for field Title. Error code: LimitedToLength 255.' });
      for (const field of Object.keys(item.formats)) if (!(field in item.fields)) return this.json(400, { message: `format set for ${field}, which the document does not set` });
      item.tags = String(item.fields['System.Tags'] ?? '').split(';').map((t) => t.trim()).filter(Boolean);
      this.items.push(item);
      return this.json(200, { id: item.id, rev: 1, fields: item.fields, url: `${this.orgUrl}_apis/wit/workItems/${item.id}` });
    }
    if ((m = /^\/workItems\/(\d+)\/comments$/.exec(rest)) && req.method === 'POST') {
      if (apiVersion !== '7.1-preview.4') return this.json(400, { message: `api-version '${apiVersion}' is not 7.1-preview.4` });
      if (!contentType.startsWith('application/json')) return this.json(415, { message: 'Content-Type must be application/json' });
      const item = this.items.find((i) => i.id === Number(m![1]));
      if (!item) return this.json(404, { message: `TF401232: Work item ${m[1]} does not exist.` });
      const text = (payload as { text?: unknown } | undefined)?.text;
      if (typeof text !== 'string' || !text) return this.json(400, { message: 'comment text is required' });
      item.comments.push({ text, format: req.query.get('format') ?? 'html' });
      return this.json(200, { workItemId: item.id, id: item.comments.length, text });
    }
    return this.json(404, { message: `no route ${req.method} ${req.path}` });
  }
}
