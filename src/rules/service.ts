/**
 * `service`: a Windows service's startup type, logon account and (live only) run state.
 *
 * Offline, a service is its registry key `HKLM\SYSTEM\CurrentControlSet\Services\<name>`:
 * `Start` (0 Boot, 1 System, 2 Automatic, 3 Manual, 4 Disabled), `DelayedAutostart` (1 with
 * Start 2 = Automatic (Delayed Start)) and `ObjectName` (the logon account, spelled
 * `NT Authority\NetworkService`, `LocalSystem`…; compared by SID). So service rules evaluate
 * from `.reg` exports, snapshots and hives alike; only `state` needs a live machine.
 */
import type { Identity, RuleKind, Verdict } from './kind.js';
import { parseRegistryPath, formatRegistryPath } from '../windows/registry-path.js';
import { describeSid, resolveIdentity } from '../windows/identity.js';
import { formatValue } from '../windows/value.js';
import { parameterDef, type ParameterDef, type Rule } from './model.js';
import { DscUnsupported, PSDSC_RESOURCES, registryResource, resourceId, type DscPlan, type DscProperty, type DscResource } from '../dsc/resources.js';
import { remoteAccessServiceReason } from '../dsc/remote-access.js';

export const STARTUP_TYPES = ['Boot', 'System', 'Automatic', 'AutomaticDelayedStart', 'Manual', 'Disabled'] as const;
export type StartupType = (typeof STARTUP_TYPES)[number];

export interface ServiceCheck {
  name: string;
  ensure: 'present' | 'absent';
  startupType?: StartupType;
  account?: Identity & { text: string };
  state?: 'Running' | 'Stopped';
}

const START_NAMES = ['Boot', 'System', 'Automatic', 'Manual', 'Disabled'] as const;

/** The registry key that holds a service's configuration. */
export function serviceKeyPath(name: string) {
  return parseRegistryPath(`HKLM\\SYSTEM\\CurrentControlSet\\Services\\${name}`);
}

function describeAccount(a: Identity & { text: string }): string {
  return a.sid.startsWith('S-') ? describeSid(a.sid) : a.text;
}

