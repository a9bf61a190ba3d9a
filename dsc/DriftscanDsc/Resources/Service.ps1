# service (src/rules/service.ts): a service's startup type, logon account and run state, read from its
# registry key HKLM\SYSTEM\CurrentControlSet\Services\<name> (Start, DelayedAutostart, ObjectName)
# and from the Service Control Manager (run state), as every driftscan source reads them.

class DriftscanServiceReason {
  [DscProperty()] [string] $Code
  [DscProperty()] [string] $Phrase
}

[DscResource()]
class DriftscanService {
  [DscProperty(Key)] [string] $RuleId
  [DscProperty(Mandatory)] [string] $Baseline
  [DscProperty(Mandatory)] [string] $Name
  [DscProperty(Mandatory)] [ValidateSet('Present', 'Absent')] [string] $Ensure
  [DscProperty()] [string] $StartupType
  # The account as the rule wrote it, and its SID when the rule fixes it (a parameter is resolved here).
  [DscProperty()] [string] $Account
  [DscProperty()] [string] $AccountSid
  [DscProperty()] [string] $State
  [DscProperty(NotConfigurable)] [DriftscanServiceReason[]] $Reasons

  [DriftscanService] Get() {
    $v = Invoke-DsService $this
    $this.Reasons = @([DriftscanServiceReason]@{ Code = (Get-DsReasonCode $this.Baseline 'service' $this.RuleId); Phrase = $v.Message })
    return $this
  }

  [bool] Test() { return (Invoke-DsService $this).Status -ceq 'pass' }

  [void] Set() { Set-DsService $this }
}

$script:DsStartNames = @('Boot', 'System', 'Automatic', 'Manual', 'Disabled')
$script:DsStartupTypes = @('Boot', 'System', 'Automatic', 'AutomaticDelayedStart', 'Manual', 'Disabled')

function Get-DsServiceKeyPath([string]$Name) { return "HKLM\SYSTEM\CurrentControlSet\Services\$Name" }

# The rule's account SID: fixed by the compiler, or resolved from an assignment parameter.
function Get-DsServiceAccountSid($R) {
  if (-not [string]::IsNullOrEmpty($R.AccountSid)) { return $R.AccountSid }
  $id = Resolve-DsIdentity $R.Account
  if ($null -eq $id) { throw "account $($R.Account) cannot be resolved; give a well-known account, NT SERVICE\<name> or a SID" }
  return $id.Sid
}

# The startup type the key says (startup words of service.ts).
function Get-DsServiceStartup($Key) {
  $start = Get-DsKeyValue $Key 'Start'
  if ($null -eq $start) { return 'no Start value' }
  if ($start.Type -cne 'DWord') { return "Start is $(Format-DsValue $start)" }
  $delayed = Get-DsKeyValue $Key 'DelayedAutostart'
  $n = [uint64]$start.Data
  if ($n -eq 2 -and $null -ne $delayed -and $delayed.Type -ceq 'DWord' -and [uint64]$delayed.Data -eq 1) { return 'AutomaticDelayedStart' }
  if ($n -lt 5) { return $script:DsStartNames[[int]$n] }
  return "unknown Start $(Format-DsInt $n)"
}

