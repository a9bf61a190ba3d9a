/**
 * A deterministic fleet for the emulator's Resource Graph, generated row by row on demand (never
 * held whole, so 100,000 machines × 5 baselines fit the bench), and its ground truth computed from
 * the same model without going through KQL — an independent answer for the scan to match.
 *
 * Machine i lives in subscription i mod S; every 40th is a scale set in Uniform orchestration (one
 * machine), every 40th (offset 20) a scale set in Flexible orchestration — not a machine itself: the
 * two VMs after it (offsets 21 and 22) are its instances, ordinary VMs naming it in
 * `properties.virtualMachineScaleSet.id` — every 10th (offset 5) an Arc-enabled server, every 50th
 * (offset 7) runs Linux and is out of scope. For machine i and
 * baseline j a hash picks: no assignment (Missing), Pending, NonCompliant with some failing rules,
 * or Compliant.
 */
import type { Row } from './arm-emulator/state.js';

export interface FleetBaseline {
  name: string;
  /** Rule ids, in the order the package lists their resources. */
  rules: string[];
  /** Rule ids the baseline waives. */
  waived?: string[];
}

export interface FleetSpec {
  machines: number;
  subscriptions: string[];
  baselines: FleetBaseline[];
  /** Percentages (of 1000) for Missing / Pending / NonCompliant (default 20 / 30 / 100). */
  missingPerMille?: number;
  pendingPerMille?: number;
  nonCompliantPerMille?: number;
  /** Management group every subscription sits under (resourcecontainers rows). */
  managementGroup?: string;
  /**
   * Azure Policy exemptions at `scope` (a subscription or resource group id) of driftscan's
   * assignment of `baseline`, or of the assignment of `initiative` (one of `initiatives`) —
   * narrowed to its members with `referenceIds` when given; `expired` ones have an `expiresOn` in
   * the past and exempt nothing.
   */
  exemptions?: Array<{ scope: string; baseline?: string; initiative?: string; referenceIds?: string[]; expired?: boolean }>;
  /**
   * Policy set definitions (custom, at the management group `corp`), each assigned in every
   * subscription as `initiative-<name>`: members name driftscan's definition of `baseline`, or
   * (no baseline) a definition that is not driftscan's.
   */
  initiatives?: Array<{ name: string; members: Array<{ referenceId: string; baseline?: string }> }>;
  /**
   * A fleet a while later: for `perMille` of the machine × baseline pairs (picked by a hash of
   * `seed`), the failing rules are picked again with `seed` — some drift is fixed, some is new,
   * on the same machines.
   */
  redrift?: { seed: number; perMille: number };
}

type State = 'missing' | 'pending' | 'noncompliant' | 'compliant';

function hash(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x & 0xffff), 16777619);
    h = Math.imul(h ^ (x >>> 16), 16777619);
  }
  h ^= h >>> 13;
  h = Math.imul(h, 0x5bd1e995);
  return (h ^ (h >>> 15)) >>> 0;
}

export class Fleet {
  constructor(readonly spec: FleetSpec) {}

  subscription(i: number): string {
    return this.spec.subscriptions[i % this.spec.subscriptions.length]!;
  }

  kind(i: number): 'vm' | 'vmss' | 'flex' | 'arc' {
    return i % 40 === 0 ? 'vmss' : i % 40 === 20 ? 'flex' : i % 10 === 5 ? 'arc' : 'vm';
  }

  /** The Flexible scale set machine i is an instance of, if it is one. */
  scaleSetOf(i: number): number | undefined {
    return i % 40 === 21 || i % 40 === 22 ? i - (i % 40) + 20 : undefined;
  }

  windows(i: number): boolean {
    return i % 50 !== 7;
  }

  /** Whether machine i is a Windows machine a scan counts (a Flexible scale set is not: its VMs are). */
  counted(i: number): boolean {
    return this.windows(i) && this.kind(i) !== 'flex';
  }

  /** Whether an (unexpired) exemption of the spec waives `baseline` on machine `machineId` (lower case). */
  exempted(machineId: string, baseline: string): boolean {
    const machine = `${machineId}/`;
    return (this.spec.exemptions ?? []).some((e) => {
      if (e.expired || !machine.startsWith(`${e.scope.toLowerCase()}/`)) return false;
      if (e.baseline !== undefined) return e.baseline === baseline;
      const initiative = (this.spec.initiatives ?? []).find((x) => x.name === e.initiative);
      const refs = e.referenceIds && e.referenceIds.length ? new Set(e.referenceIds.map((r) => r.toLowerCase())) : undefined;
      return (initiative?.members ?? []).some((m) => m.baseline === baseline && (!refs || refs.has(m.referenceId.toLowerCase())));
    });
  }

