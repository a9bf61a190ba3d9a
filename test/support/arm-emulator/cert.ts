/**
 * A self-signed certificate for the emulator, made fresh by each run with openssl (installed by
 * `.ci/run`): an EC P-256 key and an X.509 certificate for `127.0.0.1` and `localhost`, valid for
 * two days, marked as a CA so it can be trusted directly — through `NODE_EXTRA_CA_CERTS=<ca path>`
 * in a spawned process, or the connection's `extraCaPem` inside a test process.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certificate {
  dir: string;
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

export function makeCertificate(dir: string = mkdtempSync(join(tmpdir(), 'driftscan-arm-emulator-'))): Certificate {
  const certPath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=driftscan ARM emulator',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,digitalSignature,keyCertSign',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { dir, certPath, keyPath, certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
}
