# userRight (src/rules/user-right/): which accounts hold a user right or privilege (User Rights
# Assignment). LSA keeps the assignment under HKLM\SECURITY\Policy\Accounts\<SID>\ -- subkeys Sid
# (the binary SID), ActSysAc (logon rights as flags) and Privilgs (privileges as a PRIVILEGE_SET),
# each in its default value. Machine Configuration runs resources as LocalSystem, which may read
# HKLM\SECURITY, so the resource reads that subtree through the shared reader exactly as the
# collector does (two levels, default values, subkey lists) and judges it as the TypeScript kind
# does. The MOF carries the right (its store and flag or LUID), the accounts as SIDs and the
# rule's own description as Expected, so only the machine side is worded on the machine.
#
# Audit only. Rights are granted through LSA (LsaAddAccountRights/LsaRemoveAccountRights), which
# owns this data, and Group Policy re-applies its own User Rights Assignment over local changes;
# driftscan compile refuses the kind for ApplyAndMonitor/ApplyAndAutoCorrect, and Set() refuses too.

class DriftscanUserRightReason {
  [DscProperty()] [string] $Code
  [DscProperty()] [string] $Phrase
}

[DscResource()]
class DriftscanUserRight {
  [DscProperty(Key)] [string] $RuleId
  [DscProperty(Mandatory)] [string] $Baseline
  # The constant name, and where LSA keeps the right for an account: Store ActSysAc with the right's
  # Flag, or Store Privilgs with its LUID (the low part; well-known privileges have high part 0).
  [DscProperty(Mandatory)] [string] $Right
  [DscProperty(Mandatory)] [ValidateSet('ActSysAc', 'Privilgs')] [string] $Store
  [DscProperty()] [uint32] $Flag
  [DscProperty()] [uint32] $Luid
  # Canonical SIDs: accounts that must hold the right (with Exactly: the only ones that may), and
  # accounts that must not.
  [DscProperty()] [string[]] $Includes
  [DscProperty()] [string[]] $Excludes
  [DscProperty()] [bool] $Exactly
  [DscProperty(Mandatory)] [string] $Expected
  [DscProperty(NotConfigurable)] [DriftscanUserRightReason[]] $Reasons

  [DriftscanUserRight] Get() {
    $v = Invoke-DsUserRight $this
    $this.Reasons = @([DriftscanUserRightReason]@{ Code = (Get-DsReasonCode $this.Baseline 'userRight' $this.RuleId); Phrase = $v.Message })
    return $this
  }

  [bool] Test() { return (Invoke-DsUserRight $this).Status -ceq 'pass' }

  [void] Set() {
    throw "userRight rule $($this.RuleId) cannot be applied: user rights are granted through LSA (LsaAddAccountRights), not written to HKLM\SECURITY, and Group Policy re-applies its own assignment; assign the rule as Audit"
  }
}

$script:DsAccountsPath = 'HKLM\SECURITY\Policy\Accounts'

# decodeSystemAccess: ActSysAc, one little-endian 32-bit word.
function ConvertFrom-DsSystemAccess([byte[]]$Bytes) {
  if ($Bytes.Length -ne 4) { throw "system access flags are $($Bytes.Length) bytes; expected 4" }
  return [uint64]$Bytes[0] + 256 * [uint64]$Bytes[1] + 65536 * [uint64]$Bytes[2] + 16777216 * [uint64]$Bytes[3]
}

# decodePrivilegeSet: Privilgs, a PRIVILEGE_SET (count, control, then count 12-byte LUID_AND_ATTRIBUTES);
# outputs @{ Low; High } per privilege.
function ConvertFrom-DsPrivilegeSet([byte[]]$Bytes) {
  if ($Bytes.Length -lt 8) { throw "privilege set is $($Bytes.Length) bytes, shorter than its 8-byte header" }
  $u32 = { param($At) [uint64]$Bytes[$At] + 256 * [uint64]$Bytes[$At + 1] + 65536 * [uint64]$Bytes[$At + 2] + 16777216 * [uint64]$Bytes[$At + 3] }
  $count = & $u32 0
  $size = 8 + 12 * $count
  if ([uint64]$Bytes.Length -ne $size) {
    throw "privilege set at byte 0x0 says $count privilege$(if ($count -eq 1) { '' } else { 's' }) ($size bytes) but holds $($Bytes.Length) bytes"
  }
  for ($i = 0; $i -lt $count; $i++) {
    $at = 8 + 12 * $i
    @{ Low = (& $u32 $at); High = (& $u32 ($at + 4)) }
  }
}

# The default value of an account's subkey as raw bytes: @{ Bytes } ($null when the subkey is absent)
# or @{ Unknown = reason }. LSA writes REG_NONE; binary and DWORD/QWORD data count as their bytes,
# strings are damage (encodeValue, defaultBytes).
function Get-DsDefaultBytes($Tree, [string]$Path, [string]$Where) {
  $key = Get-DsTreeKey $Tree $Path
  if ($key.Status -ceq 'unknown') { return @{ Unknown = $key.Reason } }
  if ($key.Status -ceq 'absent') { return @{ Bytes = $null } }
  $value = Get-DsKeyValue $key ''
  if ($null -eq $value) { throw "${Where}: the key has no default value, where LSA keeps its data" }
  switch -CaseSensitive ($value.Type) {
    'DWord' { $n = [uint64]$value.Data; $bytes = [byte[]]@(0..3 | ForEach-Object { [byte](($n -shr (8 * $_)) -band 0xff) }) }
    'QWord' { $n = [uint64]$value.Data; $bytes = [byte[]]@(0..7 | ForEach-Object { [byte](($n -shr (8 * $_)) -band 0xff) }) }
    'Binary' { $bytes = [byte[]]$value.Data }
    'Other' { $bytes = [byte[]]$value.Data }
    default { throw "${Where}: default value is a $(Get-DsTypeWords $value), not binary data" }
  }
  if ($null -eq $bytes) { $bytes = [byte[]]::new(0) }
  return @{ Bytes = $bytes }
}

