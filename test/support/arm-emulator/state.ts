/**
 * The emulator's `--state FILE` document (docs/arm-emulator.md):
 *
 *     { "tenantId"?: "<guid>",
 *       "subscriptions": [ { "subscriptionId": "<guid>", "displayName": "…", "state"?: "Enabled" } ],
 *       "tables": { "<Resource Graph table>": [ <rows in Resource Graph's column shape> ] } }
 *
 * Rows carry Resource Graph's columns (`id`, `name`, `type` in lower case, `tenantId`, `kind`,
 * `location`, `resourceGroup`, `subscriptionId`, `managementGroup`, `properties`, `tags`, …).
 * Rows of `resources` whose type is a machine (`microsoft.compute/virtualmachines`,
 * `microsoft.compute/virtualmachinescalesets`, `microsoft.hybridcompute/machines`) are the machines
 * ARM knows. Guest configuration assignments in `guestconfigurationresources` and policy
 * definitions, set definitions, assignments and exemptions in `policyresources` become ARM
 * resources, so ARM GETs and Resource Graph rows agree, also after writes.
 */
import { readFileSync } from 'node:fs';

export type Row = Record<string, unknown>;

export interface EmulatorSubscription {
  subscriptionId: string;
  displayName: string;
  state?: string;
}

export interface EmulatorState {
  tenantId?: string;
  subscriptions: EmulatorSubscription[];
  tables?: Record<string, Row[]>;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks a parsed state document; throws naming the first problem. */
export function checkState(value: unknown, where: string): EmulatorState {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('the state must be a JSON object');
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) if (!['tenantId', 'subscriptions', 'tables'].includes(k)) fail(`unknown key '${k}' (known: tenantId, subscriptions, tables)`);
  if (v.tenantId !== undefined && (typeof v.tenantId !== 'string' || !GUID.test(v.tenantId))) fail('tenantId must be a GUID');
  if (!Array.isArray(v.subscriptions)) fail('subscriptions must be an array');
  (v.subscriptions as unknown[]).forEach((s, i) => {
    const o = s as Record<string, unknown>;
    if (o === null || typeof o !== 'object') fail(`subscriptions[${i}] must be an object`);
    if (typeof o.subscriptionId !== 'string' || !GUID.test(o.subscriptionId)) fail(`subscriptions[${i}].subscriptionId must be a GUID`);
    if (typeof o.displayName !== 'string' || o.displayName === '') fail(`subscriptions[${i}].displayName must be a non-empty string`);
    if (o.state !== undefined && !['Enabled', 'Warned', 'PastDue', 'Disabled', 'Deleted'].includes(String(o.state))) fail(`subscriptions[${i}].state must be Enabled, Warned, PastDue, Disabled or Deleted`);
  });
  if (v.tables !== undefined) {
    if (v.tables === null || typeof v.tables !== 'object' || Array.isArray(v.tables)) fail('tables must map table names to arrays of rows');
    for (const [name, rows] of Object.entries(v.tables as Record<string, unknown>)) {
      if (!Array.isArray(rows)) fail(`tables.${name} must be an array of rows`);
      (rows as unknown[]).forEach((r, i) => {
        const row = r as Row;
        if (row === null || typeof row !== 'object' || Array.isArray(row)) fail(`tables.${name}[${i}] must be an object`);
        for (const col of ['id', 'name', 'type']) if (typeof row[col] !== 'string') fail(`tables.${name}[${i}].${col} must be a string`);
        if (row.type !== String(row.type).toLowerCase()) fail(`tables.${name}[${i}].type must be lower case, as Resource Graph returns it ('${String(row.type).toLowerCase()}')`);
      });
    }
  }
  return v as unknown as EmulatorState;
}

export function readStateFile(file: string): EmulatorState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  return checkState(parsed, file);
}
