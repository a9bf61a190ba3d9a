# registryAcl (src/rules/registry-acl.ts): a key's owner and DACL grant (or do not grant) the listed
# rights. Compared by SID after mapping generic rights to key rights; inherit-only ACEs count for
# subkeys, not for the key; a Deny on the same rights cancels an Allow; a NULL DACL grants everything.
# Entries arrive as `<SID>;<Allow|Deny>;<mask>;<appliesTo>`; Expected is the rule's own description.

class DriftscanRegistryAclReason {
  [DscProperty()] [string] $Code
  [DscProperty()] [string] $Phrase
}

[DscResource()]
class DriftscanRegistryAcl {
  [DscProperty(Key)] [string] $RuleId
  [DscProperty(Mandatory)] [string] $Baseline
  [DscProperty(Mandatory)] [string] $Path
  [DscProperty(Mandatory)] [string] $PathText
  [DscProperty(Mandatory)] [ValidateSet('Present', 'Absent')] [string] $Ensure
  [DscProperty()] [bool] $Exact
  [DscProperty()] [bool] $IncludeInherited
  [DscProperty()] [string[]] $Entries
  [DscProperty()] [string] $Owner
  [DscProperty(Mandatory)] [string] $Expected
  [DscProperty(NotConfigurable)] [DriftscanRegistryAclReason[]] $Reasons

  [DriftscanRegistryAcl] Get() {
    $v = Invoke-DsRegistryAcl $this
    $this.Reasons = @([DriftscanRegistryAclReason]@{ Code = (Get-DsReasonCode $this.Baseline 'registryAcl' $this.RuleId); Phrase = $v.Message })
    return $this
  }

  [bool] Test() { return (Invoke-DsRegistryAcl $this).Status -ceq 'pass' }

  [void] Set() { Set-DsRegistryAcl $this }
}

$script:DsAceTypeNames = @{
  0 = 'Allow'; 1 = 'Deny'; 2 = 'Audit'; 3 = 'Alarm'; 4 = 'AllowCompound'; 5 = 'AllowObject'; 6 = 'DenyObject'; 7 = 'AuditObject'; 8 = 'AlarmObject'
  9 = 'AllowCallback'; 10 = 'DenyCallback'; 11 = 'AllowCallbackObject'; 12 = 'DenyCallbackObject'; 13 = 'AuditCallback'; 14 = 'AlarmCallback'
  15 = 'AuditCallbackObject'; 16 = 'AlarmCallbackObject'; 17 = 'MandatoryLabel'; 18 = 'ResourceAttribute'; 19 = 'ScopedPolicyId'; 20 = 'ProcessTrustLabel'; 21 = 'AccessFilter'
}
function Get-DsAceTypeName([int]$Type) {
  if ($script:DsAceTypeNames.ContainsKey($Type)) { return $script:DsAceTypeNames[$Type] }
  return 'type 0x' + $Type.ToString('x', $script:DsInvariant)
}

function Test-DsAceAppliesToKey($Ace) { return ($Ace.Flags -band 8) -eq 0 }
function Test-DsAceReachesSubkeys($Ace) { return ($Ace.Flags -band 2) -ne 0 }

function Get-DsAclEntries($R) {
  foreach ($e in @($R.Entries)) {
    $f = $e.Split(';')
    @{ Sid = $f[0]; Type = $f[1]; Rights = [long]$f[2]; AppliesTo = $f[3] }
  }
}

# effective: rights an ACE list grants (or denies) a SID, on the key and for subkeys.
function Get-DsEffective($Aces, [string]$Sid, [string]$Type) {
  $code = if ($Type -ceq 'Allow') { 0 } else { 1 }
  $e = @{ ThisKey = 0L; Subkeys = 0L }
  foreach ($ace in $Aces) {
    if ($ace.Type -ne $code -or $ace.Sid -cne $Sid) { continue }
    $mask = Convert-DsGenericRights $ace.Mask
    if (Test-DsAceAppliesToKey $ace) { $e.ThisKey = $e.ThisKey -bor $mask }
    if (Test-DsAceReachesSubkeys $ace) { $e.Subkeys = $e.Subkeys -bor $mask }
  }
  return $e
}

function Test-DsHasRights([long]$Granted, [long]$Wanted) { return ($Granted -band $Wanted) -eq $Wanted }

