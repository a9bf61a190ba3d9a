/**
 * Builds the bundled sample image `examples/image/Windows/System32/config/{SYSTEM,SOFTWARE}` with
 * driftscan's own regf writer: a small but realistic Windows Server registry for the seed baseline
 * `policies/rdp-access-denied.yaml` (and `rdp-hardening.yaml`). The image DRIFTS on purpose: the
 * Remote Desktop certificate store's ACL lacks Remote Desktop Users and Kerberos MaxTokenSize is
 * the old 12000, while IgnoreRegUserConfigErrors and the TermService account are right.
 *
 * Deterministic (fixed timestamps, no randomness), so the generated files are committed and a test
 * checks they equal this script's output. Usage: `tsx scripts/build-sample-image.ts [--out DIR]`
 * (default `examples/image`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeHive, type WriterKey, type WriterValue } from '../test/support/regf-writer.js';
import { encodeSecurityDescriptor } from '../src/windows/security-descriptor.js';
import { parseSddl } from '../src/windows/sddl.js';

/** When the image was "captured"; every key carries this or an earlier fixed time. */
const CAPTURED = new Date(Date.UTC(2024, 4, 14, 8, 0, 0));
const INSTALLED = new Date(Date.UTC(2024, 4, 2, 6, 30, 0));

const sd = (sddl: string): Uint8Array => encodeSecurityDescriptor(parseSddl(sddl));

// Descriptors as Windows Server 2022 ships them (hive roots explicit, children with inherited ACEs).
const SYSTEM_ROOT_SD = sd('O:BAG:SYD:PAI(A;CI;KR;;;BU)(A;CI;KA;;;BA)(A;CI;KA;;;SY)(A;CIIO;GA;;;CO)(A;CI;KR;;;AC)');
const SYSTEM_CHILD_SD = sd('O:BAG:SYD:AI(A;CIID;KR;;;BU)(A;CIID;KA;;;BA)(A;CIID;KA;;;SY)(A;CIIOID;GA;;;CO)(A;CIID;KR;;;AC)');
const SERVICES_SD = sd('O:SYG:SYD:AI(A;CIID;KR;;;AU)(A;CIID;KR;;;SO)(A;CIID;KA;;;BA)(A;CIID;KA;;;SY)(A;CIIOID;GA;;;CO)(A;CIID;KR;;;AC)');
const SOFTWARE_ROOT_SD = sd('O:BAG:SYD:PAI(A;CI;KR;;;BU)(A;CI;KA;;;BA)(A;CI;KA;;;SY)(A;CIIO;GA;;;CO)(A;CI;KR;;;AC)(A;CI;KR;;;S-1-15-3-1024-1065365936-1281604716-3511738428-1654721687-432734479-3232135806-4053264122-3456934681)');
const SOFTWARE_CHILD_SD = sd('O:BAG:SYD:AI(A;CIID;KR;;;BU)(A;CIID;KA;;;BA)(A;CIID;KA;;;SY)(A;CIIOID;GA;;;CO)(A;CIID;KR;;;AC)');
/** The drift: SY/BA full, BU read, no explicit grant for Remote Desktop Users (S-1-5-32-555). */
const RDP_CERTIFICATES_SD = sd('O:BAG:SYD:AI(A;CIID;KA;;;SY)(A;CIID;KA;;;BA)(A;CIID;KR;;;BU)(A;CIIOID;GA;;;CO)');

const dword = (name: string, n: number): WriterValue => {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, n >>> 0, true);
  return { name, typeCode: 4, data };
};
const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s + '\0', 'utf16le'));
const sz = (name: string, s: string): WriterValue => ({ name, typeCode: 1, data: text(s) });
const expandSz = (name: string, s: string): WriterValue => ({ name, typeCode: 2, data: text(s) });
const multiSz = (name: string, list: string[]): WriterValue => ({ name, typeCode: 7, data: new Uint8Array(Buffer.from(list.map((s) => s + '\0').join('') + '\0', 'utf16le')) });
const key = (name: string, values: WriterValue[] = [], subkeys: WriterKey[] = [], extra: Partial<WriterKey> = {}): WriterKey => ({
  name,
  values,
  subkeys,
  lastWritten: INSTALLED,
  ...extra,
});

