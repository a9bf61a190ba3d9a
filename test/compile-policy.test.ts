/**
 * Azure Policy definitions and initiatives (`src/compile/policy/`): validated against
 * Microsoft's policy definition JSON schema (draft-04, ajv-draft-04) and checked property by
 * property against the REST specs (guest configuration 2024-04-05, Microsoft.Authorization
 * 2024-05-01); parameters traced from the baseline to the metadata, the deployment and the
 * parameterHash (evaluated by a small ARM expression interpreter); hostile text kept inert.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import AjvDraft04Module from 'ajv-draft-04';
import type { Baseline, ParameterDef, Rule } from '../src/rules/model.js';
import { loadBaselines } from '../src/baseline/load.js';
import { DriftscanError } from '../src/core/diagnostics.js';
import {
  armLiteral, armUnescape, buildInitiative, buildPolicyDefinitions, GUEST_CONFIGURATION_API_VERSION, GUEST_CONFIGURATION_CONTRIBUTOR_ROLE,
  isArmExpression, MAX_POLICY_NAME, policyDefinitionName, policyJson, policySetDefinitionName,
  type PolicyDefinition, type PolicyInput,
} from '../src/compile/policy/index.js';
import { needShared, repoRoot, sharedData } from './support/paths.js';

const Ajv04 = AjvDraft04Module as unknown as typeof AjvDraft04Module.default;
const HASH = 'A'.repeat(64);
const SCHEMAS = 'schemas';
const SCHEMA_FILES = ['2020-10-01/policyDefinition.json', 'common/definitions.json', '2018-05-01/Microsoft.Resources.Deployments.json'];
const SPECS = 'azure-rest-specs/specification';
const GC_SPEC = `${SPECS}/guestconfiguration/resource-manager/Microsoft.GuestConfiguration/stable/2024-04-05/guestconfiguration.json`;
const PD_SPEC = `${SPECS}/resources/resource-manager/Microsoft.Authorization/stable/2024-05-01/policyDefinitions.json`;
const PSD_SPEC = `${SPECS}/resources/resource-manager/Microsoft.Authorization/stable/2024-05-01/policySetDefinitions.json`;

// ---------------------------------------------------------------- inputs

const loc = (line: number) => ({ file: 'policies/hand.yaml', line, col: 5 });

function param(name: string, over: Partial<ParameterDef> = {}): ParameterDef {
  return { name, type: 'string', default: 'x', location: loc(10), ...over };
}

function rule(id: string, params: Array<{ property: string; param: string }> = []): Rule {
  return { id, title: `rule ${id}`, severity: 'high', tags: [], kind: 'registryValue', check: {}, parameters: params, location: loc(20) };
}

function baseline(name: string, over: Partial<Baseline> = {}): Baseline {
  return {
    file: `policies/${name}.yaml`,
    metadata: { name, version: '1.2.3', title: `Title of ${name}`, description: 'A hand-made baseline.', references: [] },
    assignment: { type: 'Audit' },
    parameters: [],
    rules: [rule('r1')],
    waivers: [],
    ...over,
  };
}

/** The PolicyInput the package compiler builds, with `[Registry]<rule>;ValueData` addresses. */
function inputFor(b: Baseline, over: Partial<PolicyInput> = {}): PolicyInput {
  const configurationParameters = b.rules.flatMap((r) =>
    r.parameters.map((u) => ({ ruleId: r.id, property: u.property, param: b.parameters.find((p) => p.name === u.param)!, mofName: `[Registry]${r.id};ValueData` })),
  );
  return {
    baseline: b, packageName: b.metadata.name, version: b.metadata.version,
    contentUri: `https://example.blob.core.windows.net/packages/${b.metadata.name}/${b.metadata.name}.zip`,
    contentHash: HASH, assignmentType: 'ApplyAndMonitor', configurationParameters, ...over,
  };
}

const withParams = baseline('params', {
  parameters: [
    param('minLevel', { type: 'integer', default: 3, allowedValues: [3, 4], description: 'Lowest level' }),
    param('enabled', { type: 'boolean', default: true }),
    param('servers', { type: 'array', default: ['a', 'b'], allowedValues: ['a', 'b', 'c'] }),
  ],
  rules: [rule('level', [{ property: 'equals', param: 'minLevel' }]), rule('on', [{ property: 'equals', param: 'enabled' }]), rule('list', [{ property: 'equals', param: 'servers' }])],
});

