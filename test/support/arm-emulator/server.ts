/**
 * The ARM emulator: an HTTPS server on 127.0.0.1 that real Azure SDK clients talk to unmodified
 * except for endpoint and credential (docs/arm-emulator.md). Resources live in memory. Every
 * request body and every response body is validated against the OpenAPI documents of the shared
 * REST specs (`specs.ts`); a request ARM would reject with 400 is rejected here the same way, with
 * ARM's error shape `{ "error": { "code", "message" } }`, and a response of the emulator's own that
 * fails its schema is answered 501 and recorded in `invalidResponses` (tests assert it stays empty).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { sharedData } from '../paths.js';
import { makeCertificate, type Certificate } from './cert.js';
import { Faults, type FaultHit } from './faults.js';
import { GuestProvisioning } from './guest-provisioning.js';
import { InFlight } from './in-flight.js';
import { KqlError, runKqlLazy } from './kql.js';
import { addArmMetadata } from './arm-additions.js';
import { RemediationClock, type RemediationOptions } from './remediations.js';
import { SpecIndex, type MatchedOperation, type Operation } from './specs.js';
import type { EmulatorState, Row } from './state.js';

type Json = Record<string, unknown>;

/** The REST specs the emulator validates against (`$DRIFTSCAN_SHARED_DATA/azure-rest-specs/specification`). */
export const SPECS_RELATIVE = join('azure-rest-specs', 'specification');
export const defaultSpecsRoot = join(sharedData, SPECS_RELATIVE);

export interface LogEntry {
  time: string;
  method: string;
  /** The path as sent (before any query). */
  path: string;
  apiVersion: string | null;
  /** 0 when the connection was dropped without an answer. */
  status: number;
  /** The request body (parsed JSON, or the text when it is not JSON), null when there is none. */
  body: unknown;
  operationId?: string;
  userAgent?: string;
  fault?: string;
}

export interface EmulatorOptions {
  specsRoot?: string;
  state?: EmulatorState;
  /** Port on 127.0.0.1 (0 or absent: any free port). */
  port?: number;
  /** Serve plain HTTP instead of HTTPS (tests of the loopback-HTTP path). */
  http?: boolean;
  /** Items per page of ARM list operations (default 100). */
  pageSize?: number;
  /** Called for every request after it is answered (the `--log` file). */
  onLog?: (entry: LogEntry) => void;
  /**
   * SHA-256 (hex) of the only bearer token accepted; others get 401 InvalidAuthenticationToken. Lets a
   * test prove its token was sent without the emulator ever holding or logging the token itself.
   */
  tokenSha256?: string;
  /**
   * Tables produced on demand (a large fleet): each call returns a fresh iterable over the rows, so
   * a query streams through them instead of the emulator holding them. Read by Resource Graph only.
   */
  generatedTables?: Record<string, () => Iterable<Row>>;
  /** Resource Graph's per-user quota (documented example: 15 queries per 5 s); unlimited when absent. */
  graphQuota?: { queries: number; windowMs: number };
  /** Fixed latency added to every Resource Graph request (the benchmark's per-page cost). */
  graphLatencyMs?: number;
  /** Fixed latency added to every other ARM request (the benchmark's per-GET cost). */
  armLatencyMs?: number;
  /** Resource Graph answers `ResponsePayloadTooLarge` when a page's JSON is larger (real limit 16 MiB). */
  graphMaxPayloadBytes?: number;
  /** PolicyInsights remediation tasks: the tenant's running-task limit, the clock, injected deployment failures (remediations.ts). */
  remediations?: RemediationOptions;
}

const MACHINE_TYPES = new Map([
  ['microsoft.compute/virtualmachines', 'Microsoft.Compute/virtualMachines'],
  ['microsoft.compute/virtualmachinescalesets', 'Microsoft.Compute/virtualMachineScaleSets'],
  ['microsoft.hybridcompute/machines', 'Microsoft.HybridCompute/machines'],
]);

/** Resource Graph types that are ARM resources the emulator serves, with ARM's casing, by table. */
const SEEDED_TYPES = new Map([
  ['microsoft.guestconfiguration/guestconfigurationassignments', { arm: 'Microsoft.GuestConfiguration/guestConfigurationAssignments', table: 'guestconfigurationresources' }],
  ['microsoft.authorization/policydefinitions', { arm: 'Microsoft.Authorization/policyDefinitions', table: 'policyresources' }],
  ['microsoft.authorization/policysetdefinitions', { arm: 'Microsoft.Authorization/policySetDefinitions', table: 'policyresources' }],
  ['microsoft.authorization/policyassignments', { arm: 'Microsoft.Authorization/policyAssignments', table: 'policyresources' }],
  ['microsoft.authorization/policyexemptions', { arm: 'Microsoft.Authorization/policyExemptions', table: 'policyresources' }],
]);

