/**
 * Waiting that the command's deadline can cut short: resolves after `ms`, or rejects with the
 * signal's own reason (the deadline's one-line error) as soon as it aborts. Node's
 * `timers/promises` rejects with a generic AbortError instead, which would lose which deadline passed.
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
