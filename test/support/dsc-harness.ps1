# Differential-test harness: loads the built DriftscanDsc module, replaces its seam with a fake
# backed by JSON machine state, and for every case runs the resource's Test() and Get(), then for
# settable cases Set() and Test() again. One pwsh process for all cases (start-up costs a second).
# With -RealReader the seam is left as shipped: the module reads through its own Reader.ps1, whose
# Open-DriftscanKey the test has replaced with a fake registry (test/support/pwsh.ts).
param(
  [Parameter(Mandatory)] [string]$ModuleManifest,
  [Parameter(Mandatory)] [string]$CasesFile,
  [Parameter(Mandatory)] [string]$OutFile,
  [switch]$RealReader
)
$ErrorActionPreference = 'Stop'
$module = Import-Module $ModuleManifest -PassThru -Force
$cases = [System.IO.File]::ReadAllText($CasesFile) | ConvertFrom-Json -AsHashtable -DateKind String -Depth 100
# ConvertFrom-Json turns lone surrogates into U+FFFD, so the test sends strings holding one as
# @{ utf16 = '<hex code units>' }; rebuild them.
function Restore-Strings($Node) {
  if ($Node -is [System.Collections.IDictionary]) {
    if ($Node.Count -eq 1 -and $Node.Contains('utf16')) {
      $hex = [string]$Node['utf16']
      return -join (0..($hex.Length / 4 - 1) | Where-Object { $hex.Length -gt 0 } | ForEach-Object { [char][Convert]::ToUInt16($hex.Substring(4 * $_, 4), 16) })
    }
    foreach ($k in @($Node.Keys)) { $Node[$k] = Restore-Strings $Node[$k] }
    return $Node
  }
  if ($Node -is [System.Collections.IList] -and $Node -isnot [string]) {
    $out = [object[]]::new($Node.Count)
    for ($i = 0; $i -lt $Node.Count; $i++) { $out[$i] = Restore-Strings $Node[$i] }
    return , $out
  }
  return $Node
}
$cases = Restore-Strings $cases

