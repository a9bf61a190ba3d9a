/**
 * Microsoft's Kusto parser (`@kusto/language-service-next`, a Bridge.NET build that sets globals;
 * azure-fleet.md §3) with a declared schema of the Resource Graph tables driftscan queries. Tables
 * are registered under both spellings (it is case-sensitive; Resource Graph is not), and columns are
 * built as symbols (the schema-string constructor drops columns after one named `kind`).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Resource Graph's standard columns (azure-fleet.md §2). */
const STANDARD: Array<[string, 'String' | 'Dynamic']> = [
  ['id', 'String'], ['name', 'String'], ['type', 'String'], ['tenantId', 'String'], ['kind', 'String'], ['location', 'String'],
  ['resourceGroup', 'String'], ['subscriptionId', 'String'], ['managedBy', 'String'], ['sku', 'Dynamic'], ['plan', 'Dynamic'],
  ['properties', 'Dynamic'], ['tags', 'Dynamic'], ['identity', 'Dynamic'], ['zones', 'Dynamic'], ['extendedLocation', 'Dynamic'],
];
const TABLES = [['resources', 'Resources'], ['guestconfigurationresources', 'GuestConfigurationResources'], ['policyresources', 'PolicyResources'], ['resourcecontainers', 'ResourceContainers']];

export interface KustoDiagnostic {
  severity: string;
  code: string;
  message: string;
  start: number;
}

let analyse: ((query: string) => KustoDiagnostic[]) | undefined;

/** Diagnostics of `query` against the Resource Graph schema (empty: Kusto accepts it). */
export function kustoDiagnostics(query: string): KustoDiagnostic[] {
  if (!analyse) {
    require('@kusto/language-service-next/bridge.min.js');
    require('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
    const g = globalThis as unknown as { Kusto: { Language: any }; System: any };
    const K = g.Kusto.Language;
    const S = K.Symbols;
    const tables = TABLES.flat().map((n) => new S.TableSymbol.$ctor4(n, STANDARD.map(([c, t]) => new S.ColumnSymbol(c, S.ScalarTypes[t], null, null, null, null))));
    const db = new S.DatabaseSymbol.$ctor1('arg', g.System.Linq.Enumerable.from(tables, S.Symbol), false);
    const globals = K.GlobalState.Default.WithDatabase(db);
    analyse = (q) => {
      const d = K.KustoCode.ParseAndAnalyze(q, globals).GetDiagnostics();
      const out: KustoDiagnostic[] = [];
      for (let i = 0; i < d.Count; i++) {
        const x = d.getItem(i);
        out.push({ severity: String(x.Severity), code: String(x.Code), message: String(x.Message), start: Number(x.Start) });
      }
      return out;
    };
  }
  return analyse(query);
}
