/**
 * The history store's schema (docs/history.md), as an ordered list of migrations. Version N of the
 * schema is migrations 1…N applied in order; `driftscan_schema` records each one applied. A store
 * written by a newer driftscan (a version this list does not reach) is refused rather than guessed
 * at, and a migration is never edited once released — a change is a new migration at the end.
 *
 * Tables (one row per…):
 * - `scans`: scan; `complete` is false when a scope could not be read (exit 3).
 * - `scan_scopes`: scope of a scan (the subscriptions and management groups asked for, and every
 *   subscription that answered) with `status` ok | forbidden | failed and the error.
 * - `compliance_totals`: (scan, subscription, baseline, compliance) with the machine count;
 *   compliance is Compliant | NonCompliant | Waived | Pending | Missing.
 * - `findings`: failing rule of a non-compliant machine (or a waived one), mapped back to the
 *   baseline rule; `first_seen` is when this drift was first seen without a gap (see docs).
 *
 * - `remediation_tasks` (version 2): remediation task `driftscan remediate` opened or found for a
 *   scan's drift, with its latest known state and deployment counts.
 * - `remediation_machines` (version 2): machine × failing rule of a task, with the machine's result
 *   (`Opened` until the task ends, then the deployment's status) and its error.
 *
 * - `scan_rules` (version 3): baseline rule a scan's findings name, with its severity and expected
 *   text as of that scan; `machines` (version 3): machine a finding ever named, its ARM id under an
 *   integer key; `finding_rows` (version 3): the per-machine part of a finding. Since version 3
 *   `findings` is a view joining the three, with the columns it always had.
 *
 * No primary key or index on `finding_rows` (before version 3, `findings`): DuckDB checks an ART
 * index on every appended row, and the queries driftscan runs filter on `scan_id`, which the append
 * order keeps clustered (zone maps).
 */

export interface Migration {
  version: number;
  /** What the migration does, recorded in `driftscan_schema`. */
  summary: string;
  statements: readonly string[];
}