function Get-DsScopeWords([string]$AppliesTo) {
  switch -CaseSensitive ($AppliesTo) { 'thisKeyAndSubkeys' { return ' on this key and subkeys' } 'subkeysOnly' { return ' on subkeys' } }
  return ''
}

# describeAces: the ACEs on the key itself in words; inherit-only ones counted.
function Format-DsAces($Aces) {
  $all = @($Aces)
  if ($all.Count -eq 0) { return 'none (empty DACL: nobody has access)' }
  $own = @($all | Where-Object { Test-DsAceAppliesToKey $_ })
  $parts = @($own | ForEach-Object { "$(Format-DsSid $_.Sid) $(Get-DsAceTypeName $_.Type) $(Format-DsRights (Convert-DsGenericRights $_.Mask))" })
  $inheritOnly = $all.Count - $own.Count
  $tail = if ($inheritOnly -gt 0) { " (+$inheritOnly inherit-only ACE$(if ($inheritOnly -ne 1) { 's' }) for subkeys)" } else { '' }
  $list = if ($parts.Count -gt 0) { $parts -join '; ' } else { 'none on the key itself' }
  return "$list$tail"
}

function Test-DsEntryHolds($Entry, $Aces) {
  $eff = Get-DsEffective $Aces $Entry.Sid $Entry.Type
  switch -CaseSensitive ($Entry.AppliesTo) {
    'thisKeyAndSubkeys' { return (Test-DsHasRights $eff.ThisKey $Entry.Rights) -and (Test-DsHasRights $eff.Subkeys $Entry.Rights) }
    'subkeysOnly' { return Test-DsHasRights $eff.Subkeys $Entry.Rights }
  }
  return Test-DsHasRights $eff.ThisKey $Entry.Rights
}

function Test-DsEntryGrantsAny($Entry, $Aces) {
  $eff = Get-DsEffective $Aces $Entry.Sid $Entry.Type
  $mask = switch -CaseSensitive ($Entry.AppliesTo) { 'subkeysOnly' { $eff.Subkeys } 'thisKeyAndSubkeys' { $eff.ThisKey -bor $eff.Subkeys } default { $eff.ThisKey } }
  return ($mask -band $Entry.Rights) -ne 0
}

# exactDifferences.
function Get-DsExactDifferences($R, $Entries, $Aces) {
  $considered = if ($R.IncludeInherited) { @($Aces) } else { @($Aces | Where-Object { ($_.Flags -band 16) -eq 0 }) }
  $diffs = [System.Collections.Generic.List[string]]::new()
  $seen = [System.Collections.Generic.HashSet[string]]::new([StringComparer]::Ordinal)
  foreach ($e in $Entries) {
    $k = "$($e.Sid)|$($e.Type)"
    if (-not $seen.Add($k)) { continue }
    $want = @{ ThisKey = 0L; Subkeys = 0L }
    $subkeysMatter = $false
    foreach ($x in @($Entries | Where-Object { $_.Sid -ceq $e.Sid -and $_.Type -ceq $e.Type })) {
      if ($x.AppliesTo -cne 'subkeysOnly') { $want.ThisKey = $want.ThisKey -bor $x.Rights }
      if ($x.AppliesTo -ceq 'subkeysOnly' -or $x.AppliesTo -ceq 'thisKeyAndSubkeys') { $want.Subkeys = $want.Subkeys -bor $x.Rights; $subkeysMatter = $true }
    }
    $got = Get-DsEffective $considered $e.Sid $e.Type
    if ($got.ThisKey -ne $want.ThisKey -or ($subkeysMatter -and $got.Subkeys -ne $want.Subkeys)) {
      $diffs.Add("$(Format-DsSid $e.Sid) $($e.Type) $(if ($got.ThisKey -ne 0) { Format-DsRights $got.ThisKey } else { 'nothing' })")
    }
  }
  foreach ($a in $considered) {
    $type = switch ($a.Type) { 0 { 'Allow' } 1 { 'Deny' } default { $null } }
    if ($null -eq $type -or -not $seen.Add("$($a.Sid)|$type")) { continue }
    $diffs.Add("unexpected $(Format-DsSid $a.Sid) $type $(Format-DsRights (Convert-DsGenericRights $a.Mask))")
  }
  return , $diffs.ToArray()
}

