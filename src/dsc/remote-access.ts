/**
 * The lock-out guard's knowledge: which registry keys and services carry remote access to a
 * Windows VM. An enforcing (AuditAndSet) configuration that gets one of them wrong can leave a
 * whole fleet unreachable over RDP, with the serial console as the only way back in.
 */
import type { RegistryPath } from '../windows/registry-path.js';

const KEY_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\\Control\\Terminal Server(\\|$)/i, 'Remote Desktop listener settings (Terminal Server key)'],
  [/\\Policies\\Microsoft\\Windows NT\\Terminal Services(\\|$)/i, 'Remote Desktop Services policy settings'],
  [/\\SystemCertificates\\Remote Desktop(\\|$)/i, 'the Remote Desktop certificate store'],
  [/\\SystemCertificates(\\|$)/i, 'a machine certificate store'],
  [/^HKLM\\SECURITY\\Policy(\\|$)/i, 'local security policy (user rights assignments)'],
  [/\\Control\\Lsa(\\|$)/i, 'LSA authentication settings (logon and Kerberos)'],
  [/\\Services\\(TermService|UmRdpService|SessionEnv)(\\|$)/i, 'a Remote Desktop service'],
  [/\\Services\\SharedAccess\\Parameters\\FirewallPolicy(\\|$)/i, 'Windows Firewall rules (RDP port)'],
];

const SERVICES = new Set(['termservice', 'umrdpservice', 'sessionenv', 'mpssvc', 'bfe', 'winrm']);

/** Why a key path is remote-access sensitive, or undefined. `p` is compared case-insensitively. */
export function remoteAccessKeyReason(p: RegistryPath): string | undefined {
  const text = `${p.root}\\${p.segments.join('\\')}`;
  return KEY_PATTERNS.find(([re]) => re.test(text))?.[1];
}

/** Why a service is remote-access sensitive (RDP, firewall, WinRM), or undefined. */
export function remoteAccessServiceReason(name: string): string | undefined {
  return SERVICES.has(name.toLowerCase()) ? `the ${name} service, which carries remote access (RDP, firewall or WinRM)` : undefined;
}
