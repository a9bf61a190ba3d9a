/**
 * Packages: layout checked with Info-ZIP (`unzip -t`, `zipinfo`), independent of fflate;
 * byte-identical rebuilds; the golden MOF of the seed baseline; `inspectPackage` findings.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { loadBaselines, loadBaselineText } from '../src/baseline/load.js';
import { policyFiles } from '../src/compile/policy-files.js';
import { compileBaselines, type CompileOptions } from '../src/compile/compiler.js';
import { emptyLock } from '../src/compile/modules/lock.js';
import { buildPackage, metaconfigJson } from '../src/compile/package.js';
import { inspectPackage } from '../src/compile/inspect.js';
import { repoRoot } from './support/paths.js';
import { engineModules } from './support/pwsh.js';

let tmp: string;
let options: CompileOptions;
const seed = join(repoRoot, 'policies', 'rdp-access-denied.yaml');

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'driftscan-pkg-'));
  options = {
    modules: engineModules,
    baselineText: (file) => readFileSync(file, 'utf8'),
  };
});
after(() => rmSync(tmp, { recursive: true, force: true }));

async function compileSeed() {
  return compileBaselines(loadBaselines([seed]), emptyLock(), options);
}

test('the seed baseline packages into the layout Machine Configuration expects (checked with Info-ZIP)', async () => {
  const r = await compileSeed();
  const p = r.packages[0]!;
  const zip = join(tmp, 'rdp-access-denied.zip');
  writeFileSync(zip, p.package.zip);
  const t = execFileSync('unzip', ['-t', zip], { encoding: 'utf8' });
  assert.match(t, /No errors detected/);
  const names = execFileSync('zipinfo', ['-1', zip], { encoding: 'utf8' }).trim().split('\n');
  assert.equal(names[0], 'rdp-access-denied.mof');
  assert.equal(names[1], 'rdp-access-denied.metaconfig.json');
  assert.ok(names.includes('Modules/'));
  assert.ok(names.includes('Modules/DriftscanDsc/DriftscanDsc.psd1'));
  assert.ok(names.includes('Modules/DriftscanDsc/DriftscanDsc.psm1'));
  assert.ok(!names.some((n) => /^Modules\/[^/]+\/\d/.test(n)), 'no version folder under Modules/<Name>/');
  assert.equal(names.filter((n) => /^[^/]+\.mof$/.test(n)).length, 1);
  const verbose = execFileSync('zipinfo', ['-l', zip], { encoding: 'utf8' });
  assert.match(verbose, /drwx.*stor.*Modules\/\n/, 'directory entries are stored');
  assert.match(verbose, /defN.*rdp-access-denied\.mof/);
  const meta = JSON.parse(execFileSync('unzip', ['-p', zip, 'rdp-access-denied.metaconfig.json'], { encoding: 'utf8' }));
  assert.deepEqual(meta, { Type: 'Audit', Version: '1.0.0' });
  const mof = execFileSync('unzip', ['-p', zip, 'rdp-access-denied.mof']);
  assert.notEqual(mof[0], 0xef, 'no BOM');
  assert.equal(p.package.contentHash, execFileSync('sha256sum', [zip], { encoding: 'utf8' }).split(' ')[0]!.toUpperCase());
  assert.match(p.package.contentHash, /^[0-9A-F]{64}$/);
  assert.deepEqual(inspectPackage(p.package.zip, zip).findings, []);
});

test('golden MOF of the seed baseline (UPDATE_GOLDEN=1 rewrites it)', async () => {
  const golden = join(repoRoot, 'test', 'golden', 'rdp-access-denied.mof');
  const mof = (await compileSeed()).packages[0]!.configuration.mof;
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, mof);
  assert.ok(existsSync(golden), 'golden file missing: run with UPDATE_GOLDEN=1 and review it');
  assert.equal(mof, readFileSync(golden, 'utf8'));
});

test('two compiles are byte-identical, in any time zone', async () => {
  const a = await compileSeed();
  const b = await compileSeed();
  assert.ok(Buffer.from(a.packages[0]!.package.zip).equals(Buffer.from(b.packages[0]!.package.zip)));
  const script = `import { buildPackage } from ${JSON.stringify(join(repoRoot, 'src', 'compile', 'package.ts'))};
    process.stdout.write(buildPackage({ name: 'n', version: '1.0.0', assignmentType: 'Audit', mof: 'm', modules: [] }).contentHash);`;
  const hashes = ['UTC', 'Pacific/Kiritimati', 'America/St_Johns'].map((tz) => execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, TZ: tz }, encoding: 'utf8', cwd: repoRoot }));
  assert.equal(new Set(hashes).size, 1, hashes.join(' '));
  assert.equal(hashes[0], buildPackage({ name: 'n', version: '1.0.0', assignmentType: 'Audit', mof: 'm', modules: [] }).contentHash);
});

test('metaconfig: AuditAndSet for enforcing types, frequency only above 15 minutes', () => {
  assert.deepEqual(JSON.parse(metaconfigJson({ name: 'n', version: '2.0.0', assignmentType: 'ApplyAndMonitor' })), { Type: 'AuditAndSet', Version: '2.0.0' });
  assert.deepEqual(JSON.parse(metaconfigJson({ name: 'n', version: '2.0.0', assignmentType: 'ApplyAndAutoCorrect', frequencyMinutes: 30 })), { Type: 'AuditAndSet', Version: '2.0.0', configurationModeFrequencyMins: 30 });
  assert.deepEqual(JSON.parse(metaconfigJson({ name: 'n', version: '2.0.0', assignmentType: 'Audit', frequencyMinutes: 15 })), { Type: 'Audit', Version: '2.0.0' });
  assert.throws(() => metaconfigJson({ name: 'n', version: '1', assignmentType: 'Audit', frequencyMinutes: 5 }), /15-minute minimum/);
});

test('inspect flags what Machine Configuration would reject', async () => {
  const good = (await compileSeed()).packages[0]!.package.zip;
  const enc = (s: string) => new TextEncoder().encode(s);
  const mof = 'instance of MSFT_RegistryResource as $R1ref\n{ ResourceID = "[Registry]a"; ModuleName = "PSDscResources"; ModuleVersion = "2.12.0.0"; ConfigurationName = "other"; };\ninstance of OMI_ConfigurationDocument { Name = "other"; };\n';
  const cases: Array<[Record<string, Uint8Array>, RegExp]> = [
    [{ 'x/x.mof': enc(mof), 'x/x.metaconfig.json': enc('{}'), 'x/Modules/': new Uint8Array(0) }, /wrapped in a folder/],
    [{ 'x.mof': enc(mof), 'Modules/': new Uint8Array(0) }, /no x\.metaconfig\.json/],
    [{ 'x.mof': enc(mof), 'x.metaconfig.json': enc('{"Type":"Audit","Version":"1"}'), 'Modules/': new Uint8Array(0) }, /ConfigurationName "other", expected x/],
    [{ 'x.mof': enc(mof), 'x.metaconfig.json': enc('{"Type":"Audit","Version":"1"}'), 'Modules/': new Uint8Array(0) }, /Modules\/PSDscResources\/PSDscResources\.psd1 is missing/],
    [{ 'x.mof': enc(mof), 'y.mof': enc(mof), 'x.metaconfig.json': enc('{"Type":"Audit","Version":"1"}') }, /2 \.mof files at the root/],
    [{ 'x.mof': enc(mof.replaceAll('PSDscResources', 'PSDesiredStateConfiguration')), 'x.metaconfig.json': enc('{"Type":"Set","Version":"1","debugMode":"ForceModuleImport"}') }, /PSDesiredStateConfiguration module/],
    [{ 'x.mof': enc(mof), 'x.metaconfig.json': enc('{"Type":"Set","Version":"1","debugMode":"ForceModuleImport"}') }, /Type must be Audit or AuditAndSet/],
    [{ 'x.mof': enc(mof), 'x.metaconfig.json': enc('{"Type":"Audit","Version":"1","debugMode":"ForceModuleImport"}') }, /never be published/],
  ];
  for (const [entries, re] of cases) {
    const r = inspectPackage(zipSync(entries, { level: 1 }), 'bad.zip');
    assert.ok(r.findings.some((f) => f.level === 'error' && re.test(f.message)), `${re}: ${JSON.stringify(r.findings)}`);
  }
  const bom = inspectPackage(zipSync({ 'x.mof': new Uint8Array([0xef, 0xbb, 0xbf, ...enc(mof.replaceAll('other', 'x'))]), 'x.metaconfig.json': enc('{"Type":"Audit","Version":"1"}') }), 'bom.zip');
  assert.ok(bom.findings.some((f) => f.level === 'warning' && /BOM/.test(f.message)));
  assert.equal(inspectPackage(good, 'good.zip').resources.length, 4);
  // driftscan's module: the MOF's classes must be exported and the root module present.
  const files = unzipSync(good);
  const psd1 = new TextDecoder().decode(files['Modules/DriftscanDsc/DriftscanDsc.psd1']);
  const withoutAcl = { ...files, 'Modules/DriftscanDsc/DriftscanDsc.psd1': enc(psd1.replace("'DriftscanRegistryAcl', ", '')) };
  assert.deepEqual(inspectPackage(zipSync(withoutAcl), 'x.zip').findings.map((f) => f.message),
    ['[DriftscanRegistryAcl]rdp-cert-store-readable: class DriftscanRegistryAcl is not exported by Modules/DriftscanDsc/DriftscanDsc.psd1 (DscResourcesToExport)']);
  const { ['Modules/DriftscanDsc/DriftscanDsc.psm1']: _psm1, ...noRoot } = files;
  assert.deepEqual(inspectPackage(zipSync(noRoot), 'x.zip').findings.map((f) => f.message), ['Modules/DriftscanDsc/DriftscanDsc.psm1 is missing (the manifest\'s RootModule)']);
  assert.throws(() => inspectPackage(new Uint8Array([80, 75, 1, 2]), 'junk.zip'), /^DriftscanError: junk\.zip: not a readable zip/);
  // Above the 100 MB limit the archive is refused before anything is inflated.
  const big = zipSync({ 'x.mof': new Uint8Array(101 * 1024 * 1024), 'x.metaconfig.json': enc('{"Type":"Audit","Version":"1"}') }, { level: 1 });
  assert.throws(() => inspectPackage(big, 'big.zip'), /^DriftscanError: big\.zip @ byte 0x[0-9a-f]+: entries declare more than Machine Configuration's 100 MB package limit unpacked; refusing to inflate$/);
});

test('enforcing packages get AuditAndSet metaconfig, both policy definitions and an initiative per folder', async () => {
  const text = readFileSync(seed, 'utf8').replace('type: Audit', 'type: ApplyAndMonitor\n    frequencyMinutes: 30\n    remoteAccessAcknowledgement: "CHG-42: verified on the canary ring with console access"');
  const b = loadBaselineText(text, 'policies/rdp-access-denied.yaml', { today: '2026-01-01' });
  const r = await compileBaselines([b], emptyLock(), { ...options, contentUriBase: 'https://stg.example/gc', policies: policyFiles });
  const paths = r.outputs.map((o) => o.path);
  assert.deepEqual(paths, ['rdp-access-denied/rdp-access-denied.zip', 'rdp-access-denied/rdp-access-denied_AuditIfNotExists.json',
    'rdp-access-denied/rdp-access-denied_DeployIfNotExists.json', 'initiatives/policies.json', 'manifest.json']);
  const report = inspectPackage(r.packages[0]!.package.zip, 'x.zip');
  assert.deepEqual(report.metaconfig, { Type: 'AuditAndSet', Version: '1.0.0', configurationModeFrequencyMins: 30 });
  const dine = JSON.parse(r.outputs[2]!.data as string);
  assert.equal(dine.properties.metadata.guestConfiguration.contentHash, r.packages[0]!.package.contentHash);
  assert.equal(dine.properties.metadata.guestConfiguration.contentUri, 'https://stg.example/gc/rdp-access-denied/rdp-access-denied.zip');
});
