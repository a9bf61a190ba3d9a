# driftscan's rule semantics in PowerShell: the same verdicts and the same words as `driftscan check`
# (src/rules/*.ts, src/windows/*.ts). Every function here is a port of a named TypeScript function;
# the differential test (test/dsc-engine.test.ts) runs thousands of generated (rule, state) pairs
# through both and requires identical status and message, so keep them in step.
#
# PowerShell 7 semantics on purpose: string equality is -ceq (PowerShell's -eq ignores case and
# uses culture rules), regular expressions are anchored with \A and \z (.NET's $ also matches
# before a final newline), numbers are formatted with the invariant culture, and dictionaries
# use ordinal comparers (@{} compares keys with the current culture, ignoring case).
#
# Nothing here touches Windows: every read and write goes through $script:DsSeam (bottom of this
# file), whose Windows implementation is Reader.ps1.

$script:DsInvariant = [System.Globalization.CultureInfo]::InvariantCulture
# JavaScript's \s and String.prototype.trim set (WhiteSpace + LineTerminator), which differs from .NET's \s.
$script:DsJsSpace = '[\t\n\u000b\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]'

# --- Text ------------------------------------------------------------------------------------------

# JSON.stringify of a string: how driftscan quotes strings in messages.
function ConvertTo-DsJsonString([string]$Text) {
  $sb = [System.Text.StringBuilder]::new()
  [void]$sb.Append('"')
  for ($i = 0; $i -lt $Text.Length; $i++) {
    $n = [int]$Text[$i]
    if ($n -eq 0x22) { [void]$sb.Append('\"') }
    elseif ($n -eq 0x5c) { [void]$sb.Append('\\') }
    elseif ($n -eq 0x08) { [void]$sb.Append('\b') }
    elseif ($n -eq 0x09) { [void]$sb.Append('\t') }
    elseif ($n -eq 0x0a) { [void]$sb.Append('\n') }
    elseif ($n -eq 0x0c) { [void]$sb.Append('\f') }
    elseif ($n -eq 0x0d) { [void]$sb.Append('\r') }
    elseif ($n -lt 0x20) { [void]$sb.Append('\u').Append($n.ToString('x4', $script:DsInvariant)) }
    elseif ($n -ge 0xd800 -and $n -le 0xdbff -and $i + 1 -lt $Text.Length -and [int]$Text[$i + 1] -ge 0xdc00 -and [int]$Text[$i + 1] -le 0xdfff) {
      [void]$sb.Append($Text[$i]).Append($Text[$i + 1]); $i++
    }
    # Well-formed JSON.stringify writes lone surrogates as escapes.
    elseif ($n -ge 0xd800 -and $n -le 0xdfff) { [void]$sb.Append('\u').Append($n.ToString('x4', $script:DsInvariant)) }
    else { [void]$sb.Append($Text[$i]) }
  }
  [void]$sb.Append('"')
  return $sb.ToString()
}

# windows/text.ts foldCase: simple (one-to-one) upper-case mapping, as Windows compares names.
function Get-DsFold([string]$Text) { return $Text.ToUpperInvariant() }

function Test-DsSameText([string]$A, [string]$B) { return (Get-DsFold $A) -ceq (Get-DsFold $B) }

function Get-DsJsTrim([string]$Text) { return ($Text -replace "\A$($script:DsJsSpace)+", '') -replace "$($script:DsJsSpace)+\z", '' }

function Format-DsInt($Number) { return ([System.Numerics.BigInteger]$Number).ToString($script:DsInvariant) }

# `expected X, found Y` (rules/kind.ts expectedFound).
function Format-DsExpectedFound([string]$Expected, [string]$Actual) { return "expected $Expected, found $Actual" }

# --- Registry values (windows/value.ts) -------------------------------------------------------------

$script:DsRegTypeNames = @{
  0 = 'REG_NONE'; 1 = 'REG_SZ'; 2 = 'REG_EXPAND_SZ'; 3 = 'REG_BINARY'; 4 = 'REG_DWORD'; 5 = 'REG_DWORD_BIG_ENDIAN'
  6 = 'REG_LINK'; 7 = 'REG_MULTI_SZ'; 8 = 'REG_RESOURCE_LIST'; 9 = 'REG_FULL_RESOURCE_DESCRIPTOR'
  10 = 'REG_RESOURCE_REQUIREMENTS_LIST'; 11 = 'REG_QWORD'
}

function Get-DsRegTypeName([long]$Code) {
  if ($script:DsRegTypeNames.ContainsKey([int]$Code) -and $Code -ge 0 -and $Code -le 11) { return $script:DsRegTypeNames[[int]$Code] }
  return 'type 0x' + ([long]($Code -band 0xffffffffL)).ToString('x', $script:DsInvariant)
}

