/**
 * `driftscan publish`, the run: read and check the build folder, ask the container what it holds
 * under each package's blob name, plan (`rollout/package-uploads.ts`), and with `--apply` upload and
 * verify through `runRollout`, then write `--out`.
 *
 * Order matters for "nothing half-written": everything local is read and checked first (manifest,
 * each zip's SHA-256 against its contentHash, each definition against its package) and every output
 * path is resolved, so a damaged build or an output in the way stops the run before a byte goes to
 * Azure; `--out` is written all or nothing, only after every upload was verified.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DriftscanError, usageError } from '../core/diagnostics.js';
import { readInputFile } from '../io/input-file.js';
import { stderr, stdout } from '../io/console.js';
import { prepareOutput, prepareOutputFolder, writeOutputs, type NamedInput, type OutputTarget } from '../io/output-file.js';
import { parseBuildManifest, type ManifestPackage } from '../compile/build-manifest.js';
import { policyJson } from '../compile/policy/json.js';
import { withPublishedContent, type PublishedContent } from '../compile/policy/published-content.js';
import { contentMismatch, packageBlobName, planPackageUploads, type PublishedBlob } from '../rollout/package-uploads.js';
import { openBlobContainer, type BlobContainer } from '../azure/blob-container.js';
import { mapConcurrent } from '../azure/concurrent-calls.js';
import { blobSha256, blobUrl, MAX_SAS_LIFETIME_MS, probeBlob, readOnlySasUrl, uploadBlobIfAbsent, userDelegationKey } from '../azure/package-blobs.js';
import { openConnection, wantsApply, type AzureFlags, type RolloutFlags } from './azure-options.js';
import { parseDuration } from './duration.js';
import { preparePlanOutputs, runRollout } from './rollout.js';

/** The flags of `driftscan publish` (`commands/publish.ts` defines them). */
export interface PublishFlags extends AzureFlags, RolloutFlags {
  storageAccount: string;
  container: string;
  blobEndpoint?: string;
  sasExpiry?: string;
  contentManagedIdentity?: string;
  out: string;
}

/** `/subscriptions/<guid>/resourceGroups/<rg>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>`. */
const USER_ASSIGNED_IDENTITY = /^\/subscriptions\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/resourceGroups\/[-\w._()]{1,90}\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[A-Za-z0-9][-\w]{2,127}$/i;

/** Storage calls in flight at once while probing. */
const PROBE_CONCURRENCY = 8;

interface LocalPackage {
  entry: ManifestPackage;
  bytes: Buffer;
  blobName: string;
  /** Policy definition files: path relative to the build folder → parsed JSON. */
  definitions: Array<{ path: string; doc: unknown }>;
}