/** The table that records applied migrations; created before any migration runs. */
export const SCHEMA_TABLE = `CREATE TABLE IF NOT EXISTS driftscan_schema (
  version INTEGER PRIMARY KEY,
  summary VARCHAR NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL,
  driftscan_version VARCHAR NOT NULL
)`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    summary: 'scans, scan_scopes, compliance_totals, findings',
    statements: [
      `CREATE TABLE scans (
        scan_id INTEGER PRIMARY KEY,
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ NOT NULL,
        complete BOOLEAN NOT NULL,
        exit_code TINYINT NOT NULL,
        driftscan_version VARCHAR NOT NULL,
        baselines VARCHAR[] NOT NULL,
        machines BIGINT NOT NULL,
        noncompliant_machines BIGINT NOT NULL,
        findings BIGINT NOT NULL,
        requests INTEGER NOT NULL
      )`,
      `CREATE TABLE scan_scopes (
        scan_id INTEGER NOT NULL,
        scope_id VARCHAR NOT NULL,
        kind VARCHAR NOT NULL CHECK (kind IN ('subscription', 'managementGroup', 'tenant')),
        display_name VARCHAR,
        status VARCHAR NOT NULL CHECK (status IN ('ok', 'forbidden', 'failed')),
        error VARCHAR,
        PRIMARY KEY (scan_id, scope_id)
      )`,
      `CREATE TABLE compliance_totals (
        scan_id INTEGER NOT NULL,
        subscription_id VARCHAR NOT NULL,
        baseline VARCHAR NOT NULL,
        compliance VARCHAR NOT NULL CHECK (compliance IN ('Compliant', 'NonCompliant', 'Waived', 'Pending', 'Missing')),
        machines BIGINT NOT NULL,
        PRIMARY KEY (scan_id, subscription_id, baseline, compliance)
      )`,
      `CREATE TABLE findings (
        scan_id INTEGER NOT NULL,
        machine_id VARCHAR NOT NULL,
        subscription_id VARCHAR NOT NULL,
        baseline VARCHAR NOT NULL,
        rule_id VARCHAR NOT NULL,
        severity VARCHAR NOT NULL,
        expected VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        waived BOOLEAN NOT NULL,
        waiver_reason VARCHAR,
        first_seen TIMESTAMPTZ NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    summary: 'remediation_tasks, remediation_machines',
    statements: [
      `CREATE TABLE remediation_tasks (
        task_id VARCHAR PRIMARY KEY,
        task_name VARCHAR NOT NULL,
        scan_id INTEGER NOT NULL,
        mode VARCHAR NOT NULL CHECK (mode IN ('policy', 'direct')),
        assignment_id VARCHAR NOT NULL,
        policy_definition_reference_id VARCHAR,
        baseline VARCHAR NOT NULL,
        batch INTEGER NOT NULL,
        machines INTEGER NOT NULL,
        state VARCHAR NOT NULL,
        total_deployments INTEGER,
        successful_deployments INTEGER,
        failed_deployments INTEGER,
        status_message VARCHAR,
        first_recorded_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
      )`,
      `CREATE TABLE remediation_machines (
        task_id VARCHAR NOT NULL,
        machine_id VARCHAR NOT NULL,
        subscription_id VARCHAR NOT NULL,
        baseline VARCHAR NOT NULL,
        rule_id VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        result VARCHAR NOT NULL,
        error VARCHAR,
        PRIMARY KEY (task_id, machine_id, rule_id)
      )`,
    ],
  },
  {
    version: 3,
    summary: 'findings split into finding_rows, scan_rules and machines; findings becomes a view',
    // A rule's severity and expected text are the same for every machine it fails on in a scan:
    // stored once per scan × rule instead of once per finding; a machine's ARM id (~120 characters)
    // once per store, each finding naming it by an integer key. A scan's commit then holds ~180
    // fewer bytes per finding in memory (DuckDB keeps a transaction's rows uncompressed until its
    // checkpoint): ~75 MB of a 160,020-finding scan's peak (README, Fleet scan). The `findings`
    // view keeps every reader's query, and the Parquet export's file, as they were.
    statements: [
      `CREATE TABLE scan_rules (
        scan_id INTEGER NOT NULL,
        baseline VARCHAR NOT NULL,
        rule_id VARCHAR NOT NULL,
        severity VARCHAR NOT NULL,
        expected VARCHAR NOT NULL,
        PRIMARY KEY (scan_id, baseline, rule_id)
      )`,
      `CREATE TABLE machines (
        machine_key INTEGER PRIMARY KEY,
        machine_id VARCHAR NOT NULL
      )`,
      `CREATE TABLE finding_rows (
        scan_id INTEGER NOT NULL,
        machine_key INTEGER NOT NULL,
        subscription_id VARCHAR NOT NULL,
        baseline VARCHAR NOT NULL,
        rule_id VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        waived BOOLEAN NOT NULL,
        waiver_reason VARCHAR,
        first_seen TIMESTAMPTZ NOT NULL
      )`,
      'INSERT INTO scan_rules SELECT scan_id, baseline, rule_id, any_value(severity), any_value(expected) FROM findings GROUP BY scan_id, baseline, rule_id',
      'INSERT INTO machines SELECT row_number() OVER (ORDER BY machine_id), machine_id FROM (SELECT DISTINCT machine_id FROM findings)',
      // Scan by scan: readers filter on scan_id, which zone maps then prune.
      `INSERT INTO finding_rows SELECT f.scan_id, m.machine_key, f.subscription_id, f.baseline, f.rule_id, f.reason, f.waived, f.waiver_reason, f.first_seen
        FROM findings f JOIN machines m ON m.machine_id = f.machine_id ORDER BY f.scan_id`,
      'DROP TABLE findings',
      `CREATE VIEW findings AS
        SELECT f.scan_id, m.machine_id, f.subscription_id, f.baseline, f.rule_id, r.severity, r.expected, f.reason, f.waived, f.waiver_reason, f.first_seen
        FROM finding_rows f
        JOIN machines m ON m.machine_key = f.machine_key
        JOIN scan_rules r ON r.scan_id = f.scan_id AND r.baseline = f.baseline AND r.rule_id = f.rule_id`,
    ],
  },
];

/** The schema version this driftscan writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The migrations a store at `current` still needs, in order. */
export function pendingMigrations(current: number): readonly Migration[] {
  return MIGRATIONS.filter((m) => m.version > current);
}
