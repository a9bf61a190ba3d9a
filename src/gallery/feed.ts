/**
 * A minimal NuGet v2 (OData) client for the PowerShell Gallery and its mirrors: package metadata
 * (`Packages(Id='…',Version='…')` → `PackageHash`, `PackageHashAlgorithm`, download link) and the
 * package bytes. Uses `node:https` so a private CA (`--feed-ca`, `DRIFTSCAN_FEED_CA`) can be given
 * per request instead of process-wide.
 */
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { DriftscanError } from '../core/diagnostics.js';

/** The PowerShell Gallery's v2 feed. */
export const DEFAULT_FEED = 'https://www.powershellgallery.com/api/v2/';

export interface FeedOptions {
  url: string;
  /** Extra trusted CA certificates (PEM) for private feeds. */
  ca?: string;
  timeoutMs?: number;
  /** Largest response accepted (bytes). */
  maxBytes?: number;
}

export interface FeedPackage {
  id: string;
  version: string;
  /** Base64 digest as the feed publishes it. */
  hash: string;
  algorithm: string;
  downloadUrl: string;
}

function isLoopback(u: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
}

/** GET with redirects (at most 5), a timeout and a size cap; returns the body. */
export async function httpGet(url: string, options: Omit<FeedOptions, 'url'>, redirects = 5): Promise<Buffer> {
  const u = new URL(url);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopback(u))) {
    throw new DriftscanError(`module feed ${url}: only https:// feeds are accepted (http:// only on loopback)`, { kind: 'usage' });
  }
  const maxBytes = options.maxBytes ?? 200 * 1024 * 1024;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, {
      method: 'GET',
      headers: { 'user-agent': 'driftscan', accept: '*/*' },
      ...(options.ca && u.protocol === 'https:' ? { ca: options.ca } : {}),
      timeout: options.timeoutMs ?? 60_000,
    }, resolve);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  }).catch((err: Error) => { throw new DriftscanError(`module feed ${url}: ${err.message}`); });
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400 && res.headers.location) {
    res.resume();
    if (redirects === 0) throw new DriftscanError(`module feed ${url}: too many redirects`);
    return httpGet(new URL(res.headers.location, u).toString(), options, redirects - 1);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      res.destroy();
      throw new DriftscanError(`module feed ${url}: response larger than ${maxBytes} bytes; refusing`);
    }
    chunks.push(chunk);
  }
  if (status !== 200) throw new DriftscanError(`module feed ${url}: HTTP ${status}`);
  return Buffer.concat(chunks);
}

function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<(?:\\w+:)?${tag}(?:\\s[^>]*)?>([^<]*)</(?:\\w+:)?${tag}>`).exec(xml);
  return m?.[1] === undefined ? undefined : m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/** `feed` + `path`, keeping the feed's query string (private feeds may carry a token there) at the end. */
function feedUrl(feed: string, path: string): string {
  const u = new URL(feed);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  u.pathname += path;
  return u.toString();
}

/** Package metadata from the feed's OData entry. */
export async function feedPackage(feed: FeedOptions, id: string, version: string): Promise<FeedPackage> {
  const url = feedUrl(feed.url, `Packages(Id='${encodeURIComponent(id)}',Version='${encodeURIComponent(version)}')`);
  const xml = (await httpGet(url, { ...feed, maxBytes: 4 * 1024 * 1024 })).toString('utf8');
  const hash = xmlText(xml, 'PackageHash');
  const algorithm = xmlText(xml, 'PackageHashAlgorithm') ?? 'SHA512';
  if (!hash) throw new DriftscanError(`module feed ${url}: no PackageHash in the package entry`);
  const src = /<content\b[^>]*\bsrc="([^"]+)"/.exec(xml)?.[1]?.replace(/&amp;/g, '&');
  return { id, version, hash, algorithm, downloadUrl: src ? new URL(src, feedUrl(feed.url, '')).toString() : feedUrl(feed.url, `package/${id}/${version}`) };
}
