/**
 * disk/read-cache.ts: whatever the reads (sizes, offsets, order, concurrency), the cached source
 * answers the bytes the source holds; its requests to the source are block-aligned, far fewer than
 * the reads, bounded in memory; a failed request is asked again; answers are private copies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ByteSource } from '../src/disk/byte-source.js';
import { cachedSource } from '../src/disk/read-cache.js';

/** An in-memory source that logs every read and can be told to fail the next ones. */
function memorySource(bytes: Uint8Array): ByteSource & { log: Array<[number, number]>; failNext: number } {
  const src = {
    name: 'mem.img',
    size: bytes.length,
    log: [] as Array<[number, number]>,
    failNext: 0,
    read: async (offset: number, length: number) => {
      src.log.push([offset, length]);
      await new Promise((r) => setImmediate(r));
      if (src.failNext > 0) {
        src.failNext--;
        throw new Error('injected failure');
      }
      assert.ok(offset >= 0 && offset + length <= bytes.length, `source read ${offset}+${length} outside ${bytes.length}`);
      return bytes.slice(offset, offset + length);
    },
  };
  return src;
}

function pattern(size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

test('property: every read answers the source\'s bytes, through misses, hits, read-ahead, eviction and concurrent reads', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 300_000 }),
      fc.constantFrom(512, 4096, 65536),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 0, max: 4 }),
      fc.array(fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 70_000 })), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 25 }),
      async (size, blockSize, cacheBlocks, readAheadBlocks, batches) => {
        const bytes = pattern(size, size);
        const src = memorySource(bytes);
        const cache = cachedSource(src, { blockSize, maxBytes: cacheBlocks * blockSize, readAheadBlocks, maxRequestBytes: 3 * blockSize });
        for (const batch of batches) {
          const reads = batch.map(([at, len]) => {
            const offset = Math.floor(at * size);
            return [offset, Math.min(len, size - offset)] as const;
          });
          const got = await Promise.all(reads.map(([o, l]) => cache.read(o, l)));
          reads.forEach(([o, l], i) => assert.deepEqual(got[i], bytes.subarray(o, o + l), `read ${o}+${l}`));
        }
        for (const [o, l] of src.log) {
          const passThrough = l > (cacheBlocks * blockSize) / 4;
          if (!passThrough) {
            assert.equal(o % blockSize, 0, `request at ${o} is block-aligned`);
            assert.ok(l <= 3 * blockSize, `request of ${l} bytes within maxRequestBytes`);
          }
        }
      },
    ),
    { numRuns: 150 },
  );
});

test('small reads of one region cost one request; a sequential scan reads ahead; answers are private copies', async () => {
  const bytes = pattern(4 * 1024 * 1024, 7);
  const src = memorySource(bytes);
  const cache = cachedSource(src, { blockSize: 65536, readAheadBlocks: 4 });
  // 64 MFT-record-sized reads inside one block: one request.
  for (let i = 0; i < 64; i++) await cache.read(1024 * i, 1024);
  assert.equal(src.log.length, 1);
  const a = await cache.read(0, 16);
  a.fill(0);
  assert.deepEqual(await cache.read(0, 16), bytes.subarray(0, 16), 'a caller patching its answer does not change the cache');
  // A 4 KiB sequential scan of 2 MiB: read-ahead makes it about one request per 5 blocks.
  src.log.length = 0;
  for (let at = 1024 * 1024; at < 3 * 1024 * 1024; at += 4096) assert.deepEqual(await cache.read(at, 4096), bytes.subarray(at, at + 4096));
  assert.ok(src.log.length <= 8, `${src.log.length} requests for 32 blocks read sequentially`);
  assert.equal(cache.cacheStats.sourceReads, 1 + src.log.length);
});

test('memory is bounded, a big read bypasses the cache, and a failed request is asked again', async () => {
  const bytes = pattern(8 * 1024 * 1024, 3);
  const src = memorySource(bytes);
  const cache = cachedSource(src, { blockSize: 65536, maxBytes: 4 * 65536, readAheadBlocks: 0 });
  for (let i = 0; i < 100; i++) await cache.read(i * 65536, 100);
  // Blocks 0..3 were evicted long ago: reading block 0 again is a request again.
  src.log.length = 0;
  await cache.read(0, 100);
  assert.deepEqual(src.log, [[0, 65536]]);
  src.log.length = 0;
  assert.deepEqual(await cache.read(12345, 1024 * 1024), bytes.subarray(12345, 12345 + 1024 * 1024));
  assert.deepEqual(src.log, [[12345, 1024 * 1024]], 'a read bigger than a quarter of the cache goes straight to the source');
  src.failNext = 1;
  await assert.rejects(cache.read(7 * 65536, 10), /injected failure/);
  assert.deepEqual(await cache.read(7 * 65536, 10), bytes.subarray(7 * 65536, 7 * 65536 + 10));
});
