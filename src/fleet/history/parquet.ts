/**
 * `driftscan history --export parquet DIR`: every table of the store as `DIR/<table>.parquet` —
 * `findings` as the view data platforms want (severity and expected on every row), not as the
 * `finding_rows`, `machines` and `scan_rules` it is stored in (schema.ts, version 3) —
 * written by DuckDB's own Parquet writer (COPY … FORMAT parquet, zstd). Nothing half-written: the
 * files are written into a fresh temporary folder beside DIR and renamed into DIR only when all
 * of them succeeded.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DriftscanError } from '../../core/diagnostics.js';
import type { HistoryStore } from './store.js';

export const EXPORTED_TABLES = ['scans', 'scan_scopes', 'compliance_totals', 'findings', 'remediation_tasks', 'remediation_machines', 'driftscan_schema'] as const;

export async function exportParquet(store: HistoryStore, dir: string): Promise<string[]> {
  const target = resolve(dir);
  try {
    mkdirSync(target, { recursive: true });
  } catch (err) {
    throw new DriftscanError(`${dir}: cannot create the export folder: ${(err as Error).message}`);
  }
  const temp = mkdtempSync(join(dirname(target), `.${basename(target)}.tmp-`));
  const written: string[] = [];
  try {
    for (const table of EXPORTED_TABLES) {
      const file = join(temp, `${table}.parquet`);
      await store.connection.run(`COPY (SELECT * FROM ${table}) TO '${file.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION zstd)`);
    }
    for (const table of EXPORTED_TABLES) {
      renameSync(join(temp, `${table}.parquet`), join(target, `${table}.parquet`));
      written.push(join(dir, `${table}.parquet`));
    }
    return written;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
