/**
 * Generates the PowerShell collector: a dependency-free script (Windows PowerShell 5.1 and
 * PowerShell 7) that reads exactly the referenced keys, values, key ACLs, subtrees (with each
 * key's subkey names) and services and writes a `driftscan-snapshot/v1` JSON file
 * (docs/snapshot-format.md).
 *
 * The reading itself is dsc/DriftscanDsc/Reader.ps1, embedded verbatim: the DriftscanDsc module
 * reads machines with the same code (why it reads the way it does is explained there).
 * `ConvertTo-Json -InputObject … -Depth 10` over flat objects because the default depth of 2
 * flattens nested data into type names.
 *
 * Every name from a baseline enters the script only as a single-quoted literal (quote characters,
 * including the typographic ones PowerShell also accepts, doubled; control and non-ASCII
 * characters as `[char]` casts), so no path or value name can run code and the script is ASCII.
 */
import { VERSION } from '../../core/version.js';
import { readEngineSources } from '../../io/engine-sources.js';
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
  // mergeReferences dedupes and normalises paths to the short HKLM\… form the reader (Open-DriftscanKey) expects.
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
    // One reading code, two uses: the same Reader.ps1 the DriftscanDsc module reads the machine with.
    READER_BEGIN,
    ...readEngineSources().reader.replace(/\r\n?/g, '\n').trimEnd().split('\n'),
    READER_END,
    '',
    ...BODY.split('\n'),
  ];
  return lines.join('\r\n') + '\r\n';
}

/** The lines around the embedded reader (dsc/DriftscanDsc/Reader.ps1), so a test can find it in the script. */
export const READER_BEGIN = '# --- Reader.ps1 (shared with the DriftscanDsc module) ---';
export const READER_END = '# --- end of Reader.ps1 ---';

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

$KeyRecords = New-Object System.Collections.Generic.List[object]
foreach ($k in $Keys) {
  $subtree = if ($k.ContainsKey('Subtree')) { $k.Subtree } else { $null }
  # The key's record, then (for a subtree) the records below it, parents before children.
  foreach ($record in @(Read-DriftscanKey -Path $k.Path -ValueNames $k.ValueNames -AllValues:($null -eq $k.ValueNames) -Acl $k.Acl -Subtree $subtree)) { $KeyRecords.Add($record) }
}

$ServiceRecords = New-Object System.Collections.Generic.List[object]
foreach ($name in $Services) { $ServiceRecords.Add((Read-DriftscanService -Name $name)) }

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
