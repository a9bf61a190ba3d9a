/**
 * Generates the PowerShell collector: a dependency-free script (Windows PowerShell 5.1 and
 * PowerShell 7) that reads exactly the referenced keys, values, key ACLs, subtrees (with each
 * key's subkey names) and services and writes a `driftscan-snapshot/v1` JSON file
 * (docs/snapshot-format.md).
 *
 * Why it reads the way it does (windows-formats.md §5): `OpenBaseKey(…, Registry64)` so a 32-bit
 * host is not redirected to Wow6432Node; `GetValue(…, DoNotExpandEnvironmentNames)` because
 * Get-ItemProperty expands REG_EXPAND_SZ; .NET returns DWORD as signed Int32 and QWORD as Int64,
 * so the script re-reads their bytes as unsigned (QWORD as a decimal string, exact beyond 2^53);
 * `ConvertTo-Json -InputObject … -Depth 10` over flat objects because the default depth of 2
 * flattens nested data into type names.
 *
 * Every name from a baseline enters the script only as a single-quoted literal (quote characters,
 * including the typographic ones PowerShell also accepts, doubled; control and non-ASCII
 * characters as `[char]` casts), so no path or value name can run code and the script is ASCII.
 */
import { VERSION } from '../../core/version.js';
import { mergeReferences, type KeyReference, type StateReferences } from '../references.js';
import { parseRegistryPath } from '../../windows/registry-path.js';
import { SYSTEM_ONLY_HIVES } from '../../windows/hives.js';

export interface CollectorOptions {
  /** Version recorded in the script and snapshot (default: this driftscan's). */
  version?: string;
}

/** The collector script text (CRLF line ends, as Windows editors and PowerShell 5.1 expect). */
export function generateCollector(refs: StateReferences, options: CollectorOptions = {}): string {
  const version = options.version ?? VERSION;
  // mergeReferences dedupes and normalises paths to the short HKLM\… form Open-Key expects.
  const { keys: paths, services } = mergeReferences(refs);

  const header = [
    '#Requires -Version 5.1',
    '<#',
    '.SYNOPSIS',
    `  driftscan collector (driftscan ${version}): writes a driftscan-snapshot/v1 JSON snapshot for`,
    '  `driftscan check --snapshot`. Read-only: it changes nothing on this machine.',
    '.DESCRIPTION',
    '  Run in 64-bit PowerShell as administrator (some keys deny even READ_CONTROL to others):',
    '    powershell -NoProfile -ExecutionPolicy Bypass -File collect.ps1 -OutFile snapshot.json',
    ...systemOnlyNote(paths),
    '  Reads (listed below as line comments):',
    '#>',
    ...paths.map((k) => `#   key ${commentText(k.path)}${describeReads(k)}`),
    ...services.map((s) => `#   service ${commentText(s)} (run state)`),
    ...(paths.length + services.length === 0 ? ['#   nothing (the baselines reference no keys or services)'] : []),
  ];

  const keyTable = paths.length === 0
    ? ['$Keys = @()']
    : [
        '$Keys = @(',
        ...paths.map((k, i) => {
          const subtree = k.subtree
            ? `; Subtree = @{ Depth = ${k.subtree.depth}; ValueNames = ${psNames(k.subtree.values)}; Acl = $${k.subtree.acl} }`
            : '';
          return `  @{ Path = ${psString(k.path)}; ValueNames = ${psNames(k.values)}; Acl = $${k.acl}${subtree} }${i < paths.length - 1 ? ',' : ''}`;
        }),
        ')',
      ];
  const serviceTable = services.length === 0 ? ['$Services = @()'] : ['$Services = @(', ...services.map((s, i) => `  ${psString(s)}${i < services.length - 1 ? ',' : ''}`), ')'];

  const lines = [
    ...header,
    '[CmdletBinding()]',
    'param(',
    "  # Where to write the snapshot; '-' writes it to standard output.",
    '  [string]$OutFile',
    ')',
    "Set-StrictMode -Version 2.0",
    "$ErrorActionPreference = 'Stop'",
    '',
    `$CollectorVersion = ${psString(version)}`,
    ...keyTable,
    ...serviceTable,
    '',
    ...BODY.split('\n'),
  ];
  return lines.join('\r\n') + '\r\n';
}

/** `$null` (every value) or `@('a', 'b')`. */
function psNames(values: string[] | 'all'): string {
  return values === 'all' ? '$null' : `@(${values.map(psString).join(', ')})`;
}

function describeValues(values: string[] | 'all'): string {
  return values === 'all' ? 'all values' : values.length === 0 ? 'existence' : `values ${values.map((v) => (v === '' ? '(default)' : commentText(v))).join(', ')}`;
}

function describeReads(k: KeyReference): string {
  const parts = [describeValues(k.values)];
  if (k.acl) parts.push('ACL (SDDL)');
  if (k.subtree) {
    const levels = k.subtree.depth === 1 ? 'its subkeys' : `subkeys ${k.subtree.depth} levels down`;
    const below = describeValues(k.subtree.values);
    parts.push(`${levels}, each with ${below === 'existence' ? 'its subkey names' : `${below} and its subkey names`}${k.subtree.acl ? ' and ACL' : ''}`);
  }
  return `: ${parts.join('; ')}`;
}

