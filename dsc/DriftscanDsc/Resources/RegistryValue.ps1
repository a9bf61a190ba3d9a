# registryValue (src/rules/registry-value.ts): a named value has the expected type and data, lies in a
# range, matches a pattern, exists, or is absent. The MOF carries the rule as data: Data holds the
# expected data in the rule's type (DWord/QWord decimal, Binary hex, MultiString one element per
# string; for oneOf of multi-strings DataLengths says how many elements each alternative has).

class DriftscanRegistryValueReason {
  [DscProperty()] [string] $Code
  [DscProperty()] [string] $Phrase
}

[DscResource()]
class DriftscanRegistryValue {
  [DscProperty(Key)] [string] $RuleId
  [DscProperty(Mandatory)] [string] $Baseline
  # The key in short form (HKLM\...), for the seam; PathText is how the rule wrote it, for messages.
  [DscProperty(Mandatory)] [string] $Path
  [DscProperty(Mandatory)] [string] $PathText
  [DscProperty()] [string] $ValueName = ''
  [DscProperty(Mandatory)] [string] $ValueType
  # equals, oneOf, range, matches, present, absent
  [DscProperty(Mandatory)] [string] $Operation
  [DscProperty()] [string[]] $Data
  [DscProperty()] [string[]] $DataLengths
  [DscProperty()] [bool] $IgnoreCase
  [DscProperty()] [string] $AtLeast
  [DscProperty()] [string] $AtMost
  # The rule's pattern as written (for messages) and its .NET translation (for matching).
  [DscProperty()] [string] $PatternText
  [DscProperty()] [string] $Pattern
  [DscProperty(NotConfigurable)] [DriftscanRegistryValueReason[]] $Reasons

  [DriftscanRegistryValue] Get() {
    $v = Invoke-DsRegistryValue $this
    $this.Reasons = @([DriftscanRegistryValueReason]@{ Code = (Get-DsReasonCode $this.Baseline 'registryValue' $this.RuleId); Phrase = $v.Message })
    return $this
  }

  [bool] Test() { return (Invoke-DsRegistryValue $this).Status -ceq 'pass' }

  [void] Set() { Set-DsRegistryValue $this }
}

# toScalar for data that arrives as text (a MOF string or an assignment parameter); throws on bad data.
function ConvertTo-DsRegistryScalar([string]$Type, [string[]]$Raw) {
  switch -CaseSensitive ($Type) {
    'String' { return [string]$Raw[0] }
    'ExpandString' { return [string]$Raw[0] }
    'MultiString' { return , [string[]]@($Raw) }
    'Binary' {
      $t = Get-DsJsTrim ([string]$Raw[0])
      if (-not ($t -cmatch '\A(?:[0-9a-fA-F]{2}(?:[ ,:]?|\z))*\z')) { throw 'Binary data must be hex bytes such as "01 00 ff" or "0100ff"' }
      $bytes = ConvertFrom-DsHex ($t -replace '[ ,:]', '')
      return , [byte[]]$bytes
    }
  }
  $n = ConvertTo-DsInteger ([string]$Raw[0])
  $max = if ($Type -ceq 'DWord') { [System.Numerics.BigInteger]4294967295 } else { [System.Numerics.BigInteger]::Pow(2, 64) - 1 }
  if ($n -gt $max) { throw "$Type data must be between 0 and $(Format-DsInt $max); got $Raw" }
  return [uint64]$n
}

function ConvertTo-DsInteger([string]$Text) {
  $t = Get-DsJsTrim $Text
  if ($t -cmatch '\A0x[0-9a-fA-F]+\z') { return [System.Numerics.BigInteger]::Parse('0' + $t.Substring(2), [System.Globalization.NumberStyles]::HexNumber, $script:DsInvariant) }
  if ($t -cmatch '\A[0-9]+\z') { return [System.Numerics.BigInteger]::Parse($t, $script:DsInvariant) }
  throw "expected a whole number (decimal or 0x hex), got $(ConvertTo-DsJsonString $Text)"
}

