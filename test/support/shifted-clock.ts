/**
 * Loaded into a CLI under test with `node --import` (NODE_OPTIONS): moves the process's clock
 * (`Date.now()`, `new Date()`) by DRIFTSCAN_TEST_CLOCK_SHIFT_MS, so a test can record a scan "a week
 * ago" through the real `driftscan scan` path. TLS certificate checks use OpenSSL's clock, not this.
 */
const shift = Number(process.env.DRIFTSCAN_TEST_CLOCK_SHIFT_MS ?? 0);
if (shift) {
  const Real = Date;
  const now = () => Real.now() + shift;
  globalThis.Date = new Proxy(Real, {
    construct: (target, args, newTarget) => Reflect.construct(target, args.length ? args : [now()], newTarget) as object,
    apply: () => new Real(now()).toString(),
    get: (target, p, receiver) => (p === 'now' ? now : Reflect.get(target, p, receiver)),
  });
}
export {};