export const service: RuleKind<ServiceCheck> = {
  dsc: { plan: dscPlan, remoteAccess: (c) => remoteAccessServiceReason(c.name) },
  name: 'service',
  summary: 'A Windows service has the expected startup type, logon account and (live only) state.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', pattern: '^[^\\\\/]+$', description: 'Service (key) name, e.g. TermService' },
      ensure: { enum: ['present', 'absent'], default: 'present' },
      startupType: { anyOf: [{ enum: [...STARTUP_TYPES] }, { $ref: '#/$defs/param' }] },
      account: { anyOf: [{ type: 'string' }, { $ref: '#/$defs/identityObject' }, { $ref: '#/$defs/param' }], description: 'Logon account (ObjectName), e.g. NT Authority\\NetworkService' },
      state: { enum: ['Running', 'Stopped'], description: 'Run state; only a live source (snapshot) can answer' },
    },
  },
  parameterizable: { startupType: 'string', account: 'string' },

  parse(body, ctx) {
    const name = String(body.name);
    const ensure = (body.ensure as 'present' | 'absent' | undefined) ?? 'present';
    const check: ServiceCheck = { name, ensure };
    if (ensure === 'absent') {
      const extra = ['startupType', 'account', 'state'].filter((k) => body[k] !== undefined);
      if (extra.length) ctx.fail(`ensure: absent cannot be combined with ${extra.join(', ')}`, 'ensure');
      return check;
    }
    if (body.startupType !== undefined) {
      if (!STARTUP_TYPES.includes(body.startupType as StartupType)) ctx.fail(`startupType must be one of ${STARTUP_TYPES.join(', ')}`, 'startupType');
      check.startupType = body.startupType as StartupType;
    }
    if (body.account !== undefined) {
      const id = ctx.identity(body.account, 'account');
      check.account = { ...id, text: typeof body.account === 'string' ? body.account : (id.name ?? id.sid) };
    }
    if (body.state !== undefined) check.state = body.state as 'Running' | 'Stopped';
    return check;
  },

  references(c) {
    return {
      keys: [{ path: formatRegistryPath(serviceKeyPath(c.name)), values: ['Start', 'DelayedAutostart', 'ObjectName'], acl: false }],
      services: c.state ? [c.name] : [],
    };
  },

  describe(c) {
    if (c.ensure === 'absent') return `service ${c.name} is not installed`;
    const parts = [
      c.startupType && `startup ${c.startupType}`,
      c.account && `runs as ${c.account.text}`,
      c.state && `state ${c.state}`,
    ].filter(Boolean);
    return `service ${c.name}${parts.length ? `: ${parts.join(', ')}` : ' is installed'}`;
  },

  evaluate(c, source): Verdict {
    const expectedParts: string[] = [];
    if (c.ensure === 'absent') expectedParts.push('service not installed');
    if (c.startupType) expectedParts.push(`startup ${c.startupType}`);
    if (c.account) expectedParts.push(`account ${describeAccount(c.account)}`);
    if (c.state) expectedParts.push(`state ${c.state}`);
    if (expectedParts.length === 0) expectedParts.push('service installed');
    const expected = expectedParts.join(', ');

    const key = source.key(serviceKeyPath(c.name));
    if (key.status === 'unknown') return { status: 'skipped', expected, actual: 'unknown', message: key.reason };
    if (key.status === 'absent') {
      return c.ensure === 'absent'
        ? { status: 'pass', expected, actual: 'service not installed' }
        : { status: 'fail', expected, actual: 'service not installed', message: `expected ${expected}, found no service ${c.name}` };
    }
    const target = key.value.path;
    if (c.ensure === 'absent') return { status: 'fail', expected, actual: 'service installed', target };

    const actualParts: string[] = [];
    const problems: string[] = [];
    if (c.startupType) {
      const start = key.value.value('Start');
      let actual: string;
      if (!start) actual = 'no Start value';
      else if (start.type !== 'DWord') actual = `Start is ${formatValue(start)}`;
      else {
        const delayed = key.value.value('DelayedAutostart');
        const isDelayed = start.data === 2 && delayed?.type === 'DWord' && delayed.data === 1;
        actual = isDelayed ? 'AutomaticDelayedStart' : (START_NAMES[start.data] ?? `unknown Start ${start.data}`);
      }
      actualParts.push(`startup ${actual}`);
      if (actual !== c.startupType) problems.push(`startup ${actual}`);
    }
    if (c.account) {
      const obj = key.value.value('ObjectName');
      let actual: string;
      let ok = false;
      if (!obj) actual = 'no ObjectName value';
      else if (obj.type !== 'String' && obj.type !== 'ExpandString') actual = `ObjectName is ${formatValue(obj)}`;
      else {
        const id = resolveIdentity(obj.data);
        actual = id ? `${obj.data} (${id.sid})` : obj.data;
        ok = id ? id.sid === c.account.sid : obj.data.toLowerCase() === c.account.text.toLowerCase();
      }
      actualParts.push(`account ${actual}`);
      if (!ok) problems.push(`account ${actual}`);
    }
    let stateUnknown: string | undefined;
    if (c.state) {
      const st = source.serviceState(c.name);
      if (st.status === 'unknown') stateUnknown = st.reason;
      else {
        const actual = st.status === 'present' ? st.value : 'not running';
        actualParts.push(`state ${actual}`);
        if (actual !== c.state && !(c.state === 'Stopped' && st.status === 'absent')) problems.push(`state ${actual}`);
      }
    }
    if (actualParts.length === 0) actualParts.push('service installed');
    const actual = actualParts.join(', ');
    if (problems.length > 0) return { status: 'fail', expected, actual, target, message: `expected ${expected}, found ${problems.join(', ')}` };
    if (stateUnknown) return { status: 'skipped', expected, actual, target, message: `run state not checked: ${stateUnknown}` };
    return { status: 'pass', expected, actual, target };
  },
};

// --- Machine Configuration: PSDscResources `Service` (machine-configuration.md §7.2) -----------------
//
// Traps: `State` defaults to Running, so it is always written (`Ignore` when the rule says nothing
// about it) — otherwise an audit of a disabled service would demand it run and `Disabled` would
// throw; only the three built-in accounts can be expressed without a credential in the MOF;
// StartupType comes from Win32_Service.StartMode, which says `Auto` for Start = 2 with or without
// DelayedAutostart, and has no Boot/System value. So Automatic and AutomaticDelayedStart each get
// a companion `Registry` resource on the service key's DelayedAutostart value.

/** Built-in accounts by SID → the `BuiltInAccount` value. */
const BUILT_IN: Record<string, string> = { 'S-1-5-18': 'LocalSystem', 'S-1-5-19': 'LocalService', 'S-1-5-20': 'NetworkService' };