# describeType: words for a value type ("DWORD", "multi-string"); $Value is a value or a type name.
function Get-DsTypeWords($Value) {
  $t = if ($Value -is [string]) { $Value } else { $Value.Type }
  switch -CaseSensitive ($t) {
    'String' { return 'string' }
    'ExpandString' { return 'expandable string' }
    'MultiString' { return 'multi-string' }
    'DWord' { return 'DWORD' }
    'QWord' { return 'QWORD' }
    'Binary' { return 'binary' }
  }
  if ($Value -is [string]) { return $t }
  return Get-DsRegTypeName $Value.TypeCode
}

function Format-DsHexBytes([byte[]]$Bytes) {
  if ($null -eq $Bytes -or $Bytes.Length -eq 0) { return '(empty)' }
  $n = [Math]::Min(32, $Bytes.Length)
  $shown = (0..($n - 1) | ForEach-Object { $Bytes[$_].ToString('x2', $script:DsInvariant) }) -join ','
  if ($Bytes.Length -gt 32) { return "$shown,$([char]0x2026) ($(Format-DsInt $Bytes.Length) bytes)" }
  return $shown
}

# formatValue: `DWORD 65535 (0x0000ffff)`, `string "x"`.
function Format-DsValue($Value) {
  switch -CaseSensitive ($Value.Type) {
    'String' { return "string $(ConvertTo-DsJsonString $Value.Data)" }
    'ExpandString' { return "expandable string $(ConvertTo-DsJsonString $Value.Data)" }
    'MultiString' { return 'multi-string [' + ((@($Value.Data) | ForEach-Object { ConvertTo-DsJsonString $_ }) -join ', ') + ']' }
    'DWord' { return "DWORD $(Format-DsInt $Value.Data) (0x$(([uint32]$Value.Data).ToString('x8', $script:DsInvariant)))" }
    'QWord' { return "QWORD $(Format-DsInt $Value.Data) (0x$(([uint64]$Value.Data).ToString('x16', $script:DsInvariant)))" }
    'Binary' { return "binary $(Format-DsHexBytes $Value.Data)" }
  }
  return "$(Get-DsRegTypeName $Value.TypeCode) $(Format-DsHexBytes $Value.Data)"
}

# Hex text to bytes; the comma keeps PowerShell from unrolling the array (an empty one would become $null).
function ConvertFrom-DsHex([string]$Hex) {
  if ([string]::IsNullOrEmpty($Hex)) { return , [byte[]]::new(0) }
  return , [System.Convert]::FromHexString($Hex)
}

# A value record (snapshot format: name, kind, data, typeCode) as a typed value (snapshot/source.ts toRegistryValue).
function ConvertFrom-DsValueRecord($Record) {
  $data = $Record.data
  switch -CaseSensitive ([string]$Record.kind) {
    'String' { return @{ Type = 'String'; Data = [string]$data } }
    'ExpandString' { return @{ Type = 'ExpandString'; Data = [string]$data } }
    'MultiString' { return @{ Type = 'MultiString'; Data = [string[]]@($data) } }
    'DWord' { return @{ Type = 'DWord'; Data = [uint64]$data } }
    'QWord' { return @{ Type = 'QWord'; Data = [uint64]::Parse([string]$data, $script:DsInvariant) } }
    'Binary' { $bytes = ConvertFrom-DsHex ([string]$data); return @{ Type = 'Binary'; Data = [byte[]]$bytes } }
  }
  $code = if ($null -ne $Record.typeCode) { [long]$Record.typeCode } else { 0 }
  $bytes = if ($data -is [string]) { ConvertFrom-DsHex $data } else { [byte[]]::new(0) }
  return @{ Type = 'Other'; TypeCode = $code; Data = [byte[]]$bytes }
}

# --- Security identifiers and accounts (windows/sid.ts, windows/identity.ts) ------------------------

$script:DsMaxAuthority = [System.Numerics.BigInteger]::Pow(2, 48) - 1
$script:DsMaxSubAuthority = [System.Numerics.BigInteger]::Pow(2, 32) - 1

# parseSid: the canonical `S-1-...` form, or $null when the text is not a SID.
function ConvertTo-DsCanonicalSid([string]$Text) {
  $fields = $Text.Split('-')
  # parseSidParts upper-cases the first field, so `s` and U+017F (long s) count as `S` too.
  if ($fields.Length -lt 3 -or (Get-DsFold $fields[0]) -cne 'S') { return $null }
  if (-not ($fields[1] -ceq '1')) { return $null }
  $auth = $fields[2]
  if ($auth -cmatch '\A0[xX]') {
    if (-not ($auth.Substring(2) -cmatch '\A[0-9a-fA-F]{1,12}\z')) { return $null }
    $authority = [System.Numerics.BigInteger]::Parse('0' + $auth.Substring(2), [System.Globalization.NumberStyles]::HexNumber, $script:DsInvariant)
  } else {
    if (-not ($auth -cmatch '\A[0-9]+\z')) { return $null }
    $authority = [System.Numerics.BigInteger]::Parse($auth, $script:DsInvariant)
    if ($authority -gt $script:DsMaxAuthority) { return $null }
  }
  $subs = @($fields | Select-Object -Skip 3)
  if ($subs.Count -gt 15) { return $null }
  $parts = [System.Collections.Generic.List[string]]::new()
  [void]$parts.Add('S-1')
  if ($authority -lt [System.Numerics.BigInteger]::Pow(2, 32)) { [void]$parts.Add($authority.ToString($script:DsInvariant)) }
  else { [void]$parts.Add('0x' + $authority.ToString('X', $script:DsInvariant).TrimStart('0').PadLeft(12, '0')) }
  foreach ($s in $subs) {
    if (-not ($s -cmatch '\A[0-9]+\z')) { return $null }
    $v = [System.Numerics.BigInteger]::Parse($s, $script:DsInvariant)
    if ($v -gt $script:DsMaxSubAuthority) { return $null }
    [void]$parts.Add($v.ToString($script:DsInvariant))
  }
  return $parts -join '-'
}

