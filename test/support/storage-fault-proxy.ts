/**
 * An HTTPS proxy on 127.0.0.1 in front of Azurite that answers chosen requests with a fault
 * (503 ServerBusy, 500 InternalError) a given number of times, then forwards them — Blob Storage's
 * throttling, which Azurite itself never produces. It logs every request (method, path, status), so
 * tests can count attempts. It uses the Azurite certificate, so the CLI trusts both the same way.
 */
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:https';
import type { Certificate } from './arm-emulator/cert.js';

export interface FaultRule {
  method: string;
  /** A substring of the request path. */
  path: string;
  status: number;
  code: string;
  times: number;
}

export interface FaultProxy {
  /** `https://127.0.0.1:PORT/<account>`. */
  accountUrl: string;
  log: Array<{ method: string; path: string; status: number }>;
  close(): Promise<void>;
}

export async function startFaultProxy(upstreamPort: number, account: string, cert: Certificate, rules: FaultRule[]): Promise<FaultProxy> {
  const log: FaultProxy['log'] = [];
  const left = rules.map((r) => ({ ...r }));
  const server: Server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const rule = left.find((r) => r.times > 0 && r.method === req.method && path.includes(r.path));
    if (rule) {
      rule.times -= 1;
      log.push({ method: req.method!, path, status: rule.status });
      req.resume();
      req.once('end', () => {
        res.writeHead(rule.status, { 'content-type': 'application/xml', 'x-ms-error-code': rule.code });
        res.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${rule.code}</Code><Message>injected by the test proxy</Message></Error>`);
      });
      return;
    }
    const upstream = httpsRequest({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${upstreamPort}` }, ca: cert.certPem }, (up) => {
      log.push({ method: req.method!, path, status: up.statusCode ?? 0 });
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.once('error', (err) => {
      log.push({ method: req.method!, path, status: 502 });
      res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(upstream);
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
