/**
 * Baseline → DSC configuration document (the package's `.mof`): one resource per rule (plus
 * helpers such as key-existence checks), ResourceIDs `[FriendlyName]<rule id>`, SourceInfo
 * pointing at the baseline, and the policy parameter addresses (`[Registry]id;ValueData`).
 * Pure: no I/O, so the same baseline gives the same bytes everywhere.
 */
import { basename } from 'node:path';
import type { AssignmentType, Baseline, ParameterDef } from '../rules/model.js';
import { DriftscanError, formatLocation } from '../core/diagnostics.js';
import { ruleKind } from '../rules/index.js';
import { DSC_MODULES, DscUnsupported, resourceId, type DscEmbeddedInstance, type DscModule, type DscPropertyValue, type DscResource } from '../dsc/resources.js';
import { writeMofDocument, type MofInstance, type MofValue } from './mof.js';
import { lockOutViolations } from './lockout-guard.js';

/** A policy parameter of the package: `reference` is `[Type]Id;Property` (machine-configuration.md §2.3). */
export interface ConfigurationParameter {
  /** Baseline parameter name (becomes the Azure Policy parameter). */
  name: string;
  reference: string;
  ruleId: string;
  /** The rule's YAML property that takes the parameter (`equals`). */
  property: string;
  /** The default as Machine Configuration writes it into the MOF: a string. */
  defaultValue: string;
  definition: ParameterDef;
}

/** How one rule was compiled, for the manifest and `package inspect`. */
export interface RuleMapping {
  ruleId: string;
  resources: string[];
  /** DSC checks more than the rule (see DscPlan.stricter). */
  stricter?: string;
  /** Why the rule is not in the package (`--skip-unsupported` or `unsupportedRules: omit`). */
  omitted?: string;
}

export interface CompiledConfiguration {
  /** Configuration = package = MOF base name. */
  name: string;
  version: string;
  assignmentType: AssignmentType;
  mof: string;
  /** Modules the MOF references, with the versions written into it. */
  modules: DscModule[];
  rules: RuleMapping[];
  parameters: ConfigurationParameter[];
}

export interface ConfigurationOptions {
  /** Overrides the baseline's assignment type (`--assignment-type`). */
  assignmentType?: AssignmentType;
  /**
   * Leave rules DSC cannot express out of the package (recorded as `omitted`) instead of failing
   * the compile (`--skip-unsupported`). The package then checks fewer rules than the baseline.
   * A baseline with `spec.assignment.unsupportedRules: omit` gets this behaviour on its own.
   */
  skipUnsupported?: boolean;
}

