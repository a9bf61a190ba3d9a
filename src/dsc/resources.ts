/**
 * The contract between rule kinds and the Machine Configuration compiler: each kind's `dsc` member
 * translates one rule into an instance of its DriftscanDsc resource (`dsc/DriftscanDsc/Resources/`),
 * which evaluates the rule on the machine exactly as `driftscan check` does. The MOF carries the
 * rule as data — key paths, names, expected data, SIDs, masks — never as code.
 */
import type { RegistryPath } from '../windows/registry-path.js';
import { formatRegistryPath } from '../windows/registry-path.js';
import { VERSION } from '../core/version.js';
import { engineDscModule } from './engine-module.js';

/** A PowerShell module that ships DSC resources; `name` is its folder/psd1 name. */
export interface DscModule {
  name: string;
  version: string;
}

/** DriftscanDsc at this driftscan's version: the one module compiled packages carry. */
export const DRIFTSCAN_DSC: DscModule = engineDscModule(VERSION);

/** Modules the compiler may bundle, by folder name. */
export const DSC_MODULES: readonly DscModule[] = [DRIFTSCAN_DSC];

/** An embedded CIM instance, written as its own aliased block before its user. */
export interface DscEmbeddedInstance {
  embedded: string;
  properties: DscProperty[];
}

export type DscPropertyValue = string | number | boolean | string[] | DscEmbeddedInstance[];
export type DscProperty = readonly [string, DscPropertyValue];

/** One resource instance; the compiler adds ResourceID, SourceInfo, ModuleName/Version, ConfigurationName. */
export interface DscResource {
  /** The `[FriendlyName]` of the ResourceID: for DriftscanDsc the class name. */
  friendlyName: string;
  /** CIM class (`DriftscanRegistryValue`). */
  className: string;
  module: DscModule;
  /** The instance name after `[FriendlyName]`: the rule id. */
  instanceName: string;
  properties: DscProperty[];
  /** ResourceIDs (`[X]y`) this one must run after. */
  dependsOn?: string[];
}

/** Where a rule parameter lands: the YAML property (`equals`) → a resource property (`Data`). */
export interface DscParameterTarget {
  property: string;
  resourceId: string;
  resourceProperty: string;
}

/** The translation of one rule. */
export interface DscPlan {
  resources: DscResource[];
  parameters: DscParameterTarget[];
  /** Set when the resources check more than the rule (kept for kinds that need a helper resource). */
  stricter?: string;
  /**
   * Why Set() cannot make this rule compliant (it has no single compliant state to write, such as
   * a range or a pattern); compiling it for ApplyAndMonitor/ApplyAndAutoCorrect is then refused.
   */
  notSettable?: string;
}

/** A rule DSC cannot express faithfully; the compiler adds file:line and the rule id. */
export class DscUnsupported extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DscUnsupported';
  }
}

/** `[DriftscanRegistryValue]my-rule`: the ResourceID Machine Configuration and policy parameters address. */
export function resourceId(friendlyName: string, instanceName: string): string {
  return `[${friendlyName}]${instanceName}`;
}

/**
 * Machine Configuration runs resources as LocalSystem, so `HKCU` there is SYSTEM's own profile,
 * not the signed-in users' hives a rule about HKCU means. Refused rather than compiled to a check
 * of the wrong hive.
 */
export function assertMachineHive(p: RegistryPath): void {
  if (p.root === 'HKCU') {
    throw new DscUnsupported('HKCU cannot be compiled: Machine Configuration runs as LocalSystem, so HKCU would be SYSTEM\'s own hive, not the users\' (target HKU\\<SID> or a policy key under HKLM instead)');
  }
}

/** The key in the short form (`HKLM\…`) the module's seam opens, after refusing HKCU. */
export function enginePath(p: RegistryPath): string {
  assertMachineHive(p);
  return formatRegistryPath(p);
}

/** A DriftscanDsc resource for one rule; the compiler adds `RuleId` and `Baseline` in front of `properties`. */
export function engineResource(className: string, instanceName: string, properties: DscProperty[]): DscResource {
  return { friendlyName: className, className, module: DRIFTSCAN_DSC, instanceName, properties };
}