# The rule as the evaluator needs it: expected data parsed in the rule's type.
function Get-DsRegistryValueCheck($R) {
  $c = @{ Type = $R.ValueType; Op = $R.Operation; IgnoreCase = [bool]$R.IgnoreCase; Name = [string]$R.ValueName }
  switch -CaseSensitive ($R.Operation) {
    'equals' { $c.Value = ConvertTo-DsRegistryScalar $R.ValueType @($R.Data) }
    'oneOf' {
      $values = [System.Collections.Generic.List[object]]::new()
      if ($R.ValueType -ceq 'MultiString') {
        $at = 0
        foreach ($len in @($R.DataLengths)) {
          $n = [int]$len
          $values.Add([string[]]@(if ($n -gt 0) { $R.Data[$at..($at + $n - 1)] }))
          $at += $n
        }
      } else {
        foreach ($d in @($R.Data)) { $values.Add((ConvertTo-DsRegistryScalar $R.ValueType @($d))) }
      }
      $c.Values = $values.ToArray()
    }
    'range' {
      if (-not [string]::IsNullOrEmpty($R.AtLeast)) { $c.AtLeast = ConvertTo-DsRegistryScalar $R.ValueType @($R.AtLeast) }
      if (-not [string]::IsNullOrEmpty($R.AtMost)) { $c.AtMost = ConvertTo-DsRegistryScalar $R.ValueType @($R.AtMost) }
    }
    'matches' { $c.PatternText = $R.PatternText; $c.Pattern = $R.Pattern }
  }
  return $c
}

# formatScalar: rule data worded like machine data.
function Format-DsRegistryScalar([string]$Type, $Scalar) {
  switch -CaseSensitive ($Type) {
    'DWord' { return "DWORD $(Format-DsInt $Scalar)" }
    'QWord' { return "QWORD $(Format-DsInt $Scalar)" }
  }
  return Format-DsValue @{ Type = $Type; Data = $Scalar }
}

# describeExpectation.
function Format-DsRegistryExpectation($C) {
  $t = Get-DsTypeWords $C.Type
  $case = if ($C.IgnoreCase) { ' (ignoring case)' } else { '' }
  switch -CaseSensitive ($C.Op) {
    'equals' { return (Format-DsRegistryScalar $C.Type $C.Value) + $case }
    'oneOf' {
      $items = foreach ($v in $C.Values) {
        $f = Format-DsRegistryScalar $C.Type $v
        $at = $f.IndexOf("$t ", [StringComparison]::Ordinal)
        if ($at -ge 0) { $f.Remove($at, $t.Length + 1) } else { $f }
      }
      return "$t one of $(@($items) -join ', ')$case"
    }
    'range' {
      if ($C.ContainsKey('AtLeast') -and $C.ContainsKey('AtMost')) { return "$t between $(Format-DsInt $C.AtLeast) and $(Format-DsInt $C.AtMost)" }
      if ($C.ContainsKey('AtLeast')) { return "$t of at least $(Format-DsInt $C.AtLeast)" }
      return "$t of at most $(Format-DsInt $C.AtMost)"
    }
    'matches' { return "$t matching /$($C.PatternText)/$(if ($C.IgnoreCase) { 'i' })" }
    'present' { return "a $t value" }
  }
  return 'no value'
}

# equalData.
function Test-DsRegistryData([string]$Type, $Expected, $Actual, [bool]$IgnoreCase) {
  switch -CaseSensitive ($Type) {
    'DWord' { return [uint64]$Actual.Data -eq [uint64]$Expected }
    'QWord' { return [uint64]$Actual.Data -eq [uint64]$Expected }
    'Binary' {
      $a = [byte[]]$Actual.Data; $e = [byte[]]$Expected
      if ($null -eq $a) { $a = [byte[]]::new(0) }
      if ($null -eq $e) { $e = [byte[]]::new(0) }
      return [System.Linq.Enumerable]::SequenceEqual($a, $e)
    }
    'MultiString' {
      $a = [string[]]@($Actual.Data); $e = [string[]]@($Expected)
      if ($a.Length -ne $e.Length) { return $false }
      for ($i = 0; $i -lt $a.Length; $i++) {
        if ($IgnoreCase) { if (-not (Test-DsSameText $a[$i] $e[$i])) { return $false } }
        elseif ($a[$i] -cne $e[$i]) { return $false }
      }
      return $true
    }
  }
  if ($IgnoreCase) { return Test-DsSameText ([string]$Actual.Data) ([string]$Expected) }
  return [string]$Actual.Data -ceq [string]$Expected
}

