/**
 * A disk image in Blob Storage as a `ByteSource` (disk/byte-source.ts), read by HTTP range
 * requests through a blob SAS URL: what `az disk grant-access` / `az snapshot grant-access` return
 * for a managed disk or snapshot (a page blob, `…blob.storage.azure.net/…?sv=…&sr=b&sig=…`), what
 * an Azure Compute Gallery image version export or an image build leaves in a storage account (a
 * page or block blob), so a golden image or a stopped VM's disk is gated without downloading it.
 *
 * - Who: the SAS in the URL, nothing else — an anonymous `@azure/storage-blob` pipeline (no token,
 *   no account key). Only `https://` is accepted, or `http://` to a loopback address (tests).
 * - What: Get Blob Properties once (size, ETag, blob type), then Get Blob with `x-ms-range` for each
 *   read, pinned with `If-Match: <ETag>`: a blob that changes between two reads (a disk still
 *   attached and written, a re-uploaded image) answers 412 ConditionNotMet (Storage REST
 *   "Specifying conditional headers for Blob service operations"), which is one located error —
 *   never a verdict computed from two different disks.
 * - Retries: 408, 429 (not sent by Blob Storage, but by proxies in front of it), 500, 502, 503
 *   (ServerBusy), 504 and dropped connections are retried with exponential back-off; a body cut
 *   short is resumed from the byte where it stopped (same ETag). The SDK's own retry policy and
 *   its download resumption are switched off so every request is counted and bounded here. Each
 *   request has its own time limit and the whole read the command's deadline (`--timeout`).
 * - Secrets: the SAS is registered with the redactor (core/redact.ts) before the first request, so
 *   no line the CLI prints can hold it — an SDK error, a `--verbose` line, a service message. The
 *   source's `name`, used in every error, is the blob URL without its query.
 *
 * Exit codes follow what the user can do: a refused SAS (403: expired, revoked, not `sp=r`), a
 * missing blob (404) and a blob that changed (412) are input errors (exit 2: a new SAS or a
 * snapshot fixes them); throttling, 5xx and time-outs that outlast the retries are service errors
 * (exit 3: the same command may pass later).
 */
import { backoffMs, isRetriableStatus } from './policies/retry-policy.js';
import { setMaxListeners } from 'node:events';
import { AnonymousCredential, BlobClient, newPipeline } from '@azure/storage-blob';
import { isRestError } from '@azure/core-rest-pipeline';
import { DriftscanError, usageError } from '../core/diagnostics.js';
import { registerSecret } from '../core/redact.js';
import type { ByteSource } from '../disk/byte-source.js';
import { isLoopbackHost } from './cloud.js';
import { anySignal, formatDuration } from './deadline.js';
import { abortableSleep } from './abortable-sleep.js';

export interface BlobByteSourceOptions {
  /** The whole read's deadline (`--timeout`), in milliseconds. */
  timeoutMs: number;
  /** One request's limit (headers and body); default the smaller of 60 s and `timeoutMs`. */
  tryTimeoutMs?: number;
  /** Tries per request, the first included; default 5. */
  maxTries?: number;
  /** First back-off wait; doubles per retry up to 30 s, jittered within its upper half (backoffMs). Default 500 ms. */
  retryDelayMs?: number;
  /** `--verbose`: one line per request (method, blob URL without query, range, status, time). */
  verbose?: ((line: string) => void) | undefined;
}

export interface BlobByteSource extends ByteSource {
  /** `PageBlob`, `BlockBlob` or `AppendBlob`, as Get Blob Properties says. */
  readonly blobType: string;
  /** Requests sent (HEAD and GET, retries included), bytes received, retries among them. */
  readonly stats: { requests: number; bytes: number; retries: number };
  close(): Promise<void>;
}

const DEFAULT_TRIES = 5;
const DEFAULT_RETRY_DELAY_MS = 500;
const MAX_RETRY_DELAY_MS = 30_000;
const MAX_TRY_MS = 60_000;