# checkStoredSid: the binary SID must name the account its key is named after.
function Test-DsStoredSid([byte[]]$Bytes, [string]$Sid, [string]$Where) {
  try { $stored = Read-DsBinarySid $Bytes 0 }
  catch { throw "${Where}: default value: $($_.Exception.Message)" }
  if ($stored.Length -ne $Bytes.Length) { throw "${Where}: default value is $($Bytes.Length) bytes; the SID in it takes $($stored.Length)" }
  if ($stored.Sid -cne $Sid) { throw "${Where}: default value holds SID $($stored.Sid), but the account key is named $Sid" }
}

# readHolders: the SIDs holding the right, sorted as driftscan sorts them (upper-cased, ordinal), as
# @{ Sids } or @{ Unknown = reason }. Damaged data throws, naming the key.
function Get-DsRightHolders($R) {
  $tree = New-DsKeyTree (Read-DsKeyTree $script:DsAccountsPath @() $false @{ Depth = 2; ValueNames = @(''); Acl = $false })
  $accounts = Get-DsTreeKey $tree $script:DsAccountsPath
  if ($accounts.Status -ceq 'unknown') { return @{ Unknown = $accounts.Reason } }
  $sids = [System.Collections.Generic.List[string]]::new()
  # No Accounts key: no account holds any right.
  if ($accounts.Status -ceq 'absent') { return @{ Sids = $sids } }
  if ($null -eq $accounts.Record.subkeys) { return @{ Unknown = "no subkey list for $($accounts.Path)" } }
  foreach ($name in @($accounts.Record.subkeys)) {
    $where = "$($accounts.Path)\$name"
    $sid = ConvertTo-DsCanonicalSid $name
    if ($null -eq $sid) { throw "${where}: account key name is not a SID" }
    $stored = Get-DsDefaultBytes $tree "$($script:DsAccountsPath)\$name\Sid" "$where\Sid"
    if ($stored.ContainsKey('Unknown')) { return $stored }
    if ($null -ne $stored.Bytes) { Test-DsStoredSid $stored.Bytes $sid "$where\Sid" }
    $data = Get-DsDefaultBytes $tree "$($script:DsAccountsPath)\$name\$($R.Store)" "$where\$($R.Store)"
    if ($data.ContainsKey('Unknown')) { return $data }
    if ($null -eq $data.Bytes) { continue }
    try {
      if ($R.Store -ceq 'ActSysAc') { $holds = ((ConvertFrom-DsSystemAccess $data.Bytes) -band [uint64]$R.Flag) -ne 0 }
      else {
        $holds = $false
        foreach ($p in @(ConvertFrom-DsPrivilegeSet $data.Bytes)) { if ($p.High -eq 0 -and $p.Low -eq [uint64]$R.Luid) { $holds = $true } }
      }
    } catch {
      throw "$where\$($R.Store): default value: $($_.Exception.Message)"
    }
    if ($holds) { $sids.Add($sid) }
  }
  $sids.Sort([Comparison[string]] { param($a, $b) [string]::CompareOrdinal($a.ToUpperInvariant(), $b.ToUpperInvariant()) })
  return @{ Sids = $sids }
}

function Invoke-DsUserRight($R) {
  return Invoke-DsEvaluation {
    if ($R.Store -ceq 'ActSysAc' -and $R.Flag -eq 0) { throw "the ActSysAc right $($R.Right) needs its Flag" }
    if ($R.Store -ceq 'Privilgs' -and $R.Luid -eq 0) { throw "the privilege $($R.Right) needs its Luid" }
    $holders = Get-DsRightHolders $R
    if ($holders.ContainsKey('Unknown')) { return New-DsVerdict 'skipped' $R.Expected 'unknown' $holders.Unknown }
    $sids = $holders.Sids
    $actual = if ($sids.Count -eq 0) { 'granted to nobody' } else { 'granted to ' + (@($sids | ForEach-Object { Format-DsSid $_ }) -join ', ') }
    $held = [System.Collections.Generic.HashSet[string]]::new([string[]]$sids.ToArray(), [StringComparer]::Ordinal)
    $includes = @($R.Includes | Where-Object { $null -ne $_ })
    $ok = @($includes | Where-Object { -not $held.Contains($_) }).Count -eq 0
    $ok = $ok -and @($R.Excludes | Where-Object { $null -ne $_ -and $held.Contains($_) }).Count -eq 0
    if ($R.Exactly) { $ok = $ok -and @($sids | Where-Object { $includes -cnotcontains $_ }).Count -eq 0 }
    return New-DsVerdict $(if ($ok) { 'pass' } else { 'fail' }) $R.Expected $actual
  }
}
