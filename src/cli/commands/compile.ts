/**
 * `driftscan compile`: baselines → Machine Configuration packages, Azure Policy definitions and
 * `build/manifest.json`. `--check` (CI) rebuilds in memory and exits 1 when anything on disk differs.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { ASSIGNMENT_TYPES, type AssignmentType } from '../../rules/model.js';
import { usageError } from '../../core/diagnostics.js';
import { readInputFile } from '../../io/input-file.js';
import type { CompileResult } from '../../compile/compiler.js';
import { EXIT } from '../exit-codes.js';
import { baselinePaths } from '../options.js';
import type { RegisterCommand } from '../command.js';
import { stdout, stderr } from '../../io/console.js';

interface CompileFlags {
  out: string;
  contentUriBase?: string;
  assignmentType?: string;
  lock?: string;
  bump?: boolean;
  check?: boolean;
  skipUnsupported?: boolean;
  policyScope?: string;
}

/** A scope Azure Policy definitions can live at: a subscription or a management group. */
const POLICY_SCOPE = /^\/(?:subscriptions\/[0-9a-fA-F-]{36}|providers\/Microsoft\.Management\/managementGroups\/[^/]+)$/i;

export const register: RegisterCommand = (program: Command, setExit) => {
  program
    .command('compile')
    .summary('compile baselines to Machine Configuration packages and Azure Policy definitions')
    .description(
      'Compile baselines to reproducible Machine Configuration packages (build/<name>/<name>.zip: MOF, metaconfig and ' +
        'driftscan\'s own DSC module DriftscanDsc, which evaluates each rule on the machine as driftscan check does), ' +
        'Azure Policy definitions and build/manifest.json. No network is needed. modules.lock.json next to the baselines ' +
        'records each package\'s version and contentHash: changed content under an unchanged version is an error ' +
        '(machines cache by version) unless --bump raises the patch version in the baseline file.',
    )
    .argument('[baselines...]', 'baseline files or folders (default: policies/)')
    .option('--out <dir>', 'output folder, written all or nothing (temp files, then renames); an output over an input file is refused', 'build')
    .option('--content-uri-base <url>', 'HTTPS folder the packages will be uploaded to (policy contentUri = base + <name>/<name>.zip); ' +
      'no query string: it is written into build/, so add a SAS token at publish/deploy time, not here')
    .option('--assignment-type <type>', `override every baseline's assignment type (${ASSIGNMENT_TYPES.join(', ')})`)
    .option('--lock <file>', 'package lock file (default: modules.lock.json beside the first baseline)')
    .option('--bump', 'raise the patch version of baselines whose package content changed without a version change')
    .option('--policy-scope <scope>', 'where the policy definitions will be created (/subscriptions/<id> or ' +
      '/providers/Microsoft.Management/managementGroups/<id>); initiative members then reference ' +
      '<scope>/providers/Microsoft.Authorization/policyDefinitions/<name>. Without it member ids start at ' +
      '/providers/Microsoft.Authorization/policyDefinitions/<name>, which Azure resolves only for built-ins: fill in the scope before deploying')
    .option('--skip-unsupported', 'leave rules Machine Configuration cannot check exactly out of the packages (warned, listed in the manifest) instead of failing')
    .option('--check', 'write nothing; exit 1 when the output folder or lock file is stale (for CI)')
    .action(async (paths: string[], o: CompileFlags) => {
      if (o.check && o.bump) throw usageError('--check and --bump cannot be combined: --check never writes');
      if (o.assignmentType && !ASSIGNMENT_TYPES.includes(o.assignmentType as AssignmentType)) {
        throw usageError(`--assignment-type must be one of ${ASSIGNMENT_TYPES.join(', ')}`);
      }
      const definitionScope = o.policyScope?.replace(/\/+$/, '');
      if (definitionScope !== undefined && !POLICY_SCOPE.test(definitionScope)) {
        throw usageError(`--policy-scope must be /subscriptions/<subscription id> or /providers/Microsoft.Management/managementGroups/<group id>, not ${o.policyScope}`);
      }
      // Loaded on use: the compiler and zip writer are the heaviest part of the CLI.
      const [{ expandBaselinePaths, loadBaselines }, { compileBaselines, outputPath, parseContentUriBase }, { emptyLock, parseLock }, { buildEngineModule, ENGINE_MODULE_NAME }, { readEngineSources }, { VERSION }, { policyFiles }, { prepareOutput, prepareOutputFolder, writeOutputs }, { baselineInputs }] = await Promise.all([
        import('../../baseline/load.js'),
        import('../../compile/compiler.js'),
        import('../../compile/modules/lock.js'),
        import('../../dsc/engine-module.js'),
        import('../../io/engine-sources.js'),
        import('../../core/version.js'),
        import('../../compile/policy-files.js'),
        import('../../io/output-file.js'),
        import('../inputs.js'),
      ]);
      // Before any baseline is read: a SAS token in the base would end up in build/.
      if (o.contentUriBase !== undefined) parseContentUriBase(o.contentUriBase);
      const inputs = baselinePaths(paths);
      const files = expandBaselinePaths(inputs);
      // The lock lives beside the baselines: in the folder given (policies/), else beside the first file.
      const lockFile = o.lock ?? join(statSync(inputs[0]!).isDirectory() ? inputs[0]! : dirname(files[0]!), 'modules.lock.json');
      // The files read that nothing may be written over (the lock and bumped baselines are rewritten on purpose).
      const readOnly = baselineInputs(files);
      // Before anything is read: `--out` on a file, or `--lock` on a baseline, fail now rather than mid-build.
      const lockTarget = o.check ? undefined : prepareOutput(lockFile, readOnly, { what: 'lock file', option: '--lock' });
      if (!o.check) prepareOutputFolder(o.out, 'output folder');
      const lock = existsSync(lockFile) ? parseLock(readInputFile(lockFile, 'lock file').toString('utf8'), lockFile) : emptyLock();
      const baselines = loadBaselines(inputs);
      const result = await compileBaselines(baselines, lock, {
        ...(o.assignmentType ? { assignmentType: o.assignmentType as AssignmentType } : {}),
        ...(o.contentUriBase ? { contentUriBase: o.contentUriBase } : {}),
        bump: Boolean(o.bump),
        skipUnsupported: Boolean(o.skipUnsupported),
        // The only module packages need ships with driftscan: no Gallery, no network.
        modules: (needed) => needed.map((m) => {
          if (m.name !== ENGINE_MODULE_NAME) throw new Error(`no source for DSC module ${m.name}`);
          return buildEngineModule(readEngineSources(), VERSION);
        }),
        baselineText: (file) => readInputFile(file, 'baseline').toString('utf8'),
        policies: (packages) => policyFiles(packages, definitionScope ? { definitionScope } : {}),
      });
      // Every target is resolved and checked before the first write, so a folder in the way, a path
      // through a file or an output over an input stops the run before build/ is half updated.
      const lockAndOthers = [...readOnly, { file: lockFile, what: 'lock file' }];
      const targets = o.check ? [] : result.outputs.map((f) => ({ f, target: prepareOutput(outputPath(o.out, f), lockAndOthers, { what: 'build output', option: 'build output' }) }));
      const edits = [...result.baselineEdits].map(([file, text]) => ({ file, text, target: prepareOutput(file, [], { what: 'baseline' }) }));
      for (const w of result.warnings) stderr.write(`driftscan: ${w}\n`);
      if (!o.contentUriBase) stderr.write('driftscan: note: no --content-uri-base, so no Azure Policy definitions (they must name the uploaded package URL)\n');
      if (o.check) {
        const stale = staleFiles(result, o.out, lockFile, outputPath);
        if (stale.length) {
          for (const s of stale) stdout.write(`stale  ${s}\n`);
          stdout.write(`${o.out} is out of date: run driftscan compile\n`);
          setExit(EXIT.FAIL);
        } else {
          stdout.write(`${o.out} is up to date (${result.packages.length} package${result.packages.length === 1 ? '' : 's'})\n`);
          setExit(EXIT.OK);
        }
        return;
      }
      // All or nothing: every file goes to a temp file first, then they are renamed in this order:
      // packages and policies, the manifest (what CI and deploy scripts read), then the sources.
      const lockChanged = !existsSync(lockFile) || readFileSync(lockFile, 'utf8') !== result.lockText;
      writeOutputs([
        ...targets.map(({ f, target }) => ({ target, data: f.data, what: 'build output' })),
        ...(lockChanged ? [{ target: lockTarget!, data: result.lockText, what: 'lock file' }] : []),
        ...edits.map(({ text, target }) => ({ target, data: text, what: 'baseline' })),
      ]);
      for (const { file } of edits) {
        const p = result.packages.find((x) => x.baseline.file === file)!;
        stdout.write(`bumped ${file}: version ${p.configuration.version}\n`);
      }
      for (const p of result.packages) {
        stdout.write(`compiled ${p.configuration.name} ${p.configuration.version} (${p.configuration.assignmentType}, ${p.configuration.rules.length} rules) -> ${outputPath(o.out, { path: p.file, data: '' })}  ${p.package.zip.length} bytes  sha256 ${p.package.contentHash}\n`);
      }
      setExit(EXIT.OK);
    });
};

/** Outputs that are missing or differ on disk, plus the lock file. */
function staleFiles(result: CompileResult, outDir: string, lockFile: string, outputPath: (dir: string, f: CompileResult['outputs'][number]) => string): string[] {
  const stale: string[] = [];
  for (const f of result.outputs) {
    const path = outputPath(outDir, f);
    const want = typeof f.data === 'string' ? Buffer.from(f.data) : Buffer.from(f.data);
    if (!existsSync(path)) stale.push(`${path} (missing)`);
    else if (!readFileSync(path).equals(want)) stale.push(path);
  }
  if (!existsSync(lockFile) || readFileSync(lockFile, 'utf8') !== result.lockText) stale.push(lockFile);
  return stale;
}
