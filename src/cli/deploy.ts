/**
 * `driftscan deploy BUILD --scope SCOPE`: the policy definitions, initiative(s), assignment(s), the
 * role assignments a DeployIfNotExists identity needs, and whole-baseline waivers as exemptions —
 * read from build/, compared with what Azure holds at the scope, printed as a plan, and with
 * `--apply` performed through `runRollout`. Everything that can be wrong with build/, the baselines
 * or the flags is refused (exit 2) before the first Azure call; nothing is written without `--apply`.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { DriftscanError, usageError } from '../core/diagnostics.js';
import { readInputFile } from '../io/input-file.js';
import type { NamedInput } from '../io/output-file.js';
import { stderr } from '../io/console.js';
import { loadBaselines } from '../baseline/load.js';
import type { AssignmentType, Baseline } from '../rules/model.js';
import { ASSIGNMENT_TYPES } from '../rules/model.js';
import { parsePolicyDefinitionFile, parsePolicySetFile } from '../compile/build-files.js';
import { locateInBuildFile } from '../compile/build-json.js';
import { parseBuildManifest } from '../compile/build-manifest.js';
import { lockOutViolations } from '../compile/lockout-guard.js';
import type { PolicyDefinition, PolicySetDefinition } from '../compile/policy/model.js';
import { buildDeployPlan, DEPLOY_KINDS, requiredRoles, type ArmJson } from '../rollout/deploy/deploy-plan.js';
import type { PlannedChange } from '../rollout/plan.js';
import { openConnection, wantsApply, type AzureFlags, type RolloutFlags } from './azure-options.js';
import { preparePlanOutputs, runRollout } from './rollout.js';

export interface DeployFlags extends AzureFlags, RolloutFlags {
  scope: string;
  location?: string;
  prune?: boolean;
}

/** Where Azure Policy resources can be deployed: a subscription or a management group. */
const SCOPE = /^\/(?:subscriptions\/[0-9a-fA-F-]{36}|providers\/Microsoft\.Management\/managementGroups\/[A-Za-z0-9_().-]{1,90})$/i;

/** `--scope` as a canonical id, or a usage error. */
export function parseScope(value: string): string {
  const scope = `/${value.trim().replace(/^\/+|\/+$/g, '')}`;
  if (!SCOPE.test(scope)) throw usageError(`--scope must be /subscriptions/<subscription id> or /providers/Microsoft.Management/managementGroups/<group id>, not ${value}`);
  return scope;
}

/** What build/ holds, checked. */
interface BuildContents {
  definitions: PolicyDefinition[];
  initiatives: PolicySetDefinition[];
  baselineOf: Map<string, Baseline>;
  inputs: NamedInput[];
}

const MEMBER_PREFIX = '/providers/Microsoft.Authorization/policyDefinitions/';

