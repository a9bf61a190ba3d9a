/**
 * Requests the emulator is serving at once, per method, with the peak since the last reset: lets a
 * test prove a command keeps at most `--concurrency` writes in flight (`emulator.inFlight.peak('PUT')`).
 */
export class InFlight {
  private readonly now = new Map<string, number>();
  private readonly peaks = new Map<string, number>();

  /** Counts a request in; call the returned function once it is answered (or dropped). */
  enter(method: string): () => void {
    const m = method.toUpperCase();
    const n = (this.now.get(m) ?? 0) + 1;
    this.now.set(m, n);
    if (n > (this.peaks.get(m) ?? 0)) this.peaks.set(m, n);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.now.set(m, (this.now.get(m) ?? 1) - 1);
    };
  }

  /** The most requests of `method` in flight at once since the start (or `reset`). */
  peak(method: string): number {
    return this.peaks.get(method.toUpperCase()) ?? 0;
  }

  reset(): void {
    this.peaks.clear();
  }
}