function systemHive(): WriterKey {
  const terminalServer = key(
    'Terminal Server',
    [dword('fDenyTSConnections', 0), dword('IgnoreRegUserConfigErrors', 1), dword('fSingleSessionPerUser', 1), dword('TSUserEnabled', 0)],
    [
      key('WinStations', [], [
        key('RDP-Tcp', [
          dword('PortNumber', 3389),
          dword('SecurityLayer', 1),
          dword('UserAuthentication', 0),
          dword('MinEncryptionLevel', 2),
          dword('fPromptForPassword', 0),
          sz('LoadableProtocol_Object', '{5828227c-20cf-4408-b73f-73ab70b8849f}'),
        ], [], { lastWritten: CAPTURED }),
      ]),
    ],
    { lastWritten: CAPTURED },
  );
  const lsa = key(
    'Lsa',
    [dword('LmCompatibilityLevel', 5), dword('NoLmHash', 1), dword('LimitBlankPasswordUse', 1), multiSz('Security Packages', ['""'])],
    [key('Kerberos', [], [key('Parameters', [dword('MaxTokenSize', 12000)])])],
  );
  const control = key('Control', [], [
    key('ComputerName', [], [key('ComputerName', [sz('ComputerName', 'SAMPLE-IMAGE')])]),
    lsa,
    terminalServer,
  ]);
  const services = key(
    'Services',
    [],
    [
      key('TermService', [
        sz('DisplayName', '@%SystemRoot%\\System32\\termsrv.dll,-268'),
        expandSz('ImagePath', '%SystemRoot%\\System32\\svchost.exe -k NetworkService'),
        sz('ObjectName', 'NT Authority\\NetworkService'),
        dword('Start', 3),
        dword('Type', 0x20),
        dword('ErrorControl', 1),
        multiSz('DependOnService', ['RPCSS']),
      ], [key('Parameters', [expandSz('ServiceDll', '%SystemRoot%\\System32\\termsrv.dll')])]),
      key('UmRdpService', [
        expandSz('ImagePath', '%SystemRoot%\\System32\\svchost.exe -k LocalSystemNetworkRestricted'),
        sz('ObjectName', 'localSystem'),
        dword('Start', 3),
        dword('Type', 0x20),
      ]),
    ],
    { security: SERVICES_SD },
  );
  return {
    name: 'ROOT',
    security: SYSTEM_ROOT_SD,
    lastWritten: CAPTURED,
    subkeys: [
      key('ControlSet001', [], [control, services], { security: SYSTEM_CHILD_SD }),
      key('Select', [dword('Current', 1), dword('Default', 1), dword('Failed', 0), dword('LastKnownGood', 1)], [], { security: SYSTEM_CHILD_SD }),
      key('Setup', [dword('SystemSetupInProgress', 0), sz('CmdLine', 'setup -newSetup')], [], { security: SYSTEM_CHILD_SD }),
    ],
  };
}

function softwareHive(): WriterKey {
  const certificates = key('Certificates', [], [], { security: RDP_CERTIFICATES_SD, lastWritten: CAPTURED });
  const microsoft = key('Microsoft', [], [
    key('SystemCertificates', [], [
      key('Remote Desktop', [], [certificates]),
      key('ROOT', [], [key('Certificates')]),
    ]),
    key('Windows NT', [], [
      key('CurrentVersion', [
        sz('ProductName', 'Windows Server 2022 Datacenter'),
        sz('EditionID', 'ServerDatacenter'),
        sz('InstallationType', 'Server'),
        sz('CurrentBuild', '20348'),
        dword('UBR', 2461),
        sz('DisplayVersion', '21H2'),
      ]),
    ]),
  ]);
  const policies = key('Policies', [], [
    key('Microsoft', [], [key('Windows NT', [], [key('Terminal Services', [dword('fPromptForPassword', 1), dword('DisablePasswordSaving', 1)])])]),
  ]);
  return {
    name: 'ROOT',
    security: SOFTWARE_ROOT_SD,
    lastWritten: CAPTURED,
    subkeys: [
      { ...microsoft, security: SOFTWARE_CHILD_SD },
      { ...policies, security: SOFTWARE_CHILD_SD },
    ],
  };
}

/** The two hive files of the sample image, as bytes. */
export function buildSampleImage(): { SYSTEM: Uint8Array; SOFTWARE: Uint8Array } {
  return { SYSTEM: writeHive(systemHive()), SOFTWARE: writeHive(softwareHive()) };
}

/** Where the hives go below an image root, as on a Windows volume. */
export const CONFIG_DIR = join('Windows', 'System32', 'config');

function main(argv: string[]): void {
  const at = argv.indexOf('--out');
  const root = resolve(at >= 0 && argv[at + 1] ? argv[at + 1]! : join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'image'));
  const dir = join(root, CONFIG_DIR);
  mkdirSync(dir, { recursive: true });
  const hives = buildSampleImage();
  for (const [name, bytes] of Object.entries(hives)) {
    writeFileSync(join(dir, name), bytes);
    process.stdout.write(`wrote ${join(dir, name)} (${bytes.length} bytes)\n`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
