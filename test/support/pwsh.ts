/**
 * PowerShell 7 for tests (on PATH, or where `.ci/run` installs the .NET global tool), and the fake
 * registry the shared reader (dsc/DriftscanDsc/Reader.ps1) runs against on Linux, where
 * `Microsoft.Win32.Registry` throws "not supported on this platform": the reader's
 * `Open-DriftscanKey` is swapped for one that opens keys of a fake registry (a JSON description)
 * through stand-ins with the RegistryKey methods the reader calls, and `Get-CimInstance` for one
 * that answers `Win32_Service` queries from a list. Everything else — value conversion, subtree
 * walking, service records, JSON writing, error handling — runs as shipped, so the snapshot the
 * collector writes is what the real script would write for that registry.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEngineModule } from '../../src/dsc/engine-module.js';
import { readEngineSources } from '../../src/io/engine-sources.js';
import { VERSION } from '../../src/core/version.js';

let found: { path: string | undefined } | undefined;

/** `pwsh` on PATH, else the dotnet global tool location; undefined when neither runs. Probed once per process (pwsh starts slowly). */
export function findPwsh(): string | undefined {
  if (found) return found.path;
  found = { path: undefined };
  for (const candidate of ['pwsh', join(homedir(), '.dotnet', 'tools', 'pwsh')]) {
    if (candidate !== 'pwsh' && !existsSync(candidate)) continue;
    if (!spawnSync(candidate, ['-v']).error) {
      found.path = candidate;
      break;
    }
  }
  return found.path;
}

/** A skip reason for tests that need pwsh (`test(…, { skip: needPwsh() }, …)`), or false. */
export function needPwsh(): string | false {
  return findPwsh() ? false : 'pwsh (PowerShell 7) not on PATH, nor ~/.dotnet/tools/pwsh; skipping (.ci/run installs it)';
}

/** Runs `pwsh -NoProfile -NonInteractive -File script args…` (with `env` added to the environment); throws with stderr when it fails. */
export function runPwshFile(script: string, args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync(findPwsh()!, ['-NoProfile', '-NonInteractive', '-File', script, ...args], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, env: { ...process.env, ...env } });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`pwsh ${script} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Runs a PowerShell command; returns stdout. */
export function runPwsh(command: string): string {
  const r = spawnSync(findPwsh()!, ['-NoProfile', '-NonInteractive', '-Command', command], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`pwsh exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * Builds DriftscanDsc from the shipped sources into a temp folder; returns the .psd1 path. With
 * `fakeRegistry` the module's Reader.ps1 opens keys of the fake registry named by
 * `$env:DRIFTSCAN_FAKE_REGISTRY` (see `withFakeRegistry` and `fakeMachineFile`) instead of Windows'.
 */
export function writeEngineModule(options: { fakeRegistry?: boolean } = {}): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'driftscan-dsc-')), 'DriftscanDsc');
  mkdirSync(dir);
  const m = buildEngineModule(readEngineSources(), VERSION);
  for (const [name, data] of m.files) {
    writeFileSync(join(dir, name), options.fakeRegistry && name.endsWith('.psm1') ? withFakeRegistry(new TextDecoder().decode(data)) : data);
  }
  return join(dir, 'DriftscanDsc.psd1');
}

/** Writes the file the fake registry reads (`DRIFTSCAN_FAKE_REGISTRY`) into `dir`; returns its path. */
export function fakeMachineFile(dir: string, registry: FakeRegistry, services: FakeServices = {}): string {
  const file = join(dir, 'registry.json');
  writeFileSync(file, JSON.stringify({ registry, services }));
  return file;
}

/** The module provider `driftscan compile` uses: DriftscanDsc built from the shipped sources. */
export function engineModules(needed: readonly { name: string; version: string }[]) {
  return needed.map(() => buildEngineModule(readEngineSources(), VERSION));
}