# meets.
function Test-DsRegistryValueMeets($C, $V) {
  switch -CaseSensitive ($C.Op) {
    'present' { return $true }
    'absent' { return $false }
    'equals' { return Test-DsRegistryData $C.Type $C.Value $V $C.IgnoreCase }
    'oneOf' { foreach ($x in $C.Values) { if (Test-DsRegistryData $C.Type $x $V $C.IgnoreCase) { return $true } }; return $false }
    'range' {
      $n = [uint64]$V.Data
      return (-not $C.ContainsKey('AtLeast') -or $n -ge [uint64]$C.AtLeast) -and (-not $C.ContainsKey('AtMost') -or $n -le [uint64]$C.AtMost)
    }
    'matches' {
      $options = [System.Text.RegularExpressions.RegexOptions]::CultureInvariant
      if ($C.IgnoreCase) { $options = $options -bor [System.Text.RegularExpressions.RegexOptions]::IgnoreCase }
      $re = [regex]::new($C.Pattern, $options)
      foreach ($s in @($V.Data)) { if ($re.IsMatch([string]$s)) { return $true } }
      return $false
    }
  }
  return $false
}

# evaluate.
function Invoke-DsRegistryValue($R) {
  return Invoke-DsEvaluation {
    $c = Get-DsRegistryValueCheck $R
    $expected = Format-DsRegistryExpectation $c
    $key = Get-DsKeyState $R.Path @($c.Name) $false
    if ($key.Status -ceq 'unknown') { return New-DsVerdict 'skipped' $expected 'unknown' $key.Reason }
    if ($key.Status -ceq 'absent') {
      if ($c.Op -ceq 'absent') { return New-DsVerdict 'pass' $expected 'no value (the key does not exist)' }
      return New-DsVerdict 'fail' $expected 'no value' "$(Format-DsExpectedFound $expected 'no value') (key $($R.PathText) does not exist)"
    }
    $v = Get-DsKeyValue $key $c.Name
    if ($null -eq $v) {
      if ($c.Op -ceq 'absent') { return New-DsVerdict 'pass' $expected 'no value' }
      return New-DsVerdict 'fail' $expected 'no value'
    }
    $actual = Format-DsValue $v
    if ($c.Op -ceq 'absent') { return New-DsVerdict 'fail' $expected $actual }
    if ($v.Type -cne $c.Type) {
      return New-DsVerdict 'fail' $expected $actual "$(Format-DsExpectedFound $expected $actual) (wrong type: the rule requires $(Get-DsTypeWords $c.Type), the machine has $(Get-DsTypeWords $v))"
    }
    return New-DsVerdict $(if (Test-DsRegistryValueMeets $c $v) { 'pass' } else { 'fail' }) $expected $actual
  }
}

# The value in the seam's record format (snapshot data encoding).
function ConvertTo-DsRecordData([string]$Type, $Scalar) {
  switch -CaseSensitive ($Type) {
    'MultiString' { return , [string[]]@($Scalar) }
    'DWord' { return [uint32]$Scalar }
    'QWord' { return ([uint64]$Scalar).ToString($script:DsInvariant) }
    'Binary' { if ($null -eq $Scalar) { return '' }; return [System.Convert]::ToHexString([byte[]]$Scalar).ToLowerInvariant() }
  }
  return [string]$Scalar
}

# Set: writes the one compliant state; rules with several (a range, a pattern, any data) are refused.
function Set-DsRegistryValue($R) {
  $c = Get-DsRegistryValueCheck $R
  if ($c.Op -ceq 'absent') {
    $key = Get-DsKeyState $R.Path @($c.Name) $false
    if ($key.Status -ceq 'present' -and $null -ne (Get-DsKeyValue $key $c.Name)) { & $script:DsSeam.RemoveValue $R.Path $c.Name }
    return
  }
  $value = $null
  if ($c.Op -ceq 'equals') { $value = $c.Value }
  elseif ($c.Op -ceq 'oneOf' -and @($c.Values).Count -eq 1) { $value = $c.Values[0] }
  else { throw "rule $($R.RuleId) has no single compliant value to write ($($c.Op)); it can be audited but not applied" }
  & $script:DsSeam.SetValue $R.Path $c.Name $c.Type (ConvertTo-DsRecordData $c.Type $value)
}
