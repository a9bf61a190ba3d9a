/**
 * The contract between rule kinds and the Machine Configuration compiler: each kind's optional
 * `dsc` member translates one rule into DSC resource instances (PSDscResources `Registry`/
 * `Service`, AccessControlDsc `RegistryAccessEntry`), or refuses with `DscUnsupported` when no
 * resource can check exactly what the rule says. A refused rule fails the compile; a resource that
 * checks something else would report wrong compliance for every machine.
 */
import type { RegistryPath } from '../windows/registry-path.js';

/** A PowerShell module that ships DSC resources; `name` is its folder/psd1 name, `galleryId` its package id. */
export interface DscModule {
  name: string;
  galleryId: string;
  version: string;
}

/** PSDscResources 2.12.0.0: the maintained replacement for the in-box resources Machine Configuration refuses (§7.1). */
export const PSDSC_RESOURCES: DscModule = { name: 'PSDscResources', galleryId: 'PSDscResources', version: '2.12.0.0' };
/** AccessControlDsc 1.4.3 (Gallery id `AccessControlDSC`): the only Gallery module with a registry ACL resource (§7.3). */
export const ACCESS_CONTROL_DSC: DscModule = { name: 'AccessControlDsc', galleryId: 'AccessControlDSC', version: '1.4.3' };

/** Modules the compiler may bundle, by folder name. */
export const DSC_MODULES: readonly DscModule[] = [PSDSC_RESOURCES, ACCESS_CONTROL_DSC];

/** An embedded CIM instance (e.g. `AccessControlEntry`), written as its own aliased block before its user. */
export interface DscEmbeddedInstance {
  embedded: string;
  properties: DscProperty[];
}

export type DscPropertyValue = string | number | boolean | string[] | DscEmbeddedInstance[];
export type DscProperty = readonly [string, DscPropertyValue];

/** One resource instance; the compiler adds ResourceID, SourceInfo, ModuleName/Version, ConfigurationName. */
export interface DscResource {
  /** `Registry`, `Service`, `RegistryAccessEntry` (the `[FriendlyName]` of the ResourceID). */
  friendlyName: string;
  /** CIM class (`MSFT_RegistryResource`). */
  className: string;
  module: DscModule;
  /** The instance name after `[FriendlyName]`: the rule id, or the rule id plus a suffix for helpers. */
  instanceName: string;
  properties: DscProperty[];
  /** ResourceIDs (`[Registry]x`) this one must run after. */
  dependsOn?: string[];
}

/** Where a rule parameter lands: the YAML property (`equals`) → a resource property (`ValueData`). */
export interface DscParameterTarget {
  property: string;
  resourceId: string;
  resourceProperty: string;
}

/**
 * The translation of one rule. The resources must report compliant only where the rule passes:
 * either exactly where it passes, or (`stricter`) on a subset of those machines. A mapping that
 * would accept a machine the rule fails is refused with `DscUnsupported` instead.
 */
export interface DscPlan {
  resources: DscResource[];
  parameters: DscParameterTarget[];
  /**
   * Set when the resources are stricter than the rule (DSC compliant ⇒ the rule passes, not the
   * reverse); says how, for the manifest and the compile output.
   */
  stricter?: string;
}

/** A rule DSC cannot express faithfully; the compiler adds file:line and the rule id. */
export class DscUnsupported extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DscUnsupported';
  }
}

/** `[Registry]my-rule`: the ResourceID Machine Configuration and policy parameters address. */
export function resourceId(friendlyName: string, instanceName: string): string {
  return `[${friendlyName}]${instanceName}`;
}

const PROVIDER_ROOTS: Record<RegistryPath['root'], { long: string; drive: string }> = {
  HKLM: { long: 'HKEY_LOCAL_MACHINE', drive: 'HKLM:' },
  HKCU: { long: 'HKEY_CURRENT_USER', drive: 'HKCU:' },
  HKCR: { long: 'HKEY_CLASSES_ROOT', drive: 'HKCR:' },
  HKCC: { long: 'HKEY_CURRENT_CONFIG', drive: 'HKCC:' },
  // PSDscResources maps HKEY_USERS through its own `HKUS:` drive; Get-Acl has no HKU drive at all.
  HKU: { long: 'HKEY_USERS', drive: 'Registry::HKEY_USERS' },
};

/**
 * Machine Configuration runs resources as LocalSystem, so `HKCU` there is SYSTEM's own profile,
 * not the signed-in users' hives a rule about HKCU means. Refused rather than compiled to a check
 * of the wrong hive.
 */
export function assertMachineHive(p: RegistryPath): void {
  if (p.root === 'HKCU') {
    throw new DscUnsupported('HKCU cannot be compiled: Machine Configuration runs as LocalSystem, so HKCU would be SYSTEM\'s own hive, not the users\' (target HKU\<SID> or a policy key under HKLM instead)');
  }
}

/** `HKEY_LOCAL_MACHINE\SOFTWARE\…`: the `Key` form PSDscResources `Registry` accepts for every hive. */
export function dscRegistryKey(p: RegistryPath): string {
  assertMachineHive(p);
  return [PROVIDER_ROOTS[p.root].long, ...p.segments].join('\\');
}

/** `HKLM:\SOFTWARE\…`: the PowerShell provider path AccessControlDsc feeds to Test-Path/Get-Acl. */
export function providerPath(p: RegistryPath): string {
  assertMachineHive(p);
  return [PROVIDER_ROOTS[p.root].drive, ...p.segments].join('\\');
}

/** A PSDscResources `Registry` resource on key `p`; `properties` follow `Key` (ValueName, ValueType…). */
export function registryResource(p: RegistryPath, instanceName: string, properties: DscProperty[]): DscResource {
  return {
    friendlyName: 'Registry',
    className: 'MSFT_RegistryResource',
    module: PSDSC_RESOURCES,
    instanceName,
    properties: [['Key', dscRegistryKey(p)], ...properties],
  };
}

/**
 * A `Registry` resource that only requires the key to exist (ValueName ''): AccessControlDsc reports
 * a missing key as compliant, so ACL resources depend on this one.
 */
export function keyExistsResource(p: RegistryPath, instanceName: string): DscResource {
  return registryResource(p, instanceName, [['ValueName', ''], ['Ensure', 'Present']]);
}
