# The Windows side of the seam: the one implementation of "read this key / value / ACL / service"
# that both the collector script (`driftscan collector`) and the DSC module use, plus the writes the
# module's Set() needs. Windows PowerShell 5.1 and PowerShell 7: no newer syntax here.
#
# Why it reads the way it does (windows-formats.md section 5): OpenBaseKey(..., Registry64) so a 32-bit host
# is not redirected to Wow6432Node; GetValue(..., DoNotExpandEnvironmentNames) because Get-ItemProperty
# expands REG_EXPAND_SZ; .NET returns DWORD as signed Int32 and QWORD as Int64, so the data is
# re-read as unsigned (QWORD as a decimal string, exact beyond 2^53); binary data as lower-case hex.
# Records use the snapshot format (docs/snapshot-format.md), so a snapshot is a list of them. Kinds
# that enumerate subkeys (userRight: one key per account) read a subtree: Read-DriftscanKey then
# outputs the key's record and those of the keys below it, each with its subkey names.
#
# Everything that touches the registry goes through Open-DriftscanKey and the RegistryKey methods
# (GetValueNames, GetValueKind, GetValue, GetSubKeyNames, OpenSubKey, GetAccessControl, Close), and
# services through Get-CimInstance, so tests run this very file under pwsh on Linux with those two
# replaced by a fake registry (test/support/pwsh.ts).

$DriftscanHives = @{
  HKLM = [Microsoft.Win32.RegistryHive]::LocalMachine
  HKU  = [Microsoft.Win32.RegistryHive]::Users
  HKCU = [Microsoft.Win32.RegistryHive]::CurrentUser
  HKCR = [Microsoft.Win32.RegistryHive]::ClassesRoot
  HKCC = [Microsoft.Win32.RegistryHive]::CurrentConfig
}
$DriftscanAclSections = [System.Security.AccessControl.AccessControlSections]'Access, Owner, Group'

# Opens a key (short path HKLM\...) in the 64-bit view; $null when it does not exist.
function Open-DriftscanKey([string]$Path, [bool]$Writable) {
  $root, $sub = $Path -split '\\', 2
  $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey($DriftscanHives[$root], [Microsoft.Win32.RegistryView]::Registry64)
  if (-not $sub) { return $base }
  return $base.OpenSubKey($sub, $Writable)
}

function ConvertTo-DriftscanHex($Bytes) {
  if ($Bytes -isnot [byte[]]) { return $null }
  return [System.BitConverter]::ToString($Bytes).Replace('-', '').ToLowerInvariant()
}

# One value as raw data: strings unexpanded, DWORD unsigned, QWORD as a decimal string, bytes as hex.
# $Key is untyped so the tests can run this file on Linux against stand-ins with RegistryKey's methods.
function Read-DriftscanValue($Key, [string]$Name) {
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
    'QWord' { $data = [System.BitConverter]::ToUInt64([System.BitConverter]::GetBytes([long]$raw), 0).ToString([System.Globalization.CultureInfo]::InvariantCulture) }
    default { $data = ConvertTo-DriftscanHex $raw }
  }
  return [ordered]@{ name = $Name; kind = $kind.ToString(); data = $data }
}

# Fills $Record from the open key $Key: the values named in $ValueNames ($null = every value), the
# SDDL when $Acl, and the subkey names when $ListSubkeys.
function Read-DriftscanKeyData($Record, $Key, $ValueNames, [bool]$Acl, [bool]$ListSubkeys) {
  $present = $Key.GetValueNames()
  $values = New-Object System.Collections.Generic.List[object]
  if ($null -eq $ValueNames) {
    foreach ($n in $present) { $values.Add((Read-DriftscanValue $Key $n)) }
  } else {
    $Record.valuesRead = [string[]]@($ValueNames)
    # One case-insensitive map of the names present (name -> name as stored): looking each wanted
    # name up in the array instead costs present x wanted comparisons (issue #8). A name is taken
    # once, however many spellings of it are wanted.
    $stored = New-Object 'System.Collections.Generic.Dictionary[string,string]' ([System.StringComparer]::OrdinalIgnoreCase)
    foreach ($n in $present) { $stored[$n] = $n }
    foreach ($n in $ValueNames) {
      if ($stored.ContainsKey($n)) {
        $values.Add((Read-DriftscanValue $Key $stored[$n]))
        [void]$stored.Remove($n)
      }
    }
  }
  $Record.values = $values.ToArray()
  if ($ListSubkeys) { $Record.subkeys = [string[]]@($Key.GetSubKeyNames()) }
  if ($Acl) {
    try { $Record.sddl = $Key.GetAccessControl($DriftscanAclSections).GetSecurityDescriptorSddlForm($DriftscanAclSections) }
    catch { $Record.sddlError = $_.Exception.Message }
  }
}