$results = & $module {
  param($Cases, [bool]$RealReader)
  # The fake seam: key records by folded path, service records by folded name. Writes change them
  # the way the Windows implementation changes the machine.
  $script:StateKeys = $null
  $script:StateServices = $null
  $keyOf = { param($Path) $Path.ToUpperInvariant() }
  function script:Get-StateKey([string]$Path) {
    $k = $script:StateKeys[$Path.ToUpperInvariant()]
    if ($null -eq $k) { $k = [ordered]@{ path = $Path; exists = $false; values = @() }; $script:StateKeys[$Path.ToUpperInvariant()] = $k }
    return $k
  }
  function script:Set-StateValue([string]$Path, [string]$Name, [string]$Kind, $Data) {
    $k = Get-StateKey $Path
    $k.exists = $true
    $k.values = @(@($k.values) | Where-Object { $null -ne $_ -and -not [string]::Equals($_.name, $Name, [StringComparison]::OrdinalIgnoreCase) }) + @([ordered]@{ name = $Name; kind = $Kind; data = $Data })
  }
  if (-not $RealReader) { $script:DsSeam = @{
    ReadKey = { param($Path, $ValueNames, $Acl) $k = $script:StateKeys[$Path.ToUpperInvariant()]; if ($null -eq $k) { return [ordered]@{ path = $Path; exists = $false } }; return $k }
    # The key's record (or "does not exist") and every recorded key below it, in recorded order: the
    # cases hold subtrees as the collector records them (parents before children, with subkey lists).
    ReadKeyTree = {
      param($Path, $ValueNames, $Acl, $Subtree)
      $prefix = $Path.ToUpperInvariant()
      $own = $script:StateKeys[$prefix]
      if ($null -eq $own) { [ordered]@{ path = $Path; exists = $false } } else { $own }
      foreach ($k in @($script:StateKeys.Keys)) { if ($k.StartsWith("$prefix\", [StringComparison]::Ordinal)) { $script:StateKeys[$k] } }
    }
    ReadService = { param($Name) $s = $script:StateServices[$Name.ToUpperInvariant()]; if ($null -eq $s) { return [ordered]@{ name = $Name; exists = $false } }; return $s }
    SetValue = { param($Path, $Name, $Kind, $Data) Set-StateValue $Path $Name $Kind $Data }
    RemoveValue = { param($Path, $Name) $k = Get-StateKey $Path; $k.values = @(@($k.values) | Where-Object { $null -ne $_ -and -not [string]::Equals($_.name, $Name, [StringComparison]::OrdinalIgnoreCase) }) }
    # A new key inherits its parent's ACL on Windows; the fake gives it a typical inherited one.
    NewKey = { param($Path) $k = Get-StateKey $Path; $k.exists = $true; if (-not $k.Contains('sddl')) { $k.sddl = 'O:BAD:AI(A;CIID;KA;;;SY)(A;CIID;KA;;;BA)(A;CIID;KR;;;BU)' } }
    RemoveKey = {
      param($Path)
      $prefix = $Path.ToUpperInvariant()
      foreach ($k in @($script:StateKeys.Keys)) {
        if ($k -ceq $prefix -or $k.StartsWith("$prefix\", [StringComparison]::Ordinal)) { $script:StateKeys[$k].exists = $false; $script:StateKeys[$k].values = @(); $script:StateKeys[$k].Remove('sddl') }
      }
    }
    SetSddl = { param($Path, $Sddl) (Get-StateKey $Path).sddl = $Sddl }
    SetServiceStartup = {
      param($Name, $StartupType)
      $path = "HKLM\SYSTEM\CurrentControlSet\Services\$Name"
      $start = @{ Boot = 0; System = 1; Automatic = 2; AutomaticDelayedStart = 2; Manual = 3; Disabled = 4 }[$StartupType]
      Set-StateValue $path 'Start' 'DWord' ([uint32]$start)
      Set-StateValue $path 'DelayedAutostart' 'DWord' ([uint32]$(if ($StartupType -ceq 'AutomaticDelayedStart') { 1 } else { 0 }))
    }
    SetServiceAccount = { param($Name, $Account) Set-StateValue "HKLM\SYSTEM\CurrentControlSet\Services\$Name" 'ObjectName' 'String' $Account }
    SetServiceState = {
      param($Name, $State)
      $s = $script:StateServices[$Name.ToUpperInvariant()]
      if ($null -eq $s) { $s = [ordered]@{ name = $Name }; $script:StateServices[$Name.ToUpperInvariant()] = $s }
      $s.exists = $true; $s.state = $State
    }
    RemoveService = {
      param($Name)
      & $script:DsSeam.RemoveKey "HKLM\SYSTEM\CurrentControlSet\Services\$Name"
      $script:StateServices[$Name.ToUpperInvariant()] = [ordered]@{ name = $Name; exists = $false }
    }
  } }
  foreach ($case in $Cases) {
    $script:StateKeys = [System.Collections.Generic.Dictionary[string, object]]::new([StringComparer]::Ordinal)
    $script:StateServices = [System.Collections.Generic.Dictionary[string, object]]::new([StringComparer]::Ordinal)
    foreach ($k in @($case.state.keys)) { $script:StateKeys[$k.path.ToUpperInvariant()] = $k }
    foreach ($s in @($case.state.services)) { $script:StateServices[$s.name.ToUpperInvariant()] = $s }
    $out = [ordered]@{}
    try {
      $r = New-Object -TypeName $case.className
      foreach ($p in $case.properties.Keys) { $r.$p = $case.properties[$p] }
      $out.test = $r.Test()
      $reasons = @($r.Get().Reasons)
      $out.reasons = @($reasons | ForEach-Object { [ordered]@{ code = $_.Code; phrase = $_.Phrase } })
      if ($case.set) {
        try {
          $r.Set()
          $out.afterSet = $r.Test()
          $out.afterSetPhrase = @($r.Get().Reasons)[0].Phrase
          $out.stateAfterSet = [ordered]@{ keys = @($script:StateKeys.Values); services = @($script:StateServices.Values) }
        } catch { $out.setError = "$($_.Exception.Message) at $($_.InvocationInfo.PositionMessage)" }
      }
    } catch {
      $out.error = "$($_.Exception.Message) at $($_.InvocationInfo.PositionMessage)"
    }
    $out
  }
} $cases $RealReader.IsPresent

$json = ConvertTo-Json -InputObject @($results) -Depth 20 -Compress -EscapeHandling EscapeNonAscii
[System.IO.File]::WriteAllText($OutFile, $json, [System.Text.UTF8Encoding]::new($false))
