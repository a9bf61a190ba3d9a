/**
 * The history store: one DuckDB file (`reports/history.duckdb` by default, `--history PATH`),
 * through `@duckdb/node-api`. Opening it applies pending migrations (`schema.ts`), each in its own
 * transaction. A scan is written by a `ScanWriter` inside **one** transaction that stays open while
 * the scan runs — rows stream in through DuckDB appenders as Resource Graph pages arrive, so memory
 * stays bounded — and only `commit()` makes the scan visible. A scan that is killed, or that fails
 * before `commit()`, leaves the store exactly as it was (DuckDB discards the uncommitted WAL tail).
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance, DuckDBTimestampTZValue } from '@duckdb/node-api';
import { DriftscanError } from '../../core/diagnostics.js';
import { VERSION } from '../../core/version.js';
import { MIGRATIONS, SCHEMA_TABLE, SCHEMA_VERSION, pendingMigrations } from './schema.js';

/**
 * DuckDB, loaded when a fleet command first opens the store. `require`, not `import()`: the package
 * is CommonJS with a native addon, stays outside the CLI bundle, and the bundle runs as a script,
 * which cannot `import()` (scripts/bundle-cli.ts).
 */
const loadDuckDb = (): typeof import('@duckdb/node-api') => createRequire(import.meta.url)('@duckdb/node-api') as typeof import('@duckdb/node-api');

export const DEFAULT_HISTORY_PATH = 'reports/history.duckdb';

export type ScopeStatus = 'ok' | 'forbidden' | 'failed';
export type Compliance = 'Compliant' | 'NonCompliant' | 'Waived' | 'Pending' | 'Missing';

export interface ScopeRecord {
  scopeId: string;
  kind: 'subscription' | 'managementGroup' | 'tenant';
  displayName?: string | undefined;
  status: ScopeStatus;
  error?: string | undefined;
}

export interface FindingRecord {
  machineId: string;
  subscriptionId: string;
  baseline: string;
  ruleId: string;
  severity: string;
  expected: string;
  reason: string;
  waived: boolean;
  waiverReason?: string | undefined;
}

export interface ScanRecord {
  scanId: number;
  startedAt: string;
  finishedAt: string;
  complete: boolean;
  exitCode: number;
  driftscanVersion: string;
  baselines: string[];
  machines: number;
  noncompliantMachines: number;
  findings: number;
  requests: number;
}

/** What a finished scan adds to its `scans` row. */
export interface ScanClose {
  finishedAt: Date;
  complete: boolean;
  requests: number;
}

/** Exit codes of a scan (docs: README `driftscan scan`). */
export const SCAN_EXIT = { OK: 0, DRIFT: 1, INCOMPLETE: 3 } as const;

/** Converts DuckDB's BigInt counts to numbers (JSON cannot hold BigInt; counts stay far below 2^53). */
export function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object' && v.constructor === Object) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  if (v && typeof v === 'object' && 'toString' in v && !(v instanceof Date)) {
    // DuckDB value objects (timestamps, lists) print as their SQL text.
    const items = (v as { items?: unknown[] }).items;
    if (Array.isArray(items)) return items.map(plain);
    return String(v);
  }
  return v;
}

