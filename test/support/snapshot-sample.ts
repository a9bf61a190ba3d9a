/** A snapshot as the collector writes it (PowerShell 5.1 ConvertTo-Json layout), one of every kind. */
export const SAMPLE_SNAPSHOT = {
  schema: 'driftscan-snapshot/v1',
  computerName: 'VM-WEB-01',
  collectedAt: '2026-11-24T20:49:14Z',
  collector: { version: '0.1.0', powershell: '5.1.20348.2849' },
  keys: [
    {
      path: 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService', exists: true, valuesRead: ['Start', 'ObjectName', 'DelayedAutostart'],
      values: [
        { name: 'Start', kind: 'DWord', data: 3 },
        { name: 'ObjectName', kind: 'String', data: 'NT Authority\\NetworkService' },
      ],
      sddl: 'O:SYG:SYD:AI(A;CIID;KR;;;BU)(A;CIID;KA;;;BA)(A;CIID;KA;;;SY)',
    },
    {
      path: 'HKLM\\SOFTWARE\\Sample', exists: true,
      values: [
        { name: '', kind: 'String', data: 'default' },
        { name: 'Path', kind: 'ExpandString', data: '%SystemRoot%\\system32' },
        { name: 'Multi', kind: 'MultiString', data: ['a', '', 'b'] },
        { name: 'Big', kind: 'DWord', data: 4294967295 },
        { name: 'Q', kind: 'QWord', data: '18446744073709551615' },
        { name: 'Bin', kind: 'Binary', data: '0aff' },
        { name: 'Nothing', kind: 'None', data: '' },
        { name: 'Weird', kind: 'Unknown', data: null },
      ],
    },
    { path: 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services', exists: false },
    { path: 'HKLM\\SECURITY\\Policy', exists: false, error: 'Requested registry access is not allowed.' },
    { path: 'HKLM\\SOFTWARE\\NoAcl', exists: true, values: [], sddlError: 'Attempted to perform an unauthorized operation.' },
  ],
  services: [
    { name: 'TermService', exists: true, state: 'Running', startType: 'Manual', startName: 'NT Authority\\NetworkService', delayedAutoStart: false },
    { name: 'Fax', exists: false },
  ],
};
