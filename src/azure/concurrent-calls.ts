/**
 * Many reads at once, but never more than `limit` in flight: reading the current assignment of
 * 1,000 machines one by one takes minutes, all at once trips ARM's read throttling (and the
 * retry policy would then wait them out one Retry-After at a time). Results keep the input order.
 * The first failure stops new calls from starting and is rethrown once those in flight settle.
 * (Writes go through `rollout/apply.ts`, which also accounts for every change.)
 */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, call: (item: T, index: number) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      if (signal?.aborted) {
        failure = { error: signal.reason };
        return;
      }
      const i = next++;
      try {
        results[i] = await call(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(Math.floor(limit), items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}
