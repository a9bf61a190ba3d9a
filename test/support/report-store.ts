/**
 * A small history store of weekly scans for report tests, written through the store's public API
 * (`beginScan` … `commit`, as `driftscan scan` writes it), and its ground truth computed in plain
 * JavaScript from the same rule: machine m drifts on baseline b, rule r in week w when
 * `drifts(w, m, b, r)` — an episode model where drift persists a few weeks, is fixed, returns.
 */
import { HistoryStore, type FindingRecord } from '../../src/fleet/history/store.js';

export const WEEKS = 8;
export const MACHINES = 60;
export const BASELINES = ['rdp-hardening', 'smb-hardening', 'tls <legacy>'];
export const RULES = ['r1', 'r2', 'r3', 'r4'];
export const SUBSCRIPTIONS = ['00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000a3', '00000000-0000-0000-0000-0000000000a4'];
const SEVERITIES = ['critical', 'high', 'medium', 'low'];
/** A reason as hostile as a machine could report: markup, a formula, a closing script tag. */
export const HOSTILE_REASON = `=HYPERLINK("x") </script><img src=x onerror=alert(1)> & "quoted"`;

export const weekStart = (w: number) => new Date(Date.UTC(2026, 0, 5 + 7 * w, 6, 0, w));
export const subOf = (m: number) => SUBSCRIPTIONS[m % SUBSCRIPTIONS.length]!;
export const machineId = (m: number) => `/subscriptions/${subOf(m)}/resourcegroups/rg-${m % 3}/providers/microsoft.compute/virtualmachines/vm${m}`;

export function drifts(w: number, m: number, b: number, r: number): boolean {
  const episode = Math.floor((w + (m % 3)) / 3);
  return (m * 7 + b * 3 + r * 5 + episode * 11) % 6 === 0;
}

/** `machine|baseline|rule` drifting in week w. */
export function findingKeys(w: number): Set<string> {
  const out = new Set<string>();
  for (let m = 0; m < MACHINES; m++) for (let b = 0; b < BASELINES.length; b++) for (let r = 0; r < RULES.length; r++) if (drifts(w, m, b, r)) out.add(`${machineId(m)}|${BASELINES[b]}|${RULES[r]}`);
  return out;
}

/** Pairs compliant / non-compliant in week w, fleet-wide. */
export function complianceOf(w: number): { compliant: number; nonCompliant: number } {
  let nonCompliant = 0;
  for (let m = 0; m < MACHINES; m++) for (let b = 0; b < BASELINES.length; b++) if (RULES.some((_, r) => drifts(w, m, b, r))) nonCompliant += 1;
  return { compliant: MACHINES * BASELINES.length - nonCompliant, nonCompliant };
}

export async function writeReportStore(path: string, weeks = WEEKS): Promise<void> {
  const store = await HistoryStore.open(path);
  try {
    for (let w = 0; w < weeks; w++) {
      const writer = await store.beginScan(weekStart(w), BASELINES);
      await writer.addScopes(SUBSCRIPTIONS.map((s, i) => ({ scopeId: s, kind: 'subscription' as const, status: 'ok' as const, displayName: `Team ${i + 1}` })));
      const totals = new Map<string, number>();
      for (let m = 0; m < MACHINES; m++) {
        for (let b = 0; b < BASELINES.length; b++) {
          const bad = RULES.some((_, r) => drifts(w, m, b, r));
          const k = `${subOf(m)}|${BASELINES[b]}|${bad ? 'NonCompliant' : 'Compliant'}`;
          totals.set(k, (totals.get(k) ?? 0) + 1);
        }
      }
      await writer.addTotals([...totals].map(([k, machines]) => {
        const [subscriptionId, baseline, compliance] = k.split('|') as [string, string, 'Compliant'];
        return { subscriptionId, baseline, compliance, machines };
      }));
      for (let m = 0; m < MACHINES; m++) {
        for (let b = 0; b < BASELINES.length; b++) {
          for (let r = 0; r < RULES.length; r++) {
            if (!drifts(w, m, b, r)) continue;
            const f: FindingRecord = {
              machineId: machineId(m), subscriptionId: subOf(m), baseline: BASELINES[b]!, ruleId: RULES[r]!, severity: SEVERITIES[r]!,
              expected: `value ${r} = 1`, reason: m === 6 ? HOSTILE_REASON : `expected 1, found ${r}`, waived: false,
            };
            await writer.appendFinding(f);
          }
        }
      }
      await writer.commit({ finishedAt: weekStart(w), complete: true, requests: 3 });
    }
  } finally {
    store.close();
  }
}