export async function runPublish(build: string, o: PublishFlags): Promise<void> {
  const apply = wantsApply(o);
  if (o.contentManagedIdentity !== undefined && o.sasExpiry !== undefined) {
    throw usageError('--content-managed-identity and --sas-expiry cannot be combined: with a managed identity the contentUri carries no SAS');
  }
  if (o.contentManagedIdentity !== undefined && !USER_ASSIGNED_IDENTITY.test(o.contentManagedIdentity)) {
    throw usageError(`--content-managed-identity must be a user-assigned identity's resource id (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>), not ${o.contentManagedIdentity}`);
  }
  const sasLifetimeMs = o.contentManagedIdentity === undefined ? parseDuration('--sas-expiry', o.sasExpiry ?? '7d', { min: 60 * 60 * 1000, max: MAX_SAS_LIFETIME_MS }) : undefined;

  // The build folder, whole and consistent, before anything is sent.
  const manifestFile = join(build, 'manifest.json');
  const manifestText = readInputFile(manifestFile, 'build manifest').toString('utf8');
  const manifest = parseBuildManifest(manifestText, manifestFile);
  if (manifest.packages.length === 0) throw new DriftscanError(`the build holds no packages: run driftscan compile`, { location: { file: manifestFile } });
  const inputs: NamedInput[] = [{ file: manifestFile, what: 'build manifest' }];
  const locals: LocalPackage[] = manifest.packages.map((entry) => {
    const zipFile = join(build, ...entry.file.split('/'));
    inputs.push({ file: zipFile, what: 'package' });
    const bytes = readInputFile(zipFile, 'package');
    const sha = createHash('sha256').update(bytes).digest('hex').toUpperCase();
    if (sha !== entry.contentHash || bytes.length !== entry.size) {
      throw new DriftscanError(`${bytes.length} bytes with SHA-256 ${sha}, but ${manifestFile} says ${entry.size} bytes with contentHash ${entry.contentHash}: build/ is inconsistent, run driftscan compile`, { location: { file: zipFile } });
    }
    const definitions = entry.policies.map((path) => {
      const file = join(build, ...path.split('/'));
      inputs.push({ file, what: 'policy definition' });
      const doc = parseJsonFile(file, 'policy definition');
      // Checked now (with a stand-in URL) so an inconsistent definition stops the run before any upload.
      withPublishedContent(doc, file, entry, { contentUri: 'https://check.invalid/x.zip' });
      return { path, doc };
    });
    return { entry, bytes, blobName: packageBlobName(entry), definitions };
  });
  const initiatives = manifest.initiatives.map((path) => {
    const file = join(build, ...path.split('/'));
    inputs.push({ file, what: 'initiative' });
    return { path, text: readInputFile(file, 'initiative').toString('utf8') };
  });

  // Every output resolved before the first request: a file in the way, or --out over build/, stops here.
  const planOutputs = preparePlanOutputs(o.output, inputs);
  const outFiles = ['manifest.json', ...locals.flatMap((l) => l.definitions.map((d) => d.path)), ...initiatives.map((i) => i.path)];
  let targets: Map<string, OutputTarget> | undefined;
  if (apply) {
    prepareOutputFolder(o.out, '--out folder');
    targets = new Map(outFiles.map((f) => [f, prepareOutput(join(o.out, ...f.split('/')), inputs, { what: 'published file', option: '--out' })]));
  }

  const connection = await openConnection(o);
  try {
    const container = openBlobContainer(connection, {
      account: o.storageAccount,
      container: o.container,
      blobEndpoint: o.blobEndpoint,
      tenant: o.tenant,
      ...(o.verbose ? { verbose: (line: string) => stderr.line(line) } : {}),
    });
    const found = await probeAll(container, locals);
    const plan = planPackageUploads(locals.map((l) => l.entry), found, { containerUrl: container.client.url, blobUrl: (name) => blobUrl(container, name) });
    const byBlob = new Map(locals.map((l) => [l.blobName, l]));
    const outcome = await runRollout({
      plan,
      apply,
      outputs: planOutputs,
      signal: connection.deadline.signal,
      write: async (change) => {
        const local = byBlob.get(change.name)!;
        await uploadBlobIfAbsent(container, local.blobName, local.bytes, local.entry.contentHash);
        // Read back whatever is there now (ours, or a concurrent publisher's): it must be the package.
        const got = await blobSha256(container, local.blobName);
        if (got.sha256 !== local.entry.contentHash || got.size !== local.entry.size) throw contentMismatch(local.entry, blobUrl(container, local.blobName), got);
      },
    });
    if (!apply || !outcome) return;

    const content = await publishedContent(container, locals, o, sasLifetimeMs, previousSasUris(o, container));
    const files = publishedFiles(manifest.raw, locals, initiatives, content, build, o);
    writeOutputs(files.map(({ path, data }) => ({ target: targets!.get(path)!, data, what: 'published file' })));
    for (const l of locals) stdout.line(`published ${l.entry.name} ${l.entry.version} -> ${blobUrl(container, l.blobName)}  sha256 ${l.entry.contentHash}`);
    const defs = locals.reduce((n, l) => n + l.definitions.length, 0);
    stdout.line(`wrote ${o.out}: manifest.json, ${defs} policy definition${defs === 1 ? '' : 's'}, ${initiatives.length} initiative${initiatives.length === 1 ? '' : 's'}` +
      (content.sasExpiresOn ? ` (contentUri carries a read-only SAS until ${content.sasExpiresOn.toISOString()}: do not commit ${o.out}/)` : ` (contentManagedIdentity, no SAS)`));
    if (defs === 0) stderr.line(`driftscan: note: ${build} holds no policy definitions (compile with --content-uri-base to get them); only manifest.json was written`);
  } finally {
    connection.close();
  }
}