export class HistoryStore {
  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  /** Opens (creating when absent) the store at `path` and brings its schema up to date. */
  static async open(path: string, options: { readOnly?: boolean } = {}): Promise<HistoryStore> {
    const { DuckDBInstance } = loadDuckDb();
    let instance: DuckDBInstance;
    try {
      if (!options.readOnly && path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
      // DuckDB's default memory limit: a fixed small one (128 MB was tried) made a year's history
      // fail with "Out of Memory: failed to pin block" and did not lower a scan's peak RSS.
      instance = await DuckDBInstance.create(path, options.readOnly ? { access_mode: 'READ_ONLY' } : {});
    } catch (err) {
      throw new DriftscanError(`${path}: cannot open the history store: ${firstLine(err)}`);
    }
    const store = new HistoryStore(path, instance, await instance.connect());
    try {
      await store.migrate(options.readOnly === true);
    } catch (err) {
      store.close();
      throw err;
    }
    return store;
  }

  /** The schema version the store is at (0: empty). */
  async schemaVersion(): Promise<number> {
    const r = await this.connection.runAndReadAll(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'driftscan_schema'`);
    if (Number(r.getRowObjects()[0]!.n) === 0) return 0;
    const v = await this.connection.runAndReadAll('SELECT coalesce(max(version), 0) AS v FROM driftscan_schema');
    return Number(v.getRowObjects()[0]!.v);
  }

  private async migrate(readOnly: boolean): Promise<void> {
    const current = await this.schemaVersion();
    if (current > SCHEMA_VERSION) {
      throw new DriftscanError(`${this.path}: the history store is at schema version ${current}, newer than this driftscan understands (${SCHEMA_VERSION}); use a newer driftscan`);
    }
    const pending = pendingMigrations(current);
    if (pending.length === 0) return;
    if (readOnly) throw new DriftscanError(`${this.path}: the history store is at schema version ${current} and needs migrating to ${SCHEMA_VERSION}; run a scan (or history) without read-only access first`);
    for (const m of pending) {
      await this.connection.run('BEGIN TRANSACTION');
      try {
        await this.connection.run(SCHEMA_TABLE);
        for (const sql of m.statements) await this.connection.run(sql);
        await this.connection.run('INSERT INTO driftscan_schema VALUES ($1, $2, now(), $3)', [m.version, m.summary, VERSION]);
        await this.connection.run('COMMIT');
      } catch (err) {
        await this.connection.run('ROLLBACK').catch(() => undefined);
        throw new DriftscanError(`${this.path}: migration ${m.version} (${m.summary}) failed: ${firstLine(err)}`);
      }
    }
  }

  /** Starts writing a scan: opens its transaction. Nothing is visible to readers until `commit()`. */
  async beginScan(startedAt: Date, baselines: readonly string[]): Promise<ScanWriter> {
    await this.connection.run('BEGIN TRANSACTION');
    const r = await this.connection.runAndReadAll('SELECT coalesce(max(scan_id), 0) + 1 AS id FROM scans');
    const scanId = Number(r.getRowObjects()[0]!.id);
    return new ScanWriter(this.connection, scanId, startedAt, [...baselines]);
  }

  /** Every scan, oldest first. */
  async listScans(): Promise<ScanRecord[]> {
    const r = await this.connection.runAndReadAll(`SELECT scan_id, strftime(started_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS started_at,
      strftime(finished_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS finished_at, complete, exit_code, driftscan_version, baselines,
      machines, noncompliant_machines, findings, requests FROM scans ORDER BY scan_id`);
    return r.getRowObjects().map((row) => {
      const o = plain(row) as Record<string, unknown>;
      return {
        scanId: o.scan_id as number,
        startedAt: o.started_at as string,
        finishedAt: o.finished_at as string,
        complete: o.complete as boolean,
        exitCode: o.exit_code as number,
        driftscanVersion: o.driftscan_version as string,
        baselines: o.baselines as string[],
        machines: o.machines as number,
        noncompliantMachines: o.noncompliant_machines as number,
        findings: o.findings as number,
        requests: o.requests as number,
      };
    });
  }

  /** Runs a read query and returns plain rows (numbers, strings; no BigInt). */
  async query(sql: string, params: Array<string | number | boolean> = []): Promise<Array<Record<string, unknown>>> {
    const r = await this.connection.runAndReadAll(sql, params);
    return r.getRowObjects().map((row) => plain(row) as Record<string, unknown>);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/**
 * One scan being written. Findings stream in through an appender (DuckDB's fast bulk path; prepared
 * inserts are ~100× slower, azure-fleet.md §6); `commit()` derives `first_seen`, the Waived totals
 * and the scan row in SQL inside the same transaction, then commits.
 */
export class ScanWriter {
  private findingsAppender: DuckDBAppender | undefined;
  private finished = false;
  private appended = 0;
  private startedTz: DuckDBTimestampTZValue | undefined;

  constructor(
    private readonly connection: DuckDBConnection,
    readonly scanId: number,
    readonly startedAt: Date,
    readonly baselines: string[],
  ) {}

  /**
   * Records scopes, in one statement per 500: DuckDB's prepared single-row inserts cost ~13 ms each
   * here, which a scan of thousands of subscriptions would feel.
   */
  async addScopes(scopes: readonly ScopeRecord[]): Promise<void> {
    await this.insertRows('INSERT OR REPLACE INTO scan_scopes VALUES', 6, scopes.map((s) => [this.scanId, s.scopeId, s.kind, s.displayName ?? null, s.status, s.error ?? null]));
  }

  /** Records machine counts per (subscription, baseline, compliance); each key at most once per scan. */
  async addTotals(totals: ReadonlyArray<{ subscriptionId: string; baseline: string; compliance: Compliance; machines: number }>): Promise<void> {
    await this.insertRows('INSERT INTO compliance_totals VALUES', 5, totals.filter((t) => t.machines > 0).map((t) => [this.scanId, t.subscriptionId.toLowerCase(), t.baseline, t.compliance, t.machines]));
  }

  private async insertRows(head: string, width: number, rows: ReadonlyArray<ReadonlyArray<string | number | null>>): Promise<void> {
    for (let at = 0; at < rows.length; at += 500) {
      const chunk = rows.slice(at, at + 500);
      const values = chunk.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`).join(', ');
      await this.connection.run(`${head} ${values}`, chunk.flat() as never);
    }
  }

  async appendFinding(f: FindingRecord): Promise<void> {
    if (!this.findingsAppender) {
      const { timestampTZValue } = loadDuckDb();
      this.startedTz = timestampTZValue(BigInt(this.startedAt.getTime()) * 1000n);
      this.findingsAppender = await this.connection.createAppender('findings');
    }
    const a = this.findingsAppender;
    a.appendInteger(this.scanId);
    a.appendVarchar(f.machineId.toLowerCase());
    a.appendVarchar(f.subscriptionId.toLowerCase());
    a.appendVarchar(f.baseline);
    a.appendVarchar(f.ruleId);
    a.appendVarchar(f.severity);
    a.appendVarchar(f.expected);
    a.appendVarchar(f.reason);
    a.appendBoolean(f.waived);
    if (f.waiverReason === undefined) a.appendNull();
    else a.appendVarchar(f.waiverReason);
    // Provisional: commit() carries first_seen over from the previous scan of the subscription.
    a.appendTimestampTZ(this.startedTz!);
    a.endRow();
    this.appended += 1;
  }

  /** Drops what was written for `subscriptions` (a batch that failed part-way). */
  async discardSubscriptions(subscriptions: readonly string[]): Promise<void> {
    this.findingsAppender?.flushSync();
    for (const sub of subscriptions) {
      await this.connection.run('DELETE FROM findings WHERE scan_id = $1 AND subscription_id = $2', [this.scanId, sub.toLowerCase()]);
      await this.connection.run('DELETE FROM compliance_totals WHERE scan_id = $1 AND subscription_id = $2', [this.scanId, sub.toLowerCase()]);
    }
  }

  get findingsAppended(): number {
    return this.appended;
  }

  /**
   * Finishes the scan: moves NonCompliant machines whose every failing rule is waived to Waived,
   * carries `first_seen` over for drift that was present in the previous scan that read the same
   * subscription, writes the `scans` row, commits. Returns the scan's exit code.
   */
  async commit(close: ScanClose): Promise<number> {
    this.findingsAppender?.flushSync();
    this.findingsAppender?.closeSync();
    this.findingsAppender = undefined;
    const id = this.scanId;
    const c = this.connection;
    // Waived: a non-compliant assignment whose failing rules are all waived is not drift, and not compliant either.
    await c.run(`CREATE TEMP TABLE waived_machines AS
      SELECT subscription_id, baseline, count(*) AS machines FROM (
        SELECT subscription_id, baseline, machine_id FROM findings WHERE scan_id = $1
        GROUP BY ALL HAVING bool_and(waived)) GROUP BY ALL`, [id]);
    await c.run(`UPDATE compliance_totals t SET machines = t.machines - w.machines FROM waived_machines w
      WHERE t.scan_id = $1 AND t.compliance = 'NonCompliant' AND t.subscription_id = w.subscription_id AND t.baseline = w.baseline`, [id]);
    await c.run(`INSERT INTO compliance_totals SELECT $1, subscription_id, baseline, 'Waived', machines FROM waived_machines`, [id]);
    await c.run(`DELETE FROM compliance_totals WHERE scan_id = $1 AND machines = 0`, [id]);
    await c.run('DROP TABLE waived_machines');
    // Drift: any machine not Compliant and not Waived (Pending and Missing are not compliant either).
    const drift = await c.runAndReadAll(`SELECT count(*) AS n FROM compliance_totals WHERE scan_id = $1 AND compliance IN ('NonCompliant', 'Pending', 'Missing')`, [id]);
    const exitCode = !close.complete ? SCAN_EXIT.INCOMPLETE : Number(drift.getRowObjects()[0]!.n) > 0 ? SCAN_EXIT.DRIFT : SCAN_EXIT.OK;
    // first_seen: the previous scan in which this subscription answered; drift present there keeps its date.
    await c.run(`UPDATE findings f SET first_seen = p.first_seen FROM (
        SELECT pf.machine_id, pf.baseline, pf.rule_id, pf.first_seen FROM findings pf
        JOIN (SELECT scope_id, max(scan_id) AS prev FROM scan_scopes
              WHERE scan_id < $1 AND kind = 'subscription' AND status = 'ok' GROUP BY scope_id) last
          ON pf.scan_id = last.prev AND pf.subscription_id = last.scope_id) p
      WHERE f.scan_id = $1 AND f.machine_id = p.machine_id AND f.baseline = p.baseline AND f.rule_id = p.rule_id`, [id]);
    await c.run(`INSERT INTO scans
      SELECT $1, $2::TIMESTAMPTZ, $3::TIMESTAMPTZ, $4, $5, $6, list_filter(string_split($7, chr(31)), (b) -> b <> ''),
        (SELECT coalesce(sum(machines), 0) FROM compliance_totals WHERE scan_id = $1),
        (SELECT coalesce(sum(machines), 0) FROM compliance_totals WHERE scan_id = $1 AND compliance = 'NonCompliant'),
        (SELECT count(*) FROM findings WHERE scan_id = $1 AND NOT waived), $8`,
      [id, this.startedAt.toISOString(), close.finishedAt.toISOString(), close.complete, exitCode, VERSION, this.baselines.join('\u001f'), close.requests] as never);
    await c.run('COMMIT');
    this.finished = true;
    return exitCode;
  }

  /** Abandons the scan: the store stays as it was. */
  async rollback(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    try {
      this.findingsAppender?.closeSync();
    } catch {
      // The appender's rows are part of the transaction being discarded.
    }
    await this.connection.run('ROLLBACK').catch(() => undefined);
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}

export { MIGRATIONS };