/** Parses a script with PowerShell's own parser; returns the syntax errors (empty = valid). */
export function pwshParseErrors(script: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-pwsh-'));
  try {
    const file = join(dir, 'collect.ps1');
    writeFileSync(file, script);
    const r = spawnSync(findPwsh()!, ['-NoProfile', '-NonInteractive', '-Command',
      `$e = $null; [void][System.Management.Automation.Language.Parser]::ParseFile('${file}', [ref]$null, [ref]$e); $e | ForEach-Object { "$($_.Extent.StartLineNumber): $($_.Message)" }`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`pwsh failed: ${r.stderr}`);
    return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A value as the registry API hands it to the script, in .NET `RegistryValueKind` terms. */
export type FakeValue =
  | { name: string; kind: 'String' | 'ExpandString'; data: string }
  | { name: string; kind: 'MultiString'; data: string[] }
  | { name: string; kind: 'DWord'; data: number }
  /** Decimal string (exact beyond 2^53). */
  | { name: string; kind: 'QWord'; data: string }
  /** Hex; `None` is REG_NONE, `Unknown` a type .NET has no name for. */
  | { name: string; kind: 'Binary' | 'None' | 'Unknown'; data: string };

export interface FakeKey {
  values?: FakeValue[];
  /** Opening this key (or anything below it) throws SecurityException with this message. */
  denied?: string;
  sddl?: string;
  /** GetAccessControl throws UnauthorizedAccessException with this message. */
  aclDenied?: string;
}

/** Full key path (`HKLM\SOFTWARE\A`, compared case-insensitively) → key. Parents are implied by their children. */
export type FakeRegistry = Record<string, FakeKey>;

/** A service as `Get-CimInstance Win32_Service` reports it (WMI spelling: `State` 'Start Pending'), or a query that fails. */
export type FakeService =
  | { State: string; StartMode: string; StartName: string | null; DelayedAutoStart?: boolean }
  | { error: string };

/** Service name (compared case-insensitively, as WQL does) → service; services not listed do not exist. */
export type FakeServices = Record<string, FakeService>;

/** What replaces the reader's `Open-DriftscanKey`: the fake registry, stand-in keys and a stand-in `Get-CimInstance`. */
const FAKE_OPEN_KEY = String.raw`# --- test stand-in (test/support/pwsh.ts): a fake registry instead of Microsoft.Win32.Registry ---
$FakeKeys = New-Object 'System.Collections.Generic.Dictionary[string,object]' ([System.StringComparer]::OrdinalIgnoreCase)
$FakeChildren = New-Object 'System.Collections.Generic.Dictionary[string,object]' ([System.StringComparer]::OrdinalIgnoreCase)
$fakeMachine = Get-Content -Raw -LiteralPath $env:DRIFTSCAN_FAKE_REGISTRY | ConvertFrom-Json -AsHashtable
$fakeJson = $fakeMachine['registry']
$FakeServices = New-Object 'System.Collections.Generic.Dictionary[string,object]' ([System.StringComparer]::OrdinalIgnoreCase)
foreach ($n in $fakeMachine['services'].Keys) { $FakeServices[$n] = $fakeMachine['services'][$n] }
# Answers the reader's one query, Win32_Service by Name='<name with \ and ' escaped>', as WMI would.
function Get-CimInstance([string]$ClassName, [string]$Filter) {
  if ($ClassName -ne 'Win32_Service' -or $Filter -notmatch "^Name='((?:[^\\']|\\.)*)'$") { throw "fake Get-CimInstance: unexpected query $ClassName $Filter" }
  $name = $Matches[1] -replace '\\(.)', '$1'
  if (-not $FakeServices.ContainsKey($name)) { return $null }
  $s = $FakeServices[$name]
  if ($s.ContainsKey('error')) { throw (New-Object System.InvalidOperationException $s['error']) }
  return [pscustomobject]$s
}
function Get-FakeField($Node, [string]$Field) { if ($null -ne $Node -and $Node.ContainsKey($Field)) { return $Node[$Field] } return $null }
function Add-FakeKey([string]$Path, $Node) {
  if (-not $FakeKeys.ContainsKey($Path)) {
    $FakeKeys[$Path] = $Node
    $FakeChildren[$Path] = New-Object System.Collections.Generic.List[string]
  } elseif ($null -ne $Node) { $FakeKeys[$Path] = $Node }
  $parts = $Path -split '\\'
  if ($parts.Count -gt 1) {
    $parent = ($parts[0..($parts.Count - 2)]) -join '\'
    Add-FakeKey $parent $null
    if (-not $FakeChildren[$parent].Contains($parts[-1])) { $FakeChildren[$parent].Add($parts[-1]) }
  }
}
foreach ($p in $fakeJson.Keys) {
  # Values by name (case-insensitive) and in order, so the stand-in itself stays linear in the number of values.
  $node = $fakeJson[$p]
  $byName = New-Object 'System.Collections.Generic.Dictionary[string,object]' ([System.StringComparer]::OrdinalIgnoreCase)
  $names = New-Object System.Collections.Generic.List[string]
  foreach ($v in @(Get-FakeField $node 'values')) { if ($null -ne $v) { $byName[$v['name']] = $v; $names.Add($v['name']) } }
  $node['byName'] = $byName
  $node['names'] = $names.ToArray()
  Add-FakeKey $p $node
}
function New-FakeKey([string]$Path) {
  $denied = Get-FakeField $FakeKeys[$Path] 'denied'
  if ($null -ne $denied) { throw (New-Object System.Security.SecurityException $denied) }
  $key = [pscustomobject]@{ FakePath = $Path; FakeNode = $FakeKeys[$Path] }
  $key | Add-Member ScriptMethod GetValueNames { $n = Get-FakeField $this.FakeNode 'names'; if ($null -eq $n) { $n = [string[]]@() }; ,([string[]]$n) }
  $key | Add-Member ScriptMethod GetSubKeyNames { ,([string[]]@($FakeChildren[$this.FakePath])) }
  $key | Add-Member ScriptMethod Close { }
  $key | Add-Member ScriptMethod OpenSubKey {
    param([string]$Name, [bool]$Writable)
    $child = "$($this.FakePath)\$Name"
    if (-not $FakeKeys.ContainsKey($child)) { return $null }
    return New-FakeKey $child
  }
  $key | Add-Member ScriptMethod FakeValue {
    param([string]$Name)
    $byName = Get-FakeField $this.FakeNode 'byName'
    if ($null -eq $byName -or -not $byName.ContainsKey($Name)) { throw (New-Object System.IO.IOException "no value $Name") }
    return $byName[$Name]
  }
  $key | Add-Member ScriptMethod GetValueKind { param([string]$Name) [Microsoft.Win32.RegistryValueKind]$this.FakeValue($Name)['kind'] }
  # What RegistryKey.GetValue returns per kind: DWORD as a signed Int32, QWORD as a signed Int64,
  # arrays as typed arrays (the leading comma stops PowerShell from unrolling them into object[]).
  $key | Add-Member ScriptMethod GetValue {
    param([string]$Name, $Default, $Options)
    $v = $this.FakeValue($Name)
    $d = $v['data']
    switch ($v['kind']) {
      'DWord' { return [System.BitConverter]::ToInt32([System.BitConverter]::GetBytes([uint32]$d), 0) }
      'QWord' { return [System.BitConverter]::ToInt64([System.BitConverter]::GetBytes([uint64]::Parse($d)), 0) }
      'MultiString' { return ,([string[]]@($d)) }
      { $_ -in 'Binary', 'None', 'Unknown' } { return ,([byte[]][System.Convert]::FromHexString($d)) }
      default { return [string]$d }
    }
  }
  $key | Add-Member ScriptMethod GetAccessControl {
    param($Sections)
    $refused = Get-FakeField $this.FakeNode 'aclDenied'
    if ($null -ne $refused) { throw (New-Object System.UnauthorizedAccessException $refused) }
    $acl = [pscustomobject]@{ Sddl = (Get-FakeField $this.FakeNode 'sddl') }
    $acl | Add-Member ScriptMethod GetSecurityDescriptorSddlForm { param($Sections) $this.Sddl }
    return $acl
  }
  return $key
}
function Open-DriftscanKey([string]$Path, [bool]$Writable) {
  $parts = $Path -split '\\'
  for ($i = 1; $i -le $parts.Count; $i++) {
    $p = ($parts[0..($i - 1)]) -join '\'
    $denied = Get-FakeField $FakeKeys[$p] 'denied'
    if ($FakeKeys.ContainsKey($p) -and $null -ne $denied) { throw (New-Object System.Security.SecurityException $denied) }
  }
  if ($parts.Count -eq 1 -or $FakeKeys.ContainsKey($Path)) { return New-FakeKey $Path }
  return $null
}
# --- end of test stand-in ---
`;

/**
 * The script (a generated collector, or anything embedding Reader.ps1) with the reader's
 * `Open-DriftscanKey` replaced by the fake; throws when the script does not have exactly one to replace.
 */
export function withFakeRegistry(script: string): string {
  const eol = script.includes('\r\n') ? '\r\n' : '\n';
  const open = new RegExp(`^function Open-DriftscanKey\\(\\[string\\]\\$Path, \\[bool\\]\\$Writable\\) \\{${eol}[\\s\\S]*?${eol}\\}${eol}`, 'm');
  const matches = script.match(new RegExp(open.source, 'gm')) ?? [];
  if (matches.length !== 1) throw new Error(`expected one Open-DriftscanKey function in the script, found ${matches.length}`);
  return script.replace(open, () => FAKE_OPEN_KEY.replace(/\r?\n/g, eol));
}

export interface CollectorRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `script` (a generated collector) under pwsh against `registry` (and `options.services`) with `-OutFile -`; stdout is the snapshot JSON. */
export function runCollector(script: string, registry: FakeRegistry, options: { timeoutMs?: number; services?: FakeServices } = {}): CollectorRun {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-pwsh-'));
  try {
    const file = join(dir, 'collect.ps1');
    writeFileSync(file, withFakeRegistry(script));
    const registryFile = fakeMachineFile(dir, registry, options.services);
    const r = spawnSync(findPwsh()!, ['-NoProfile', '-NonInteractive', '-File', file, '-OutFile', '-'], {
      encoding: 'utf8',
      env: { ...process.env, DRIFTSCAN_FAKE_REGISTRY: registryFile, COMPUTERNAME: 'FAKE-VM' },
      maxBuffer: 256 * 1024 * 1024,
      timeout: options.timeoutMs ?? 120_000,
    });
    if (r.error) throw r.error;
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