function parseJsonFile(file: string, what: string): unknown {
  const text = readInputFile(file, what).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DriftscanError(`not valid JSON (${(err as Error).message}): run driftscan compile`, { location: { file } });
  }
}

/** What the container holds under each package's blob name; a blob without recorded SHA-256 is hashed by download. */
async function probeAll(container: BlobContainer, locals: readonly LocalPackage[]): Promise<Map<string, PublishedBlob>> {
  const states = await mapConcurrent(locals, PROBE_CONCURRENCY, async (l): Promise<PublishedBlob> => {
    const state = await probeBlob(container, l.blobName);
    if (!state.exists) return { exists: false };
    if (state.sha256 !== undefined) return { exists: true, size: state.size, sha256: state.sha256 };
    const got = await blobSha256(container, l.blobName);
    return { exists: true, size: got.size, sha256: got.sha256 };
  });
  return new Map(locals.map((l, i) => [l.blobName, states[i]!]));
}

/**
 * The SAS contentUris an earlier `publish --apply` wrote to the same `--out` for this account and
 * container, by blob name, with their expiry. A re-publish keeps a package's URL while it is good for
 * more than half of `--sas-expiry` (and no longer than it), so an unchanged package keeps an unchanged definition and
 * `deploy`/`assign` see nothing to update; only new blobs and SAS tokens past half-life get a fresh
 * one. A missing or unreadable earlier manifest just means every package is signed anew.
 */
function previousSasUris(o: PublishFlags, container: BlobContainer): Map<string, { contentUri: string; expiresOn: Date }> {
  const found = new Map<string, { contentUri: string; expiresOn: Date }>();
  const file = join(o.out, 'manifest.json');
  if (o.contentManagedIdentity !== undefined || !existsSync(file)) return found;
  let doc: { published?: { storageAccount?: unknown; container?: unknown }; packages?: Array<{ blob?: unknown; contentUri?: unknown; sasExpiresOn?: unknown }> };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    stderr.line(`driftscan: note: ${file} is not a readable earlier publish; every package gets a fresh SAS`);
    return found;
  }
  if (doc.published?.storageAccount !== o.storageAccount || doc.published?.container !== o.container || !Array.isArray(doc.packages)) return found;
  for (const p of doc.packages) {
    if (typeof p.blob !== 'string' || typeof p.contentUri !== 'string' || typeof p.sasExpiresOn !== 'string') continue;
    const expiresOn = new Date(p.sasExpiresOn);
    // Only a URL of this very blob (a hand-edited manifest must not redirect a package elsewhere).
    if (Number.isNaN(expiresOn.getTime()) || !p.contentUri.startsWith(`${blobUrl(container, p.blob)}?`)) continue;
    found.set(p.blob, { contentUri: p.contentUri, expiresOn });
  }
  return found;
}

/**
 * Each package's final contentUri: kept from the earlier publish while its SAS has more than half of
 * `--sas-expiry` left (`previousSasUris`), else signed anew — one user delegation key signs every new
 * SAS of the run.
 */
