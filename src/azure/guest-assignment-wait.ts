/**
 * A bounded wait for guest configuration assignments to finish provisioning (`assign --wait`).
 *
 * A PUT of an assignment is not a long-running operation in the spec (200/201), but the answer may
 * say `provisioningState: Created` (or `Updating`) until the machine's agent picks the assignment up,
 * which it does on its own schedule (about every 15 minutes). The generic ARM LRO poller would then
 * poll GET every ~100 ms until something aborts it (azure-sdk-js.md §8), so driftscan never uses it:
 * without `--wait` the command reports "accepted"; with it, this polls each pending assignment with
 * GET, backing off (1 s, 2 s, 4 s … at most 30 s between rounds), until every one is Succeeded or
 * Failed/Canceled, or the wait — and in any case the command's deadline — ends.
 */
import type { Deadline } from './deadline.js';
import type { ArmRestClient } from './arm-rest-client.js';
import { mapConcurrent } from './concurrent-calls.js';
import { getResource } from './arm-resource.js';
import { GUEST_CONFIGURATION_API_VERSION, type GuestConfigurationAssignment } from './guest-configuration.js';

export interface WaitOptions {
  /** How long to wait at most (`--wait`); the deadline still applies. */
  waitMs: number;
  deadline: Deadline;
  /** GETs in flight at once. */
  concurrency: number;
  /** Is this state final? (`rollout/guest-assignment.ts` decides what the states mean.) */
  settled: (provisioningState: string | undefined) => boolean;
  /** Called after each polling round with how many are still pending. */
  onRound?: (pending: number, elapsedMs: number) => void;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Polls the assignments (ids) until each is settled or the wait ends; returns the last
 * `provisioningState` seen for each id (undefined when the assignment was not found).
 */
export async function waitForProvisioning(client: ArmRestClient, ids: readonly string[], options: WaitOptions): Promise<Map<string, string | undefined>> {
  const sleep = options.sleep ?? abortableSleep;
  const started = Date.now();
  const endsAt = started + Math.min(options.waitMs, options.deadline.remainingMs());
  const states = new Map<string, string | undefined>();
  let pending = [...ids];
  let delay = FIRST_DELAY_MS;
  while (pending.length) {
    const left = endsAt - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(delay, left), options.deadline.signal);
    if (options.deadline.expired()) break;
    delay = Math.min(delay * 2, MAX_DELAY_MS);
    const read = await mapConcurrent(pending, options.concurrency, async (id) => {
      const r = await getResource<GuestConfigurationAssignment>(client, id, GUEST_CONFIGURATION_API_VERSION);
      return r?.properties?.provisioningState;
    }, options.deadline.signal);
    pending.forEach((id, i) => states.set(id, read[i]));
    pending = pending.filter((id) => !options.settled(states.get(id)));
    options.onRound?.(pending.length, Date.now() - started);
  }
  return states;
}
