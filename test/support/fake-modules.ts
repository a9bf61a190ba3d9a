/**
 * Realistic stand-ins for the PowerShell Gallery in compile tests: nupkgs shaped like the real
 * PSDscResources / AccessControlDSC packages (psd1 with ModuleVersion, DscResources/<Res>/ files,
 * NuGet metadata), and an HTTPS NuGet v2 feed on 127.0.0.1 with a self-signed certificate.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { zipSync } from 'fflate';

const enc = (s: string) => new TextEncoder().encode(s);

/** Module files as they sit in the module base folder (what ends up under Modules/<Name>/). */
export function moduleFiles(name: string, version: string): Record<string, Uint8Array> {
  const resources = name === 'PSDscResources' ? ['MSFT_RegistryResource', 'MSFT_ServiceResource'] : ['RegistryAccessEntry'];
  const files: Record<string, Uint8Array> = {
    [`${name}.psd1`]: enc(`@{\r\n    # Version number of this module.\r\n    ModuleVersion = '${version}'\r\n    GUID = '7b750b0c-0000-4000-8000-000000000000'\r\n    PowerShellVersion = '5.1'\r\n}\r\n`),
    'en-US/about_Module.help.txt': enc(`TOPIC about ${name}\r\n`),
  };
  for (const r of resources) {
    files[`DscResources/${r}/${r}.psm1`] = enc(`function Test-TargetResource { param($Key) return $true }\r\n# ${'x'.repeat(2000)}\r\n`);
    files[`DscResources/${r}/${r}.schema.mof`] = enc(`[ClassVersion("1.0.0.0"), FriendlyName("${r}")]\r\nclass ${r} : OMI_BaseResource { };\r\n`);
  }
  files['DscResources/CommonResourceHelper/Common Helper.psm1'] = enc('# a file name with a space: NuGet stores it as %20\r\n');
  return files;
}

/** A .nupkg: module files (names %-encoded like NuGet does) plus NuGet's own metadata files. */
export function buildNupkg(id: string, name: string, version: string, extra: Record<string, Uint8Array> = {}, options: { psd1Version?: string } = {}): Uint8Array {
  const files = moduleFiles(name, options.psd1Version ?? version);
  const entries: Record<string, Uint8Array> = {
    '_rels/.rels': enc('<?xml version="1.0"?><Relationships/>'),
    [`${id}.nuspec`]: enc(`<?xml version="1.0"?><package><metadata><id>${id}</id><version>${version}</version></metadata></package>`),
    '[Content_Types].xml': enc('<?xml version="1.0"?><Types/>'),
    'package/services/metadata/core-properties/0123.psmdcp': enc('<coreProperties/>'),
  };
  for (const [p, d] of Object.entries(files)) entries[p.split('/').map(encodeURIComponent).join('/')] = d;
  Object.assign(entries, extra);
  return zipSync(entries, { level: 6, mtime: new Date(2020, 0, 1) });
}

export function sha512b64(d: Uint8Array): string {
  return createHash('sha512').update(d).digest('base64');
}

/** Writes modules in PowerShell's side-by-side layout: DIR/<Name>/<version>/… */
export function writeModulesDir(dir: string, modules: Array<{ name: string; version: string; flat?: boolean; psd1Version?: string }>): void {
  for (const m of modules) {
    const base = m.flat ? join(dir, m.name) : join(dir, m.name, m.version);
    for (const [p, d] of Object.entries(moduleFiles(m.name, m.psd1Version ?? m.version))) {
      mkdirSync(dirname(join(base, p)), { recursive: true });
      writeFileSync(join(base, p), d);
    }
  }
}

export interface FakeFeed {
  url: string;
  ca: string;
  /** Request paths served so far. */
  requests: string[];
  /** Packages by `id/version` (lower case); `advertisedHash` overrides the hash the feed publishes. */
  packages: Map<string, { data: Uint8Array; advertisedHash?: string }>;
  close(): Promise<void>;
}

/** Starts an HTTPS NuGet v2 feed on 127.0.0.1 with a fresh self-signed certificate (openssl CLI). */
export async function startFakeFeed(): Promise<FakeFeed> {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-feed-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const key = readFileSync(join(dir, 'key.pem'));
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const packages = new Map<string, { data: Uint8Array; advertisedHash?: string }>();
    const requests: string[] = [];
    const server: Server = createServer({ key, cert }, (req, res) => {
      const path = decodeURIComponent(req.url ?? '');
      requests.push(path);
      let m = /^\/api\/v2\/Packages\(Id='([^']+)',Version='([^']+)'\)$/.exec(path);
      if (m) {
        const p = packages.get(`${m[1]}/${m[2]}`.toLowerCase());
        if (!p) { res.writeHead(404).end(); return; }
        res.writeHead(200, { 'content-type': 'application/atom+xml' }).end(
          `<?xml version="1.0" encoding="utf-8"?><entry xmlns="http://www.w3.org/2005/Atom" xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">` +
            `<content type="application/zip" src="https://127.0.0.1:${port()}/api/v2/package/${m[1]}/${m[2]}" />` +
            `<m:properties><d:Id>${m[1]}</d:Id><d:Version>${m[2]}</d:Version><d:PackageHash>${p.advertisedHash ?? sha512b64(p.data)}</d:PackageHash><d:PackageHashAlgorithm>SHA512</d:PackageHashAlgorithm></m:properties></entry>`,
        );
        return;
      }
      m = /^\/api\/v2\/package\/([^/]+)\/([^/]+)$/.exec(path);
      if (m) { res.writeHead(302, { location: `/cdn/${m[1]!.toLowerCase()}.${m[2]}.nupkg` }).end(); return; }
      m = /^\/cdn\/([^.]+)\.(\d[\d.]*)\.nupkg$/.exec(path);
      const p = m && packages.get(`${m[1]}/${m[2]}`.toLowerCase());
      if (p) { res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from(p.data)); return; }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = () => (server.address() as { port: number }).port;
    return {
      url: `https://127.0.0.1:${port()}/api/v2/`,
      ca: cert,
      requests,
      packages,
      close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
