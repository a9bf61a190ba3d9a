/**
 * The `provisioningState` guest configuration assignments go through in the emulator. Azure answers
 * a PUT with `Created` (or `Updating`) until the machine's agent picks the assignment up, then GETs
 * read `Succeeded` (or `Failed`); the default here is `Succeeded` at once. A test sets a sequence —
 * `emulator.guestProvisioning.sequence = ['Created', 'Created', 'Succeeded']` or
 * `--guest-provisioning Created,Created,Succeeded` — and each assignment then answers its PUT with
 * the first state and every later GET with the next one, staying on the last. Values must be ones
 * the 2024-04-05 spec allows (Succeeded, Failed, Canceled, Created), since every response is validated.
 */
export class GuestProvisioning {
  sequence: string[] = ['Succeeded'];
  /** Position in the sequence per assignment (lower-case id). */
  private readonly step = new Map<string, number>();

  /** The state a PUT leaves the assignment in (the sequence starts over). */
  afterPut(id: string): string {
    this.step.set(id.toLowerCase(), 0);
    return this.sequence[0] ?? 'Succeeded';
  }

  /** The state a GET reads: the next one in the sequence. */
  afterGet(id: string, current: unknown): unknown {
    const key = id.toLowerCase();
    const at = this.step.get(key);
    if (at === undefined) return current;
    const next = Math.min(at + 1, this.sequence.length - 1);
    this.step.set(key, next);
    return this.sequence[next] ?? current;
  }
}
