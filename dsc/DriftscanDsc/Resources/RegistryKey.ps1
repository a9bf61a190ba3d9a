# registryKey (src/rules/registry-key.ts): a key exists (Ensure Present) or does not (Absent).

class DriftscanRegistryKeyReason {
  [DscProperty()] [string] $Code
  [DscProperty()] [string] $Phrase
}

[DscResource()]
class DriftscanRegistryKey {
  [DscProperty(Key)] [string] $RuleId
  [DscProperty(Mandatory)] [string] $Baseline
  [DscProperty(Mandatory)] [string] $Path
  [DscProperty(Mandatory)] [string] $PathText
  [DscProperty(Mandatory)] [ValidateSet('Present', 'Absent')] [string] $Ensure
  [DscProperty(NotConfigurable)] [DriftscanRegistryKeyReason[]] $Reasons

  [DriftscanRegistryKey] Get() {
    $v = Invoke-DsRegistryKey $this
    $this.Reasons = @([DriftscanRegistryKeyReason]@{ Code = (Get-DsReasonCode $this.Baseline 'registryKey' $this.RuleId); Phrase = $v.Message })
    return $this
  }

  [bool] Test() { return (Invoke-DsRegistryKey $this).Status -ceq 'pass' }

  [void] Set() { Set-DsRegistryKey $this }
}

function Invoke-DsRegistryKey($R) {
  return Invoke-DsEvaluation {
    $expected = if ($R.Ensure -ceq 'Present') { 'key present' } else { 'key absent' }
    $key = Get-DsKeyState $R.Path @() $false
    if ($key.Status -ceq 'unknown') { return New-DsVerdict 'skipped' $expected 'unknown' $key.Reason }
    $actual = if ($key.Status -ceq 'present') { 'key present' } else { 'key absent' }
    return New-DsVerdict $(if ($actual -ceq $expected) { 'pass' } else { 'fail' }) $expected $actual
  }
}

function Set-DsRegistryKey($R) {
  $key = Get-DsKeyState $R.Path @() $false
  if ($R.Ensure -ceq 'Present' -and $key.Status -ceq 'absent') { & $script:DsSeam.NewKey $R.Path }
  elseif ($R.Ensure -ceq 'Absent' -and $key.Status -ceq 'present') { & $script:DsSeam.RemoveKey $R.Path }
}
