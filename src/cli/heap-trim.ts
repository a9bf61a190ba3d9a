/**
 * A full V8 garbage collection every `every` Resource Graph pages of a scan. Each ~400 KB page
 * body is a string in V8's large-object space, which only a full GC frees; left to its own
 * heuristics V8 lets ~70 MB of them pile up over a 165-page scan, and that memory is then still
 * held while DuckDB commits and sorts (README, Fleet scan: where the peak RSS goes). A full GC of
 * the scan's small live heap takes a few milliseconds and overlaps the next page's latency.
 *
 * `gc` is reached without `--expose-gc` on the command line: the flag is set at run time, the
 * function taken from a fresh context (where V8 installs it), and the flag cleared again. If that
 * ever fails (a runtime that refuses the flag), trimming is skipped: it is an optimisation.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null | undefined;

function fullGc(): (() => void) | null {
  if (collect !== undefined) return collect;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    // Back as it was at once: V8 stamps code caches with a hash of the flags, so a cache the
    // launcher writes after this run would otherwise be rejected by every run without the flag
    // (and rewritten by every scan). The function taken keeps working.
    v8.setFlagsFromString('--no-expose-gc');
    collect = typeof gc === 'function' ? (gc as () => void) : null;
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