const TARGETS = [{}, { arc: true }, { vmss: true }, { arc: true, vmss: true }];

function seedBaselines(): Baseline[] {
  return loadBaselines([join(repoRoot, 'policies')]);
}

/** Every definition the tests look at: hand-made and the seed baselines, all target combinations. */
function allDefinitions(): PolicyDefinition[] {
  const out: PolicyDefinition[] = [];
  for (const b of [baseline('plain'), withParams, ...seedBaselines()]) {
    for (const targets of TARGETS) {
      const d = buildPolicyDefinitions(inputFor(b, { targets }));
      out.push(d.auditIfNotExists, d.deployIfNotExists);
    }
  }
  return out;
}

// ---------------------------------------------------------------- a small ARM expression evaluator (independent of the builder)

type Val = string | number;
function evaluate(expr: string, params: Record<string, string>): Val {
  assert.ok(isArmExpression(expr), `not an expression: ${expr}`);
  const src = expr.slice(1, -1);
  let i = 0;
  const ws = () => { while (src[i] === ' ') i++; };
  const value = (): Val => {
    ws();
    if (src[i] === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new Error(`unterminated literal in ${expr}`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") { s += "'"; i += 2; continue; }
          i++;
          return s;
        }
        s += src[i++];
      }
    }
    const m = /^[A-Za-z][A-Za-z0-9]*/.exec(src.slice(i));
    if (!m) throw new Error(`bad expression at ${i}: ${expr}`);
    i += m[0].length;
    ws();
    assert.equal(src[i++], '(');
    const args: Val[] = [];
    ws();
    while (src[i] !== ')') {
      args.push(value());
      ws();
      if (src[i] === ',') i++;
    }
    i++;
    switch (m[0]) {
      case 'concat': return args.map(String).join('');
      case 'base64': return Buffer.from(String(args[0]), 'utf8').toString('base64');
      case 'parameters': {
        const v = params[String(args[0])];
        if (v === undefined) throw new Error(`unknown parameter ${String(args[0])}`);
        return v;
      }
      default: throw new Error(`function ${m[0]} not supported by the test evaluator`);
    }
  };
  const v = value();
  ws();
  assert.equal(i, src.length, `trailing text in ${expr}`);
  return v;
}

// ---------------------------------------------------------------- schema and spec helpers

function readShared(rel: string): any {
  return JSON.parse(readFileSync(join(sharedData, rel), 'utf8'));
}

function policyRuleValidator() {
  const ajv = new Ajv04({ strict: false, allErrors: true });
  for (const f of SCHEMA_FILES) ajv.addSchema(readShared(`${SCHEMAS}/${f}`));
  const v = ajv.getSchema('https://schema.management.azure.com/schemas/2020-10-01/policyDefinition.json#');
  assert.ok(v);
  return v;
}

/** Keys of `obj` that a swagger definition does not declare. */
function undeclared(obj: object, definition: { properties?: Record<string, unknown> }): string[] {
  return Object.keys(obj).filter((k) => !(k in (definition.properties ?? {})));
}

// ---------------------------------------------------------------- tests