/** Reads and checks build/ for `scope`; every problem is one located line. */
export function readBuild(buildDir: string, scope: string): BuildContents {
  const manifestFile = join(buildDir, 'manifest.json');
  if (!existsSync(manifestFile)) throw usageError(`${manifestFile} not found: run driftscan compile first (deploy reads what compile and publish wrote into ${buildDir})`);
  const manifestText = readInputFile(manifestFile, 'build manifest').toString('utf8');
  const manifest = parseBuildManifest(manifestText, manifestFile);
  const inputs: NamedInput[] = [{ file: manifestFile, what: 'build manifest' }];
  if (manifest.packages.every((p) => p.policies.length === 0)) {
    throw new DriftscanError(`${buildDir} holds no Azure Policy definitions (compiled without --content-uri-base and not published): ` +
      `run driftscan publish ${buildDir} … to upload the packages and write their definitions, or compile with --content-uri-base`, { location: { file: manifestFile } });
  }
  const definitions: PolicyDefinition[] = [];
  const baselineOf = new Map<string, Baseline>();
  const guardErrors: string[] = [];
  manifest.packages.forEach((pkg, i) => {
    if (pkg.policies.length === 0) return;
    const baseline = loadPackageBaseline(buildDir, pkg.baseline, manifestText, manifestFile, i, pkg.name, pkg.version);
    inputs.push({ file: baseline.file, what: 'baseline' });
    let enforced: AssignmentType = pkg.assignmentType;
    for (const rel of pkg.policies) {
      const file = join(buildDir, ...rel.split('/'));
      const text = readInputFile(file, 'policy definition').toString('utf8');
      inputs.push({ file, what: 'policy definition' });
      const d = parsePolicyDefinitionFile(text, file);
      const gc = d.properties.metadata.guestConfiguration;
      if (gc.contentHash !== pkg.contentHash) {
        throw new DriftscanError(`metadata.guestConfiguration.contentHash ${gc.contentHash.slice(0, 12)}… is not package ${pkg.name}'s ${pkg.contentHash.slice(0, 12)}… in manifest.json: build/ is stale or mixed; compile (and publish) again`,
          { location: locateInBuildFile(text, file, '/properties/metadata/guestConfiguration/contentHash') });
      }
      if (definitions.some((x) => x.name === d.name)) throw new DriftscanError(`policy definition ${d.name} is in build/ twice`, { location: locateInBuildFile(text, file, '/name') });
      // What a DeployIfNotExists definition would actually assign: build/ may have been edited since compile.
      const m = /"assignmentType":"([A-Za-z]+)"/.exec(JSON.stringify(d.properties.policyRule));
      if (m && ASSIGNMENT_TYPES.includes(m[1] as AssignmentType) && m[1] !== 'Audit') enforced = m[1] as AssignmentType;
      definitions.push(d);
      baselineOf.set(d.name, baseline);
    }
    guardErrors.push(...lockOutViolations(baseline, enforced));
  });
  // The lock-out guard again, at deploy time: refuse before anything is sent.
  if (guardErrors.length) throw new DriftscanError(guardErrors.join('\n'));

  const initiatives = manifest.initiatives.map((rel) => {
    const file = join(buildDir, ...rel.split('/'));
    const text = readInputFile(file, 'policy set definition').toString('utf8');
    inputs.push({ file, what: 'policy set definition' });
    const s = parsePolicySetFile(text, file);
    const members = s.properties.policyDefinitions.map((m, j) => {
      const at = m.policyDefinitionId.toLowerCase().lastIndexOf(MEMBER_PREFIX.toLowerCase());
      const memberScope = m.policyDefinitionId.slice(0, at);
      const name = m.policyDefinitionId.slice(at + MEMBER_PREFIX.length);
      const where = { location: locateInBuildFile(text, file, `/properties/policyDefinitions/${j}/policyDefinitionId`) };
      // Compiled without --policy-scope, members name no scope: they are deployed here, so here is where they are.
      if (memberScope !== '' && memberScope.toLowerCase() !== scope.toLowerCase()) {
        throw new DriftscanError(`policyDefinitionId is at ${memberScope}, not at --scope ${scope}: compile with --policy-scope ${scope} (or deploy to ${memberScope})`, where);
      }
      if (!definitions.some((d) => d.name === name)) throw new DriftscanError(`member ${name} is not a policy definition in ${buildDir}: compile again`, where);
      return { ...m, policyDefinitionId: `${scope}${MEMBER_PREFIX}${name}` };
    });
    return { ...s, properties: { ...s.properties, policyDefinitions: members } };
  });
  if (initiatives.length === 0) throw new DriftscanError('manifest.json lists no initiative: compile again (deploy assigns the initiative of each baseline folder)', { location: { file: manifestFile } });
  return { definitions, initiatives, baselineOf, inputs };
}

/**
 * The baseline a package came from: the manifest records the path compile was given, relative to
 * where compile ran — usually the repository root, which is also where deploy runs; failing that,
 * relative to the folder that holds build/.
 */
function loadPackageBaseline(buildDir: string, path: string, manifestText: string, manifestFile: string, index: number, name: string, version: string): Baseline {
  const candidates = isAbsolute(path) ? [path] : [path, join(dirname(resolve(buildDir)), path)];
  const file = candidates.find((f) => existsSync(f));
  const where = { location: locateInBuildFile(manifestText, manifestFile, `/packages/${index}/baseline`) };
  if (!file) throw new DriftscanError(`baseline ${path} of package ${name} not found (looked in ${[...new Set(candidates)].join(' and ')}): run deploy from the folder compile ran in`, where);
  const [b] = loadBaselines([file]);
  if (!b || b.metadata.name !== name || b.metadata.version !== version) {
    throw new DriftscanError(`baseline ${path} is now ${b?.metadata.name} ${b?.metadata.version}, but build/ holds package ${name} ${version}: compile again`, where);
  }
  return b;
}

