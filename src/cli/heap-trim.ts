/**
 * A full V8 garbage collection every `every` Resource Graph pages of a scan. Each ~400 KB page
 * body is a string in V8's large-object space, which only a full GC frees; left to its own
 * heuristics V8 lets ~70 MB of them pile up over a 165-page scan, and that memory is then still
 * held while DuckDB commits and sorts (README, Fleet scan: where the peak RSS goes). A full GC of
 * the scan's small live heap takes a few milliseconds and overlaps the next page's latency.
 *
 * `releaseHeap()` is the same collection once, with the young generation given back as well.
 *
 * `gc` is reached without `--expose-gc` on the command line: the flag is set at run time, the
 * function taken from a fresh context (where V8 installs it), and the flag cleared again. If that
 * ever fails (a runtime that refuses the flag), trimming is skipped: it is an optimisation.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async'; flavor?: 'regular' | 'last-resort' }) => void;

let collect: Gc | null | undefined;

function fullGc(): Gc | null {
  if (collect !== undefined) return collect;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    // Back as it was at once: V8 stamps code caches with a hash of the flags, so a cache the
    // launcher writes after this run would otherwise be rejected by every run without the flag
    // (and rewritten by every scan). The function taken keeps working.
    v8.setFlagsFromString('--no-expose-gc');
    collect = typeof gc === 'function' ? (gc as Gc) : null;
  } catch {
    collect = null;
  }
  return collect;
}

/** Returns a page counter: call it once per page; every `every`-th call runs a full GC. */
export function heapTrimmer(every: number): () => void {
  let pages = 0;
  return () => {
    pages += 1;
    if (pages % every === 0) fullGc()?.();
  };
}

/**
 * Hands V8's spare memory back to the system: a full collection of the kind V8 runs on a low-memory
 * notification (`flavor: 'last-resort'`, the gc extension's name for it), which also shrinks the
 * young generation — the 2 × 16 MB semi-spaces a scan's page parsing grew stay resident after an
 * ordinary full GC. Called when the JavaScript side goes quiet and DuckDB's native side is about to
 * need memory (the commit, the report). Node 22 shrinks the young generation to ~1 MB; Node 20's V8
 * takes the flavor as an ordinary full GC that still returns ~15–20 MB of freed pages. A V8 that
 * does not know the option ignores it.
 */
export function releaseHeap(): void {
  fullGc()?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

/**
 * Stops V8's young generation from growing while a scan parses its pages: each ~400 KB page
 * becomes ~1,000 row objects that are still alive at the next scavenge (the next page is already
 * being fetched), and V8 answers a high survival rate by doubling the semi-spaces up to 2 × 16 MB,
 * which then stay resident through the commit and the report. With the growth factor at 1 the
 * young generation keeps the size it had when the scan began; survivors are promoted instead and
 * freed by the periodic full GC (`heapTrimmer`). The limit is read by V8 at each growth decision,
 * so it can be set at run time, unlike `--max-semi-space-size`. The returned function restores
 * the default (2) — before the process ends, as V8 stamps code caches with a hash of the flags
 * (see `fullGc`). The flag is in the V8 of Node 20, 22 and 24 (`node --v8-options`); a V8 without
 * it would print its own "unrecognized flag" line on stderr and otherwise go on as before.
 */
export function holdYoungGeneration(): () => void {
  try {
    v8.setFlagsFromString('--semi-space-growth-factor=1');
  } catch {
    return () => undefined;
  }
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    v8.setFlagsFromString('--semi-space-growth-factor=2');
  };
}