# judge.
function Get-DsAclVerdict($R, $Sd, [string]$Expected) {
  $entries = @(Get-DsAclEntries $R)
  $problems = [System.Collections.Generic.List[string]]::new()
  if ($R.Owner -and $Sd.Owner -cne $R.Owner) {
    $problems.Add("owner is $(if ($Sd.Owner) { Format-DsSid $Sd.Owner } else { 'not set' })")
  }
  if ($null -eq $Sd.Dacl) {
    if ($R.Ensure -ceq 'Absent') { $problems.Add('the key has a NULL DACL: everyone has full access') }
    elseif ($R.Exact) { $problems.Add('the key has a NULL DACL (no access control at all)') }
    elseif (@($entries | Where-Object { $_.Type -ceq 'Deny' }).Count -gt 0) { $problems.Add('the key has a NULL DACL: nothing is denied') }
    if ($problems.Count -gt 0) { return New-DsVerdict 'fail' $Expected ($problems -join '; ') }
    return New-DsVerdict 'pass' $Expected 'NULL DACL (everyone has full access)'
  }
  $aces = @($Sd.Dacl)
  if ($R.Exact) {
    foreach ($d in (Get-DsExactDifferences $R $entries $aces)) { $problems.Add($d) }
  } else {
    foreach ($e in $entries) {
      $what = "$($e.Type) ACE with $(Format-DsRights $e.Rights)$(Get-DsScopeWords $e.AppliesTo)"
      if ($R.Ensure -ceq 'Present' -and -not (Test-DsEntryHolds $e $aces)) { $problems.Add("$(Format-DsSid $e.Sid) has no $what") }
      if ($R.Ensure -ceq 'Absent' -and (Test-DsEntryGrantsAny $e $aces)) { $problems.Add("$(Format-DsSid $e.Sid) has an $what") }
    }
    if ($R.Ensure -ceq 'Present') {
      foreach ($e in @($entries | Where-Object { $_.Type -ceq 'Allow' })) {
        $denied = Get-DsEffective $aces $e.Sid 'Deny'
        if (($denied.ThisKey -band $e.Rights) -ne 0) { $problems.Add("$(Format-DsSid $e.Sid) is denied $(Format-DsRights ($denied.ThisKey -band $e.Rights))") }
      }
    }
  }
  if ($problems.Count -eq 0) { return New-DsVerdict 'pass' $Expected "ACEs present: $(Format-DsAces $aces)" }
  $actual = "$($problems -join '; '); ACEs present: $(Format-DsAces $aces)"
  return New-DsVerdict 'fail' $Expected $actual "expected $Expected; found $actual"
}

function Invoke-DsRegistryAcl($R) {
  return Invoke-DsEvaluation {
    $key = Get-DsKeyState $R.Path @() $true
    if ($key.Status -ceq 'unknown') { return New-DsVerdict 'skipped' $R.Expected 'unknown' $key.Reason }
    if ($key.Status -ceq 'absent') { return New-DsVerdict 'fail' $R.Expected 'no key' "expected $($R.Expected), found no key $($R.PathText)" }
    $record = $key.Record
    if ($null -eq $record.sddl) {
      $why = if ($null -ne $record.sddlError) { $record.sddlError } else { 'no security descriptor was read' }
      return New-DsVerdict 'skipped' $R.Expected 'unknown' "could not read the ACL of $($key.Path): $why"
    }
    $sd = ConvertFrom-DsSddl $record.sddl
    return Get-DsAclVerdict $R $sd $R.Expected
  }
}

function New-DsAce([int]$Type, [string]$AppliesTo, [long]$Mask, [string]$Sid) {
  $flags = switch -CaseSensitive ($AppliesTo) { 'thisKeyAndSubkeys' { 2 } 'subkeysOnly' { 10 } default { 0 } }
  return @{ Type = $Type; Flags = $flags; Mask = $Mask; Sid = $Sid; Raw = $null }
}