/** Startup types a policy parameter may choose: those the Service resource alone tells apart exactly. */
const PARAMETER_STARTUP_TYPES: readonly string[] = ['Manual', 'Disabled'];

function checkStartupType(startupType: string, state: ServiceCheck['state']): void {
  if (startupType === 'Boot' || startupType === 'System') {
    throw new DscUnsupported(`startupType ${startupType} cannot be expressed: PSDscResources Service knows only Automatic, Manual and Disabled (drivers are not services it manages)`);
  }
  if (startupType.startsWith('Automatic') && state === 'Stopped') throw new DscUnsupported(`startupType ${startupType} with state Stopped is refused by PSDscResources Service`);
  if (startupType === 'Disabled' && state === 'Running') throw new DscUnsupported('startupType Disabled with state Running is refused by PSDscResources Service');
}

/** Translates a `service` rule. */
function dscPlan(rule: Rule<ServiceCheck>, parameters: readonly ParameterDef[]): DscPlan {
  const c = rule.check;
  const id = resourceId('Service', rule.id);
  const props: DscProperty[] = [['Name', c.name]];
  const companions: DscResource[] = [];
  let stricter: string | undefined;
  if (c.ensure === 'absent') {
    props.push(['Ensure', 'Absent'], ['State', 'Ignore']);
  } else {
    if (c.startupType) {
      checkStartupType(c.startupType, c.state);
      const key = serviceKeyPath(c.name);
      if (c.startupType === 'Automatic') {
        // Stricter, not exact: driftscan reads DelayedAutostart = 0 as plain Automatic too.
        companions.push(registryResource(key, `${rule.id} (not delayed)`, [['ValueName', 'DelayedAutostart'], ['Ensure', 'Absent']]));
        stricter = 'Automatic also requires the DelayedAutostart value to be absent (Win32_Service reports delayed start as Automatic); the rule also accepts DelayedAutostart = 0';
      } else if (c.startupType === 'AutomaticDelayedStart') {
        // Exact: driftscan's AutomaticDelayedStart is Start = 2 and DelayedAutostart = DWORD 1.
        companions.push(registryResource(key, `${rule.id} (delayed start)`,
          [['ValueName', 'DelayedAutostart'], ['ValueType', 'DWord'], ['ValueData', ['1']], ['Hex', false], ['Ensure', 'Present'], ['Force', true]]));
      }
      props.push(['StartupType', c.startupType === 'AutomaticDelayedStart' ? 'Automatic' : c.startupType]);
    }
    if (c.account) {
      const builtIn = BUILT_IN[c.account.sid];
      if (!builtIn) {
        throw new DscUnsupported(
          `account ${c.account.text} needs a Credential (a password in the MOF, which Machine Configuration packages must not contain); only LocalSystem, LocalService and NetworkService can be compiled`,
        );
      }
      props.push(['BuiltInAccount', builtIn]);
    }
    props.push(['State', c.state ?? 'Ignore'], ['Ensure', 'Present']);
  }
  const targets = rule.parameters.map((p) => {
    if (p.property !== 'startupType') {
      throw new DscUnsupported(`parameter ${p.param} on ${p.property} cannot be compiled: BuiltInAccount takes LocalSystem, LocalService or NetworkService, not an account name chosen at assignment time`);
    }
    // The companion DelayedAutostart check is fixed at compile time, so an assignment may only pick
    // values that need none; allowedValues is what Azure Policy enforces on the assignment.
    const allowed = parameterDef(parameters, p.param).allowedValues;
    if (!allowed || !allowed.every((v) => PARAMETER_STARTUP_TYPES.includes(String(v)))) {
      throw new DscUnsupported(`parameter ${p.param} on startupType needs allowedValues limited to ${PARAMETER_STARTUP_TYPES.join(' and ')}: ` +
        'PSDscResources Service cannot tell Automatic from delayed start, and the DelayedAutostart check cannot follow a value chosen at assignment time');
    }
    for (const v of allowed) checkStartupType(String(v), c.state);
    return { property: p.property, resourceId: id, resourceProperty: 'StartupType' };
  });
  return {
    resources: [{ friendlyName: 'Service', className: 'MSFT_ServiceResource', module: PSDSC_RESOURCES, instanceName: rule.id, properties: props }, ...companions],
    parameters: targets,
    ...(stricter ? { stricter } : {}),
  };
}
