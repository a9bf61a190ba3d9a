/**
 * `service` rules → PSDscResources `Service` (machine-configuration.md §7.2).
 *
 * DSC traps handled here: `State` defaults to Running, so it is always written (`Ignore` when the
 * rule says nothing about it) — otherwise an audit of a disabled service would demand it run and
 * `Disabled` would throw; only the three built-in accounts can be expressed without putting a
 * credential in the MOF; Boot/System/AutomaticDelayedStart have no StartupType value.
 */
import type { Rule } from '../../baseline/model.js';
import type { ServiceCheck } from '../../rules/service.js';
import { DscUnsupported, PSDSC_RESOURCES, resourceId, type DscPlan, type DscProperty } from '../dsc.js';

/** Built-in accounts by SID → the `BuiltInAccount` value. */
const BUILT_IN: Record<string, string> = { 'S-1-5-18': 'LocalSystem', 'S-1-5-19': 'LocalService', 'S-1-5-20': 'NetworkService' };

/** Translates a `service` rule. */
export function servicePlan(rule: Rule<ServiceCheck>): DscPlan {
  const c = rule.check;
  const id = resourceId('Service', rule.id);
  const props: DscProperty[] = [['Name', c.name]];
  let laxer: string | undefined;
  if (c.ensure === 'absent') {
    props.push(['Ensure', 'Absent'], ['State', 'Ignore']);
  } else {
    if (c.startupType) {
      if (!['Automatic', 'Manual', 'Disabled'].includes(c.startupType)) {
        throw new DscUnsupported(`startupType ${c.startupType} cannot be expressed: PSDscResources Service knows only Automatic, Manual and Disabled`);
      }
      if (c.startupType === 'Automatic') laxer = 'PSDscResources Service reads StartMode from Win32_Service, which reports delayed-start services as Automatic too';
      if (c.startupType === 'Automatic' && c.state === 'Stopped') throw new DscUnsupported('startupType Automatic with state Stopped is refused by PSDscResources Service');
      if (c.startupType === 'Disabled' && c.state === 'Running') throw new DscUnsupported('startupType Disabled with state Running is refused by PSDscResources Service');
      props.push(['StartupType', c.startupType]);
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
  const parameters = rule.parameters.map((p) => {
    if (p.property === 'startupType') return { property: p.property, resourceId: id, resourceProperty: 'StartupType' };
    throw new DscUnsupported(`parameter ${p.param} on ${p.property} cannot be compiled: BuiltInAccount takes LocalSystem, LocalService or NetworkService, not an account name chosen at assignment time`);
  });
  return {
    resources: [{ friendlyName: 'Service', className: 'MSFT_ServiceResource', module: PSDSC_RESOURCES, instanceName: rule.id, properties: props }],
    parameters,
    ...(laxer ? { laxer } : {}),
  };
}