function Invoke-DsService($R) {
  return Invoke-DsEvaluation {
    if ($R.StartupType -and $script:DsStartupTypes -cnotcontains $R.StartupType) { throw "startupType must be one of $($script:DsStartupTypes -join ', '), not $($R.StartupType)" }
    $sid = if ($R.Account) { Get-DsServiceAccountSid $R } else { $null }
    $expectedParts = [System.Collections.Generic.List[string]]::new()
    if ($R.Ensure -ceq 'Absent') { $expectedParts.Add('service not installed') }
    if ($R.StartupType) { $expectedParts.Add("startup $($R.StartupType)") }
    if ($R.Account) { $expectedParts.Add("account $(Format-DsSid $sid)") }
    if ($R.State) { $expectedParts.Add("state $($R.State)") }
    if ($expectedParts.Count -eq 0) { $expectedParts.Add('service installed') }
    $expected = $expectedParts -join ', '

    $key = Get-DsKeyState (Get-DsServiceKeyPath $R.Name) @('Start', 'DelayedAutostart', 'ObjectName') $false
    if ($key.Status -ceq 'unknown') { return New-DsVerdict 'skipped' $expected 'unknown' $key.Reason }
    if ($key.Status -ceq 'absent') {
      if ($R.Ensure -ceq 'Absent') { return New-DsVerdict 'pass' $expected 'service not installed' }
      return New-DsVerdict 'fail' $expected 'service not installed' "expected $expected, found no service $($R.Name)"
    }
    if ($R.Ensure -ceq 'Absent') { return New-DsVerdict 'fail' $expected 'service installed' }

    $actualParts = [System.Collections.Generic.List[string]]::new()
    $problems = [System.Collections.Generic.List[string]]::new()
    if ($R.StartupType) {
      $actual = Get-DsServiceStartup $key
      $actualParts.Add("startup $actual")
      if ($actual -cne $R.StartupType) { $problems.Add("startup $actual") }
    }
    if ($R.Account) {
      $obj = Get-DsKeyValue $key 'ObjectName'
      $ok = $false
      if ($null -eq $obj) { $actual = 'no ObjectName value' }
      elseif ($obj.Type -cne 'String' -and $obj.Type -cne 'ExpandString') { $actual = "ObjectName is $(Format-DsValue $obj)" }
      else {
        $id = Resolve-DsIdentity $obj.Data
        if ($null -ne $id) { $actual = "$($obj.Data) ($($id.Sid))"; $ok = $id.Sid -ceq $sid }
        else { $actual = [string]$obj.Data; $ok = Test-DsSameText $obj.Data $R.Account }
      }
      $actualParts.Add("account $actual")
      if (-not $ok) { $problems.Add("account $actual") }
    }
    $stateUnknown = $null
    if ($R.State) {
      $s = Read-DsService $R.Name
      if ($null -ne $s.error) { $stateUnknown = "could not query service $($R.Name): $($s.error)" }
      elseif (-not $s.exists) { $actualParts.Add('state not running'); if ($R.State -cne 'Stopped') { $problems.Add('state not running') } }
      elseif ($null -eq $s.state -or $s.state -ceq 'Unknown') { $stateUnknown = "service $($R.Name) has no known run state" }
      else {
        $actualParts.Add("state $($s.state)")
        if ($s.state -cne $R.State) { $problems.Add("state $($s.state)") }
      }
    }
    if ($actualParts.Count -eq 0) { $actualParts.Add('service installed') }
    $actual = $actualParts -join ', '
    if ($problems.Count -gt 0) { return New-DsVerdict 'fail' $expected $actual "expected $expected, found $($problems -join ', ')" }
    if ($null -ne $stateUnknown) { return New-DsVerdict 'skipped' $expected $actual "run state not checked: $stateUnknown" }
    return New-DsVerdict 'pass' $expected $actual
  }
}

# Set: removes the service, or sets the startup type, account and run state the rule names.
function Set-DsService($R) {
  $path = Get-DsServiceKeyPath $R.Name
  $key = Get-DsKeyState $path @('Start', 'DelayedAutostart', 'ObjectName') $false
  if ($R.Ensure -ceq 'Absent') {
    if ($key.Status -ceq 'present') { & $script:DsSeam.RemoveService $R.Name }
    return
  }
  if ($key.Status -cne 'present') { throw "service $($R.Name) is not installed; Set cannot install a service" }
  if ($R.StartupType -and (Get-DsServiceStartup $key) -cne $R.StartupType) { & $script:DsSeam.SetServiceStartup $R.Name $R.StartupType }
  if ($R.Account) {
    $sid = Get-DsServiceAccountSid $R
    $obj = Get-DsKeyValue $key 'ObjectName'
    $id = if ($null -ne $obj -and ($obj.Type -ceq 'String' -or $obj.Type -ceq 'ExpandString')) { Resolve-DsIdentity $obj.Data } else { $null }
    if ($null -eq $id -or $id.Sid -cne $sid) {
      # The spellings the Service Control Manager itself stores for the password-less accounts.
      $name = switch -CaseSensitive ($sid) { 'S-1-5-18' { 'LocalSystem' } 'S-1-5-19' { 'NT AUTHORITY\LocalService' } 'S-1-5-20' { 'NT AUTHORITY\NetworkService' } default { $R.Account } }
      & $script:DsSeam.SetServiceAccount $R.Name $name
    }
  }
  if ($R.State) {
    $s = Read-DsService $R.Name
    if ($s.state -cne $R.State) { & $script:DsSeam.SetServiceState $R.Name $R.State }
  }
}
