/** foldCase against its oracle, .NET's String.ToUpperInvariant under pwsh (what the DSC module runs). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldCase, sameIgnoringCase } from '../src/windows/text.js';
import { needPwsh, runPwsh } from './support/pwsh.js';

test('foldCase maps one character to one: ß stays, ı stays, ᾳ → ᾼ, k → K', () => {
  assert.equal(foldCase('straße'), 'STRAßE');
  assert.equal(foldCase('\u0131'), '\u0131');
  assert.equal(foldCase('\u1fb3'), '\u1fbc');
  assert.ok(sameIgnoringCase('NT Authority', 'nt authority'));
  assert.ok(!sameIgnoringCase('STRASSE', 'straße'));
  assert.equal(foldCase('\ud801\udc28\ud800'), '\ud801\udc00\ud800', 'astral letters map, lone surrogates stay');
});

test('foldCase equals .NET ToUpperInvariant for every BMP character and a sample of astral ones', { skip: needPwsh() }, () => {
  const astral = [0x10428, 0x104d8, 0x10cc0, 0x118c0, 0x16e60, 0x1e922, 0x1f600, 0x10570, 0x10597];
  const out = runPwsh(`$sb = [System.Text.StringBuilder]::new()
    for ($i = 0; $i -lt 65536; $i++) { if ($i -ge 0xd800 -and $i -le 0xdfff) { [void]$sb.Append('-,'); continue }; [void]$sb.Append([int]([string][char]$i).ToUpperInvariant()[0]).Append(',') }
    foreach ($c in @(${astral.join(', ')})) { $u = [char]::ConvertFromUtf32($c).ToUpperInvariant(); [void]$sb.Append([char]::ConvertToUtf32($u, 0)).Append(',') }
    $sb.ToString()`).trim().split(',').filter(Boolean);
  const diffs: string[] = [];
  for (let i = 0; i < 65536; i++) {
    if (i >= 0xd800 && i <= 0xdfff) continue;
    if (foldCase(String.fromCharCode(i)).charCodeAt(0) !== Number(out[i])) diffs.push(i.toString(16));
  }
  astral.forEach((c, j) => { if (foldCase(String.fromCodePoint(c)).codePointAt(0) !== Number(out[65536 + j])) diffs.push(c.toString(16)); });
  assert.deepEqual(diffs, []);
});