/** Machine Configuration names become file, folder and assignment names (`<name>$pid…`). */
const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Compiles a baseline or throws one DriftscanError listing every rule that cannot be compiled (one line each). */
export function compileConfiguration(b: Baseline, options: ConfigurationOptions = {}): CompiledConfiguration {
  const errors: string[] = [];
  const at = (loc: Baseline['rules'][number]['location']) => formatLocation(loc);
  const name = b.metadata.name;
  if (!PACKAGE_NAME.test(name) || name.toLowerCase() === 'azurewindowsbaseline') {
    errors.push(`${b.file}:1:1: baseline name "${name}" cannot be a Machine Configuration package name (letters, digits, . _ -, at most 100; not AzureWindowsBaseline, which Defender for Cloud owns)`);
  }
  const assignmentType = options.assignmentType ?? b.assignment.type;

  errors.push(...lockOutViolations(b, assignmentType));

  const versions = new Map(DSC_MODULES.map((m) => [m.name, m.version]));
  const resources: Array<{ resource: DscResource; ruleIndex: number }> = [];
  const byId = new Map<string, string>();
  const rules: RuleMapping[] = [];
  const parameters: ConfigurationParameter[] = [];
  const paramUse = new Map<string, string>();
  const omitUnsupported = Boolean(options.skipUnsupported) || b.assignment.unsupportedRules === 'omit';

  b.rules.forEach((rule, ruleIndex) => {
    const kind = ruleKind(rule.kind);
    if (!kind?.dsc) {
      errors.push(`${at(rule.location)}: rule ${rule.id}: rule kind ${rule.kind} has no Machine Configuration translation`);
      return;
    }
    let plan;
    try {
      plan = kind.dsc.plan(rule as never, b.parameters);
    } catch (err) {
      if (err instanceof DscUnsupported) {
        if (omitUnsupported) rules.push({ ruleId: rule.id, resources: [], omitted: err.message });
        else errors.push(`${at(rule.location)}: rule ${rule.id} cannot be compiled to Machine Configuration: ${err.message}`);
        return;
      }
      throw err;
    }
    if (plan.notSettable && assignmentType !== 'Audit') {
      const why = `cannot be applied (${assignmentType}): ${plan.notSettable}`;
      if (omitUnsupported) rules.push({ ruleId: rule.id, resources: [], omitted: why });
      else errors.push(`${at(rule.location)}: rule ${rule.id} ${why}; assign it as Audit, or leave it out with spec.assignment.unsupportedRules: omit`);
      return;
    }
    const mapping: RuleMapping = { ruleId: rule.id, resources: [], ...(plan.stricter ? { stricter: plan.stricter } : {}) };
    for (const r of plan.resources) {
      const id = resourceId(r.friendlyName, r.instanceName);
      if (byId.has(id.toLowerCase())) {
        errors.push(`${at(rule.location)}: rule ${rule.id}: resource ${id} is already used by rule ${byId.get(id.toLowerCase())} (ResourceIDs compare case-insensitively)`);
        continue;
      }
      byId.set(id.toLowerCase(), rule.id);
      // Every DriftscanDsc resource is keyed by its rule id and names its baseline in its Reasons' Code.
      const properties: DscResource['properties'] = [['RuleId', rule.id], ['Baseline', name], ...r.properties];
      resources.push({ resource: { ...r, properties, module: { ...r.module, version: versions.get(r.module.name) ?? r.module.version } }, ruleIndex });
      mapping.resources.push(id);
    }
    const used = new Set(plan.parameters.map((p) => p.property));
    for (const use of rule.parameters) {
      if (!used.has(use.property)) errors.push(`${at(rule.location)}: rule ${rule.id}: parameter ${use.param} on ${use.property} has no resource property to address`);
    }
    for (const p of plan.parameters) {
      const use = rule.parameters.find((u) => u.property === p.property)!;
      const reference = `${p.resourceId};${p.resourceProperty}`;
      const other = paramUse.get(use.param);
      if (other) {
        errors.push(`${at(rule.location)}: rule ${rule.id}: parameter ${use.param} is also used by ${other}; a Machine Configuration policy parameter addresses exactly one resource property`);
        continue;
      }
      paramUse.set(use.param, `rule ${rule.id}`);
      const def = b.parameters.find((d) => d.name === use.param);
      if (!def) throw new Error(`parameter ${use.param} of rule ${rule.id} is not defined`);
      const dflt = Array.isArray(def.default) ? def.default.join(',') : String(def.default);
      parameters.push({ name: use.param, reference, ruleId: rule.id, property: use.property, defaultValue: dflt, definition: def });
    }
    rules.push(mapping);
  });
  if (resources.length === 0 && errors.length === 0) {
    errors.push(`${b.file}:1:1: baseline ${name} has no rule that compiles to a DSC resource; a package needs at least one`);
  }
  // Each line already names file:line:col.
  if (errors.length) throw new DriftscanError(errors.join('\n'));

  const instances: MofInstance[] = [];
  const counters = new Map<string, number>();
  const alias = (cls: string) => {
    const n = (counters.get(cls) ?? 0) + 1;
    counters.set(cls, n);
    return `${cls}${n}ref`;
  };
  const toMof = (v: DscPropertyValue): MofValue => {
    if (!Array.isArray(v) || v.every((x) => typeof x === 'string')) return v as MofValue;
    // Embedded instances go first, each under its own alias, and are referenced from the array.
    return (v as DscEmbeddedInstance[]).map((e) => {
      const props = e.properties.map(([k, x]) => [k, toMof(x)] as const);
      const a = alias(e.embedded);
      instances.push({ className: e.embedded, alias: a, properties: props });
      return { ref: a };
    });
  };
  for (const { resource: r, ruleIndex } of resources) {
    const rule = b.rules[ruleIndex]!;
    const props = r.properties.map(([k, v]) => [k, toMof(v)] as const);
    const loc = rule.location;
    instances.push({
      className: r.className,
      alias: alias(r.className),
      properties: [
        ['ResourceID', resourceId(r.friendlyName, r.instanceName)],
        ...props,
        // SourceInfo uses the file's base name: the MOF (and so contentHash) must not depend on where the repo is checked out.
        ['SourceInfo', `${basename(b.file)}::${loc.line ?? 1}::${loc.col ?? 1}::${r.friendlyName}`],
        ...(r.dependsOn?.length ? [['DependsOn', r.dependsOn] as const] : []),
        ['ModuleName', r.module.name],
        ['ModuleVersion', r.module.version],
        ['ConfigurationName', name],
      ],
    });
  }
  const modules = DSC_MODULES.filter((m) => resources.some((r) => r.resource.module.name === m.name)).map((m) => ({ ...m, version: versions.get(m.name)! }));
  return { name, version: b.metadata.version, assignmentType, mof: writeMofDocument(instances, name), modules, rules, parameters };
}