# Set: rewrites the owner and DACL so the rule holds, changing as little as it can. Inherited ACEs
# cannot be edited on the key itself, so where one must change (or includeInherited: the DACL must be
# exactly the entries) inheritance is turned off and the inherited ACEs are kept as explicit ones.
function Set-DsRegistryAcl($R) {
  $key = Get-DsKeyState $R.Path @() $true
  if ($key.Status -ceq 'absent') { & $script:DsSeam.NewKey $R.Path; $key = Get-DsKeyState $R.Path @() $true }
  if ($key.Status -cne 'present' -or $null -eq $key.Record.sddl) { throw "cannot read the ACL of $($R.PathText)" }
  $sd = ConvertFrom-DsSddl $key.Record.sddl
  $entries = @(Get-DsAclEntries $R)
  $protected = $sd.DaclFlags.Contains('P')
  # A NULL DACL lets everyone do everything: start from the ACL that says so explicitly.
  $aces = [System.Collections.Generic.List[object]]::new()
  if ($null -eq $sd.Dacl) { $aces.Add((New-DsAce 0 'thisKeyAndSubkeys' $script:DsKeyAll 'S-1-1-0')) }
  else { foreach ($a in $sd.Dacl) { $aces.Add($a) } }
  $materialize = {
    foreach ($x in $aces) { if ($x.Flags -band 16) { $x.Flags = $x.Flags -band (-bnot 16); $x.Raw = $null } }
    $protected = $true
  }
  if ($R.Exact) {
    if ($R.IncludeInherited) { $aces.Clear(); $protected = $true }
    else { foreach ($a in @($aces)) { if (($a.Flags -band 16) -eq 0) { [void]$aces.Remove($a) } } }
    $i = 0
    foreach ($e in $entries) { $aces.Insert($i++, (New-DsAce $(if ($e.Type -ceq 'Allow') { 0 } else { 1 }) $e.AppliesTo $e.Rights $e.Sid)) }
  } elseif ($R.Ensure -ceq 'Absent') {
    foreach ($e in $entries) {
      $code = if ($e.Type -ceq 'Allow') { 0 } else { 1 }
      foreach ($a in @($aces)) {
        if ($a.Type -ne $code -or $a.Sid -cne $e.Sid) { continue }
        $reach = switch -CaseSensitive ($e.AppliesTo) { 'subkeysOnly' { Test-DsAceReachesSubkeys $a } 'thisKeyAndSubkeys' { $true } default { Test-DsAceAppliesToKey $a } }
        $mask = Convert-DsGenericRights $a.Mask
        if (-not $reach -or ($mask -band $e.Rights) -eq 0) { continue }
        if ($a.Flags -band 16) { . $materialize }
        $a.Mask = $mask -band (-bnot $e.Rights) -band 0xffffffffL
        $a.Raw = $null
        if ($a.Mask -eq 0) { [void]$aces.Remove($a) }
      }
    }
  } else {
    foreach ($e in @($entries | Where-Object { $_.Type -ceq 'Allow' })) {
      foreach ($a in @($aces)) {
        if ($a.Type -ne 1 -or $a.Sid -cne $e.Sid -or -not (Test-DsAceAppliesToKey $a)) { continue }
        $mask = Convert-DsGenericRights $a.Mask
        if (($mask -band $e.Rights) -eq 0) { continue }
        if ($a.Flags -band 16) { . $materialize }
        $a.Mask = $mask -band (-bnot $e.Rights) -band 0xffffffffL
        $a.Raw = $null
        if ($a.Mask -eq 0) { [void]$aces.Remove($a) }
      }
    }
    foreach ($e in $entries) {
      if (Test-DsEntryHolds $e @($aces)) { continue }
      $ace = New-DsAce $(if ($e.Type -ceq 'Allow') { 0 } else { 1 }) $e.AppliesTo $e.Rights $e.Sid
      # Canonical order: explicit Deny first, then explicit Allow, then inherited ACEs.
      if ($e.Type -ceq 'Deny') { $aces.Insert(0, $ace) }
      else {
        $at = 0
        while ($at -lt $aces.Count -and ($aces[$at].Flags -band 16) -eq 0) { $at++ }
        $aces.Insert($at, $ace)
      }
    }
  }
  $owner = if ($R.Owner) { $R.Owner } else { $sd.Owner }
  $text = ''
  if ($owner) { $text += "O:$owner" }
  $daclFlags = ($sd.DaclFlags -creplace 'P', '')
  $text += 'D:' + $(if ($protected) { 'P' } else { '' }) + $daclFlags + ((@($aces) | ForEach-Object { Format-DsSddlAce $_ }) -join '')
  & $script:DsSeam.SetSddl $R.Path $text
}
