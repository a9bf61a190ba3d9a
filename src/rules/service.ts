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
import { sameIgnoringCase } from '../windows/text.js';
import type { Rule } from './model.js';
import { engineResource, resourceId, type DscPlan, type DscProperty } from '../dsc/resources.js';
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
        ok = id ? id.sid === c.account.sid : sameIgnoringCase(obj.data, c.account.text);
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

// --- Machine Configuration: DriftscanDsc `DriftscanService` (dsc/DriftscanDsc/Resources/Service.ps1) --------
//
// The resource reads the service key (Start, DelayedAutostart, ObjectName) and the run state through
// the module's seam and judges them as above. The account travels as written plus its SID when the
// rule fixes it; an account chosen by a policy parameter is resolved on the machine by the same rules.

/** Accounts Set() can assign without a password: the built-in service accounts and NT SERVICE\<name>. */
function passwordless(sid: string): boolean {
  return ['S-1-5-18', 'S-1-5-19', 'S-1-5-20'].includes(sid) || sid.startsWith('S-1-5-80-');
}

/** Translates a `service` rule. */
function dscPlan(rule: Rule<ServiceCheck>): DscPlan {
  const c = rule.check;
  const id = resourceId(ENGINE_CLASS, rule.id);
  const accountParameter = rule.parameters.some((p) => p.property === 'account');
  const props: DscProperty[] = [['Name', c.name], ['Ensure', c.ensure === 'present' ? 'Present' : 'Absent']];
  if (c.startupType) props.push(['StartupType', c.startupType]);
  if (c.account) {
    props.push(['Account', c.account.text]);
    if (!accountParameter) props.push(['AccountSid', c.account.sid]);
  }
  if (c.state) props.push(['State', c.state]);
  let notSettable: string | undefined;
  if (c.ensure === 'present' && !c.startupType && !c.account && !c.state) notSettable = 'a rule that only requires the service to be installed cannot install it';
  else if (c.account && (accountParameter || !passwordless(c.account.sid))) notSettable = `account ${c.account.text} would need a password in the package; only LocalSystem, LocalService, NetworkService and NT SERVICE\\<name> can be applied`;
  else if (c.startupType === 'Disabled' && c.state === 'Running') notSettable = 'a disabled service cannot be started';
  return {
    resources: [engineResource(ENGINE_CLASS, rule.id, props)],
    parameters: rule.parameters.map((p) => ({ property: p.property, resourceId: id, resourceProperty: p.property === 'account' ? 'Account' : 'StartupType' })),
    ...(notSettable ? { notSettable } : {}),
  };
}

const ENGINE_CLASS = 'DriftscanService';