# formatSid: `S-1-<authority>-<subs>`, the authority in decimal below 2^32, else `0x` and 12 hex digits.
function Format-DsSidParts([uint64]$Authority, [uint64[]]$SubAuthorities) {
  $a = if ($Authority -lt 4294967296) { $Authority.ToString($script:DsInvariant) } else { '0x' + $Authority.ToString('X12', $script:DsInvariant) }
  return (@('S-1', $a) + @($SubAuthorities | ForEach-Object { $_.ToString($script:DsInvariant) })) -join '-'
}

# readSid: a binary SID at $Offset (revision, count, 6-byte big-endian authority, count little-endian
# uint32s) -> @{ Sid; Length }. Throws saying what is wrong and where, never reads out of bounds.
function Read-DsBinarySid([byte[]]$Bytes, [int]$Offset) {
  if ($Offset -lt 0 -or $Offset + 8 -gt $Bytes.Length) {
    throw "SID at offset $Offset is truncated: needs 8 header bytes, $([Math]::Max(0, $Bytes.Length - [Math]::Max(0, $Offset))) available"
  }
  $revision = [int]$Bytes[$Offset]
  if ($revision -ne 1) { throw "SID at offset $Offset has revision $revision; expected 1" }
  $count = [int]$Bytes[$Offset + 1]
  if ($count -gt 15) { throw "SID at offset $Offset claims $count sub-authorities; at most 15 are allowed" }
  $length = 8 + 4 * $count
  if ($Offset + $length -gt $Bytes.Length) { throw "SID at offset $Offset is truncated: $count sub-authorities need $length bytes, $($Bytes.Length - $Offset) available" }
  [uint64]$authority = 0
  for ($i = 0; $i -lt 6; $i++) { $authority = $authority * 256 + $Bytes[$Offset + 2 + $i] }
  $subs = [System.Collections.Generic.List[uint64]]::new()
  for ($i = 0; $i -lt $count; $i++) {
    $p = $Offset + 8 + 4 * $i
    $subs.Add([uint64]$Bytes[$p] + 256 * [uint64]$Bytes[$p + 1] + 65536 * [uint64]$Bytes[$p + 2] + 16777216 * [uint64]$Bytes[$p + 3])
  }
  return @{ Sid = (Format-DsSidParts $authority $subs.ToArray()); Length = $length }
}

# Lookup tables built from $script:DsIdentityTable (generated from windows/identity.ts).
$script:DsBySid = [System.Collections.Generic.Dictionary[string, object]]::new([StringComparer]::Ordinal)
$script:DsByAlias = [System.Collections.Generic.Dictionary[string, object]]::new([StringComparer]::Ordinal)
$script:DsByName = [System.Collections.Generic.Dictionary[string, object]]::new([StringComparer]::Ordinal)
$script:DsByBareName = [System.Collections.Generic.Dictionary[string, object]]::new([StringComparer]::Ordinal)

