/**
 * Performs a plan: exactly its writes (`isWrite`), wave by wave, at most `concurrency` at a time
 * within a wave, and never a change twice. When a write fails the executor starts nothing new — the
 * writes already in flight finish — and the outcome lists every change as applied, failed or not
 * attempted, so a command that stops half-way says precisely what Azure now holds. Pure: the
 * writes arrive as a callback (the azure/ stage sends them).
 */
import { isWrite, orderedChanges, type Plan, type PlannedChange } from './plan.js';

export type ApplyStatus = 'applied' | 'failed' | 'not-attempted';

export interface ChangeOutcome {
  change: PlannedChange;
  status: ApplyStatus;
  /** For `failed`: the one-line error. */
  error?: string;
}

export interface ApplyOutcome {
  /** One entry per write in the plan, in apply order (unchanged changes and kept delete candidates are not writes). */
  results: ChangeOutcome[];
  /** The first failure's error, rethrown by the caller after reporting. */
  firstError?: unknown;
}

export interface ApplyOptions {
  /** Writes in flight at once within a wave (default 8). */
  concurrency?: number;
  /** Called after each write settles (progress lines). */
  onSettled?: (outcome: ChangeOutcome, done: number, total: number) => void;
  /** When aborted, nothing new starts. */
  signal?: AbortSignal;
}

/** Waves in apply order: creates and updates by ascending wave, then deletes by descending wave. */
function waves(changes: PlannedChange[]): PlannedChange[][] {
  const out: PlannedChange[][] = [];
  let current: PlannedChange[] = [];
  let key: string | undefined;
  for (const c of changes) {
    const k = `${c.action === 'delete' ? 'd' : 'w'}${c.wave}`;
    if (k !== key && current.length) {
      out.push(current);
      current = [];
    }
    key = k;
    current.push(c);
  }
  if (current.length) out.push(current);
  return out;
}

export async function applyPlan(plan: Plan, write: (change: PlannedChange) => Promise<void>, options: ApplyOptions = {}): Promise<ApplyOutcome> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
  const writes = orderedChanges(plan).filter(isWrite);
  const results = new Map<PlannedChange, ChangeOutcome>();
  let firstError: unknown;
  let failed = false;
  let done = 0;
  const stopped = (): boolean => failed || options.signal?.aborted === true;

  for (const wave of waves(writes)) {
    if (stopped()) break;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (!stopped() && next < wave.length) {
        const change = wave[next++]!;
        let outcome: ChangeOutcome;
        try {
          await write(change);
          outcome = { change, status: 'applied' };
        } catch (err) {
          if (!failed) firstError = err;
          failed = true;
          outcome = { change, status: 'failed', error: err instanceof Error ? err.message.split('\n')[0]! : String(err) };
        }
        results.set(change, outcome);
        done += 1;
        options.onSettled?.(outcome, done, writes.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, wave.length) }, worker));
  }
  return {
    results: writes.map((change) => results.get(change) ?? { change, status: 'not-attempted' }),
    ...(failed || options.signal?.aborted ? { firstError: firstError ?? options.signal?.reason } : {}),
  };
}

export interface ApplySummary {
  applied: number;
  failed: number;
  notAttempted: number;
}

export function summarizeOutcome(outcome: ApplyOutcome): ApplySummary {
  const s: ApplySummary = { applied: 0, failed: 0, notAttempted: 0 };
  for (const r of outcome.results) {
    if (r.status === 'applied') s.applied += 1;
    else if (r.status === 'failed') s.failed += 1;
    else s.notAttempted += 1;
  }
  return s;
}