# Outputs a record for each subkey listed in $Record (the record of the open key $Key), and below
# each, down to $Subtree.Depth levels: parents before children, every one with its subkey names. A
# subkey that cannot be read is recorded with its error, and nothing below it is read.
function Read-DriftscanSubtree([string]$Path, $Key, $Record, $Subtree, [int]$Level) {
  foreach ($name in $Record.subkeys) {
    $child = [ordered]@{ path = "$Path\$name"; exists = $true }
    $sub = $null
    try {
      $sub = $Key.OpenSubKey($name, $false)
      if ($null -eq $sub) { $child.exists = $false } # deleted since it was listed
      else { Read-DriftscanKeyData $child $sub $Subtree.ValueNames ([bool]$Subtree.Acl) $true }
    } catch {
      $child.error = $_.Exception.Message
    }
    $child
    try {
      if ($null -ne $sub -and -not $child.Contains('error') -and $Level -lt $Subtree.Depth) { Read-DriftscanSubtree $child.path $sub $child $Subtree ($Level + 1) }
    } finally {
      if ($null -ne $sub) { $sub.Close() }
    }
  }
}

# Key records (the snapshot format): outputs the record of $Path -- exists, the values named in
# $ValueNames (every value with -AllValues), the SDDL when $Acl, the subkey names with -ListSubkeys
# -- and, given $Subtree (@{ Depth = n; ValueNames = @(...) or $null for all; Acl = $bool }), then
# the record of every key below it down to Depth levels, as Read-DriftscanSubtree reads them. A
# key that cannot be read is recorded with its error, never as absent.
function Read-DriftscanKey([string]$Path, [string[]]$ValueNames, [bool]$Acl, [switch]$AllValues, [switch]$ListSubkeys, $Subtree) {
  $record = [ordered]@{ path = $Path; exists = $false }
  # $null means every value; an empty list means existence only.
  $names = $null
  if (-not $AllValues) { if ($null -eq $ValueNames) { $names = [string[]]@() } else { $names = $ValueNames } }
  $key = $null
  try {
    $key = Open-DriftscanKey $Path $false
    if ($null -ne $key) {
      $record.exists = $true
      Read-DriftscanKeyData $record $key $names $Acl ($ListSubkeys -or $null -ne $Subtree)
    }
  } catch {
    $record.error = $_.Exception.Message
  }
  $record
  try {
    if ($null -ne $key -and $null -ne $Subtree -and -not $record.Contains('error')) { Read-DriftscanSubtree $Path $key $record $Subtree 1 }
  } finally {
    if ($null -ne $key) { $key.Close() }
  }
}

# A service record: exists, run state (ServiceControllerStatus spelling), start mode and account.
function Read-DriftscanService([string]$Name) {
  $record = [ordered]@{ name = $Name; exists = $false }
  try {
    $s = Get-CimInstance -ClassName Win32_Service -Filter ("Name='{0}'" -f ($Name -replace '([\\''])', '\$1'))
    if ($null -ne $s) {
      $record.exists = $true
      # Win32_Service writes 'Start Pending'; the snapshot uses the ServiceControllerStatus spelling.
      $record.state = ([string]$s.State) -replace ' ', ''
      $record.startType = $s.StartMode
      $record.startName = $s.StartName
      if ($s.PSObject.Properties['DelayedAutoStart']) { $record.delayedAutoStart = $s.DelayedAutoStart }
    }
  } catch {
    $record.error = $_.Exception.Message
  }
  return $record
}

# --- Writes (DSC Set) -------------------------------------------------------------------------------

function New-DriftscanKey([string]$Path) {
  $root, $sub = $Path -split '\\', 2
  $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey($DriftscanHives[$root], [Microsoft.Win32.RegistryView]::Registry64)
  $key = $base.CreateSubKey($sub, $true)
  return $key
}

