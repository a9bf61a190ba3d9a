/**
 * `driftscan publish [build]`: uploads the packages `compile` built to Blob Storage under versioned,
 * content-addressed names, verifies each upload's SHA-256, and writes the policy definitions and
 * manifest with the final contentUri (a user-delegation SAS, or none with a managed identity) into
 * a separate folder (`--out`, default `published/`). Plan by default; `--apply` uploads.
 * The work is in `cli/publish.ts`, loaded only when the command runs.
 */
import type { Command } from 'commander';
import type { RegisterCommand } from '../command.js';
import { addAzureOptions, addRolloutOptions } from '../azure-options.js';
import { EXIT } from '../exit-codes.js';
import type { PublishFlags } from '../publish.js';

export const register: RegisterCommand = (program: Command, setExit) => {
  const cmd = program
    .command('publish')
    .summary('upload compiled packages to Blob Storage and write policy definitions with their contentUri')
    .description(
      'Upload each package of a build folder (driftscan compile) to a Blob Storage container as ' +
        '<name>/<version>/<sha256>/<name>.zip — versioned and content-addressed, so a re-publish never changes bytes a ' +
        'running assignment downloads — only when that blob does not already hold the same bytes; read every uploaded ' +
        'blob back and compare its SHA-256 with the package\'s contentHash. Then write the policy definitions, ' +
        'initiatives and manifest.json with the final contentUri to --out: a read-only user-delegation SAS URL, or the ' +
        'plain blob URL plus contentManagedIdentity with --content-managed-identity (preferred: no secret anywhere). ' +
        'build/ itself is never changed, so compile --check stays green. ' +
        'Signs in with Entra ID (DRIFTSCAN_STORAGE_TOKEN, a token for https://storage.azure.com, or DefaultAzureCredential); ' +
        'the identity needs Storage Blob Data Contributor on the container. The container must exist. ' +
        'Definitions need compile --content-uri-base (any https base: publish replaces the URL).',
    )
    .argument('[build]', 'the build folder compile wrote (manifest.json, <name>/<name>.zip, policy definitions)', 'build')
    .requiredOption('--storage-account <name>', 'storage account name (3-24 lower-case letters and digits)')
    .requiredOption('--container <name>', 'blob container the packages go to; it must exist')
    .option('--blob-endpoint <url>', 'account URL instead of https://<account>.blob.<cloud storage suffix> (a private endpoint, a ' +
      'custom domain, Azurite\'s https://127.0.0.1:10000/devstoreaccount1); https:// only')
    .option('--sas-expiry <duration>', 'lifetime of the read-only user-delegation SAS in contentUri (e.g. 36h, 7d; default and maximum 7d: ' +
      'a user delegation key lives at most 7 days). A re-publish keeps an unchanged package\'s SAS while more than half of this lifetime is left ' +
      '(its definition does not change), else signs a fresh one: re-run publish --apply and deploy --apply more often than half the lifetime')
    .option('--content-managed-identity <resource-id>', 'user-assigned managed identity (/subscriptions/<id>/resourceGroups/<rg>/providers/' +
      'Microsoft.ManagedIdentity/userAssignedIdentities/<name>) machines download packages with: no SAS, contentUri is the plain blob URL ' +
      'and the definitions carry contentManagedIdentity. The identity must be attached to the machines and hold Storage Blob Data Reader')
    .option('--out <dir>', 'folder for the published definitions, initiatives and manifest.json (written all or nothing after every upload ' +
      'is verified). With a SAS these files hold a secret: never commit them (add the folder to .gitignore)', 'published');
  addRolloutOptions(cmd, 'upload the packages that are not in the container yet, then write --out');
  addAzureOptions(cmd);
  cmd.action(async (build: string, o: PublishFlags) => {
    const { runPublish } = await import('../publish.js');
    await runPublish(build, o);
    setExit(EXIT.OK);
  });
};
