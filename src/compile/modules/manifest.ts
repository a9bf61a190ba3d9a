/**
 * Module manifests (`<Module>.psd1`) as PowerShell writes them. `package inspect` reads the
 * version of each module a package carries from here, to compare it with the version the MOF
 * references.
 */

/** `ModuleVersion = '2.12.0.0'` from a psd1 (UTF-8 or UTF-16LE with BOM, as PowerShell writes them). */
export function manifestVersion(psd1: Uint8Array): string | undefined {
  const text = psd1[0] === 0xff && psd1[1] === 0xfe ? new TextDecoder('utf-16le').decode(psd1.subarray(2)) : new TextDecoder().decode(psd1).replace(/^\uFEFF/, '');
  const uncommented = text.replace(/<#[\s\S]*?#>/g, '').replace(/#.*$/gm, '');
  return /^\s*ModuleVersion\s*=\s*['"]([^'"]+)['"]/im.exec(uncommented)?.[1];
}
