/**
 * The plumbing the local fakes of GitHub and Azure DevOps share: an HTTP server on 127.0.0.1 that
 * records every request (method, path, query, headers, body) and can be told to answer the next
 * matching requests with a fault (429 with Retry-After, 500, a 403 rate limit) before the fake's
 * own handler sees them. Loopback only: nothing leaves the machine.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** Whether the fake answered with an injected fault. */
  faulted: boolean;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface Fault extends FakeResponse {
  /** Only requests with this method (default: any). */
  method?: string;
  /** Only requests whose path matches (default: any). */
  path?: RegExp;
  /** How many matching requests get the fault (default 1). */
  times?: number;
}

export type FakeHandler = (req: RecordedRequest) => FakeResponse;

export class HttpFake {
  readonly requests: RecordedRequest[] = [];
  private readonly faults: (Fault & { left: number })[] = [];
  private server: Server | undefined;
  url = '';

  constructor(private readonly handler: FakeHandler) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://127.0.0.1');
        const rec: RecordedRequest = { method: req.method ?? 'GET', path: decodeURIComponent(u.pathname), query: u.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), faulted: false };
        this.requests.push(rec);
        const fault = this.faults.find((f) => f.left > 0 && (f.method === undefined || f.method === rec.method) && (f.path === undefined || f.path.test(rec.path)));
        let answer: FakeResponse;
        if (fault) {
          fault.left -= 1;
          rec.faulted = true;
          answer = fault;
        } else {
          try {
            answer = this.handler(rec);
          } catch (err) {
            answer = { status: 500, body: { message: `fake failed: ${String(err)}` } };
          }
        }
        const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
        res.writeHead(answer.status, { ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...answer.headers });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The next `times` requests matching get this answer instead of the fake's. */
  inject(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** Requests not answered with a fault, optionally only those matching method and path. */
  served(method?: string, path?: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => !r.faulted && (method === undefined || r.method === method) && (path === undefined || path.test(r.path)));
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
