/**
 * An HTTPS proxy on 127.0.0.1 in front of Azurite that answers chosen requests with a fault
 * a given number of times, then forwards them — what Blob Storage and the network do that Azurite
 * itself never does:
 *   - `status` (the default): an error answer (503 ServerBusy, 500 InternalError, 403 …);
 *   - `reset`: the connection is dropped before any answer;
 *   - `truncate`: the upstream answer's headers and the first half of its body, then the
 *     connection is dropped (a body cut short);
 *   - `delay`: the request is held `delayMs` before it is forwarded (a slow or hanging service);
 *   - `before`: `before()` runs, then the request is forwarded (a blob overwritten mid-read).
 * It logs every request (method, path, status, Range header), so tests can count attempts. It
 * uses the Azurite certificate, so the CLI trusts both the same way.
 */
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Certificate } from './arm-emulator/cert.js';

export interface FaultRule {
  method: string;
  /** A substring of the request path. */
  path: string;
  /** What to do (default `status`). */
  action?: 'status' | 'reset' | 'truncate' | 'delay' | 'before';
  /** For `status`: the answer's status and `x-ms-error-code`. */
  status?: number;
  code?: string;
  /** For `delay`. */
  delayMs?: number;
  /** For `before`. */
  before?: () => Promise<void>;
  /** Let this many matching requests through untouched first (default 0). */
  skip?: number;
  times: number;
}

export interface FaultProxy {
  /** `https://127.0.0.1:PORT/<account>`. */
  accountUrl: string;
  log: Array<{ method: string; path: string; status: number; range?: string | undefined }>;
  close(): Promise<void>;
}

export async function startFaultProxy(upstreamPort: number, account: string, cert: Certificate, rules: FaultRule[]): Promise<FaultProxy> {
  const log: FaultProxy['log'] = [];
  const left = rules.map((r) => ({ ...r }));
  const forward = (req: IncomingMessage, res: ServerResponse, path: string, truncate: boolean) => {
    const upstream = httpsRequest({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${upstreamPort}` }, ca: cert.certPem }, (up) => {
      log.push({ method: req.method!, path, status: up.statusCode ?? 0, range: rangeOf(req) });
      res.writeHead(up.statusCode ?? 502, up.headers);
      if (!truncate) {
        up.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const body = Buffer.concat(chunks);
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
      });
    });
    upstream.once('error', (err) => {
      log.push({ method: req.method!, path, status: 502, range: rangeOf(req) });
      res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(upstream);
  };
  const server: Server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const rule = left.find((r) => r.times > 0 && r.method === req.method && path.includes(r.path));
    if (rule && (rule.skip ?? 0) > 0) {
      rule.skip! -= 1;
      forward(req, res, path, false);
      return;
    }
    if (!rule) {
      forward(req, res, path, false);
      return;
    }
    rule.times -= 1;
    switch (rule.action ?? 'status') {
      case 'status':
        log.push({ method: req.method!, path, status: rule.status!, range: rangeOf(req) });
        req.resume();
        req.once('end', () => {
          res.writeHead(rule.status!, { 'content-type': 'application/xml', 'x-ms-error-code': rule.code! });
          res.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${rule.code}</Code><Message>injected by the test proxy</Message></Error>`);
        });
        return;
      case 'reset':
        log.push({ method: req.method!, path, status: 0, range: rangeOf(req) });
        req.socket.destroy();
        return;
      case 'truncate':
        forward(req, res, path, true);
        return;
      case 'delay': {
        const t = setTimeout(() => forward(req, res, path, false), rule.delayMs ?? 0);
        req.socket.once('close', () => clearTimeout(t));
        return;
      }
      case 'before':
        void rule.before!().then(() => forward(req, res, path, false));
        return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    accountUrl: `https://127.0.0.1:${port}/${account}`,
    log,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function rangeOf(req: IncomingMessage): string | undefined {
  const r = req.headers['x-ms-range'] ?? req.headers.range;
  return Array.isArray(r) ? r[0] : r;
}