test('every policy rule validates against the 2020-10-01 policy definition schema (draft-04)', { skip: needShared(...SCHEMA_FILES.map((f) => `${SCHEMAS}/${f}`)) }, () => {
  const validate = policyRuleValidator();
  const defs = allDefinitions();
  assert.ok(defs.length >= 16);
  for (const d of defs) {
    const ok = validate(d.properties.policyRule);
    assert.ok(ok, `${d.name}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
  }
  // The validator does reject what Azure rejects.
  const bad = structuredClone(defs[1]!.properties.policyRule) as any;
  bad.then.details.deployment.properties.mode = 'Sideways';
  assert.equal(validate(bad), false);
  const bad2 = structuredClone(defs[0]!.properties.policyRule) as any;
  bad2.then.effect = 'auditIfMissing';
  assert.equal(validate(bad2), false);
});

test('the DINE template writes guestConfigurationAssignments as the 2024-04-05 REST spec defines them', { skip: needShared(GC_SPEC) }, () => {
  const spec = readShared(GC_SPEC);
  const defsSpec = spec.definitions;
  assert.equal(spec.info.version, GUEST_CONFIGURATION_API_VERSION);
  const resourceDef = readShared(`${SPECS}/guestconfiguration/resource-manager/Microsoft.GuestConfiguration/common/v1/definitions.json`).definitions.Resource;
  const paths = Object.keys(spec.paths);
  const writable = (def: any) => Object.entries(def.properties).filter(([, p]: [string, any]) => !p.readOnly).map(([k]) => k);
  // contentType is read-only in REST (the service sets it); the GuestConfiguration module sends "Custom" anyway.
  const sentReadOnly = new Set(['contentType']);
  for (const d of allDefinitions().filter((x) => x.name.endsWith('-dine'))) {
    const template = (d.properties.policyRule.then.details as any).deployment.properties.template;
    assert.ok(template.resources.length >= 1);
    for (const r of template.resources) {
      assert.equal(r.apiVersion, spec.info.version);
      const machine = r.type.replace(/\/providers\/guestConfigurationAssignments$/, '');
      assert.notEqual(machine, r.type);
      const pathFor = `/providers/${machine}/{`.toLowerCase();
      assert.ok(paths.some((p) => p.toLowerCase().includes(pathFor) && /\/providers\/Microsoft\.GuestConfiguration\/guestConfigurationAssignments\/\{[A-Za-z]+\}$/.test(p)), `no REST path for ${machine}`);
      // ARM template keys aside, the resource body is a GuestConfigurationAssignment.
      const body = Object.fromEntries(Object.entries(r).filter(([k]) => !['condition', 'apiVersion', 'type'].includes(k)));
      assert.deepEqual(undeclared(body, { properties: { ...resourceDef.properties, ...defsSpec.GuestConfigurationAssignment.properties } }), []);
      assert.deepEqual(Object.keys(r.properties).filter((k) => !writable(defsSpec.GuestConfigurationAssignmentProperties).includes(k)), []);
      const g = r.properties.guestConfiguration;
      assert.deepEqual(undeclared(g, defsSpec.GuestConfigurationNavigation), []);
      assert.deepEqual(Object.keys(g).filter((k) => !writable(defsSpec.GuestConfigurationNavigation).includes(k) && !sentReadOnly.has(k)), []);
      assert.ok(defsSpec.GuestConfigurationNavigation.properties.assignmentType.enum.includes(g.assignmentType));
      for (const p of g.configurationParameter ?? []) {
        assert.deepEqual(undeclared(p, defsSpec.ConfigurationParameter), []);
        assert.equal(typeof p.value, 'string');
      }
    }
    // The existence condition reads properties the spec has.
    const fields = JSON.stringify(d.properties.policyRule.then.details.existenceCondition).match(/guestConfigurationAssignments\/[A-Za-z]+/g) ?? [];
    for (const f of fields) assert.ok(f.split('/')[1]! in defsSpec.GuestConfigurationAssignmentProperties.properties, f);
  }
});

test('definitions and the initiative use only properties of the Microsoft.Authorization 2024-05-01 REST spec', { skip: needShared(PD_SPEC, PSD_SPEC) }, () => {
  const pd = readShared(PD_SPEC).definitions;
  const psd = readShared(PSD_SPEC).definitions;
  const defs = allDefinitions();
  for (const d of defs) {
    assert.deepEqual(undeclared(d, pd.PolicyDefinition), []);
    assert.deepEqual(undeclared(d.properties, pd.PolicyDefinitionProperties), []);
    assert.ok(pd.PolicyDefinitionProperties.properties.policyType.enum.includes(d.properties.policyType));
    for (const p of Object.values(d.properties.parameters)) {
      assert.deepEqual(undeclared(p, pd.ParameterDefinitionsValue), []);
      assert.ok(pd.ParameterDefinitionsValue.properties.type.enum.includes(p.type));
    }
  }
  const set = buildInitiative('policies', defs.slice(0, 2), [baseline('plain')]);
  assert.deepEqual(undeclared(set, psd.PolicySetDefinition), []);
  assert.deepEqual(undeclared(set.properties, psd.PolicySetDefinitionProperties), []);
  for (const m of set.properties.policyDefinitions) assert.deepEqual(undeclared(m, psd.PolicyDefinitionReference), []);
});

test('definitions carry guest configuration metadata, effects, role and targets as the module writes them', () => {
  const { auditIfNotExists: a, deployIfNotExists: d } = buildPolicyDefinitions(inputFor(baseline('plain')));
  for (const def of [a, d]) {
    assert.equal(def.properties.metadata.category, 'Guest Configuration');
    assert.deepEqual(def.properties.metadata.guestConfiguration, {
      name: 'plain', version: '1.2.3', contentType: 'Custom',
      contentUri: 'https://example.blob.core.windows.net/packages/plain/plain.zip', contentHash: HASH,
    });
    assert.equal(def.properties.mode, 'Indexed');
    assert.equal(def.properties.policyRule.then.details.type, 'Microsoft.GuestConfiguration/guestConfigurationAssignments');
    assert.equal(def.properties.policyRule.then.details.name, "[concat('plain$pid', uniqueString(policy().assignmentId, policy().definitionReferenceId))]");
    assert.deepEqual(def.properties.policyRule.then.details.existenceCondition, { field: 'Microsoft.GuestConfiguration/guestConfigurationAssignments/complianceStatus', equals: 'Compliant' });
    assert.equal(def.properties.policyRule.then.effect, "[parameters('effect')]");
    // Without Arc and VMSS: Azure VMs only.
    assert.doesNotMatch(JSON.stringify(def), /HybridCompute|IncludeArcMachines|virtualMachineScaleSets/);
  }
  assert.deepEqual(a.properties.parameters.effect!.allowedValues, ['AuditIfNotExists', 'Disabled']);
  assert.deepEqual(d.properties.parameters.effect!.allowedValues, ['DeployIfNotExists', 'Disabled']);
  assert.equal(a.properties.policyRule.then.details.deployment, undefined);
  assert.equal(a.properties.policyRule.then.details.roleDefinitionIds, undefined);
  assert.deepEqual(d.properties.policyRule.then.details.roleDefinitionIds, [GUEST_CONFIGURATION_CONTRIBUTOR_ROLE]);
  const dep = d.properties.policyRule.then.details.deployment as any;
  assert.equal(dep.properties.template.resources.length, 1);
  assert.equal(dep.properties.template.resources[0].properties.guestConfiguration.assignmentType, 'ApplyAndMonitor');
  assert.equal(dep.properties.parameters.assignmentName.value, d.properties.policyRule.then.details.name);

  const all = buildPolicyDefinitions(inputFor(baseline('plain'), { targets: { arc: true, vmss: true } })).deployIfNotExists;
  assert.deepEqual(all.properties.parameters.IncludeArcMachines!.allowedValues, ['true', 'false']);
  assert.equal(all.properties.parameters.IncludeArcMachines!.defaultValue, 'false');
  const types = (all.properties.policyRule.then.details.deployment as any).properties.template.resources.map((r: any) => r.type);
  assert.deepEqual(types, [
    'Microsoft.Compute/virtualMachines/providers/guestConfigurationAssignments',
    'Microsoft.HybridCompute/machines/providers/guestConfigurationAssignments',
    'Microsoft.ConnectedVMwarevSphere/virtualMachines/providers/guestConfigurationAssignments',
    'Microsoft.Compute/virtualMachineScaleSets/providers/guestConfigurationAssignments',
  ]);
  const cond = JSON.stringify(all.properties.policyRule.if);
  assert.match(cond, /"value":"\[parameters\('IncludeArcMachines'\)\]","equals":"true"/);
  assert.match(cond, /aks-managed-orchestrator/);
});

test('rule parameters round-trip into policy parameters, metadata, deployment and parameterHash', () => {
  const input = inputFor(withParams);
  const { auditIfNotExists: a, deployIfNotExists: d } = buildPolicyDefinitions(input);
  const expectText: Record<string, string> = { minLevel: '3', enabled: 'true', servers: 'a,b' };
  for (const def of [a, d]) {
    const p = def.properties.parameters;
    assert.deepEqual(Object.keys(p), ['effect', 'minLevel', 'enabled', 'servers']);
    for (const [name, text] of Object.entries(expectText)) {
      assert.equal(p[name]!.type, 'String');
      assert.equal(p[name]!.defaultValue, text);
    }
    assert.deepEqual(p.minLevel!.allowedValues, ['3', '4']);
    assert.equal(p.minLevel!.metadata.description, 'Lowest level');
    assert.equal(p.servers!.allowedValues, undefined, 'element constraints of arrays are not policy allowedValues');
    assert.deepEqual(def.properties.metadata.guestConfiguration.configurationParameter, {
      minLevel: '[Registry]level;ValueData', enabled: '[Registry]on;ValueData', servers: '[Registry]list;ValueData',
    });
  }
  // parameterHash: base64("<name>=<value>,…") in configurationParameter order, for any values.
  fc.assert(fc.property(fc.string(), fc.string(), fc.string(), (x, y, z) => {
    const values = { minLevel: x, enabled: y, servers: z };
    const cond = d.properties.policyRule.then.details.existenceCondition as any;
    const hash = evaluate(cond.allOf[1].equals, values);
    const plain = `[Registry]level;ValueData=${x},[Registry]on;ValueData=${y},[Registry]list;ValueData=${z}`;
    assert.equal(Buffer.from(String(hash), 'base64').toString('utf8'), plain);
  }), { numRuns: 50 });
  // The deployment passes each policy parameter to the template, which writes it under its MOF name.
  const dep = (d.properties.policyRule.then.details.deployment as any).properties;
  for (const c of input.configurationParameters) {
    assert.equal(evaluate(dep.parameters[c.param.name].value, { [c.param.name]: 'V' }), 'V');
    assert.deepEqual(dep.template.parameters[c.param.name], { type: 'string' });
    const entry = dep.template.resources[0].properties.guestConfiguration.configurationParameter.find((e: any) => armUnescape(e.name) === c.mofName);
    assert.ok(entry, c.mofName);
    assert.equal(evaluate(entry.value, { [c.param.name]: 'W' }), 'W');
  }
});

test('bad inputs are one-line DriftscanErrors naming the file and location', () => {
  const dup = baseline('dup', { parameters: [param('p')], rules: [rule('a', [{ property: 'equals', param: 'p' }]), rule('b', [{ property: 'equals', param: 'p' }])] });
  assert.throws(() => buildPolicyDefinitions(inputFor(dup)), (e: unknown) => e instanceof DriftscanError && /^policies\/hand\.yaml:10:5: parameter p is used by rule a and rule b/.test(e.message) && !e.message.includes('\n'));
  const reserved = baseline('res', { parameters: [param('Effect')], rules: [rule('a', [{ property: 'equals', param: 'Effect' }])] });
  assert.throws(() => buildPolicyDefinitions(inputFor(reserved)), /hand\.yaml:10:5: parameter Effect clashes with the policy parameter effect/);
  assert.throws(() => buildPolicyDefinitions(inputFor(baseline('h'), { contentHash: HASH.toLowerCase() })), /policies\/h\.yaml: contentHash must be .* upper-case hex/);
  assert.throws(() => buildPolicyDefinitions(inputFor(baseline('h'), { contentUri: 'ftp://x/y.zip' })), /contentUri must be an absolute http\(s\) URL/);
});

test('names are stable, GUID-free, at most 64 characters of [A-Za-z0-9_-] and distinct per baseline', () => {
  assert.equal(policyDefinitionName('rdp-hardening', 'aine'), 'rdp-hardening-aine');
  assert.equal(policyDefinitionName('rdp-hardening', 'dine'), 'rdp-hardening-dine');
  assert.equal(policySetDefinitionName('policies/'), 'policies-initiative');
  assert.equal(policySetDefinitionName('/work/x/team-a'), 'team-a-initiative');
  const valid = /^[A-Za-z0-9_-]{1,64}$/;
  const guid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 100 }), fc.string({ minLength: 1, maxLength: 100 }), (x, y) => {
    for (const e of ['aine', 'dine'] as const) {
      const n = policyDefinitionName(x, e);
      assert.match(n, valid);
      assert.ok(n.length <= MAX_POLICY_NAME);
      assert.doesNotMatch(n, guid);
      assert.equal(policyDefinitionName(x, e), n);
      if (x !== y) assert.notEqual(policyDefinitionName(y, e), n, `${x} and ${y}`);
    }
    assert.notEqual(policyDefinitionName(x, 'aine'), policyDefinitionName(x, 'dine'));
    assert.match(policySetDefinitionName(x), valid);
  }), { numRuns: 300 });
  const long = 'b'.repeat(64);
  assert.equal(policyDefinitionName(long, 'aine').length, 64);
  assert.notEqual(policyDefinitionName(long, 'aine'), policyDefinitionName(`${'b'.repeat(63)}c`, 'aine'));
});

test('compiles are reproducible: same input, byte-identical JSON', () => {
  for (const b of [withParams, ...seedBaselines()]) {
    const one = buildPolicyDefinitions(inputFor(b, { targets: { arc: true, vmss: true } }));
    const two = buildPolicyDefinitions(inputFor(structuredClone(b), { targets: { vmss: true, arc: true } }));
    assert.equal(policyJson(one.deployIfNotExists), policyJson(two.deployIfNotExists));
    assert.equal(policyJson(one.auditIfNotExists), policyJson(two.auditIfNotExists));
    const defs = [one.auditIfNotExists, one.deployIfNotExists];
    assert.equal(policyJson(buildInitiative('policies', defs, [b])), policyJson(buildInitiative('policies', [...defs].reverse(), [b])));
  }
});

test('ARM literal escaping round-trips and never leaves an expression', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.string().map((s) => `[${s}]`), fc.string().map((s) => `[[${s}`)), (s) => {
    const lit = armLiteral(s);
    assert.equal(isArmExpression(lit), false);
    assert.equal(armUnescape(lit), s);
  }), { numRuns: 500 });
  assert.equal(armLiteral("[concat('a')]"), "[[concat('a')]");
  assert.equal(armLiteral('[Registry]x;ValueData'), '[Registry]x;ValueData'); // not an expression: ARM keeps it
});

test('hostile titles, descriptions, defaults and URIs stay valid JSON and inert in the template', () => {
  const hostile = fc.oneof(fc.string(), fc.constantFrom("[concat('x')]", "[parameters('vmName')]", '"}]},{"x":"', '\u0000\u2028</script>', "'); drop", '[[x]'));
  fc.assert(fc.property(hostile, hostile, hostile, hostile, (title, description, dflt, path) => {
    const b = baseline('evil', {
      metadata: { name: 'evil', version: '1.0.0', title, description, references: [] },
      parameters: [param('p', { default: dflt, description, allowedValues: [dflt, 'x'] })],
      rules: [rule("r'1", [{ property: 'equals', param: 'p' }])],
    });
    const input = inputFor(b, { contentUri: `https://h.example/${path.replace(/\s/g, '')}`, targets: { arc: true, vmss: true } });
    input.configurationParameters[0]!.mofName = `[Registry]r'1;${path}]`;
    const { auditIfNotExists: a, deployIfNotExists: d } = buildPolicyDefinitions(input);
    for (const def of [a, d]) {
      const text = policyJson(def);
      assert.deepEqual(JSON.parse(text), def);
      assert.ok(def.properties.displayName.length <= 128 && def.properties.description.length <= 512);
      assert.doesNotMatch(def.properties.displayName + def.properties.description, /[\u0000-\u001f]/);
      assert.equal(def.properties.parameters.p!.defaultValue, dflt);
    }
    const dep = (d.properties.policyRule.then.details.deployment as any).properties;
    for (const r of dep.template.resources) {
      const g = r.properties.guestConfiguration;
      // Constants come back from ARM exactly; the only expressions are parameter references.
      assert.equal(armUnescape(g.contentUri), input.contentUri);
      assert.equal(armUnescape(g.configurationParameter[0].name), input.configurationParameters[0]!.mofName);
      for (const v of [g.name, g.version, g.contentUri, g.contentHash, g.configurationParameter[0].name]) assert.equal(isArmExpression(v), false, v);
      assert.equal(g.configurationParameter[0].value, "[parameters('p')]");
    }
    const hash = evaluate((d.properties.policyRule.then.details.existenceCondition as any).allOf[1].equals, { p: dflt });
    assert.equal(Buffer.from(String(hash), 'base64').toString('utf8'), `${input.configurationParameters[0]!.mofName}=${dflt}`);
  }), { numRuns: 100 });
});

test('the initiative groups a folder, passes every parameter through and keeps names when baselines join', () => {
  const p1 = buildPolicyDefinitions(inputFor(withParams, { targets: { arc: true } }));
  const p2 = buildPolicyDefinitions(inputFor(baseline('plain'), { targets: { arc: true } }));
  const small = buildInitiative('policies', [p1.deployIfNotExists], [withParams], { definitionScope: '/subscriptions/00000000-0000-0000-0000-000000000000/' });
  const big = buildInitiative('policies', [p2.auditIfNotExists, p1.deployIfNotExists, p1.auditIfNotExists], [baseline('plain'), withParams]);
  assert.equal(small.name, 'policies-initiative');
  assert.equal(small.properties.policyDefinitions[0]!.policyDefinitionId, '/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/policyDefinitions/params-dine');
  assert.deepEqual(big.properties.policyDefinitions.map((m) => m.policyDefinitionReferenceId), ['params-aine', 'params-dine', 'plain-aine']);
  // Every member parameter gets a value from a declared set parameter with the member's declaration.
  for (const set of [small, big]) {
    for (const m of set.properties.policyDefinitions) {
      const def = [p1.auditIfNotExists, p1.deployIfNotExists, p2.auditIfNotExists].find((x) => x.name === m.policyDefinitionReferenceId)!;
      assert.deepEqual(Object.keys(m.parameters).sort(), Object.keys(def.properties.parameters).sort());
      for (const [name, { value }] of Object.entries(m.parameters)) {
        const setParam = /^\[parameters\('(.+)'\)\]$/.exec(String(value))![1]!;
        const { metadata: setMeta, ...setDecl } = set.properties.parameters[setParam]!;
        const { metadata: defMeta, ...defDecl } = def.properties.parameters[name]!;
        assert.deepEqual(setDecl, defDecl);
        assert.equal(setMeta.description, defMeta.description);
        assert.ok(setMeta.displayName.endsWith(defMeta.displayName));
      }
    }
  }
  // Names of the small set's parameters survive in the big one (assignments keep working).
  for (const [k, v] of Object.entries(small.properties.parameters)) assert.deepEqual(big.properties.parameters[k], v);
  assert.ok('IncludeArcMachines' in big.properties.parameters);
  assert.ok('params_minLevel' in big.properties.parameters && 'params-aine_effect' in big.properties.parameters);
  assert.deepEqual(big.properties.metadata.baselines.map((b) => b.name), ['params', 'plain']);
  assert.equal(big.properties.parameters.params_minLevel!.metadata.displayName, 'params: minLevel');
  assert.equal(big.properties.parameters['params-aine_effect']!.metadata.displayName, 'params-aine: Effect');
});

test('seed baselines compile to definitions whose parameters match the baseline', () => {
  for (const b of seedBaselines()) {
    const input = inputFor(b);
    const { deployIfNotExists: d } = buildPolicyDefinitions(input);
    assert.equal(d.name, `${b.metadata.name}-dine`);
    for (const c of input.configurationParameters) {
      const text = Array.isArray(c.param.default) ? c.param.default.join(',') : String(c.param.default);
      assert.equal(d.properties.parameters[c.param.name]!.defaultValue, text);
    }
  }
});

test('long titles are cut before the effect and package suffix', () => {
  const b = baseline('long', { metadata: { name: 'long', version: '2.0.0', title: 'T'.repeat(300), references: [] } });
  const { auditIfNotExists: a, deployIfNotExists: d } = buildPolicyDefinitions(inputFor(b));
  assert.equal(a.properties.displayName.length, 128);
  assert.match(a.properties.displayName, /^T+… \(audit, long 2\.0\.0\)$/);
  assert.match(d.properties.displayName, /\(ApplyAndMonitor, long 2\.0\.0\)$/);
  assert.notEqual(a.properties.displayName, d.properties.displayName);
});