  machineId(i: number): string {
    const sub = this.subscription(i);
    const rg = `rg-${i % 7}`;
    switch (this.kind(i)) {
      case 'vmss': case 'flex': return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/ss${i}`;
      case 'arc': return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.HybridCompute/machines/arc${i}`;
      default: return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/vm${i}`;
    }
  }

  state(i: number, j: number): State {
    // A Flexible scale set carries no guest assignment of its own (its VMs do).
    if (this.kind(i) === 'flex') return 'missing';
    const h = hash(i, j, 1) % 1000;
    const missing = this.spec.missingPerMille ?? 20;
    const pending = this.spec.pendingPerMille ?? 30;
    const bad = this.spec.nonCompliantPerMille ?? 100;
    if (h < missing) return 'missing';
    if (h < missing + pending) return 'pending';
    if (h < missing + pending + bad) return 'noncompliant';
    return 'compliant';
  }

  /** Indexes of the failing rules of machine i under baseline j (non-empty for non-compliant). */
  failing(i: number, j: number): number[] {
    const rules = this.spec.baselines[j]!.rules;
    const r = this.spec.redrift;
    const seed = r && hash(i, j, r.seed, 4) % 1000 < r.perMille ? [r.seed] : [];
    const out = rules.map((_, k) => k).filter((k) => hash(i, j, k, 2, ...seed) % 3 === 0);
    return out.length ? out : [hash(i, j, 3, ...seed) % rules.length];
  }

  /**
   * The unwaived findings the fleet has in the subscriptions in `reachable` (lower case), as
   * `machine id|baseline|rule id` in lower case (how the history store keeps ids) — computed from
   * the model, not from a query.
   */
  unwaivedFindings(reachable: ReadonlySet<string>): Set<string> {
    const out = new Set<string>();
    for (let i = 0; i < this.spec.machines; i++) {
      if (!reachable.has(this.subscription(i).toLowerCase()) || !this.counted(i)) continue;
      const machine = this.machineId(i).toLowerCase();
      this.spec.baselines.forEach((b, j) => {
        if (this.state(i, j) !== 'noncompliant') return;
        if (this.exempted(machine, b.name)) return;
        const waived = new Set((b.waived ?? []).map((w) => w.toLowerCase()));
        for (const k of this.failing(i, j)) if (!waived.has(b.rules[k]!.toLowerCase())) out.add(`${machine}|${b.name}|${b.rules[k]}`);
      });
    }
    return out;
  }

  private machineRow(i: number): Row {
    const id = this.machineId(i);
    const os = this.windows(i) ? 'Windows' : 'Linux';
    const kind = this.kind(i);
    const type = kind === 'vmss' || kind === 'flex' ? 'microsoft.compute/virtualmachinescalesets' : kind === 'arc' ? 'microsoft.hybridcompute/machines' : 'microsoft.compute/virtualmachines';
    const set = this.scaleSetOf(i);
    // Uniform sets alternate between naming their mode and leaving it to the default (Uniform).
    const properties = kind === 'vmss' || kind === 'flex'
      ? { ...(kind === 'flex' ? { orchestrationMode: 'Flexible' } : i % 80 === 0 ? { orchestrationMode: 'Uniform' } : {}), virtualMachineProfile: { storageProfile: { osDisk: { osType: os } } } }
      : kind === 'arc' ? { osType: os.toLowerCase() }
      : { storageProfile: { osDisk: { osType: os } }, ...(set === undefined ? {} : { virtualMachineScaleSet: { id: this.machineId(set) } }) };
    return { id, name: id.split('/').pop(), type, tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', kind: '', location: 'westeurope', resourceGroup: `rg-${i % 7}`, subscriptionId: this.subscription(i), properties, tags: null };
  }

  private assignmentRow(i: number, j: number, state: Exclude<State, 'missing'>): Row {
    const b = this.spec.baselines[j]!;
    const machine = this.machineId(i);
    const failing = new Set(state === 'noncompliant' ? this.failing(i, j) : []);
    const status = state === 'pending' ? 'Pending' : state === 'noncompliant' ? 'NonCompliant' : 'Compliant';
    const resources = state === 'pending' ? [] : b.rules.map((rule, k) => ({
      resourceId: `[DriftscanRegistryValue]${rule}`,
      complianceStatus: !failing.has(k),
      properties: {},
      reasons: failing.has(k) ? [{ code: `DriftscanRegistryValue:DriftscanRegistryValue:${rule}`, phrase: `expected ${k + 1}, found ${hash(i, j, k) % 5 === 0 ? 'nothing (the value is absent)' : String(k)}` }] : [],
    }));
    return {
      id: `${machine}/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/${b.name}`,
      name: b.name,
      type: 'microsoft.guestconfiguration/guestconfigurationassignments',
      tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      kind: '',
      location: 'westeurope',
      resourceGroup: `rg-${i % 7}`,
      subscriptionId: this.subscription(i),
      properties: {
        complianceStatus: status,
        targetResourceId: machine,
        provisioningState: 'Succeeded',
        guestConfiguration: { name: b.name, version: '1.0.0', assignmentType: 'Audit' },
        ...(state === 'pending' ? {} : {
          latestAssignmentReport: { complianceStatus: status, resources, assignment: { name: b.name, configuration: { name: b.name, version: '1.0.0' } } },
        }),
      },
      tags: null,
    };
  }

  /** The emulator's `generatedTables`. */
  tables(): Record<string, () => Iterable<Row>> {
    const self = this;
    return {
      resources: function* () {
        for (let i = 0; i < self.spec.machines; i++) yield self.machineRow(i);
      },
      guestconfigurationresources: function* () {
        for (let i = 0; i < self.spec.machines; i++) {
          // Linux machines and Flexible scale sets carry no driftscan assignment.
          if (!self.counted(i)) continue;
          for (let j = 0; j < self.spec.baselines.length; j++) {
            const s = self.state(i, j);
            if (s !== 'missing') yield self.assignmentRow(i, j, s);
          }
        }
      },
      policyresources: function* () {
        for (const b of self.spec.baselines) {
          const def = `/providers/Microsoft.Management/managementGroups/corp/providers/Microsoft.Authorization/policyDefinitions/driftscan-${b.name}`;
          yield { id: def, name: `driftscan-${b.name}`, type: 'microsoft.authorization/policydefinitions', subscriptionId: '', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', kind: '', location: '', resourceGroup: '', properties: { policyType: 'Custom', metadata: { category: 'Guest Configuration', driftscan: { baseline: b.name } } }, tags: null };
          for (const sub of self.spec.subscriptions) {
            yield { id: `/subscriptions/${sub}/providers/Microsoft.Authorization/policyAssignments/driftscan-${b.name}`, name: `driftscan-${b.name}`, type: 'microsoft.authorization/policyassignments', subscriptionId: sub, tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', kind: '', location: '', resourceGroup: '', properties: { policyDefinitionId: def, scope: `/subscriptions/${sub}` }, tags: null };
          }
        }
        // An unrelated definition and assignment (not driftscan's): ignored.
        yield { id: '/providers/Microsoft.Authorization/policyDefinitions/other', name: 'other', type: 'microsoft.authorization/policydefinitions', subscriptionId: '', properties: { policyType: 'BuiltIn', metadata: { category: 'Tags' } }, tags: null };
        // A built-in initiative (left out by the query: it cannot hold a custom definition).
        yield { id: '/providers/Microsoft.Authorization/policySetDefinitions/builtin-benchmark', name: 'builtin-benchmark', type: 'microsoft.authorization/policysetdefinitions', subscriptionId: '', properties: { policyType: 'BuiltIn', policyDefinitions: [{ policyDefinitionId: '/providers/Microsoft.Authorization/policyDefinitions/other', policyDefinitionReferenceId: 'other' }] }, tags: null };
        for (const x of self.spec.initiatives ?? []) {
          const set = `/providers/Microsoft.Management/managementGroups/corp/providers/Microsoft.Authorization/policySetDefinitions/${x.name}`;
          yield {
            id: set, name: x.name, type: 'microsoft.authorization/policysetdefinitions', subscriptionId: '', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', kind: '', location: '', resourceGroup: '',
            properties: {
              policyType: 'Custom',
              // Member ids in lower case, unlike the definitions' own ids: ARM ids match ignoring case.
              policyDefinitions: x.members.map((m) => ({
                policyDefinitionId: m.baseline === undefined ? '/providers/microsoft.authorization/policydefinitions/other' : `/providers/microsoft.management/managementgroups/corp/providers/microsoft.authorization/policydefinitions/driftscan-${m.baseline}`,
                policyDefinitionReferenceId: m.referenceId,
                parameters: { effect: { value: 'AuditIfNotExists' } },
              })),
            },
            tags: null,
          };
          for (const sub of self.spec.subscriptions) {
            yield { id: `/subscriptions/${sub}/providers/Microsoft.Authorization/policyAssignments/initiative-${x.name}`, name: `initiative-${x.name}`, type: 'microsoft.authorization/policyassignments', subscriptionId: sub, tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', kind: '', location: '', resourceGroup: '', properties: { policyDefinitionId: set, scope: `/subscriptions/${sub}` }, tags: null };
          }
        }
        for (const [k, e] of (self.spec.exemptions ?? []).entries()) {
          const sub = /\/subscriptions\/([^/]+)/i.exec(e.scope)![1]!;
          const assignment = e.initiative !== undefined ? `initiative-${e.initiative}` : `driftscan-${e.baseline}`;
          yield {
            id: `${e.scope}/providers/Microsoft.Authorization/policyExemptions/exempt-${k}`, name: `exempt-${k}`, type: 'microsoft.authorization/policyexemptions', subscriptionId: sub,
            tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', kind: '', location: '', resourceGroup: '',
            properties: {
              policyAssignmentId: `/subscriptions/${sub}/providers/Microsoft.Authorization/policyAssignments/${assignment}`, exemptionCategory: 'Waiver',
              ...(e.referenceIds ? { policyDefinitionReferenceIds: e.referenceIds } : {}),
              ...(e.expired ? { expiresOn: '2020-01-01T00:00:00Z' } : { expiresOn: '2099-01-01T00:00:00Z' }),
            },
            tags: null,
          };
        }
      },
      resourcecontainers: function* () {
        for (const sub of self.spec.subscriptions) {
          yield {
            id: `/subscriptions/${sub}`, name: `sub-${sub.slice(-4)}`, type: 'microsoft.resources/subscriptions', subscriptionId: sub, tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', kind: '', location: '', resourceGroup: '',
            properties: { managementGroupAncestorsChain: self.spec.managementGroup ? [{ name: self.spec.managementGroup, displayName: self.spec.managementGroup }] : [] },
            tags: null,
          };
        }
      },
    };
  }

  /**
   * Ground truth for the subscriptions in `reachable` (lower case): machine counts per
   * `sub|baseline|compliance`, unwaived and waived finding counts, and rows the failing-resources
   * query returns.
   */
  truth(reachable: ReadonlySet<string>): { totals: Map<string, number>; findings: number; waivedFindings: number; failingRows: number; nonCompliantAssignments: number } {
    const totals = new Map<string, number>();
    const add = (k: string, n = 1) => totals.set(k, (totals.get(k) ?? 0) + n);
    let findings = 0;
    let waivedFindings = 0;
    let failingRows = 0;
    let nonCompliantAssignments = 0;
    for (let i = 0; i < this.spec.machines; i++) {
      const sub = this.subscription(i).toLowerCase();
      if (!reachable.has(sub) || !this.counted(i)) continue;
      this.spec.baselines.forEach((b, j) => {
        const s = this.state(i, j);
        const key = (c: string) => `${sub}|${b.name}|${c}`;
        if (s === 'missing') return add(key('Missing'));
        if (s === 'pending') return add(key('Pending'));
        if (s === 'compliant') return add(key('Compliant'));
        nonCompliantAssignments += 1;
        const failing = this.failing(i, j);
        const waived = new Set((b.waived ?? []).map((w) => w.toLowerCase()));
        const exempt = this.exempted(this.machineId(i).toLowerCase(), b.name);
        const unwaived = exempt ? 0 : failing.filter((k) => !waived.has(b.rules[k]!.toLowerCase())).length;
        failingRows += failing.length;
        findings += unwaived;
        waivedFindings += failing.length - unwaived;
        add(key(unwaived === 0 ? 'Waived' : 'NonCompliant'));
      });
    }
    return { totals, findings, waivedFindings, failingRows, nonCompliantAssignments };
  }
}

export function subscriptionIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `00000000-0000-0000-0000-${String(i + 1).padStart(12, '0')}`);
}
