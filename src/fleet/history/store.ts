/**
 * The history store: one DuckDB file (`reports/history.duckdb` by default, `--history PATH`),
 * through `@duckdb/node-api`. Opening it applies pending migrations (`schema.ts`), each in its own
 * transaction. A scan is written by a `ScanWriter`: rows stream to a staging file beside the store
 * as Resource Graph pages arrive, so memory stays bounded, and `commit()` loads them and records
 * the scan in **one** transaction. A scan that is killed, or that fails before its commit
 * completes, leaves the store exactly as it was (DuckDB discards an uncommitted transaction).
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
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
  /**
   * `threads`: DuckDB's worker threads (default: one per core). A scan opens the store with one:
   * each DuckDB thread keeps its own buffers for the commit's insert and the report's sort, and
   * on the measured fleet (README, Fleet scan) one thread was both leaner and no slower.
   */
  static async open(path: string, options: { readOnly?: boolean; threads?: number } = {}): Promise<HistoryStore> {
    const { DuckDBInstance } = loadDuckDb();
    let instance: DuckDBInstance;
    try {
      if (!options.readOnly && path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
      // DuckDB's default memory limit: a fixed small one (128 MB was tried) made a year's history
      // fail with "Out of Memory: failed to pin block" and did not lower a scan's peak RSS.
      instance = await DuckDBInstance.create(path, { ...(options.readOnly ? { access_mode: 'READ_ONLY' } : {}), ...(options.threads ? { threads: String(options.threads) } : {}) });
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
    // DuckDB locks the file for one writing process: the id stays free until this scan commits.
    const r = await this.connection.runAndReadAll('SELECT coalesce(max(scan_id), 0) + 1 AS id FROM scans');
    const scanId = Number(r.getRowObjects()[0]!.id);
    return new ScanWriter(this.connection, scanId, startedAt, [...baselines], this.stagingFolder());
  }

  /**
   * A fresh staging folder for a scan's findings: `<store>.staging/` beside the store (same disk),
   * or under the system's temp folder for an in-memory store. This process holds DuckDB's write
   * lock, so anything already there was left by a killed scan and is removed first.
   */
  private stagingFolder(): string {
    if (this.path === ':memory:') return mkdtempSync(join(tmpdir(), 'driftscan-staging-'));
    const dir = `${resolve(this.path)}.staging`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    return dir;
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

  /**
   * Streams the rows of `sql` (a SELECT with no parameters) as CSV with a header line — RFC 4180
   * quoting, NULL as an empty field — written by DuckDB's own CSV writer to a temp file and read
   * back in 256 KiB chunks: for a fleet's findings that is ~3× faster and ~60 MB leaner than turning
   * each row into a JavaScript object (README, Fleet scan). The chunks are bytes of one reused
   * buffer, valid only during the call: `write` must use them at once (the output writers do). Not
   * decoded to strings and encoded again: each 1 MiB string and its copy as bytes used to outlive
   * the write until V8's next full collection — ~75 MB of a 164,410-finding scan's peak RSS.
   */
  async streamCsv(sql: string, write: (chunk: Uint8Array) => void): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'driftscan-csv-'));
    try {
      const file = join(dir, 'rows.csv');
      await this.connection.run(`COPY (${sql}) TO ${sqlString(file)} (FORMAT csv, HEADER true, DELIMITER ',', QUOTE '"', ESCAPE '"', NEW_LINE '\\n')`);
      const fd = openSync(file, 'r');
      try {
        const buf = Buffer.allocUnsafe(256 << 10);
        for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) write(buf.subarray(0, n));
      } finally {
        closeSync(fd);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private closed = false;

  /** Closes the store (again: nothing). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** The columns of a staged finding, in the order `ScanWriter` writes them (one CSV line each). */
const STAGED_COLUMNS = "{'machine_id': 'VARCHAR', 'subscription_id': 'VARCHAR', 'baseline': 'VARCHAR', 'rule_id': 'VARCHAR', 'reason': 'VARCHAR', 'waived': 'BOOLEAN', 'waiver_reason': 'VARCHAR'}";

/** Bytes of CSV gathered before a write to the staging file. */
const STAGE_FLUSH_BYTES = 1 << 20;

/** A quoted CSV field (RFC 4180: quotes doubled; line breaks stay inside the quotes). */
function csvField(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** A SQL string literal. */
function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

type TotalRow = { subscriptionId: string; baseline: string; compliance: Compliance; machines: number };

/** Findings per staging file: `commit()` loads one file per INSERT, and each INSERT's working memory grows with its rows. */
const STAGE_FILE_ROWS = 20_000;

/** One batch of a scan: its staging files, totals and rules, kept or discarded together. */
interface Segment {
  files: string[];
  fd: number;
  buffer: string[];
  bufferBytes: number;
  /** Rows in the batch, and in its open file. */
  rows: number;
  fileRows: number;
  totals: TotalRow[];
  /** Severity and expected text of each rule its findings name, by `baseline\0ruleId` (table `scan_rules`). */
  rules: Map<string, { baseline: string; ruleId: string; severity: string; expected: string }>;
}

/**
 * One scan being written. Findings are staged as they arrive — CSV lines appended to a file in a
 * staging folder beside the store, one file per batch of subscriptions, the per-machine columns
 * only (each rule's severity and expected text are kept once, for `scan_rules`) — and `commit()`
 * loads them in **one** transaction: the machines not yet in `machines`, then `INSERT … SELECT`s
 * into `finding_rows` from DuckDB's CSV reader that look up each machine's key and derive
 * `first_seen` (a join with the previous scan of each subscription), then the rules, the totals,
 * the Waived totals, the scan row, COMMIT. Nothing touches the database before `commit()`, so a
 * scan killed while it reads Resource Graph leaves the store as it was, and one killed during
 * `commit()` does too (DuckDB discards an uncommitted transaction). Why not append inside a long transaction, as
 * before: DuckDB kept the uncommitted rows in memory (~0.45 KB per finding) and the `first_seen`
 * UPDATE needed ~60 MB more; a 164,410-finding scan peaked at ~350 MB (README, Fleet scan).
 */
export class ScanWriter {
  private finished = false;
  private appended = 0;
  private readonly kept: Segment[] = [];
  private current: Segment;
  private readonly stagingDir: string;
  private segmentCount = 0;
  private readonly scopes: ScopeRecord[] = [];

  constructor(
    private readonly connection: DuckDBConnection,
    readonly scanId: number,
    readonly startedAt: Date,
    readonly baselines: string[],
    stagingParent: string,
  ) {
    this.stagingDir = stagingParent;
    this.current = this.openSegment();
  }

  private openSegment(): Segment {
    const file = this.nextFile();
    return { files: [file], fd: openSync(file, 'w'), buffer: [], bufferBytes: 0, rows: 0, fileRows: 0, totals: [], rules: new Map() };
  }

  private nextFile(): string {
    return join(this.stagingDir, `findings-${++this.segmentCount}.csv`);
  }

  private flushSegment(s: Segment): void {
    if (s.buffer.length === 0) return;
    writeSync(s.fd, s.buffer.join(''));
    s.buffer = [];
    s.bufferBytes = 0;
  }

  /** Starts a new batch: what was written so far is kept. */
  startBatch(): void {
    if (this.current.rows === 0 && this.current.totals.length === 0) return;
    this.flushSegment(this.current);
    closeSync(this.current.fd);
    this.kept.push(this.current);
    this.current = this.openSegment();
  }

  /** Drops what was written since the last `startBatch()` (a batch that failed part-way). */
  discardBatch(): void {
    closeSync(this.current.fd);
    for (const f of this.current.files) rmSync(f, { force: true });
    this.appended -= this.current.rows;
    this.current = this.openSegment();
  }

  /** Records scopes (written at commit). */
  async addScopes(scopes: readonly ScopeRecord[]): Promise<void> {
    this.scopes.push(...scopes);
  }

  /** Records machine counts per (subscription, baseline, compliance); each key at most once per scan. */
  async addTotals(totals: readonly TotalRow[]): Promise<void> {
    this.current.totals.push(...totals.filter((t) => t.machines > 0));
  }

  async appendFinding(f: FindingRecord): Promise<void> {
    const s = this.current;
    const rule = `${f.baseline}\u0000${f.ruleId}`;
    if (!s.rules.has(rule)) s.rules.set(rule, { baseline: f.baseline, ruleId: f.ruleId, severity: f.severity, expected: f.expected });
    const line = `${csvField(f.machineId.toLowerCase())},${csvField(f.subscriptionId.toLowerCase())},${csvField(f.baseline)},${csvField(f.ruleId)},${csvField(f.reason)},${f.waived},${f.waiverReason === undefined ? '' : csvField(f.waiverReason)}\n`;
    s.buffer.push(line);
    s.bufferBytes += line.length;
    s.rows += 1;
    s.fileRows += 1;
    this.appended += 1;
    if (s.bufferBytes >= STAGE_FLUSH_BYTES || s.fileRows >= STAGE_FILE_ROWS) this.flushSegment(s);
    if (s.fileRows >= STAGE_FILE_ROWS) {
      closeSync(s.fd);
      const file = this.nextFile();
      s.files.push(file);
      s.fd = openSync(file, 'w');
      s.fileRows = 0;
    }
  }

  get findingsAppended(): number {
    return this.appended;
  }

  /**
   * Inserts rows in one statement per 500: DuckDB's prepared single-row inserts cost ~13 ms each
   * here, which a scan of thousands of subscriptions would feel.
   */
  private async insertRows(head: string, width: number, rows: ReadonlyArray<ReadonlyArray<string | number | null>>): Promise<void> {
    for (let at = 0; at < rows.length; at += 500) {
      const chunk = rows.slice(at, at + 500);
      const values = chunk.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`).join(', ');
      await this.connection.run(`${head} ${values}`, chunk.flat() as never);
    }
  }

  /**
   * Finishes the scan in one transaction: loads the staged findings with their `first_seen` carried
   * over for drift that was present in the previous scan that read the same subscription, records
   * totals and scopes, moves NonCompliant machines whose every failing rule is waived to Waived,
   * writes the `scans` row, commits. Returns the scan's exit code.
   */
  async commit(close: ScanClose): Promise<number> {
    this.startBatch();
    closeSync(this.current.fd);
    const id = this.scanId;
    const c = this.connection;
    const files = this.kept.flatMap((s) => s.files).filter((f) => statSync(f).size > 0);
    // first_seen: drift present in the previous scan in which its subscription answered keeps that
    // scan's date. Those findings are keyed by a 64-bit hash of (machine, baseline, rule) in a temp
    // table (16 bytes a finding, not the strings), which each INSERT joins; two different findings
    // sharing a hash — odds ~n²/2⁶⁴, about 10⁻⁹ for a 164,410-finding scan — would share a date.
    // min() keeps one row per key should the previous scan repeat one.
    await c.run(`CREATE OR REPLACE TEMP TABLE previous_drift AS
      SELECT hash(pf.machine_key, pf.baseline, pf.rule_id) AS k, min(pf.first_seen) AS first_seen FROM finding_rows pf
      JOIN (SELECT scope_id, max(scan_id) AS prev FROM scan_scopes
            WHERE scan_id < $1 AND kind = 'subscription' AND status = 'ok' GROUP BY scope_id) last
        ON pf.scan_id = last.prev AND pf.subscription_id = last.scope_id
      GROUP BY k`, [id]);
    const staged = (from: string) => `read_csv(${from}, header = false, delim = ',', quote = '"', escape = '"', new_line = '\\n',
            columns = ${STAGED_COLUMNS}, auto_detect = false, allow_quoted_nulls = false, nullstr = '', buffer_size = 4194304)`;
    await c.run('BEGIN TRANSACTION');
    try {
      // Machines the store has not seen yet get the next keys (this process holds the write lock).
      if (files.length > 0) {
        await c.run(`INSERT INTO machines
          SELECT (SELECT coalesce(max(machine_key), 0) FROM machines) + row_number() OVER (ORDER BY n.machine_id), n.machine_id
          FROM (SELECT DISTINCT machine_id FROM ${staged(`[${files.map(sqlString).join(', ')}]`)}) n
          WHERE NOT EXISTS (SELECT 1 FROM machines m WHERE m.machine_id = n.machine_id)`);
      }
      // One INSERT per staging file (≤ STAGE_FILE_ROWS rows): DuckDB's working memory for an
      // INSERT … SELECT with a join grows with the rows of that statement.
      for (const file of files) {
        await c.run(`INSERT INTO finding_rows
          SELECT $1, m.machine_key, s.subscription_id, s.baseline, s.rule_id, s.reason, s.waived, s.waiver_reason,
            coalesce(p.first_seen, $2::TIMESTAMPTZ)
          FROM ${staged(sqlString(file))} s
          JOIN machines m ON m.machine_id = s.machine_id
          LEFT JOIN previous_drift p ON hash(m.machine_key, s.baseline, s.rule_id) = p.k`, [id, this.startedAt.toISOString()]);
      }
      // A rule named by two batches is one row (the same baseline gives it the same words).
      const rules = new Map(this.kept.flatMap((s) => [...s.rules]));
      await this.insertRows('INSERT INTO scan_rules VALUES', 5, [...rules.values()].map((r) => [id, r.baseline, r.ruleId, r.severity, r.expected]));
      const totals = this.kept.flatMap((s) => s.totals);
      await this.insertRows('INSERT INTO compliance_totals VALUES', 5, totals.map((t) => [id, t.subscriptionId.toLowerCase(), t.baseline, t.compliance, t.machines]));
      await this.insertRows('INSERT OR REPLACE INTO scan_scopes VALUES', 6, this.scopes.map((s) => [id, s.scopeId, s.kind, s.displayName ?? null, s.status, s.error ?? null]));
      // Waived: a non-compliant assignment whose failing rules are all waived is not drift, and not compliant either.
      await c.run(`CREATE TEMP TABLE waived_machines AS
        SELECT subscription_id, baseline, count(*) AS machines FROM (
          SELECT subscription_id, baseline, machine_key FROM finding_rows WHERE scan_id = $1
          GROUP BY ALL HAVING bool_and(waived)) GROUP BY ALL`, [id]);
      await c.run(`UPDATE compliance_totals t SET machines = t.machines - w.machines FROM waived_machines w
        WHERE t.scan_id = $1 AND t.compliance = 'NonCompliant' AND t.subscription_id = w.subscription_id AND t.baseline = w.baseline`, [id]);
      await c.run(`INSERT INTO compliance_totals SELECT $1, subscription_id, baseline, 'Waived', machines FROM waived_machines`, [id]);
      await c.run(`DELETE FROM compliance_totals WHERE scan_id = $1 AND machines = 0`, [id]);
      await c.run('DROP TABLE waived_machines');
      await c.run('DROP TABLE previous_drift');
      // Drift: any machine not Compliant and not Waived (Pending and Missing are not compliant either).
      const drift = await c.runAndReadAll(`SELECT count(*) AS n FROM compliance_totals WHERE scan_id = $1 AND compliance IN ('NonCompliant', 'Pending', 'Missing')`, [id]);
      const exitCode = !close.complete ? SCAN_EXIT.INCOMPLETE : Number(drift.getRowObjects()[0]!.n) > 0 ? SCAN_EXIT.DRIFT : SCAN_EXIT.OK;
      await c.run(`INSERT INTO scans
        SELECT $1, $2::TIMESTAMPTZ, $3::TIMESTAMPTZ, $4, $5, $6, list_filter(string_split($7, chr(31)), (b) -> b <> ''),
          (SELECT coalesce(sum(machines), 0) FROM compliance_totals WHERE scan_id = $1),
          (SELECT coalesce(sum(machines), 0) FROM compliance_totals WHERE scan_id = $1 AND compliance = 'NonCompliant'),
          (SELECT count(*) FROM finding_rows WHERE scan_id = $1 AND NOT waived), $8`,
        [id, this.startedAt.toISOString(), close.finishedAt.toISOString(), close.complete, exitCode, VERSION, this.baselines.join('\u001f'), close.requests] as never);
      await c.run('COMMIT');
      this.finished = true;
      await releaseAllocatorMemory(c);
      return exitCode;
    } catch (err) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      this.finished = true;
      rmSync(this.stagingDir, { recursive: true, force: true });
    }
  }

  /** Abandons the scan: the store stays as it was. */
  async rollback(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    try {
      closeSync(this.current.fd);
    } catch {
      // Already closed by commit().
    }
    rmSync(this.stagingDir, { recursive: true, force: true });
  }
}

/**
 * Sets DuckDB's `memory_limit` to the value it already has. Measured on the 160,020-finding scan
 * (README, Fleet scan): the checkpoint that closing the store runs after a large commit peaked
 * 40–85 MB above the commit itself; with the limit set again first, not at all (peak RSS 186 MB
 * against 227 MB in a standalone run of the commit, the same with any limit from 8 MB to 20 GB,
 * and the committed rows all there after reopening). Setting the limit makes DuckDB's buffer pool
 * re-apply it, which returns the memory its allocator kept from the commit's threads before the
 * checkpoint, on another thread, allocates afresh. The limit is what DuckDB reads back, rounded to
 * 0.1 GiB, and lasts until the instance closes — the scan closes it right after the commit.
 */
async function releaseAllocatorMemory(c: DuckDBConnection): Promise<void> {
  const limit = await c.runAndReadAll("SELECT current_setting('memory_limit') AS v");
  const value = String(limit.getRowObjects()[0]!.v);
  await c.run(`SET memory_limit = ${sqlString(value)}`);
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}

export { MIGRATIONS };
