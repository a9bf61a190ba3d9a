/**
 * Azurite's Blob service (devDependency `azurite` 3.35.0) for the publish tests, as CI and a
 * developer run it: the `azurite-blob` binary from node_modules/.bin on 127.0.0.1 and a free port,
 * HTTPS with a certificate this run makes (the ARM emulator's, `arm-emulator/cert.ts`) and
 * `--oauth basic`, so bearer tokens and user-delegation keys work (shared/reference/azure-sdk-js.md §10).
 * Azurite checks a token's `aud`, `iss` and `exp` but not its signature, so `storageToken()` is an
 * unsigned JWT. `--skipApiVersionCheck`: storage-blob 12.32.0 speaks a newer API version (2026-04-06)
 * than Azurite 3.35.0 knows (2025-11-05). `--inMemoryPersistence`: nothing is left on disk.
 *
 * `startAzurite()` answers a skip reason instead of a server when the binary or openssl is missing
 * or Azurite does not come up, so a run without them says why on every skipped test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { makeCertificate, type Certificate } from './arm-emulator/cert.js';
import { repoRoot } from './paths.js';

/** Azurite's well-known development account. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const TENANT = '11111111-2222-3333-4444-555555555555';

export interface Azurite {
  /** `https://127.0.0.1:PORT/devstoreaccount1`: the account URL (`--blob-endpoint`). */
  accountUrl: string;
  port: number;
  cert: Certificate;
  stop(): Promise<void>;
}

/** An unsigned JWT Azurite accepts as a storage bearer token (`aud` storage, `iss` sts.windows.net). */
export function storageToken(extraClaims: Record<string, unknown> = {}): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    aud: 'https://storage.azure.com', iss: `https://sts.windows.net/${TENANT}/`, iat: now - 60, nbf: now - 60, exp: now + 3600,
    oid: '99999999-8888-7777-6666-555555555555', tid: TENANT, sub: 'driftscan-publish-test', ...extraClaims,
  };
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.c2lnbmF0dXJlLXNlY3JldA`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts Azurite, or returns why it cannot (for `test(…, { skip })`). */
export async function startAzurite(): Promise<Azurite | string> {
  const bin = join(repoRoot, 'node_modules', '.bin', 'azurite-blob');
  if (!existsSync(bin)) return `azurite-blob not found at ${bin} (npm install adds the azurite devDependency); skipping`;
  if (spawnSync('openssl', ['version']).status !== 0) return 'openssl not found (it makes the test certificate); skipping';
  const cert = makeCertificate();
  // Two attempts: the port found free may be taken before Azurite binds it.
  let lastError = '';
  for (let attempt = 0; attempt < 2; attempt++) {
    const port = await freePort();
    const child = spawn(bin, [
      '--blobHost', '127.0.0.1', '--blobPort', String(port), '--inMemoryPersistence', '--disableTelemetry', '--silent',
      '--skipApiVersionCheck', '--oauth', 'basic', '--cert', cert.certPath, '--key', cert.keyPath,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const started = await waitForListening(child, port);
    if (started === true) {
      // A test file that dies before its after() hook must not leave Azurite running.
      const orphan = () => {
        if (child.exitCode === null) child.kill('SIGKILL');
      };
      process.once('exit', orphan);
      return {
        accountUrl: `https://127.0.0.1:${port}/${AZURITE_ACCOUNT}`,
        port,
        cert,
        async stop() {
          process.removeListener('exit', orphan);
          if (child.exitCode === null) {
            child.kill('SIGTERM');
            await new Promise((r) => child.once('exit', r));
          }
          rmSync(cert.dir, { recursive: true, force: true });
        },
      };
    }
    lastError = started;
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  rmSync(cert.dir, { recursive: true, force: true });
  return `azurite did not start (${lastError}); skipping`;
}

/** Resolves true once Azurite says it listens (or the port answers), else the reason it did not. */
async function waitForListening(child: ChildProcess, port: number): Promise<true | string> {
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return `exited ${child.exitCode}: ${output.trim().split('\n').slice(-3).join(' | ')}`;
    if (await portAnswers(port)) return true;
    await new Promise((r) => setTimeout(r, 150));
  }
  return `no answer on port ${port} within 30 s: ${output.trim().slice(-300)}`;
}

async function portAnswers(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
