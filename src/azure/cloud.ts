/**
 * Which Azure Resource Manager driftscan talks to, and which token audience it asks Entra ID for.
 *
 * The three public clouds have fixed endpoints (`az cloud show --name <cloud>`; Azure SDK for JS
 * `AzureAuthorityHosts` in @azure/identity): the ARM endpoint (Resource Graph and PolicyInsights are
 * ARM resource providers, so they answer at the same host), the Entra ID authority, the token scope
 * `<ARM endpoint>/.default`, and the blob endpoint suffix for packages. `--arm-endpoint URL` (or
 * `DRIFTSCAN_ARM_ENDPOINT`) points at any other ARM — an Azure Stack hub, a proxy, the ARM emulator
 * in tests — while the token scope and authority stay those of `--cloud`: the scope is always
 * explicit, never derived from an arbitrary endpoint (the SDK's default `${endpoint}/.default`
 * would ask Entra ID for a token to `https://127.0.0.1:PORT`, shared/reference/azure-sdk-js.md §4.1).
 *
 * Only HTTPS is accepted, except plain HTTP to a loopback address (127.0.0.0/8, ::1, localhost):
 * a bearer token must never cross a network in clear text. Extra certificate authorities (a TLS
 * inspecting proxy, the emulator's self-signed certificate) come through Node's standard
 * `NODE_EXTRA_CA_CERTS`, which every HTTPS connection in the process honours.
 */
import { isIP } from 'node:net';
import { usageError } from '../core/diagnostics.js';

export const CLOUD_NAMES = ['AzureCloud', 'AzureUSGovernment', 'AzureChinaCloud'] as const;
export type CloudName = (typeof CLOUD_NAMES)[number];

export interface AzureCloud {
  name: CloudName;
  /** The ARM endpoint, without a trailing slash. */
  resourceManager: string;
  /** The Entra ID authority host (`authorityHost` of @azure/identity credentials). */
  authorityHost: string;
  /** The token scope for ARM in this cloud. */
  armScope: string;
  /** Storage endpoint suffix: `https://<account>.blob.<suffix>`. */
  storageSuffix: string;
}

const CLOUDS: Record<CloudName, AzureCloud> = {
  AzureCloud: {
    name: 'AzureCloud',
    resourceManager: 'https://management.azure.com',
    authorityHost: 'https://login.microsoftonline.com',
    armScope: 'https://management.azure.com/.default',
    storageSuffix: 'core.windows.net',
  },
  AzureUSGovernment: {
    name: 'AzureUSGovernment',
    resourceManager: 'https://management.usgovcloudapi.net',
    authorityHost: 'https://login.microsoftonline.us',
    armScope: 'https://management.usgovcloudapi.net/.default',
    storageSuffix: 'core.usgovcloudapi.net',
  },
  AzureChinaCloud: {
    name: 'AzureChinaCloud',
    resourceManager: 'https://management.chinacloudapi.cn',
    authorityHost: 'https://login.chinacloudapi.cn',
    armScope: 'https://management.chinacloudapi.cn/.default',
    storageSuffix: 'core.chinacloudapi.cn',
  },
};

/** Where requests go: the cloud (authority, scope) and the ARM endpoint actually used. */
export interface ArmTarget {
  cloud: AzureCloud;
  /** The ARM endpoint requests go to (origin plus any base path), without a trailing slash. */
  endpoint: string;
  /** True when the endpoint is plain HTTP to a loopback address (tests, local proxies). */
  insecureLoopback: boolean;
}

/** The cloud called `name` (case-insensitive), or a usage error listing the names. */
export function cloudByName(name: string): AzureCloud {
  const found = CLOUD_NAMES.find((n) => n.toLowerCase() === name.toLowerCase());
  if (!found) throw usageError(`unknown cloud '${name}': use one of ${CLOUD_NAMES.join(', ')}`);
  return CLOUDS[found];
}

/** True for 127.0.0.0/8, ::1, IPv4-mapped 127.x (`::ffff:127.0.0.1`) and `localhost` names. */
export function isLoopbackHost(hostname: string): boolean {
  let host: string;
  try {
    // The URL parser canonicalises: `[0:0::1]` → `[::1]`, `[::ffff:127.0.0.1]` → `[::ffff:7f00:1]`, `0x7f.1` → `127.0.0.1`.
    host = new URL(`http://${isIP(hostname) === 6 ? `[${hostname}]` : hostname}/`).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host);
}

/**
 * Checks an `--arm-endpoint` / `DRIFTSCAN_ARM_ENDPOINT` value: an absolute `https://` URL (or
 * `http://` to loopback), no credentials, query or fragment. Returns it without a trailing slash,
 * so paths appended to it never start with `//`.
 */
export function checkArmEndpoint(raw: string, from: string): { endpoint: string; insecureLoopback: boolean } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`${from} '${raw}' is not an absolute URL (expected https://host[:port])`);
  }
  if (url.username || url.password) throw usageError(`${from} must not hold a user name or password`);
  if (url.search || url.hash) throw usageError(`${from} must not hold a query or fragment: ${url.origin}${url.pathname}`);
  let insecureLoopback = false;
  if (url.protocol === 'http:') {
    if (!isLoopbackHost(url.hostname)) {
      throw usageError(`${from} ${url.origin} is plain HTTP: use https:// (plain http:// is accepted only for a loopback address such as 127.0.0.1)`);
    }
    insecureLoopback = true;
  } else if (url.protocol !== 'https:') {
    throw usageError(`${from} '${raw}' must be an https:// URL`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  return { endpoint: `${url.origin}${path}`, insecureLoopback };
}

export interface TargetOptions {
  /** `--cloud`; default AzureCloud. */
  cloud?: string | undefined;
  /** `--arm-endpoint`; wins over `DRIFTSCAN_ARM_ENDPOINT`. */
  armEndpoint?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/** Resolves `--cloud`, `--arm-endpoint` and `DRIFTSCAN_ARM_ENDPOINT` into where requests go. */
export function resolveArmTarget(options: TargetOptions = {}): ArmTarget {
  const env = options.env ?? process.env;
  const cloud = cloudByName(options.cloud ?? 'AzureCloud');
  const fromFlag = options.armEndpoint !== undefined && options.armEndpoint !== '';
  const raw = fromFlag ? options.armEndpoint! : env.DRIFTSCAN_ARM_ENDPOINT;
  if (raw === undefined || raw === '') return { cloud, endpoint: cloud.resourceManager, insecureLoopback: false };
  const checked = checkArmEndpoint(raw, fromFlag ? '--arm-endpoint' : 'DRIFTSCAN_ARM_ENDPOINT');
  return { cloud, ...checked };
}