# Writes one value; $Data is in the record encoding Read-DriftscanValue produces.
function Write-DriftscanValue([string]$Path, [string]$Name, [string]$Kind, $Data) {
  $key = New-DriftscanKey $Path
  try {
    switch ($Kind) {
      'DWord' { $raw = [System.BitConverter]::ToInt32([System.BitConverter]::GetBytes([uint32]$Data), 0) }
      'QWord' { $raw = [System.BitConverter]::ToInt64([System.BitConverter]::GetBytes([uint64]::Parse([string]$Data, [System.Globalization.CultureInfo]::InvariantCulture)), 0) }
      'Binary' {
        $hex = [string]$Data
        $raw = New-Object byte[] ($hex.Length / 2)
        for ($i = 0; $i -lt $raw.Length; $i++) { $raw[$i] = [System.Convert]::ToByte($hex.Substring(2 * $i, 2), 16) }
      }
      'MultiString' { $raw = [string[]]@($Data) }
      default { $raw = [string]$Data }
    }
    $key.SetValue($Name, $raw, [Microsoft.Win32.RegistryValueKind]$Kind)
  } finally { $key.Close() }
}

function Remove-DriftscanValue([string]$Path, [string]$Name) {
  $key = Open-DriftscanKey $Path $true
  if ($null -eq $key) { return }
  try { $key.DeleteValue($Name, $false) } finally { $key.Close() }
}

function Remove-DriftscanKey([string]$Path) {
  $parent = $Path.Substring(0, $Path.LastIndexOf('\'))
  $leaf = $Path.Substring($Path.LastIndexOf('\') + 1)
  $key = Open-DriftscanKey $parent $true
  if ($null -eq $key) { return }
  try { $key.DeleteSubKeyTree($leaf, $false) } finally { $key.Close() }
}

# Replaces the owner and DACL with those of $Sddl.
function Write-DriftscanKeySddl([string]$Path, [string]$Sddl) {
  $root, $sub = $Path -split '\\', 2
  $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey($DriftscanHives[$root], [Microsoft.Win32.RegistryView]::Registry64)
  $rights = [System.Security.AccessControl.RegistryRights]'ReadPermissions, ChangePermissions, TakeOwnership'
  $key = $base.OpenSubKey($sub, [Microsoft.Win32.RegistryKeyPermissionCheck]::ReadWriteSubTree, $rights)
  if ($null -eq $key) { throw "key $Path does not exist" }
  try {
    $security = New-Object System.Security.AccessControl.RegistrySecurity
    $security.SetSecurityDescriptorSddlForm($Sddl, [System.Security.AccessControl.AccessControlSections]'Access, Owner')
    $key.SetAccessControl($security)
  } finally { $key.Close() }
}

# sc.exe is the one tool that sets every start type, delayed start included, through the Service Control Manager.
function Invoke-DriftscanSc([string[]]$Arguments) {
  $out = & sc.exe @Arguments 2>&1
  if ($LASTEXITCODE -ne 0) { throw "sc.exe $($Arguments -join ' ') failed ($LASTEXITCODE): $out" }
}

function Set-DriftscanServiceStartup([string]$Name, [string]$StartupType) {
  $start = @{ Boot = 'boot'; System = 'system'; Automatic = 'auto'; AutomaticDelayedStart = 'delayed-auto'; Manual = 'demand'; Disabled = 'disabled' }[$StartupType]
  Invoke-DriftscanSc @('config', $Name, 'start=', $start)
}

# Only accounts without a password (LocalSystem, LocalService, NetworkService, NT SERVICE\...) can be set.
function Set-DriftscanServiceAccount([string]$Name, [string]$Account) {
  $s = Get-CimInstance -ClassName Win32_Service -Filter ("Name='{0}'" -f ($Name -replace '([\\''])', '\$1'))
  $r = Invoke-CimMethod -InputObject $s -MethodName Change -Arguments @{ StartName = $Account; StartPassword = '' }
  if ($r.ReturnValue -ne 0) { throw "Win32_Service.Change(StartName=$Account) on $Name returned $($r.ReturnValue)" }
}

function Set-DriftscanServiceState([string]$Name, [string]$State) {
  if ($State -eq 'Running') { Start-Service -Name $Name } else { Stop-Service -Name $Name -Force }
}

function Remove-DriftscanService([string]$Name) {
  Stop-Service -Name $Name -Force -ErrorAction SilentlyContinue
  Invoke-DriftscanSc @('delete', $Name)
}
