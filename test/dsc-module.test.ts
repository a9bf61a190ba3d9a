/**
 * The DriftscanDsc module as shipped and as generated: PowerShell's own parser accepts every file
 * with zero errors, the manifest loads with Import-PowerShellDataFile and says what the compiler
 * references, and hostile rule text reaches the resource as data (executed, nothing interpreted).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { buildEngineModule, engineModuleVersion, resourceClasses } from '../src/dsc/engine-module.js';
import { engineSourceDir, readEngineSources } from '../src/io/engine-sources.js';
import { VERSION } from '../src/core/version.js';
import { DRIFTSCAN_DSC } from '../src/dsc/resources.js';
import { RULE_KINDS } from '../src/rules/index.js';
import { loadBaselineText } from '../src/baseline/load.js';
import { compileConfiguration } from '../src/compile/configuration.js';
import { readMof } from '../src/compile/mof-reader.js';
import { generateCollector } from '../src/state/snapshot/collector.js';
import { needPwsh, runCollector, runPwsh, runPwshFile, writeEngineModule, type FakeRegistry, type FakeServices, type FakeValue } from './support/pwsh.js';
import { repoRoot } from './support/paths.js';

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

test('the module is versioned with driftscan and exports one resource class per rule kind', () => {
  const m = buildEngineModule(readEngineSources(), VERSION);
  assert.equal(m.version, engineModuleVersion(VERSION).version);
  assert.equal(DRIFTSCAN_DSC.version, m.version);
  assert.deepEqual([...m.files.keys()], ['DriftscanDsc.psd1', 'DriftscanDsc.psm1']);
  assert.equal(m.resources.length, RULE_KINDS.length, `${m.resources} for ${RULE_KINDS.map((k) => k.name)}`);
  assert.deepEqual(engineModuleVersion('1.2.3-rc.1'), { version: '1.2.3', prerelease: 'rc1' });
  // Unique prefixes: every class and every function the module defines starts with Driftscan / Ds.
  const psm1 = new TextDecoder().decode(m.files.get('DriftscanDsc.psm1'));
  for (const [, name] of psm1.matchAll(/^class\s+(\w+)/gm)) assert.match(name!, /^Driftscan/);
  for (const [, name] of psm1.matchAll(/^function\s+([\w-]+)/gm)) assert.match(name!, /^\w+-(Ds|Driftscan)/, name);
  // Same bytes whatever the line ends of the checkout.
  const crlf = readEngineSources();
  const again = buildEngineModule({ engine: crlf.engine.replace(/\n/g, '\r\n'), reader: crlf.reader, resources: crlf.resources }, VERSION);
  assert.deepEqual(again.files.get('DriftscanDsc.psm1'), m.files.get('DriftscanDsc.psm1'));
  // Shipped sources are ASCII (Windows PowerShell 5.1 reads a BOM-less .ps1 as ANSI; the collector embeds Reader.ps1).
  for (const f of [join(engineSourceDir(), 'Engine.ps1'), join(engineSourceDir(), 'Reader.ps1'), ...readdirSync(join(engineSourceDir(), 'Resources')).map((n) => join(engineSourceDir(), 'Resources', n))]) {
    assert.ok(!/[^\x00-\x7f]/.test(readFileSync(f, 'utf8')), `${f} is not ASCII`);
    if (f.includes('Resources')) assert.equal(resourceClasses(readFileSync(f, 'utf8')).length, 1, `${f} defines one resource`);
  }
});

test('every shipped and generated .ps1/.psm1/.psd1 parses with zero errors; the manifest loads with Import-PowerShellDataFile', { skip: needPwsh() }, () => {
  const psd1 = writeEngineModule();
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-parse-'));
  const collector = join(dir, 'collect.ps1');
  writeFileSync(collector, generateCollector({ keys: [{ path: "HKLM\\SOFTWARE\\it's $(x)", values: ['a"b'], acl: true }], services: ['Spooler'] }));
  const files = [
    join(engineSourceDir(), 'Engine.ps1'), join(engineSourceDir(), 'Reader.ps1'),
    ...readdirSync(join(engineSourceDir(), 'Resources')).map((n) => join(engineSourceDir(), 'Resources', n)),
    psd1, join(dirname(psd1), 'DriftscanDsc.psm1'), collector, join(repoRoot, 'test', 'support', 'dsc-harness.ps1'),
  ];
  assert.ok(files.every((f) => existsSync(f)));
  const out = runPwsh(`
    $ErrorActionPreference = 'Stop'
    foreach ($f in @(${files.map(q).join(', ')})) {
      $t = $null; $e = $null
      [void][System.Management.Automation.Language.Parser]::ParseFile($f, [ref]$t, [ref]$e)
      "$($e.Count) $f $(@($e | ForEach-Object { $_.Message }) -join ' | ')"
    }
    $d = Import-PowerShellDataFile ${q(psd1)}
    "manifest $($d.ModuleVersion) $($d.RootModule) $($d.DscResourcesToExport -join ',')"
    $m = Import-Module ${q(psd1)} -PassThru
    "loaded $($m.Version)"`);
  const lines = out.trim().split('\n');
  for (const f of files) assert.ok(lines.some((l) => l.startsWith(`0 ${f}`)), `${f}: ${lines.find((l) => l.includes(f))}`);
  assert.ok(lines.includes(`manifest ${DRIFTSCAN_DSC.version} DriftscanDsc.psm1 DriftscanRegistryAcl,DriftscanRegistryKey,DriftscanRegistryValue,DriftscanService,DriftscanUserRight`), out);
  assert.ok(lines.includes(`loaded ${DRIFTSCAN_DSC.version}`), out);
});

test('hostile rule text reaches the MOF and the resource as data: executed under pwsh, nothing is interpreted', { skip: needPwsh() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-hostile-'));
  const canary = join(dir, 'canary');
  // Each would create the canary file if any layer evaluated it as PowerShell.
  const payloads = [`$(Set-Content '${canary}' 1)`, `\`$(Set-Content '${canary}' 2)`, `'; Set-Content '${canary}' 3; '`, `"; Set-Content '${canary}' 4; "`,
    `#> Set-Content '${canary}' 5 <#`, `\u2018; Set-Content '${canary}' 6; \u2019`, `\u201c$(Set-Content '${canary}' 7)\u201d`, `line1\nSet-Content '${canary}' 8`];
  const rules = payloads.map((p, i) => ({
    id: `h${i}`, title: p, severity: 'low',
    registryValue: { path: `HKLM\\SOFTWARE\\${p.replace(/\\/g, '/')}`, name: p, type: 'String', equals: p },
  }));
  const b = loadBaselineText(stringify({ apiVersion: 'driftscan/v1', kind: 'Baseline', metadata: { name: 'hostile', version: '1.0.0', title: 't' }, spec: { rules } }), 'hostile.yaml');
  const conf = compileConfiguration(b);
  const instances = readMof(conf.mof).filter((x) => x.className === 'DriftscanRegistryValue');
  const cases = instances.map((inst, i) => ({
    className: inst.className,
    properties: Object.fromEntries([...inst.properties].filter(([k]) => !['ResourceID', 'SourceInfo', 'ModuleName', 'ModuleVersion', 'ConfigurationName'].includes(k))),
    state: { keys: [{ path: inst.properties.get('Path'), exists: true, values: [{ name: payloads[i], kind: 'String', data: `${payloads[i]}!` }] }], services: [] },
    set: true,
  }));
  writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases));
  runPwshFile(join(repoRoot, 'test', 'support', 'dsc-harness.ps1'), ['-ModuleManifest', writeEngineModule(), '-CasesFile', join(dir, 'cases.json'), '-OutFile', join(dir, 'out.json')]);
  const out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Array<{ test: boolean; reasons: Array<{ phrase: string }>; afterSet: boolean; stateAfterSet: { keys: Array<{ values: Array<{ data: string }> }> } }>;
  payloads.forEach((p, i) => {
    assert.equal(out[i]!.test, false);
    assert.equal(out[i]!.reasons[0]!.phrase, `expected string ${JSON.stringify(p)}, found string ${JSON.stringify(`${p}!`)}`);
    assert.equal(out[i]!.afterSet, true);
    assert.deepEqual(out[i]!.stateAfterSet.keys[0]!.values.map((v) => v.data), [p], 'Set() wrote the text itself');
  });
  assert.ok(!existsSync(canary), 'a payload ran');
});

test('README: the Reasons phrase the fleet sees is the line driftscan check prints, for the shipped example', { skip: needPwsh() }, async () => {
  const { loadBaselines } = await import('../src/baseline/load.js');
  const { evaluate } = await import('../src/evaluate/evaluator.js');
  const { loadSnapshot } = await import('../src/state/snapshot/source.js');
  const snapshotFile = join(repoRoot, 'examples', 'snapshot.json');
  const [b] = loadBaselines([join(repoRoot, 'policies', 'rdp-access-denied.yaml')]);
  const check = evaluate([b!], loadSnapshot(readFileSync(snapshotFile), 'examples/snapshot.json')).results;
  const snapshot = JSON.parse(readFileSync(snapshotFile, 'utf8'));
  const instances = readMof(compileConfiguration(b!).mof).filter((x) => x.className !== 'OMI_ConfigurationDocument');
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-readme-'));
  writeFileSync(join(dir, 'cases.json'), JSON.stringify(instances.map((inst) => ({
    className: inst.className,
    properties: Object.fromEntries([...inst.properties].filter(([k]) => !['ResourceID', 'SourceInfo', 'ModuleName', 'ModuleVersion', 'ConfigurationName'].includes(k))),
    state: { keys: snapshot.keys, services: snapshot.services },
    set: false,
  }))));
  runPwshFile(join(repoRoot, 'test', 'support', 'dsc-harness.ps1'), ['-ModuleManifest', writeEngineModule(), '-CasesFile', join(dir, 'cases.json'), '-OutFile', join(dir, 'out.json')]);
  const out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Array<{ test: boolean; reasons: Array<{ code: string; phrase: string }> }>;
  instances.forEach((inst, i) => {
    const r = check.find((x) => x.ruleId === inst.properties.get('RuleId'))!;
    assert.equal(out[i]!.reasons[0]!.phrase, r.message, r.ruleId);
    assert.equal(out[i]!.test, r.status === 'pass', r.ruleId);
  });
  const kerberos = out[instances.findIndex((x) => x.properties.get('RuleId') === 'kerberos-max-token-size')]!.reasons[0]!;
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  assert.ok(readme.includes(`\n${check[2]!.message}\n`), 'README shows the driftscan check line');
  assert.ok(readme.includes(`\ncode:   ${kerberos.code}\nphrase: ${kerberos.phrase}\n`), 'README shows the Reasons the module reports');
  assert.equal(check[2]!.ruleId, 'kerberos-max-token-size');
});

test('the collector reads through the shared Reader.ps1: run under pwsh against a fake registry and services built from the snapshot fixture, its output checks the same', { skip: needPwsh() }, async () => {
  const { READER_BEGIN, READER_END } = await import('../src/state/snapshot/collector.js');
  const { loadBaselines } = await import('../src/baseline/load.js');
  const { ruleKind } = await import('../src/rules/index.js');
  const { mergeReferences } = await import('../src/state/references.js');
  const { evaluate } = await import('../src/evaluate/evaluator.js');
  const { loadSnapshot } = await import('../src/state/snapshot/source.js');
  const baselines = loadBaselines([join(repoRoot, 'policies', 'rdp-access-denied.yaml')]);
  const refs = mergeReferences(...baselines.flatMap((b) => b.rules.map((r) => ruleKind(r.kind)!.references(r.check))));
  // Plus services whose run state the reader queries: a quote and a backslash in a name reach WMI escaped.
  const script = generateCollector({ keys: refs.keys, services: [...refs.services, 'TermService', "O'Svc\\x", 'Gone', 'Broken'] });
  const [, rest] = script.split(`${READER_BEGIN}\r\n`);
  const [reader, tail] = rest!.split(`${READER_END}\r\n`);
  assert.equal(reader, `${readEngineSources().reader.replace(/\r?\n/g, '\r\n').trimEnd()}\r\n`, 'the collector embeds Reader.ps1 verbatim');
  assert.ok(tail!.includes('Read-DriftscanKey -Path') && tail!.includes('Read-DriftscanService -Name'), 'and reads through it');
  // The machine the fixture describes, as the registry API and WMI would show it: only Open-DriftscanKey
  // and Get-CimInstance are replaced (test/support/pwsh.ts); everything the reader does runs as shipped.
  const fixtureFile = join(repoRoot, 'examples', 'snapshot.json');
  const fixture = JSON.parse(readFileSync(fixtureFile, 'utf8')) as { keys: Array<{ path: string; exists: boolean; sddl?: string; values?: FakeValue[] }>; services: Array<{ name: string; state: string; startType: string; startName: string }> };
  const registry: FakeRegistry = Object.fromEntries(fixture.keys.filter((k) => k.exists).map((k) => [k.path, { values: k.values ?? [], ...(k.sddl ? { sddl: k.sddl } : {}) }]));
  // WMI spells run states with spaces ('Start Pending'); the fixture's are single words.
  const services: FakeServices = {
    ...Object.fromEntries(fixture.services.map((s) => [s.name, { State: s.state, StartMode: s.startType, StartName: s.startName }])),
    "O'Svc\\x": { State: 'Start Pending', StartMode: 'Auto', StartName: 'LocalSystem', DelayedAutoStart: true },
    Broken: { error: 'Access denied' },
  };
  const run = runCollector(script, registry, { services });
  assert.equal(run.status, 0, run.stderr);
  const expected = evaluate(baselines, loadSnapshot(readFileSync(fixtureFile), 'fixture')).results.map((r) => [r.ruleId, r.status, r.message]);
  const got = evaluate(baselines, loadSnapshot(Buffer.from(run.stdout), 'collected')).results.map((r) => [r.ruleId, r.status, r.message]);
  assert.deepEqual(got, expected);
  assert.ok(expected.some(([, status]) => status === 'pass') && expected.some(([, status]) => status === 'fail'), JSON.stringify(expected));
  const collected = JSON.parse(run.stdout) as { services: unknown[] };
  assert.deepEqual(collected.services, [
    { name: 'TermService', exists: true, state: 'Running', startType: 'Manual', startName: 'NT Authority\\NetworkService' },
    { name: "O'Svc\\x", exists: true, state: 'StartPending', startType: 'Auto', startName: 'LocalSystem', delayedAutoStart: true },
    { name: 'Gone', exists: false },
    { name: 'Broken', exists: false, error: 'Access denied' },
  ]);
});