/** Keys under HKLM\SECURITY or HKLM\SAM need SYSTEM: an administrator's run records them as access denied. */
function systemOnlyNote(keys: readonly KeyReference[]): string[] {
  const hives = new Set<string>();
  for (const k of keys) {
    try {
      const p = parseRegistryPath(k.path);
      const hive = p.root === 'HKLM' ? p.segments[0]?.toUpperCase() : undefined;
      if (hive && (SYSTEM_ONLY_HIVES as readonly string[]).includes(hive)) hives.add(`HKLM\\${hive}`);
    } catch {
      // Rules validate their paths; an unparsable one is not under a SYSTEM-only hive.
    }
  }
  if (hives.size === 0) return [];
  return [
    `  It reads ${[...hives].join(' and ')}, which only SYSTEM can read: run it as SYSTEM (a scheduled task`,
    '  running as SYSTEM, or psexec -s) or those keys are recorded as access denied and their rules are skipped.',
  ];
}

/** PowerShell treats these as single quotes inside single-quoted strings too. */
const PS_QUOTES = /['\u2018\u2019\u201a\u201b]/g;
/**
 * Kept out of the script text: control characters (a .ps1 would mangle or split lines at them)
 * and everything non-ASCII, because Windows PowerShell 5.1 reads a BOM-less script as ANSI and
 * would turn `é` in a key name into `Ã©`. The script is pure ASCII whatever the names.
 */
const UNSAFE = /[^\x20-\x7e]/;

/**
 * A PowerShell expression for the exact string: a single-quoted literal with quotes doubled;
 * unsafe UTF-16 code units become `[string][char]0xNNNN` casts joined with `+`.
 */
export function psString(s: string): string {
  const literal = (run: string) => `'${run.replace(PS_QUOTES, (q) => q + q)}'`;
  if (!UNSAFE.test(s)) return literal(s);
  const parts: string[] = [];
  let run = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (UNSAFE.test(c)) {
      if (run) parts.push(literal(run));
      run = '';
      parts.push(`[string][char]0x${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    } else run += c;
  }
  if (run) parts.push(literal(run));
  return `(${parts.join(' + ')})`;
}

/** Text safe inside a `#` line comment: line breaks and non-ASCII shown as \uXXXX. */
function commentText(s: string): string {
  return s.replace(new RegExp(UNSAFE.source, 'g'), (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const BODY = String.raw`# Windows PowerShell 5.1 type data gives arrays a Count property that ConvertTo-Json writes as {"value":...,"Count":...}.
if ($PSVersionTable.PSVersion.Major -lt 6) { Remove-TypeData -TypeName System.Array -ErrorAction SilentlyContinue }

if (-not $OutFile) {
  $dir = if ($PSScriptRoot) { $PSScriptRoot } else { (Get-Location).ProviderPath }
  $OutFile = Join-Path $dir 'driftscan-snapshot.json'
}

$Hives = @{
  HKLM = [Microsoft.Win32.RegistryHive]::LocalMachine
  HKU  = [Microsoft.Win32.RegistryHive]::Users
  HKCU = [Microsoft.Win32.RegistryHive]::CurrentUser
  HKCR = [Microsoft.Win32.RegistryHive]::ClassesRoot
  HKCC = [Microsoft.Win32.RegistryHive]::CurrentConfig
}
$AclSections = [System.Security.AccessControl.AccessControlSections]'Access, Owner, Group'

# Opens a key in the 64-bit view; $null when it does not exist.
function Open-Key([string]$Path) {
  $root, $sub = $Path -split '\\', 2
  $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey($Hives[$root], [Microsoft.Win32.RegistryView]::Registry64)
  if (-not $sub) { return $base }
  return $base.OpenSubKey($sub, $false)
}

function ConvertTo-Hex($Bytes) {
  if ($Bytes -isnot [byte[]]) { return $null }
  return [System.BitConverter]::ToString($Bytes).Replace('-', '').ToLowerInvariant()
}

# One value as raw data: strings unexpanded, DWORD unsigned, QWORD as a decimal string, bytes as hex.
# $Key is untyped so the tests can run this script on Linux against a stand-in with RegistryKey's methods.
function Read-Value($Key, [string]$Name) {
  $kind = $Key.GetValueKind($Name)
  $raw = $Key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
  $data = $null
  switch ($kind.ToString()) {
    'String'       { $data = [string]$raw }
    'ExpandString' { $data = [string]$raw }
    'MultiString'  { $data = [string[]]@($raw) }
    'DWord' {
      if ($raw -is [int]) { $data = [System.BitConverter]::ToUInt32([System.BitConverter]::GetBytes([int]$raw), 0) }
      else { $kind = 'Unknown'; $data = $null }
    }
    'QWord' { $data = [System.BitConverter]::ToUInt64([System.BitConverter]::GetBytes([long]$raw), 0).ToString() }
    default { $data = ConvertTo-Hex $raw }
  }
  return [ordered]@{ name = $Name; kind = $kind.ToString(); data = $data }
}

# Reads an open key into $Record: the values named in $ValueNames ($null = every value), its ACL
# when $Acl, and its subkey names when $ListSubkeys.
function Read-KeyData($Record, $Key, $ValueNames, [bool]$Acl, [bool]$ListSubkeys) {
  $present = $Key.GetValueNames()
  $values = New-Object System.Collections.Generic.List[object]
  if ($null -eq $ValueNames) {
    foreach ($n in $present) { $values.Add((Read-Value $Key $n)) }
  } else {
    $Record.valuesRead = [string[]]@($ValueNames)
    # One case-insensitive map of the names present (name -> name as stored): looking each wanted
    # name up in the array instead costs present x wanted comparisons (issue #8).
    $stored = New-Object 'System.Collections.Generic.Dictionary[string,string]' ([System.StringComparer]::OrdinalIgnoreCase)
    foreach ($n in $present) { $stored[$n] = $n }
    foreach ($n in $ValueNames) { if ($stored.ContainsKey($n)) { $values.Add((Read-Value $Key $stored[$n])) } }
  }
  $Record.values = $values.ToArray()
  if ($ListSubkeys) { $Record.subkeys = [string[]]@($Key.GetSubKeyNames()) }
  if ($Acl) {
    try { $Record.sddl = $Key.GetAccessControl($AclSections).GetSecurityDescriptorSddlForm($AclSections) }
    catch { $Record.sddlError = $_.Exception.Message }
  }
}

# Records the subkeys listed in $Record (the record of the open key $Key), and theirs down to
# $Subtree.Depth levels, parents before children. A subkey that cannot be read is recorded with
# its error, and nothing below it is read.
function Read-Subtree([string]$Path, $Key, $Record, $Subtree, [int]$Level) {
  foreach ($name in $Record.subkeys) {
    $child = [ordered]@{ path = "$Path\$name"; exists = $true }
    $KeyRecords.Add($child)
    $sub = $null
    try {
      $sub = $Key.OpenSubKey($name, $false)
      if ($null -eq $sub) { $child.exists = $false } # deleted since it was listed
      else {
        Read-KeyData $child $sub $Subtree.ValueNames $Subtree.Acl $true
        if ($Level -lt $Subtree.Depth) { Read-Subtree $child.path $sub $child $Subtree ($Level + 1) }
      }
    } catch {
      $child.error = $_.Exception.Message
    } finally {
      if ($null -ne $sub) { $sub.Close() }
    }
  }
}

$KeyRecords = New-Object System.Collections.Generic.List[object]
foreach ($k in $Keys) {
  $record = [ordered]@{ path = $k.Path; exists = $false }
  $KeyRecords.Add($record)
  $subtree = if ($k.ContainsKey('Subtree')) { $k.Subtree } else { $null }
  $key = $null
  try {
    $key = Open-Key $k.Path
    if ($null -ne $key) {
      $record.exists = $true
      Read-KeyData $record $key $k.ValueNames $k.Acl ($null -ne $subtree)
      if ($null -ne $subtree) { Read-Subtree $k.Path $key $record $subtree 1 }
    }
  } catch {
    $record.error = $_.Exception.Message
  } finally {
    if ($null -ne $key) { $key.Close() }
  }
}

$ServiceRecords = New-Object System.Collections.Generic.List[object]
if ($Services.Count -gt 0) {
  $all = @{}
  $queryError = $null
  try { foreach ($s in Get-CimInstance -ClassName Win32_Service) { $all[$s.Name] = $s } }
  catch { $queryError = $_.Exception.Message }
  foreach ($name in $Services) {
    $record = [ordered]@{ name = $name; exists = $false }
    if ($queryError) { $record.error = $queryError }
    elseif ($all.ContainsKey($name)) {
      $s = $all[$name]
      $record.exists = $true
      # Win32_Service writes 'Start Pending'; the snapshot uses the ServiceControllerStatus spelling.
      $record.state = ([string]$s.State) -replace ' ', ''
      $record.startType = $s.StartMode
      $record.startName = $s.StartName
      if ($s.PSObject.Properties['DelayedAutoStart']) { $record.delayedAutoStart = $s.DelayedAutoStart }
    }
    $ServiceRecords.Add($record)
  }
}

$snapshot = [ordered]@{
  schema       = 'driftscan-snapshot/v1'
  computerName = $env:COMPUTERNAME
  collectedAt  = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ', [System.Globalization.CultureInfo]::InvariantCulture)
  collector    = [ordered]@{ version = $CollectorVersion; powershell = $PSVersionTable.PSVersion.ToString() }
  keys         = $KeyRecords.ToArray()
  services     = $ServiceRecords.ToArray()
}
$json = ConvertTo-Json -InputObject $snapshot -Depth 10
if ($OutFile -eq '-') {
  $json
} else {
  $target = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutFile)
  [System.IO.File]::WriteAllText($target, $json, (New-Object System.Text.UTF8Encoding $false))
  Write-Host "driftscan snapshot written to $target"
}`;