async function publishedContent(container: BlobContainer, locals: readonly LocalPackage[], o: PublishFlags, sasLifetimeMs: number | undefined,
  previous: Map<string, { contentUri: string; expiresOn: Date }>): Promise<{ byBlob: Map<string, PublishedContent>; sasExpiresOn?: Date; expiries?: Map<string, Date> }> {
  const byBlob = new Map<string, PublishedContent>();
  if (o.contentManagedIdentity !== undefined) {
    for (const l of locals) byBlob.set(l.blobName, { contentUri: blobUrl(container, l.blobName), contentManagedIdentity: o.contentManagedIdentity });
    return { byBlob };
  }
  const now = new Date();
  const expiries = new Map<string, Date>();
  const fresh: LocalPackage[] = [];
  for (const l of locals) {
    const kept = previous.get(l.blobName);
    const left = kept ? kept.expiresOn.getTime() - now.getTime() : 0;
    // Kept while more than half of the asked lifetime is left, and never longer than asked (a shorter --sas-expiry takes effect at once).
    if (kept && left > sasLifetimeMs! / 2 && left <= sasLifetimeMs! + 60_000) {
      byBlob.set(l.blobName, { contentUri: kept.contentUri });
      expiries.set(l.blobName, kept.expiresOn);
    } else fresh.push(l);
  }
  if (fresh.length) {
    // Whole seconds: the SAS `se` field has no fractions, and the manifest should say exactly what it says.
    const expiresOn = new Date(Math.floor((now.getTime() + sasLifetimeMs!) / 1000) * 1000);
    const key = await userDelegationKey(container, expiresOn, now);
    for (const l of fresh) {
      byBlob.set(l.blobName, { contentUri: await readOnlySasUrl(container, l.blobName, key, expiresOn, now) });
      expiries.set(l.blobName, expiresOn);
    }
  }
  // The run's expiry is the earliest: that is when a re-publish (and a deploy) is due.
  const sasExpiresOn = new Date(Math.min(...[...expiries.values()].map((d) => d.getTime())));
  return { byBlob, sasExpiresOn, expiries };
}

/** The files of `--out`: manifest.json with the published fields, definitions pointing at the blobs, initiatives as compiled. */
function publishedFiles(raw: ReturnType<typeof parseBuildManifest>['raw'], locals: readonly LocalPackage[], initiatives: ReadonlyArray<{ path: string; text: string }>,
  content: { byBlob: Map<string, PublishedContent>; sasExpiresOn?: Date; expiries?: Map<string, Date> }, build: string, o: PublishFlags): Array<{ path: string; data: string }> {
  const files: Array<{ path: string; data: string }> = [];
  for (const l of locals) {
    const c = content.byBlob.get(l.blobName)!;
    for (const d of l.definitions) files.push({ path: d.path, data: policyJson(withPublishedContent(d.doc, join(build, d.path), l.entry, c)) });
  }
  files.push(...initiatives.map((i) => ({ path: i.path, data: i.text })));
  const packages = raw.packages.map((p, i) => {
    const l = locals[i]!;
    const c = content.byBlob.get(l.blobName)!;
    const { contentUri: _compiled, ...rest } = p;
    const sasExpiresOn = content.expiries?.get(l.blobName);
    return {
      ...rest, blob: l.blobName, contentUri: c.contentUri,
      ...(c.contentManagedIdentity !== undefined ? { contentManagedIdentity: c.contentManagedIdentity } : {}),
      ...(sasExpiresOn ? { sasExpiresOn: sasExpiresOn.toISOString() } : {}),
    };
  });
  const published = {
    storageAccount: o.storageAccount,
    container: o.container,
    ...(content.sasExpiresOn ? { sasExpiresOn: content.sasExpiresOn.toISOString() } : { contentManagedIdentity: o.contentManagedIdentity }),
  };
  // `file` stays relative to the build folder the packages came from.
  files.unshift({ path: 'manifest.json', data: `${JSON.stringify({ ...raw, build: build.replace(/\\/g, '/'), published, packages }, null, 2)}\n` });
  return files;
}
