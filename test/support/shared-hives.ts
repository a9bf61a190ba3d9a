/**
 * The real hives in `../shared/data/hives` are xz-compressed test data that must not be copied
 * into the repository. These helpers decompress them on demand (once per test process) into a
 * temp folder that is removed when the process exits.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedData } from './paths.js';

let dir: string | undefined;
const bytes = new Map<string, Buffer>();

function tempDir(): string {
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'driftscan-hives-'));
    const d = dir;
    process.on('exit', () => rmSync(d, { recursive: true, force: true }));
  }
  return dir;
}

/** The bytes of a shared hive (`SYSTEM.xz` is decompressed; raw files are read as they are). */
export function sharedHiveBytes(name: string): Buffer {
  let b = bytes.get(name);
  if (!b) {
    const src = join(sharedData, 'hives', name);
    b = name.endsWith('.xz') ? execFileSync('xz', ['-dc', src], { maxBuffer: 256 * 1024 * 1024 }) : execFileSync('cat', [src], { maxBuffer: 256 * 1024 * 1024 });
    bytes.set(name, b);
  }
  return b;
}

/**
 * A shared hive as a file in a temp folder, named without `.xz` (or `as`), for tools and the CLI.
 * Repeated calls return the same file.
 */
export function sharedHiveFile(name: string, as?: string): string {
  const out = join(tempDir(), as ?? name.replace(/\.xz$/, ''));
  if (!existsSync(out)) {
    if (name.endsWith('.xz')) writeFileSync(out, sharedHiveBytes(name));
    else copyFileSync(join(sharedData, 'hives', name), out);
  }
  return out;
}