/** The blob URL without its query (the SAS) or fragment: what errors and logs name. */
export function blobUrlWithoutQuery(text: string): string {
  const cut = text.search(/[?#]/);
  return cut < 0 ? text : text.slice(0, cut);
}

/** Checks a blob SAS URL: https (or http to loopback), a container and a blob in the path; registers its SAS. */
export function parseBlobSasUrl(text: string, flag = '--image'): { url: string; name: string } {
  const name = blobUrlWithoutQuery(text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`${flag} ${name} is not a valid URL`);
  }
  // Before any message can quote the URL: the query (and its signature, also URL-decoded) is secret.
  if (url.search.length > 1) {
    registerSecret(url.search.slice(1));
    for (const key of ['sig', 'signature']) {
      const sig = url.searchParams.get(key);
      // registerSecret also covers its URL-encoded form (how the query carries it).
      if (sig) registerSecret(sig);
    }
  }
  if (url.username || url.password) throw usageError(`${flag} ${url.protocol}//…@${url.host}: a blob URL holds no user name or password (the SAS goes in the query)`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw usageError(`${flag} ${name} is plain HTTP: a SAS is sent only over https:// (http:// is accepted only for a loopback address such as 127.0.0.1)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw usageError(`${flag} ${name}: only https:// blob URLs are read`);
  if (url.pathname.split('/').filter(Boolean).length < 2) throw usageError(`${flag} ${name} names no blob (expected https://<account>.blob.core.windows.net/<container>/<blob>?<SAS>)`);
  if (!url.search) throw usageError(`${flag} ${name} has no SAS: give the URL with its ?sv=…&sig=… query (az disk grant-access … --query accessSas)`);
  return { url: text, name };
}

/** What an attempt ended with, for the retry decision and the final message. */
interface Failure {
  retry: boolean;
  error: DriftscanError;
}

/** Opens the blob: one Get Blob Properties. Nothing else is read until the readers ask. */
export async function openBlobByteSource(text: string, options: BlobByteSourceOptions): Promise<BlobByteSource> {
  const { url, name } = parseBlobSasUrl(text);
  const maxTries = options.maxTries ?? DEFAULT_TRIES;
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  const tryTimeoutMs = Math.min(options.tryTimeoutMs ?? MAX_TRY_MS, options.timeoutMs);
  const deadline = new AbortController();
  setMaxListeners(0, deadline.signal);
  const deadlineText = `the ${formatDuration(options.timeoutMs)} deadline (--timeout)`;
  const timer = setTimeout(() => deadline.abort(new Error(`${deadlineText} passed`)), options.timeoutMs);
  timer.unref();
  // storage-blob's own retries and download resumption are off (maxTries 1, maxRetryRequests 0):
  // they are done below, where every request is counted, logged and bounded.
  const client = new BlobClient(url, newPipeline(new AnonymousCredential(), { retryOptions: { maxTries: 1 }, keepAliveOptions: { enable: true } }));
  const stats = { requests: 0, bytes: 0, retries: 0 };
  /** Reads in flight (read-ahead may outlive the read that started it), for close(). */
  const inFlight = new Set<Promise<unknown>>();
  /** Set once a read failed for good: close() then aborts what is left instead of waiting for it. */
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);

  /** Why `err` ended an attempt, as the error a user sees if it is the last. */
  const classify = (err: unknown, what: string, tryAborted: boolean, etag?: string): Failure => {
    if (deadline.signal.aborted) {
      return { retry: false, error: new DriftscanError(`gave up on ${what}: ${deadlineText} passed`, { kind: 'service', location: { file: name }, cause: err }) };
    }
    if (tryAborted) {
      return { retry: true, error: new DriftscanError(`no answer from Blob Storage for ${what} within ${formatDuration(tryTimeoutMs)}`, { kind: 'service', location: { file: name }, cause: err }) };
    }
    if (isRestError(err) && err.statusCode !== undefined) {
      const status = err.statusCode;
      const code = err.code ?? err.response?.headers.get('x-ms-error-code') ?? undefined;
      const said = (err.message ?? '').split('\n')[0]!.trim();
      const answer = `${status}${code ? ` ${code}` : ''}${said && said !== code ? `: ${said}` : ''}`;
      if (status === 403 || status === 401) {
        return { retry: false, error: new DriftscanError(`Blob Storage refused the SAS for ${what} (${answer}): it has expired, was revoked, does not grant read on this blob, or the storage firewall does not admit this network — get a new one (az disk grant-access … --query accessSas)`, { location: { file: name }, cause: err }) };
      }
      if (status === 404) {
        return { retry: false, error: new DriftscanError(`no such blob (${answer})`, { location: { file: name }, cause: err }) };
      }
      if (status === 412) {
        return { retry: false, error: new DriftscanError(`the blob changed while it was being read (ETag ${etag ?? '?'} no longer matches: ${answer}): gate a snapshot, or a disk no VM is writing`, { location: { file: name }, cause: err }) };
      }
      if (isRetriableStatus(status)) {
        return { retry: true, error: new DriftscanError(`Blob Storage kept failing ${what}: ${answer}`, { kind: 'service', location: { file: name }, cause: err }) };
      }
      return { retry: false, error: new DriftscanError(`Blob Storage refused ${what}: ${answer}`, { location: { file: name }, cause: err }) };
    }
    if (err instanceof DriftscanError) return { retry: false, error: err };
    // No HTTP answer: a reset, a refused connection, a body cut off. Worth another try.
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message ?? String(err);
    return { retry: true, error: new DriftscanError(`no answer from Blob Storage for ${what} (${why})`, { kind: 'service', location: { file: name }, cause: err }) };
  };

  /**
   * Runs `attempt` until it succeeds, a failure is final, the tries are spent or the deadline
   * passes. `attempt` gets the signal of its own time limit.
   */
  const withRetries = async <T>(what: string, attempt: (signal: AbortSignal) => Promise<T>, etag?: string): Promise<T> => {
    for (let tried = 1; ; tried++) {
      const perTry = new AbortController();
      const tryTimer = setTimeout(() => perTry.abort(new Error('request time limit')), tryTimeoutMs);
      const signal = anySignal([deadline.signal, perTry.signal, stop.signal]);
      const started = Date.now();
      stats.requests++;
      try {
        const result = await attempt(signal);
        options.verbose?.(`storage: ${what} → ok (${Date.now() - started} ms)`);
        return result;
      } catch (err) {
        const failure = classify(err, what, perTry.signal.aborted, etag);
        const status = isRestError(err) ? (err.statusCode ?? err.code) : perTry.signal.aborted ? 'timed out' : ((err as NodeJS.ErrnoException).code ?? (err as Error).name);
        options.verbose?.(`storage: ${what} → ${status} (${Date.now() - started} ms)`);
        if (stop.signal.aborted) throw failure.error;
        if (!failure.retry) throw failure.error;
        if (tried >= maxTries) {
          throw new DriftscanError(`${failure.error.detail} (${tried} attempts)`, { kind: 'service', location: { file: name }, cause: err });
        }
        stats.retries++;
        const wait = backoffMs(tried - 1, retryDelayMs, MAX_RETRY_DELAY_MS);
        try {
          await abortableSleep(wait, anySignal([deadline.signal, stop.signal]));
        } catch {
          throw classify(err, what, false, etag).error;
        }
      } finally {
        clearTimeout(tryTimer);
      }
    }
  };

  let props;
  try {
    props = await withRetries(`HEAD ${name}`, (abortSignal) => client.getProperties({ abortSignal }));
  } catch (err) {
    clearTimeout(timer);
    throw err;
  }
  const size = props.contentLength ?? 0;
  const etag = props.etag;
  if (!etag) {
    clearTimeout(timer);
    throw new DriftscanError('Blob Storage sent no ETag for the blob, so a change during the read could not be told', { kind: 'service', location: { file: name } });
  }
  const blobType = props.blobType ?? 'BlockBlob';

  /** Reads `[offset, offset+length)` into `out` at `at`, resuming after a body cut short. */
  const fill = async (out: Uint8Array, offset: number, length: number): Promise<void> => {
    let done = 0;
    while (done < length) {
      const start = offset + done;
      const count = length - done;
      const what = `GET ${name} bytes=${start}-${start + count - 1}`;
      done += await withRetries(what, async (abortSignal) => {
        let got = 0;
        try {
          const response = await client.download(start, count, { abortSignal, conditions: { ifMatch: etag }, maxRetryRequests: 0 });
          const body = response.readableStreamBody;
          if (!body) throw new Error('the answer has no body');
          for await (const chunk of body as AsyncIterable<Buffer>) {
            const take = Math.min(chunk.length, count - got);
            out.set(take === chunk.length ? chunk : chunk.subarray(0, take), done + got);
            got += take;
            stats.bytes += take;
            if (got === count) break;
          }
        } catch (err) {
          // A body cut short still delivered its first `got` bytes: keep them, ask for the rest.
          if (got > 0) {
            stats.retries++;
            return got;
          }
          throw err;
        }
        if (got === 0) throw Object.assign(new Error('the answer ended before its first byte'), { code: 'ETRUNCATED' });
        if (got < count) stats.retries++;
        return got;
      }, etag);
    }
  };

  return {
    name,
    size,
    blobType,
    stats,
    read: async (offset, length) => {
      const out = new Uint8Array(length);
      const reading = fill(out, offset, length);
      inFlight.add(reading);
      try {
        await reading;
      } catch (err) {
        stop.abort(err);
        throw err;
      } finally {
        inFlight.delete(reading);
      }
      return out;
    },
    close: async () => {
      // Read-ahead still in flight is waited for (it is at most a few blocks), so the request
      // figures are final; after a failure it is cut off instead.
      await Promise.allSettled([...inFlight]);
      clearTimeout(timer);
    },
  };
}
