/**
 * Where `--image` bytes come from: a local file (io/file-byte-source.ts), or — when `--image` is a
 * URL — a blob in Azure Storage read by SAS (azure/blob-byte-source.ts) behind a block cache
 * (disk/read-cache.ts), so the readers' many small reads become a few range requests. `--timeout`
 * bounds the blob's whole read; `--verbose` prints one line per request and a total.
 */
import { usageError } from '../core/diagnostics.js';
import type { ByteSource } from '../disk/byte-source.js';
import { cachedSource } from '../disk/read-cache.js';
import { openFileByteSource } from '../io/file-byte-source.js';
import { stderr } from '../io/console.js';
import { parseDuration } from './duration.js';

export interface ImageSourceOptions {
  /** `--timeout`: only for an `--image` URL. */
  timeout?: string | undefined;
  /** `--verbose`: one line per request and the bytes read. */
  verbose?: boolean | undefined;
}

export interface ImageSource {
  readonly source: ByteSource;
  /** `read N bytes in M reads from NAME` (`… in M requests …` for a URL). */
  summary(): string;
  close(): Promise<void>;
}

/** True for `scheme://…`: an `--image` that is a URL rather than a file. */
export function isImageUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
}

/** `--image` as errors may name it: a URL without its query (the SAS). */
export function imageDisplayName(image: string): string {
  return isImageUrl(image) ? image.replace(/[?#][\s\S]*$/, '') : image;
}

export async function openImageSource(image: string, options: ImageSourceOptions = {}): Promise<ImageSource> {
  if (!isImageUrl(image)) {
    if (options.timeout !== undefined) throw usageError('--timeout bounds reading an --image URL (a blob SAS URL); a local --image file has no time limit');
    const file = await openFileByteSource(image);
    return {
      source: file,
      summary: () => `read ${file.stats.bytes} bytes in ${file.stats.reads} reads from ${image}`,
      close: () => file.close(),
    };
  }
  const timeoutMs = parseDuration('--timeout', options.timeout ?? '30m', { min: 1000, max: 7 * 86_400_000 });
  const [{ openBlobByteSource }, { routeAzureSdkLogs }] = await Promise.all([import('../azure/blob-byte-source.js'), import('../azure/sdk-logging.js')]);
  // AZURE_LOG_LEVEL output of the storage pipeline goes through the redacting console, not straight to stderr.
  routeAzureSdkLogs((line) => stderr.line(line));
  const blob = await openBlobByteSource(image, { timeoutMs, ...(options.verbose ? { verbose: (line: string) => stderr.line(`driftscan: ${line}`) } : {}) });
  const cached = cachedSource(blob);
  return {
    source: cached,
    summary: () =>
      `read ${blob.stats.bytes} bytes in ${blob.stats.requests} requests (${blob.stats.retries} retries; ${cached.cacheStats.reads} reads by the disk readers) from ${blob.name} (${blob.blobType}, ${blob.size} bytes)`,
    close: () => blob.close(),
  };
}
