/**
 * What a volume's first sector says it is. The OEM ID at offset 3 names NTFS ("NTFS    "), a
 * BitLocker-encrypted volume ("-FVE-FS-", BitLocker's boot sector) and ReFS ("ReFS"); FAT and exFAT
 * are told apart so that "no Windows volume" can say what each partition held.
 */
import { ascii } from './byte-source.js';

export type VolumeKind = 'ntfs' | 'bitlocker' | 'refs' | 'exfat' | 'fat' | 'unknown';

export function volumeKind(boot: Uint8Array): VolumeKind {
  const oem = ascii(boot, 3, 8);
  if (oem === 'NTFS    ') return 'ntfs';
  if (oem === '-FVE-FS-') return 'bitlocker';
  if (oem.startsWith('ReFS')) return 'refs';
  if (oem === 'EXFAT   ') return 'exfat';
  if (ascii(boot, 0x36, 3) === 'FAT' || ascii(boot, 0x52, 3) === 'FAT') return 'fat';
  return 'unknown';
}

export function describeVolumeKind(kind: VolumeKind): string {
  switch (kind) {
    case 'ntfs': return 'NTFS';
    case 'bitlocker': return 'a BitLocker-encrypted volume (-FVE-FS- signature): its files cannot be read without the key; gate the image before encryption';
    case 'refs': return 'ReFS (not supported: Windows system volumes are NTFS)';
    case 'exfat': return 'exFAT';
    case 'fat': return 'FAT';
    case 'unknown': return 'no file system driftscan recognises';
  }
}