const MAX_BODY = 8 * 1024 * 1024;
const DEFAULT_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

class HttpAnswer {
  /** Set on answers that are the same whenever asked (a cached Resource Graph page): the validated payload is kept under it. */
  memo?: string;
  constructor(readonly status: number, readonly body: unknown, readonly headers: Record<string, string> = {}) {}
}

function armError(status: number, code: string, message: string, headers: Record<string, string> = {}): HttpAnswer {
  return new HttpAnswer(status, { error: { code, message } }, headers);
}

function subscriptionOf(path: string): string | undefined {
  const m = /^\/subscriptions\/([^/]+)/i.exec(path);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

function resourceGroupOf(id: string): string {
  const m = /\/resourceGroups\/([^/]+)/i.exec(id);
  return m ? m[1]!.toLowerCase() : '';
}

/** `{ns}/{collection}/{name}` after the last `/providers/` of an id, or undefined for non-provider paths. */
function typeOf(id: string): { namespace: string; collection: string; name: string; parent: string } | undefined {
  const m = /^(.*)\/providers\/([^/]+)\/([^/]+)\/([^/]+)$/i.exec(id);
  if (!m) return undefined;
  return { parent: m[1]!, namespace: m[2]!, collection: m[3]!, name: m[4]! };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class ArmEmulator {
  readonly faults = new Faults();
  readonly requests: LogEntry[] = [];
  readonly invalidResponses: string[] = [];
  /** Requests being served at once, per method, and their peak (in-flight.ts). */
  readonly inFlight = new InFlight();
  /** The provisioningState sequence of guest configuration assignments (guest-provisioning.ts). */
  readonly guestProvisioning = new GuestProvisioning();
  /** Remediation tasks' clock, limit and failures (remediations.ts). */
  readonly remediations: RemediationClock;
  /** ARM resources by lower-case id. */
  readonly store = new Map<string, Json>();
  /** Machines (Resource Graph rows of machine types) by lower-case id. */
  readonly machines = new Map<string, Row>();
  pageSize: number;
  endpoint = '';
  private readonly sockets = new Set<Socket>();
  private readonly tenantId: string;
  private readonly rawTables = new Map<string, Row[]>();
  /** Resource Graph results by query and scope, kept while no ARM write happens (paging re-asks the same query). */
  private readonly graphResults = new Map<string, Row[]>();
  /**
   * Validated, serialised Resource Graph pages by query, scope and position: asked again (another
   * round of a benchmark), a page costs its latency only, as "fixed latency per page" means.
   */
  private readonly graphPages = new Map<string, string>();
  private quotaWindow = { start: 0, used: 0 };
  /** Resource Graph requests answered 429 because the quota was spent. */
  graphThrottled = 0;

  private constructor(
    readonly specs: SpecIndex,
    readonly state: EmulatorState,
    private readonly server: Server,
    readonly certificate: Certificate | undefined,
    private readonly options: EmulatorOptions,
  ) {
    this.pageSize = options.pageSize ?? 100;
    this.remediations = new RemediationClock(options.remediations);
    this.tenantId = state.tenantId ?? DEFAULT_TENANT;
    for (const [name, rows] of Object.entries(state.tables ?? {})) {
      const table = name.toLowerCase();
      const raw: Row[] = [];
      for (const row of rows) {
        const type = String(row.type);
        const seeded = SEEDED_TYPES.get(type);
        if (seeded) {
          this.store.set(String(row.id).toLowerCase(), this.armFromRow(row, seeded.arm));
        } else {
          raw.push(row);
          if (MACHINE_TYPES.has(type)) this.machines.set(String(row.id).toLowerCase(), row);
        }
      }
      this.rawTables.set(table, raw);
    }
  }

  /** Path of the CA certificate clients must trust (undefined with `http`). */
  get caPath(): string | undefined {
    return this.certificate?.certPath;
  }

  get caPem(): string | undefined {
    return this.certificate?.certPem;
  }

  static async start(options: EmulatorOptions = {}): Promise<ArmEmulator> {
    const specs = new SpecIndex(options.specsRoot ?? defaultSpecsRoot);
    const state: EmulatorState = options.state ?? { subscriptions: [] };
    const certificate = options.http ? undefined : makeCertificate();
    let emulator: ArmEmulator | undefined;
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      emulator!.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'EmulatorFailure', message: String((err as Error)?.stack ?? err) } }));
        }
      });
    };
    const server = certificate ? createHttpsServer({ key: certificate.keyPem, cert: certificate.certPem }, handler) : createHttpServer(handler);
    emulator = new ArmEmulator(specs, state, server, certificate, options);
    server.on('connection', (s: Socket) => {
      emulator!.sockets.add(s);
      s.on('close', () => emulator!.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    emulator.endpoint = `${certificate ? 'https' : 'http'}://127.0.0.1:${port}`;
    return emulator;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.certificate) rmSync(this.certificate.dir, { recursive: true, force: true });
  }

  /** A stored ARM resource by id (any case), or undefined. */
  resource(id: string): Json | undefined {
    return this.store.get(`/${id.replace(/^\/+/, '')}`.toLowerCase());
  }

  /** The rows of a Resource Graph table as a query would see them now (state rows plus ARM resources). */
  table(name: string): Row[] {
    const table = name.toLowerCase();
    const rows = [...(this.rawTables.get(table) ?? [])];
    const generated = Object.entries(this.options.generatedTables ?? {}).find(([n]) => n.toLowerCase() === table)?.[1];
    if (generated) for (const r of generated()) rows.push(r);
    for (const r of this.store.values()) {
      const seeded = SEEDED_TYPES.get(String(r.type).toLowerCase());
      if (seeded?.table === table) rows.push(this.rowFromArm(r));
    }
    return rows;
  }

  /** A table's rows lazily (state rows, ARM resources, generated rows), for queries. */
  private *tableRows(table: string): Iterable<Row> {
    yield* this.rawTables.get(table) ?? [];
    for (const r of this.store.values()) {
      const seeded = SEEDED_TYPES.get(String(r.type).toLowerCase());
      if (seeded?.table === table) yield this.rowFromArm(r);
    }
    const generated = Object.entries(this.options.generatedTables ?? {}).find(([n]) => n.toLowerCase() === table)?.[1];
    if (generated) yield* generated();
  }

  private hasTable(table: string): boolean {
    return this.rawTables.has(table) || ['resources', 'guestconfigurationresources', 'policyresources'].includes(table) || Object.keys(this.options.generatedTables ?? {}).some((n) => n.toLowerCase() === table);
  }

  private armFromRow(row: Row, armType: string): Json {
    const r: Json = { id: row.id, name: row.name, type: armType };
    if (typeof row.location === 'string' && row.location !== '') r.location = row.location;
    if (row.identity) r.identity = row.identity;
    r.properties = row.properties ?? {};
    return r;
  }

  private rowFromArm(r: Json): Row {
    const id = String(r.id);
    return {
      id,
      name: r.name,
      type: String(r.type).toLowerCase(),
      tenantId: this.tenantId,
      kind: '',
      location: typeof r.location === 'string' ? r.location.toLowerCase() : '',
      resourceGroup: resourceGroupOf(id),
      subscriptionId: subscriptionOf(id) ?? '',
      managementGroup: '',
      extendedLocation: null,
      sku: null,
      plan: null,
      properties: r.properties ?? {},
      tags: null,
      identity: r.identity ?? null,
      zones: null,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const leave = this.inFlight.enter(req.method ?? 'GET');
    try {
      await this.serve(req, res);
    } finally {
      leave();
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    // Parsed as a string: `new URL('//subscriptions/x', base)` would make `subscriptions` a host.
    const path = q >= 0 ? raw.slice(0, q) : raw;
    const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
    const apiVersion = query.get('api-version');
    const method = (req.method ?? 'GET').toUpperCase();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) {
        this.answer(req, res, { method, path, apiVersion, body: null }, armError(413, 'RequestEntityTooLarge', 'The request body is larger than the emulator accepts (8 MiB).'));
        return;
      }
      chunks.push(c as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = null;
    let badJson = false;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
        badJson = true;
      }
    }
    const entry = { method, path, apiVersion, body };
    const subs = [subscriptionOf(path), ...(Array.isArray((body as Json | null)?.subscriptions) ? ((body as Json).subscriptions as unknown[]).map(String) : [])].filter((s): s is string => s !== undefined);
    const hit = this.faults.take(method, path, subs);
    if (hit?.rule.delayMs) await sleep(hit.rule.delayMs);
    if (hit?.rule.drop) {
      req.socket.destroy();
      this.log({ ...entry, status: 0, fault: 'drop' }, req);
      return;
    }
    const latency = /\/providers\/Microsoft\.ResourceGraph\/resources$/i.test(path) ? this.options.graphLatencyMs : this.options.armLatencyMs;
    if (latency) await sleep(latency);
    if (method !== 'GET' && !/ResourceGraph/i.test(path)) {
      this.graphResults.clear();
      this.graphPages.clear();
    }
    const answer = this.route(req, method, path, query, apiVersion, body, badJson, hit);
    this.answer(req, res, entry, answer, hit);
  }

  private answer(req: IncomingMessage, res: ServerResponse, entry: Omit<LogEntry, 'time' | 'status'>, answer: HttpAnswer & { operation?: MatchedOperation }, hit?: FaultHit): void {
    let { status, body } = answer;
    const headers: Record<string, string> = { 'x-ms-request-id': randomUUID(), ...answer.headers, ...(hit?.rule.headers ?? {}) };
    const op = answer.operation?.op;
    const memo = answer.memo !== undefined && !hit ? this.graphPages.get(answer.memo) : undefined;
    if (memo !== undefined) {
      headers['content-type'] = 'application/json; charset=utf-8';
      res.writeHead(status, headers);
      res.end(memo);
      this.log({ ...entry, status, ...(op ? { operationId: op.operationId } : {}) }, req);
      return;
    }
    if (op && body !== undefined && !hit?.rule.status) {
      const ref = op.responses.has(String(status)) ? op.responses.get(String(status)) : op.responses.get('default');
      const problem = !op.responses.has(String(status)) && !op.responses.has('default')
        ? [`status ${status} is not a response of ${op.operationId}`]
        : ref ? this.specs.validate(ref, body) : [];
      if (problem.length > 0) {
        const what = `${op.operationId} ${status} response for ${entry.method} ${entry.path}: ${problem.join('; ')}`;
        this.invalidResponses.push(what);
        // 501, not 500: clients do not retry it, so a test fails at once on the emulator's own mistake.
        status = 501;
        body = { error: { code: 'EmulatorInvalidResponse', message: what } };
      }
    }
    const payload = body === undefined ? '' : JSON.stringify(body);
    if (answer.memo !== undefined && !hit && status === 200) {
      if (this.graphPages.size >= 1024) this.graphPages.clear();
      this.graphPages.set(answer.memo, payload);
    }
    if (payload) headers['content-type'] = 'application/json; charset=utf-8';
    res.writeHead(status, headers);
    res.end(payload);
    this.log({ ...entry, status, ...(op ? { operationId: op.operationId } : {}), ...(hit ? { fault: JSON.stringify(hit.rule) } : {}) }, req);
  }

  private log(entry: Omit<LogEntry, 'time'>, req: IncomingMessage): void {
    const full: LogEntry = { time: new Date().toISOString(), ...entry, ...(req.headers['user-agent'] ? { userAgent: String(req.headers['user-agent']) } : {}) };
    this.requests.push(full);
    this.options.onLog?.(full);
  }

  private route(req: IncomingMessage, method: string, path: string, query: URLSearchParams, apiVersion: string | null, body: unknown, badJson: boolean, hit: FaultHit | undefined): HttpAnswer & { operation?: MatchedOperation } {
    const sub = subscriptionOf(path);
    if (hit?.rule.forbid || (sub && this.faults.isForbidden(sub))) return this.forbidden(method, path, sub);
    if (hit?.rule.status !== undefined) {
      const h: Record<string, string> = {};
      if (hit.rule.retryAfter !== undefined) h['retry-after'] = String(hit.rule.retryAfter);
      if (hit.rule.retryAfterMs !== undefined) h['retry-after-ms'] = String(hit.rule.retryAfterMs);
      if (hit.rule.xMsRetryAfterMs !== undefined) h['x-ms-retry-after-ms'] = String(hit.rule.xMsRetryAfterMs);
      const code = hit.rule.code ?? (hit.rule.status === 429 ? 'TooManyRequests' : hit.rule.status >= 500 ? 'ServiceUnavailable' : 'Fault');
      return armError(hit.rule.status, code, hit.rule.message ?? `Injected fault ${hit.rule.status} (request ${hit.count}).`, h);
    }
    if (/\/\//.test(path)) return armError(400, 'InvalidRequestUri', `The request path '${path}' holds an empty segment ('//').`);
    const auth = req.headers.authorization;
    if (!auth || !/^Bearer \S+$/.test(auth)) return armError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing or is not a bearer token.");
    if (this.options.tokenSha256 && createHash('sha256').update(auth.slice('Bearer '.length)).digest('hex') !== this.options.tokenSha256.toLowerCase()) {
      return armError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
    }
    if (!apiVersion) return armError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
    if (badJson) return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized: the body is not JSON.');

    // Machines: GET on a machine id answers the Resource Graph row (no Compute spec is in the set).
    const machine = this.machines.get(path.toLowerCase());
    if (machine && method === 'GET') return new HttpAnswer(200, { id: machine.id, name: machine.name, type: MACHINE_TYPES.get(String(machine.type)), location: machine.location, properties: machine.properties ?? {} });

    const m = this.specs.match(method, path, apiVersion);
    if (!m.ok) {
      if (m.reason === 'unknown-version') return armError(400, 'NoRegisteredProviderFound', `No registered resource provider found for API version '${apiVersion}' at '${path}'. The supported api-versions are '${m.versions.join(', ')}'.`);
      if (m.reason === 'unknown-method') return armError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
      return armError(404, 'InvalidResourceType', `The emulator knows no operation at '${path}' (api-version ${apiVersion}).`);
    }
    const { op, params } = m.matched;
    const withOp = (a: HttpAnswer) => Object.assign(a, { operation: m.matched });
    for (const [name, check] of op.pathChecks) {
      const v = params[name];
      if (v === undefined) continue;
      if ((check.pattern && !check.pattern.test(v)) || (check.minLength !== undefined && v.length < check.minLength) || (check.maxLength !== undefined && v.length > check.maxLength)) {
        return withOp(armError(400, 'InvalidResourceName', `The value '${v}' of '${name}' does not match ${check.pattern ? `the pattern ${check.pattern.source}` : 'the length limits'}.`));
      }
    }
    if (op.bodyRef) {
      if (body === null && op.bodyRequired) return withOp(armError(400, 'InvalidRequestContent', `The request content was invalid: ${op.operationId} needs a body.`));
      if (body !== null) {
        const problems = this.specs.validate(op.bodyRef, body);
        if (problems.length) return withOp(armError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: ${problems.join('; ')}.`));
      }
    }
    if (sub && op.operationId !== 'Subscriptions_Get' && !this.subscription(sub)) {
      return withOp(armError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`));
    }
    return withOp(this.dispatch(method, path, query, body as Json | null, m.matched));
  }

  private subscription(id: string) {
    return this.state.subscriptions.find((s) => s.subscriptionId.toLowerCase() === id.toLowerCase());
  }

  private forbidden(method: string, path: string, sub: string | undefined): HttpAnswer {
    const t = typeOf(path);
    const action = t ? `${t.namespace}/${t.collection}/${method === 'GET' ? 'read' : method === 'DELETE' ? 'delete' : 'write'}` : `Microsoft.Resources/subscriptions/${method === 'GET' ? 'read' : 'write'}`;
    return armError(403, 'AuthorizationFailed', `The client 'driftscan-test' with object id '00000000-0000-0000-0000-0000000000aa' does not have authorization to perform action '${action}' over scope '${path}' or the scope is invalid.${sub ? '' : ''}`);
  }

  private dispatch(method: string, path: string, query: URLSearchParams, body: Json | null, matched: MatchedOperation): HttpAnswer {
    const { op } = matched;
    switch (op.operationId) {
      case 'Subscriptions_List':
        return this.page(op, path, query, this.state.subscriptions.map((s) => this.subscriptionResource(s)));
      case 'Subscriptions_Get': {
        const s = this.subscription(matched.params.subscriptionId!);
        return s ? new HttpAnswer(200, this.subscriptionResource(s)) : armError(404, 'SubscriptionNotFound', `The subscription '${matched.params.subscriptionId}' could not be found.`);
      }
      case 'Resources':
        return this.resourceGraph(body ?? {});
      case 'ManagementGroups_GetDescendants': {
        // Every subscription whose ancestors chain (resourcecontainers rows) names the group —
        // forbidden ones included: the group's readers see its descendants, as in ARM.
        const group = matched.params.groupId!;
        const subs = this.subscriptionsUnder(new Set([group.toLowerCase()]));
        if (subs.size === 0) return armError(404, 'NotFound', `The management group '${group}' was not found or has no descendants the emulator knows.`);
        const names = new Map<string, string>();
        for (const r of this.tableRows('resourcecontainers')) if (String(r.type) === 'microsoft.resources/subscriptions') names.set(String(r.subscriptionId).toLowerCase(), String(r.name));
        return this.page(op, path, query, [...subs].sort().map((sub) => ({
          id: `/subscriptions/${sub}`,
          type: 'Microsoft.Management/managementGroups/subscriptions',
          name: sub,
          properties: { displayName: names.get(sub) ?? sub, parent: { id: `/providers/Microsoft.Management/managementGroups/${group}` } },
        })));
      }
      default:
        break;
    }
    if (op.operationId.startsWith('Remediations_ListDeployments') || op.operationId.startsWith('Remediations_Cancel')) {
      const taskId = path.replace(/\/(listDeployments|cancel)$/i, '').toLowerCase();
      const task = this.store.get(taskId);
      if (!task) return this.notFound(taskId);
      if (op.operationId.startsWith('Remediations_Cancel')) {
        this.remediations.cancel(taskId);
        this.remediations.refresh(taskId, task);
        return new HttpAnswer(200, task);
      }
      return this.page(op, path, query, this.remediations.deployments(taskId));
    }
    if (op.pageable && method === 'GET') return this.list(op, path, query);
    const key = path.replace(/\/$/, '').toLowerCase();
    const existing = this.store.get(key);
    if (existing && String(existing.type).toLowerCase() === 'microsoft.policyinsights/remediations') this.remediations.refresh(key, existing);
    switch (method) {
      case 'GET':
        if (existing && String(existing.type).toLowerCase() === 'microsoft.guestconfiguration/guestconfigurationassignments') {
          const props = existing.properties as Json;
          props.provisioningState = this.guestProvisioning.afterGet(key, props.provisioningState);
        }
        return existing ? new HttpAnswer(200, existing) : this.notFound(path);
      case 'DELETE':
        if (!existing) return new HttpAnswer(op.responses.has('204') ? 204 : 200, undefined);
        this.store.delete(key);
        return new HttpAnswer(200, op.responses.get('200') ? existing : undefined);
      case 'PUT': {
        const made = this.build(path, body ?? {}, existing);
        if (made instanceof HttpAnswer) return made;
        this.store.set(key, made);
        const status = existing ? (op.responses.has('200') ? 200 : 201) : op.responses.has('201') ? 201 : 200;
        return new HttpAnswer(status, made);
      }
      case 'PATCH': {
        if (!existing) return this.notFound(path);
        const merged: Json = { ...existing, ...(body ?? {}), properties: { ...(existing.properties as Json), ...((body?.properties as Json | undefined) ?? {}) } };
        const made = this.build(path, merged, existing);
        if (made instanceof HttpAnswer) return made;
        this.store.set(key, made);
        return new HttpAnswer(200, made);
      }
      default:
        return armError(501, 'NotImplemented', `The emulator does not implement ${op.operationId}.`);
    }
  }

  private notFound(path: string): HttpAnswer {
    const t = typeOf(path);
    return armError(404, 'ResourceNotFound', t ? `The Resource '${t.namespace}/${t.collection}/${t.name}' under '${t.parent || '/'}' was not found.` : `The resource '${path}' was not found.`);
  }

  private subscriptionResource(s: { subscriptionId: string; displayName: string; state?: string }): Json {
    return {
      id: `/subscriptions/${s.subscriptionId}`,
      subscriptionId: s.subscriptionId,
      displayName: s.displayName,
      tenantId: this.tenantId,
      state: s.state ?? 'Enabled',
      subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
      authorizationSource: 'RoleBased',
    };
  }

  /** The resource a PUT (or PATCH) leaves behind, or an ARM error for what ARM checks beyond the schema. */
  private build(path: string, body: Json, existing: Json | undefined): Json | HttpAnswer {
    const id = path.replace(/\/$/, '');
    const t = typeOf(id);
    if (!t) return armError(400, 'InvalidResourceId', `'${id}' is not a resource id.`);
    const type = `${t.namespace}/${t.collection}`;
    const properties: Json = { ...((body.properties as Json | undefined) ?? {}) };
    const r: Json = { ...body, id, name: t.name, type, properties };
    addArmMetadata(type, properties, existing);
    switch (type.toLowerCase()) {
      case 'microsoft.authorization/policydefinitions':
      case 'microsoft.authorization/policysetdefinitions':
        properties.policyType ??= 'Custom';
        break;
      case 'microsoft.authorization/policyassignments': {
        const defId = String(properties.policyDefinitionId ?? '');
        if (/\/(subscriptions|managementGroups)\//i.test(defId) && !this.store.has(defId.toLowerCase())) {
          return armError(404, 'PolicyDefinitionNotFound', `The policy definition '${defId}' could not be found.`);
        }
        const identity = body.identity as Json | undefined;
        if (identity && identity.type === 'SystemAssigned') {
          if (!body.location) return armError(400, 'InvalidRequestContent', 'A policy assignment with a managed identity must have a location.');
          const old = existing?.identity as Json | undefined;
          r.identity = { type: 'SystemAssigned', principalId: old?.principalId ?? randomUUID(), tenantId: this.tenantId };
        }
        properties.scope = `/${t.parent.replace(/^\/+/, '')}`;
        properties.enforcementMode ??= 'Default';
        properties.notScopes ??= [];
        break;
      }
      case 'microsoft.authorization/policyexemptions': {
        const aId = String(properties.policyAssignmentId ?? '');
        if (!this.store.has(aId.toLowerCase())) return armError(404, 'PolicyAssignmentNotFound', `The policy assignment '${aId}' could not be found.`);
        break;
      }
      case 'microsoft.authorization/roleassignments': {
        const scope = `/${t.parent.replace(/^\/+/, '')}`;
        for (const other of this.store.values()) {
          const op = other.properties as Json;
          if (String(other.type).toLowerCase() !== 'microsoft.authorization/roleassignments' || String(other.id).toLowerCase() === id.toLowerCase()) continue;
          if (String(op.scope).toLowerCase() === scope.toLowerCase() && op.principalId === properties.principalId && String(op.roleDefinitionId).toLowerCase() === String(properties.roleDefinitionId).toLowerCase()) {
            return armError(409, 'RoleAssignmentExists', 'The role assignment already exists.');
          }
        }
        const now = new Date().toISOString();
        properties.scope = scope;
        properties.createdOn = (existing?.properties as Json | undefined)?.createdOn ?? now;
        properties.updatedOn = now;
        break;
      }
      case 'microsoft.policyinsights/remediations': {
        const assignment = this.store.get(String(properties.policyAssignmentId ?? '').toLowerCase());
        const refused = this.remediations.put(id, properties, existing, assignment);
        if (refused) return armError(...refused);
        if (existing) return existing;
        const now = new Date().toISOString();
        properties.resourceDiscoveryMode ??= 'ExistingNonCompliant';
        properties.provisioningState = 'Accepted';
        properties.createdOn = now;
        properties.lastUpdatedOn = now;
        properties.deploymentStatus = { totalDeployments: 0, successfulDeployments: 0, failedDeployments: 0 };
        properties.correlationId = randomUUID();
        properties.statusMessage = '';
        this.remediations.refresh(id.toLowerCase(), r);
        break;
      }
      case 'microsoft.guestconfiguration/guestconfigurationassignments': {
        const machineId = t.parent;
        if (!this.machines.has(machineId.toLowerCase())) {
          const name = machineId.split('/').pop();
          return armError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${name}' not found.`);
        }
        const gc = { ...((properties.guestConfiguration as Json | undefined) ?? {}) };
        gc.contentType = 'Custom';
        properties.guestConfiguration = gc;
        properties.provisioningState = this.guestProvisioning.afterPut(id);
        properties.complianceStatus = (existing?.properties as Json | undefined)?.complianceStatus ?? 'Pending';
        properties.targetResourceId = machineId;
        break;
      }
      default:
        break;
    }
    return r;
  }

  private list(op: Operation, path: string, query: URLSearchParams): HttpAnswer {
    const listPath = path.replace(/\/$/, '');
    const t = /^(.*)\/providers\/([^/]+)\/([^/]+)$/i.exec(listPath);
    const items: Json[] = [];
    if (t) {
      const scope = t[1]!.toLowerCase();
      const suffix = `/providers/${t[2]}/${t[3]}/`.toLowerCase();
      for (const [id, r] of this.store) {
        const at = id.lastIndexOf('/providers/');
        if (at < 0 || !id.slice(at).startsWith(suffix) || id.slice(at + suffix.length).includes('/')) continue;
        if (id.slice(0, at).startsWith(scope)) {
          if (String(r.type).toLowerCase() === 'microsoft.policyinsights/remediations') this.remediations.refresh(id, r);
          items.push(r);
        }
      }
    }
    items.sort((a, b) => String(a.id).localeCompare(String(b.id)));
    return this.page(op, path, query, items);
  }

  /** One page of `items`, with a nextLink on the emulator's own endpoint while more remain. */
  private page(op: Operation, path: string, query: URLSearchParams, items: Json[]): HttpAnswer {
    const apiVersion = op.apiVersion;
    const offset = Number(query.get('$skiptoken') ?? query.get('$skipToken') ?? 0) || 0;
    const slice = items.slice(offset, offset + this.pageSize);
    const next = offset + this.pageSize < items.length ? `${this.endpoint}${path}?api-version=${encodeURIComponent(apiVersion)}&$skiptoken=${offset + this.pageSize}` : undefined;
    const body: Json = { value: slice, ...(next ? { nextLink: next } : {}) };
    // Some list schemas (SubscriptionListResult 2022-12-01) declare nextLink required: the last page
    // then carries an empty one, which every client reads as "no more pages".
    if (!next && op.responses.get('200') && this.specs.validate(op.responses.get('200')!, body).some((e) => e.includes("required property 'nextLink'"))) body.nextLink = '';
    return new HttpAnswer(200, body);
  }

  /** Resource Graph's quota headers (`x-ms-user-quota-remaining`, `x-ms-user-quota-resets-after` hh:mm:ss); undefined when spent. */
  private spendQuota(): { headers: Record<string, string>; spent: boolean } {
    const q = this.options.graphQuota;
    if (!q) return { headers: {}, spent: false };
    const now = Date.now();
    if (now - this.quotaWindow.start >= q.windowMs) this.quotaWindow = { start: now, used: 0 };
    this.quotaWindow.used += 1;
    const left = Math.max(0, q.windowMs - (now - this.quotaWindow.start));
    const secs = Math.ceil(left / 1000);
    const hhmmss = `${String(Math.floor(secs / 3600)).padStart(2, '0')}:${String(Math.floor(secs / 60) % 60).padStart(2, '0')}:${String(secs % 60).padStart(2, '0')}`;
    const remaining = Math.max(0, q.queries - this.quotaWindow.used);
    return { headers: { 'x-ms-user-quota-remaining': String(remaining), 'x-ms-user-quota-resets-after': hhmmss }, spent: this.quotaWindow.used > q.queries };
  }

  private resourceGraph(body: Json): HttpAnswer {
    const quota = this.spendQuota();
    if (quota.spent) {
      this.graphThrottled += 1;
      const retry = quota.headers['x-ms-user-quota-resets-after']!.split(':').reduce((a, b) => a * 60 + Number(b), 0);
      return armError(429, 'RateLimiting', 'Please provide below info when asking for support: timestamp, correlationId. Client application has been throttled.', { ...quota.headers, 'retry-after': String(Math.max(1, retry)) });
    }
    const options = (body.options as Json | undefined) ?? {};
    if (options.resultFormat === 'table') return armError(400, 'BadRequest', "The emulator's Resource Graph answers resultFormat objectArray only.");
    const top = typeof options.$top === 'number' ? options.$top : 100;
    let skip = typeof options.$skip === 'number' ? options.$skip : 0;
    const query = String(body.query);
    if (typeof options.$skipToken === 'string') {
      try {
        const tok = JSON.parse(Buffer.from(options.$skipToken, 'base64url').toString('utf8')) as { offset: number; query: string };
        if (tok.query !== query) return armError(400, 'BadRequest', 'The $skipToken belongs to a different query.');
        skip = tok.offset;
      } catch {
        return armError(400, 'BadRequest', 'The $skipToken is not valid.');
      }
    }
    const wanted = Array.isArray(body.subscriptions) ? new Set((body.subscriptions as string[]).map((s) => s.toLowerCase())) : undefined;
    const groups = Array.isArray(body.managementGroups) ? new Set((body.managementGroups as string[]).map((s) => s.toLowerCase())) : undefined;
    // Resource Graph answers only for subscriptions in scope that the caller can read: rows of
    // forbidden ones are left out before the query runs, so a summarize counts only readable rows.
    const underGroups = groups ? this.subscriptionsUnder(groups) : undefined;
    const inScope = (r: Row) => {
      const sub = typeof r.subscriptionId === 'string' && r.subscriptionId !== '' ? r.subscriptionId.toLowerCase() : undefined;
      if (sub === undefined) return true;
      if (this.faults.isForbidden(sub)) return false;
      if (underGroups) return underGroups.has(sub);
      return !wanted || wanted.has(sub);
    };
    const key = JSON.stringify([query, [...(wanted ?? [])], [...(groups ?? [])], [...this.faults.forbiddenSubscriptions()]]);
    let rows = this.graphResults.get(key);
    if (!rows) {
      try {
        const self = this;
        rows = [...runKqlLazy(query, (table) => (self.hasTable(table) ? (function* () { for (const r of self.tableRows(table)) if (inScope(r)) yield r; })() : undefined))];
      } catch (err) {
        if (!(err instanceof KqlError)) throw err;
        return new HttpAnswer(400, {
          error: {
            code: 'BadRequest',
            message: 'Please provide below info when asking for support: timestamp, correlationId.',
            details: [{ code: 'InvalidQuery', message: `Query is invalid. ${err.message}` }],
          },
        }, quota.headers);
      }
      if (this.graphResults.size > 8) this.graphResults.clear();
      this.graphResults.set(key, rows);
    }
    const page = rows.slice(skip, skip + top);
    const more = skip + top < rows.length;
    const answer = {
      totalRecords: rows.length,
      count: page.length,
      resultTruncated: 'false',
      ...(more ? { $skipToken: Buffer.from(JSON.stringify({ offset: skip + top, query })).toString('base64url') } : {}),
      data: page,
      facets: [],
    };
    const limit = this.options.graphMaxPayloadBytes;
    if (limit !== undefined && JSON.stringify(answer).length > limit) {
      return new HttpAnswer(400, {
        error: {
          code: 'BadRequest',
          message: 'Please provide below info when asking for support: timestamp, correlationId.',
          details: [{ code: 'ResponsePayloadTooLarge', message: `Response payload size is larger than the limit of ${limit} bytes. Please reduce the page size ($top).` }],
        },
      }, quota.headers);
    }
    return Object.assign(new HttpAnswer(200, answer, quota.headers), { memo: JSON.stringify([key, skip, top, limit ?? null]) });
  }

  /** Subscriptions (lower case) whose `managementGroupAncestorsChain` (resourcecontainers rows) names one of `groups`. */
  private subscriptionsUnder(groups: Set<string>): Set<string> {
    const subs = new Set<string>();
    for (const r of this.tableRows('resourcecontainers')) {
      if (String(r.type) !== 'microsoft.resources/subscriptions') continue;
      const chain = ((r.properties as Json | undefined)?.managementGroupAncestorsChain ?? []) as Array<{ name?: string }>;
      if (chain.some((g) => groups.has(String(g.name).toLowerCase()))) subs.add(String(r.subscriptionId).toLowerCase());
    }
    return subs;
  }
}