/** Runs `deploy`. */
export async function runDeploy(buildDir: string, flags: DeployFlags): Promise<void> {
  const apply = wantsApply(flags);
  const scope = parseScope(flags.scope);
  const location = flags.location?.trim() || undefined;
  const build = readBuild(buildDir, scope);
  const outputs = preparePlanOutputs(flags.output, build.inputs);
  const roles = requiredRoles(build.definitions);
  if (roles.length && !location) {
    const dine = build.definitions.filter((d) => requiredRoles([d]).length).map((d) => d.name);
    throw usageError(`--location is required: ${dine.join(', ')} ${dine.length === 1 ? 'deploys' : 'deploy'} guest configuration assignments, so the policy assignment needs a managed identity, and Azure keeps an identity in a region (e.g. --location westeurope)`);
  }

  const connection = await openConnection(flags);
  try {
    const [{ createArmRestClient }, azure] = await Promise.all([import('../azure/arm-rest-client.js'), import('../azure/policy-resources.js')]);
    const client = createArmRestClient(connection);
    const actual = await azure.listPolicyScope(client, scope);
    const { plan, roleAssignmentsFor, conflicts } = buildDeployPlan({
      scope,
      ...(location ? { location } : {}),
      prune: Boolean(flags.prune),
      today: new Date().toISOString().slice(0, 10),
      definitions: build.definitions,
      initiatives: build.initiatives,
      baselineOf: build.baselineOf,
      actual: actual as unknown as Parameters<typeof buildDeployPlan>[0]['actual'],
    });

    if (conflicts.length) {
      // Never take over what driftscan did not create, even under the name it would use.
      throw new DriftscanError(conflicts.map((c) => `${c.kind} ${c.id} exists but was not created by driftscan (no metadata.driftscan.managedBy mark): ` +
        'deploy will not overwrite it; delete or rename it, or add metadata.driftscan = {"managedBy": "driftscan"} to hand it to driftscan').join('\n'));
    }

    // The principal of each assignment's identity, from this run's PUT or read once from Azure.
    const principals = new Map<string, Promise<string>>();
    const principalOf = (assignmentId: string): Promise<string> => {
      let p = principals.get(assignmentId.toLowerCase());
      if (!p) {
        p = azure.getPolicyResource(client, assignmentId).then((a) => {
          const id = (a as ArmJson | undefined)?.identity?.principalId;
          if (!id) throw new Error(`policy assignment ${assignmentId} has no managed identity to grant roles to`);
          return id;
        });
        principals.set(assignmentId.toLowerCase(), p);
      }
      return p;
    };

    const write = async (c: PlannedChange): Promise<void> => {
      if (c.action === 'delete') {
        await azure.deletePolicyResource(client, c.id);
        return;
      }
      if (c.kind !== DEPLOY_KINDS.roleAssignment) {
        const r = await azure.putPolicyResource(client, c.id, c.body);
        const pid = (r.body as ArmJson).identity?.principalId;
        if (c.kind === DEPLOY_KINDS.assignment && pid) principals.set(c.id.toLowerCase(), Promise.resolve(pid));
        return;
      }
      const body = c.body as { properties: Record<string, unknown> };
      const principalId = (body.properties.principalId as string | undefined) ?? (await principalOf(roleAssignmentsFor.get(c.id.toLowerCase())!));
      const wanted = { properties: { ...body.properties, principalId } };
      if (c.action === 'update') {
        // Role assignments are immutable (ARM: RoleAssignmentUpdateNotPermitted): one for an old identity is replaced.
        const have = (await azure.getPolicyResource(client, c.id)) as ArmJson | undefined;
        if (have?.properties?.principalId === principalId) return;
        if (have) await azure.deletePolicyResource(client, c.id);
      }
      await azure.putPolicyResource(client, c.id, wanted);
    };
    if (apply) stderr.line(`deploy: applying to ${scope}`);
    await runRollout({ plan, apply, outputs, write, signal: connection.deadline.signal });
  } finally {
    connection.close();
  }
}