function Get-DsSqueeze([string]$Text) { return (Get-DsFold $Text) -replace "$($script:DsJsSpace)+", '' }
function Get-DsBare([string]$Name) { return $Name.Substring($Name.LastIndexOf('\') + 1) }

function Initialize-DsIdentities {
  foreach ($row in $script:DsIdentityTable) {
    $id = @{ Sid = $row[0]; Name = $row[1]; Alias = $row[2]; Spellings = [string[]]@($row[3]) }
    $script:DsBySid[$id.Sid] = $id
    if ($id.Alias) { $script:DsByAlias[$id.Alias] = $id }
    foreach ($n in @(@($id.Name) + $id.Spellings)) {
      $script:DsByName[(Get-DsFold $n)] = $id
      $script:DsByName[(Get-DsSqueeze $n)] = $id
      if (-not $n.StartsWith('.\', [StringComparison]::Ordinal)) {
        $script:DsByBareName[(Get-DsFold (Get-DsBare $n))] = $id
        $script:DsByBareName[(Get-DsSqueeze (Get-DsBare $n))] = $id
      }
    }
  }
}

function Get-DsEntry($Dictionary, [string]$Key) {
  $found = $null
  if ($Dictionary.TryGetValue($Key, [ref]$found)) { return $found }
  return $null
}

# serviceSid: NT SERVICE\<name> is S-1-5-80- and the SHA-1 of the upper-cased UTF-16LE name.
function Get-DsServiceSid([string]$ServiceName) {
  $digest = [System.Security.Cryptography.SHA1]::HashData([System.Text.Encoding]::Unicode.GetBytes((Get-DsFold $ServiceName)))
  $rids = 0..4 | ForEach-Object { [System.BitConverter]::ToUInt32($digest, 4 * $_).ToString($script:DsInvariant) }
  return 'S-1-5-80-' + ($rids -join '-')
}

$script:DsNamedDomains = @('BUILTIN', 'NT AUTHORITY', 'NT SERVICE', 'APPLICATION PACKAGE AUTHORITY', 'MANDATORY LABEL', '.')

# resolveIdentity: an account name or SID -> @{ Sid; Name }, or $null when it cannot be resolved offline.
function Resolve-DsIdentity([string]$Text) {
  $t = Get-DsJsTrim $Text
  if ($t.Length -eq 0) { return $null }
  if ($t -cmatch '\A[sS]-1-') {
    $sid = ConvertTo-DsCanonicalSid $t
    if ($null -eq $sid) { return $null }
    $known = Get-DsEntry $script:DsBySid $sid
    if ($known) { return @{ Sid = $sid; Name = $known.Name } }
    return @{ Sid = $sid; Name = $null }
  }
  $known = Get-DsEntry $script:DsByName (Get-DsFold $t)
  if (-not $known) { $known = Get-DsEntry $script:DsByName (Get-DsSqueeze $t) }
  if ($known) { return @{ Sid = $known.Sid; Name = $known.Name } }
  $slash = $t.LastIndexOf('\')
  if ($slash -lt 0) {
    $b = Get-DsEntry $script:DsByBareName (Get-DsFold $t)
    if (-not $b) { $b = Get-DsEntry $script:DsByBareName (Get-DsSqueeze $t) }
    if ($b) { return @{ Sid = $b.Sid; Name = $b.Name } }
    return $null
  }
  $domain = Get-DsFold (Get-DsJsTrim $t.Substring(0, $slash))
  $account = Get-DsJsTrim $t.Substring($slash + 1)
  if ($account.Length -eq 0) { return $null }
  if ($domain -ceq 'NT SERVICE') {
    $sid = Get-DsServiceSid $account
    $known = Get-DsEntry $script:DsBySid $sid
    return @{ Sid = $sid; Name = $(if ($known) { $known.Name } else { "NT SERVICE\$account" }) }
  }
  if ($script:DsNamedDomains -cnotcontains $domain) { return $null }
  $b = Get-DsEntry $script:DsByBareName (Get-DsFold $account)
  if (-not $b) { $b = Get-DsEntry $script:DsByBareName (Get-DsSqueeze $account) }
  if (-not $b) { return $null }
  $expected = if ($b.Name.Contains('\')) { Get-DsFold $b.Name.Substring(0, $b.Name.LastIndexOf('\')) } else { $null }
  $dotted = $domain -ceq '.' -and @($b.Spellings | Where-Object { $_.StartsWith('.\', [StringComparison]::Ordinal) }).Count -gt 0
  if (($null -ne $expected -and $expected -ceq $domain) -or $dotted) { return @{ Sid = $b.Sid; Name = $b.Name } }
  return $null
}

# describeSid: `BUILTIN\Users (S-1-5-32-545)` for known SIDs, else the SID.
function Format-DsSid([string]$Sid) {
  $known = Get-DsEntry $script:DsBySid $Sid
  $canonical = $Sid
  if (-not $known) {
    $canonical = ConvertTo-DsCanonicalSid $Sid
    if ($null -eq $canonical) { return $Sid }
    $known = Get-DsEntry $script:DsBySid $canonical
  }
  if ($known) { return "$($known.Name) ($canonical)" }
  return $Sid
}

# --- Access masks (windows/access-mask.ts) ----------------------------------------------------------

$script:DsKeyRead = 0x20019L
$script:DsKeyWrite = 0x20006L
$script:DsKeyAll = 0xf003fL
$script:DsSingleRights = @(
  @('QueryValues', 0x1L), @('SetValue', 0x2L), @('CreateSubKey', 0x4L), @('EnumerateSubKeys', 0x8L), @('Notify', 0x10L),
  @('CreateLink', 0x20L), @('Delete', 0x10000L), @('ReadPermissions', 0x20000L), @('ChangePermissions', 0x40000L), @('TakeOwnership', 0x80000L)
)
$script:DsCompositeRights = @(@('FullControl', 0xf003fL), @('ReadKey', 0x20019L), @('WriteKey', 0x20006L))
$script:DsGenericRights = @(@('GenericAll', 0x10000000L), @('GenericExecute', 0x20000000L), @('GenericWrite', 0x40000000L), @('GenericRead', 0x80000000L))

# mapGenericKeyRights: GENERIC_* bits -> the key rights they stand for.
function Convert-DsGenericRights([long]$Mask) {
  $m = $Mask -band 0xffffffffL
  $mapped = $m -band (-bnot 0xf0000000L) -band 0xffffffffL
  if ($m -band 0x80000000L) { $mapped = $mapped -bor $script:DsKeyRead }
  if ($m -band 0x40000000L) { $mapped = $mapped -bor $script:DsKeyWrite }
  if ($m -band 0x20000000L) { $mapped = $mapped -bor $script:DsKeyRead }
  if ($m -band 0x10000000L) { $mapped = $mapped -bor $script:DsKeyAll }
  return [long]$mapped
}

# formatRights: `FullControl`, `ReadKey, SetValue`, `None`.
function Format-DsRights([long]$Mask) {
  $m = $Mask -band 0xffffffffL
  if ($m -eq 0) { return 'None' }
  $parts = [System.Collections.Generic.List[string]]::new()
  $covered = 0L
  foreach ($r in $script:DsCompositeRights) {
    if (($m -band $r[1]) -eq $r[1] -and ($r[1] -band (-bnot $covered)) -ne 0) { $parts.Add($r[0]); $covered = $covered -bor $r[1] }
  }
  foreach ($r in $script:DsSingleRights) {
    if (($m -band $r[1]) -ne 0 -and ($covered -band $r[1]) -eq 0) { $parts.Add($r[0]); $covered = $covered -bor $r[1] }
  }
  foreach ($r in $script:DsGenericRights) {
    if (($m -band $r[1]) -ne 0) { $parts.Add($r[0]); $covered = $covered -bor $r[1] }
  }
  $rest = $m -band (-bnot $covered) -band 0xffffffffL
  if ($rest -ne 0) { $parts.Add('0x' + $rest.ToString('x', $script:DsInvariant)) }
  return $parts -join ', '
}

# --- Security descriptors in SDDL (windows/sddl.ts parseSddl, the parts rules read) -----------------

$script:DsSddlAceTypes = @{ 'A' = 0; 'D' = 1; 'AU' = 2; 'AL' = 3; 'OA' = 5; 'OD' = 6; 'OU' = 7; 'OL' = 8; 'XA' = 9; 'XD' = 10; 'ZA' = 11; 'XU' = 13; 'ML' = 17; 'RA' = 18; 'SP' = 19; 'TL' = 20; 'FL' = 21 }
$script:DsSddlFlags = @{ 'OI' = 1; 'CI' = 2; 'NP' = 4; 'IO' = 8; 'ID' = 16; 'CR' = 32; 'SA' = 64; 'FA' = 128; 'TP' = 64 }
$script:DsSddlRights = @{
  'GA' = 0x10000000L; 'GR' = 0x80000000L; 'GW' = 0x40000000L; 'GX' = 0x20000000L; 'RC' = 0x20000L; 'SD' = 0x10000L; 'WD' = 0x40000L; 'WO' = 0x80000L
  'RP' = 0x10L; 'WP' = 0x20L; 'CC' = 0x1L; 'DC' = 0x2L; 'LC' = 0x4L; 'SW' = 0x8L; 'LO' = 0x80L; 'DT' = 0x40L; 'CR' = 0x100L
  'FA' = 0x1f01ffL; 'FR' = 0x120089L; 'FW' = 0x120116L; 'FX' = 0x1200a0L; 'KA' = 0xf003fL; 'KR' = 0x20019L; 'KW' = 0x20006L; 'KX' = 0x20019L
  'NR' = 0x2L; 'NW' = 0x1L; 'NX' = 0x4L
}

function Split-DsTopLevel([string]$Text, [char]$Separator) {
  $fields = [System.Collections.Generic.List[string]]::new()
  $depth = 0; $quoted = $false; $start = 0
  for ($i = 0; $i -lt $Text.Length; $i++) {
    $c = $Text[$i]
    if ($c -ceq '"') { $quoted = -not $quoted }
    elseif ($quoted) { continue }
    elseif ($c -ceq '(') { $depth++ }
    elseif ($c -ceq ')') { $depth-- }
    elseif ($c -ceq $Separator -and $depth -eq 0) { $fields.Add($Text.Substring($start, $i - $start)); $start = $i + 1 }
  }
  $fields.Add($Text.Substring($start))
  return , $fields.ToArray()
}

function Find-DsClosingParen([string]$Text, [int]$Open) {
  $depth = 0; $quoted = $false
  for ($i = $Open; $i -lt $Text.Length; $i++) {
    $c = $Text[$i]
    if ($c -ceq '"') { $quoted = -not $quoted }
    elseif ($quoted) { continue }
    elseif ($c -ceq '(') { $depth++ }
    elseif ($c -ceq ')') { $depth--; if ($depth -eq 0) { return $i } }
  }
  return -1
}

function ConvertFrom-DsSddlSid([string]$Token) {
  if ($Token -cmatch '\A[sS]-') {
    $sid = ConvertTo-DsCanonicalSid $Token
    if ($null -eq $sid) { throw "invalid SID '$Token'" }
    return $sid
  }
  $known = Get-DsEntry $script:DsByAlias $Token.ToUpperInvariant()
  if (-not $known) { throw "unknown or domain-relative SID alias '$Token'" }
  return $known.Sid
}

function ConvertFrom-DsSddlRights([string]$Text) {
  if ($Text.Length -eq 0) { return 0L }
  if ($Text -cmatch '\A0[xX][0-9a-fA-F]+\z') { return [long][System.Numerics.BigInteger]::Parse('0' + $Text.Substring(2), [System.Globalization.NumberStyles]::HexNumber, $script:DsInvariant) }
  if ($Text -cmatch '\A[0-9]+\z') { return [long][System.Numerics.BigInteger]::Parse($Text, $script:DsInvariant) }
  $mask = 0L
  for ($i = 0; $i -lt $Text.Length; $i += 2) {
    if ($i + 2 -gt $Text.Length) { throw "unknown right '$($Text.Substring($i))'" }
    $token = $Text.Substring($i, 2).ToUpperInvariant()
    if (-not $script:DsSddlRights.ContainsKey($token)) { throw "unknown right '$token'" }
    $mask = $mask -bor $script:DsSddlRights[$token]
  }
  return $mask
}

# The owner and DACL of an SDDL string: @{ Owner; Dacl = $null (NULL DACL) or ACE list }. Throws on malformed text.
function ConvertFrom-DsSddl([string]$Sddl) {
  # Whitespace outside ACE conditions and quotes is insignificant (sddl.ts compact).
  $sb = [System.Text.StringBuilder]::new(); $depth = 0; $quoted = $false
  foreach ($ch in $Sddl.ToCharArray()) {
    if ($ch -cmatch "\A$($script:DsJsSpace)\z" -and $depth -lt 2 -and -not $quoted) { continue }
    if ($ch -ceq '"') { $quoted = -not $quoted }
    elseif (-not $quoted -and $ch -ceq '(') { $depth++ }
    elseif (-not $quoted -and $ch -ceq ')') { $depth = [Math]::Max(0, $depth - 1) }
    [void]$sb.Append($ch)
  }
  $s = $sb.ToString()
  $sd = @{ Owner = $null; Dacl = $null; HasDacl = $false; DaclFlags = '' }
  $i = 0
  $isPart = { param($at) $at + 1 -lt $s.Length -and $s[$at + 1] -ceq ':' -and ('OGDSogds'.IndexOf($s[$at]) -ge 0) }
  while ($i -lt $s.Length) {
    if (-not (& $isPart $i)) { throw "unexpected '$($s[$i])' (expected O:, G:, D: or S:)" }
    $part = ([string]$s[$i]).ToUpperInvariant()
    $i += 2
    if ($part -ceq 'O' -or $part -ceq 'G') {
      $j = $i
      while ($j -lt $s.Length -and -not (& $isPart $j)) { $j++ }
      $sid = ConvertFrom-DsSddlSid $s.Substring($i, $j - $i)
      if ($part -ceq 'O') { $sd.Owner = $sid }
      $i = $j
      continue
    }
    $nullAcl = $false; $flags = ''
    while ($i -lt $s.Length -and $s[$i] -cne '(' -and -not (& $isPart $i)) {
      $rest = $s.Substring($i).ToUpperInvariant()
      if ($rest.StartsWith('NO_ACCESS_CONTROL', [StringComparison]::Ordinal)) { $nullAcl = $true; $i += 17 }
      elseif ($rest.StartsWith('AI', [StringComparison]::Ordinal) -or $rest.StartsWith('AR', [StringComparison]::Ordinal)) { $flags += $rest.Substring(0, 2); $i += 2 }
      elseif ($rest.StartsWith('P', [StringComparison]::Ordinal)) { $flags += 'P'; $i += 1 }
      else { throw "unknown ACL flag at '$($s.Substring($i))'" }
    }
    $aces = [System.Collections.Generic.List[object]]::new()
    while ($i -lt $s.Length -and $s[$i] -ceq '(') {
      $close = Find-DsClosingParen $s $i
      if ($close -lt 0) { throw 'unterminated ACE' }
      $fields = Split-DsTopLevel $s.Substring($i + 1, $close - $i - 1) ';'
      if ($fields.Length -ne 6 -and $fields.Length -ne 7) { throw "ACE $($aces.Count + 1) has $($fields.Length) fields" }
      $typeKey = $fields[0].ToUpperInvariant()
      if ($script:DsSddlAceTypes.ContainsKey($typeKey)) { $type = $script:DsSddlAceTypes[$typeKey] }
      elseif ($fields[0] -cmatch '\A0[xX][0-9a-fA-F]{1,2}\z') { $type = [Convert]::ToInt32($fields[0].Substring(2), 16) }
      else { throw "unknown ACE type '$($fields[0])'" }
      $aceFlags = 0
      for ($k = 0; $k -lt $fields[1].Length; $k += 2) {
        if ($k + 2 -gt $fields[1].Length) { throw "unknown ACE flag '$($fields[1].Substring($k))'" }
        $token = $fields[1].Substring($k, 2).ToUpperInvariant()
        if (-not $script:DsSddlFlags.ContainsKey($token)) { throw "unknown ACE flag '$token'" }
        $aceFlags = $aceFlags -bor $script:DsSddlFlags[$token]
      }
      $aces.Add(@{ Type = [int]$type; Flags = [int]$aceFlags; Mask = [long](ConvertFrom-DsSddlRights $fields[2]); Sid = (ConvertFrom-DsSddlSid $fields[5]); Raw = $s.Substring($i, $close - $i + 1) })
      $i = $close + 1
    }
    if ($nullAcl -and $aces.Count -gt 0) { throw 'NO_ACCESS_CONTROL with ACEs' }
    if ($part -ceq 'D') {
      $sd.HasDacl = $true
      $sd.DaclFlags = $flags
      $sd.Dacl = if ($nullAcl) { $null } else { , $aces.ToArray() }
    }
  }
  return $sd
}

# An ACE in SDDL: unchanged ACEs keep their original text (callback conditions included).
function Format-DsSddlAce($Ace) {
  if ($Ace.Raw) { return $Ace.Raw }
  $type = if ($Ace.Type -eq 0) { 'A' } elseif ($Ace.Type -eq 1) { 'D' } else { throw "cannot write ACE type $($Ace.Type)" }
  $flags = (@(@('OI', 1), @('CI', 2), @('NP', 4), @('IO', 8), @('ID', 16)) | Where-Object { $Ace.Flags -band $_[1] } | ForEach-Object { $_[0] }) -join ''
  return "($type;$flags;0x$(([long]$Ace.Mask).ToString('x', $script:DsInvariant));;;$($Ace.Sid))"
}

# --- Reasons ------------------------------------------------------------------------------------------

# The verdict of one rule: Status (pass, fail, error, skipped), Expected, Actual and the Message
# `driftscan check` prints (evaluate/evaluator.ts: message, or "expected X, found Y").
function New-DsVerdict([string]$Status, [string]$Expected, [string]$Actual, [string]$Message) {
  if ([string]::IsNullOrEmpty($Message)) { $Message = Format-DsExpectedFound $Expected $Actual }
  return @{ Status = $Status; Expected = $Expected; Actual = $Actual; Message = $Message }
}

# Machine Configuration reason code: `<baseline>:<kind>:<rule id>` (name:name:identifier).
function Get-DsReasonCode([string]$Baseline, [string]$Kind, [string]$RuleId) { return "${Baseline}:${Kind}:${RuleId}" }

# Runs an evaluation; a failure to read the machine is an `error` verdict naming what went wrong, never a pass.
function Invoke-DsEvaluation([scriptblock]$Evaluate) {
  try { return & $Evaluate }
  catch { return New-DsVerdict 'error' '' 'unreadable' "could not evaluate: $($_.Exception.Message)" }
}

# --- The seam ----------------------------------------------------------------------------------------
#
# The only way the rules reach Windows. ReadKey returns a key record in the snapshot format
# (docs/snapshot-format.md: path, exists, values[name, kind, data, typeCode], sddl, error);
# ReadKeyTree the records of a key and of the keys below it ($Subtree: @{ Depth; ValueNames; Acl }),
# each with its subkey names, as the collector records a subtree; ReadService a service record
# (name, exists, state, error). The write operations change exactly
# one thing each. Reader.ps1 implements them on Windows; tests replace $script:DsSeam with fakes.

$script:DsSeam = @{
  ReadKey = { param([string]$Path, [string[]]$ValueNames, [bool]$Acl) Read-DriftscanKey -Path $Path -ValueNames $ValueNames -Acl $Acl }
  # A key and the keys below it, as the collector reads subtrees: the records, parents before children.
  ReadKeyTree = { param([string]$Path, [string[]]$ValueNames, [bool]$Acl, $Subtree) Read-DriftscanKey -Path $Path -ValueNames $ValueNames -Acl $Acl -Subtree $Subtree }
  ReadService = { param([string]$Name) Read-DriftscanService -Name $Name }
  SetValue = { param([string]$Path, [string]$Name, [string]$Kind, $Data) Write-DriftscanValue -Path $Path -Name $Name -Kind $Kind -Data $Data }
  RemoveValue = { param([string]$Path, [string]$Name) Remove-DriftscanValue -Path $Path -Name $Name }
  NewKey = { param([string]$Path) New-DriftscanKey -Path $Path }
  RemoveKey = { param([string]$Path) Remove-DriftscanKey -Path $Path }
  SetSddl = { param([string]$Path, [string]$Sddl) Write-DriftscanKeySddl -Path $Path -Sddl $Sddl }
  SetServiceStartup = { param([string]$Name, [string]$StartupType) Set-DriftscanServiceStartup -Name $Name -StartupType $StartupType }
  SetServiceAccount = { param([string]$Name, [string]$Account) Set-DriftscanServiceAccount -Name $Name -Account $Account }
  SetServiceState = { param([string]$Name, [string]$State) Set-DriftscanServiceState -Name $Name -State $State }
  RemoveService = { param([string]$Name) Remove-DriftscanService -Name $Name }
}

function Read-DsKey([string]$Path, [string[]]$ValueNames, [bool]$Acl) { return & $script:DsSeam.ReadKey $Path $ValueNames $Acl }
function Read-DsService([string]$Name) { return & $script:DsSeam.ReadService $Name }
function Read-DsKeyTree([string]$Path, [string[]]$ValueNames, [bool]$Acl, $Subtree) { return @(& $script:DsSeam.ReadKeyTree $Path $ValueNames $Acl $Subtree) }

# A key as the rules see it: Unknown (with Reason), Absent, or Present with Values (by name, ignoring case) and Sddl.
function Get-DsKeyState([string]$Path, [string[]]$ValueNames, [bool]$Acl) {
  $record = Read-DsKey $Path $ValueNames $Acl
  if ($null -ne $record.error) { return @{ Status = 'unknown'; Reason = "could not read $($record.path): $($record.error)" } }
  if (-not $record.exists) { return @{ Status = 'absent' } }
  return @{ Status = 'present'; Record = $record; Path = [string]$record.path }
}

# The value `$Name` of a present key ('' = the default value), or $null.
function Get-DsKeyValue($KeyState, [string]$Name) {
  foreach ($v in @($KeyState.Record.values)) {
    if ($null -ne $v -and (Test-DsSameText ([string]$v.name) $Name)) { return ConvertFrom-DsValueRecord $v }
  }
  return $null
}

# --- Subtrees (state/snapshot/source.ts over the records ReadKeyTree returns) ----------------------

# The records of one ReadKeyTree by path, and their subkey lists as sets (folded as registryPathKey folds).
function New-DsKeyTree($Records) {
  $byPath = [System.Collections.Generic.Dictionary[string, object]]::new([StringComparer]::Ordinal)
  $subkeys = [System.Collections.Generic.Dictionary[string, object]]::new([StringComparer]::Ordinal)
  foreach ($r in @($Records)) {
    if ($null -eq $r) { continue }
    $key = Get-DsFold ([string]$r.path)
    $byPath[$key] = $r
    if ($null -ne $r.subkeys) {
      $set = [System.Collections.Generic.HashSet[string]]::new([StringComparer]::Ordinal)
      foreach ($n in @($r.subkeys)) { [void]$set.Add((Get-DsFold ([string]$n))) }
      $subkeys[$key] = $set
    }
  }
  return @{ ByPath = $byPath; Subkeys = $subkeys }
}

# A key of a tree as the rules see it (the shape Get-DsKeyState returns): its own record when there
# is one; else absent when a recorded ancestor does not exist or does not list the next name; else
# unknown, naming the unreadable key above it.
function Get-DsTreeKey($Tree, [string]$Path) {
  $own = Get-DsEntry $Tree.ByPath (Get-DsFold $Path)
  if ($null -ne $own) {
    if ($null -ne $own.error) { return @{ Status = 'unknown'; Reason = "could not read $($own.path): $($own.error)" } }
    if (-not $own.exists) { return @{ Status = 'absent' } }
    return @{ Status = 'present'; Record = $own; Path = [string]$own.path }
  }
  $segments = $Path.Split('\')
  $unreadable = $null
  for ($n = $segments.Length - 1; $n -ge 1; $n--) {
    $key = Get-DsFold ($segments[0..($n - 1)] -join '\')
    $parent = Get-DsEntry $Tree.ByPath $key
    if ($null -eq $parent) { continue }
    if ($null -ne $parent.error) { if ($null -eq $unreadable) { $unreadable = $parent }; continue }
    if (-not $parent.exists) { return @{ Status = 'absent' } }
    # (TryGetValue, not Get-DsEntry: a function would unroll the set on output.)
    $listed = $null
    if ($Tree.Subkeys.TryGetValue($key, [ref]$listed) -and -not $listed.Contains((Get-DsFold $segments[$n]))) { return @{ Status = 'absent' } }
  }
  if ($null -ne $unreadable) { return @{ Status = 'unknown'; Reason = "could not read $($unreadable.path): $($unreadable.error)" } }
  return @{ Status = 'unknown'; Reason = "$Path was not read" }
}
