/**
 * The reducer's pure part: partials in, proven coverage, the merged aggregate, the four tables
 * and the validation report out. The reduce stage, the bench and the tests all call this.
 */
import type { Plan } from "../contracts";
import { type Aggregate, mergeAggregates } from "./aggregate";
import { assignLineNumbers, type CoverageProof, proveCoverage } from "./coverage";
import type { RangePartial } from "./partial";
import { buildTables, type Table, type TableName, tableRows } from "./tables";
import { buildValidation, type ValidationReport } from "./validation";

export interface ReducedRun {
  readonly coverage: CoverageProof;
  readonly merged: Aggregate;
  readonly tables: Record<TableName, Table>;
  readonly validation: ValidationReport;
}

export function reducePartials(plan: Plan, partials: readonly RangePartial[]): ReducedRun {
  const coverage = proveCoverage(plan, partials);
  assignLineNumbers(partials);
  const merged = mergeAggregates(partials.map((p) => p.aggregate));
  const tables = buildTables(merged, plan.options.topN);
  const topIps = tableRows(tables.top_ips).map((r) => ({ ip: String(r.ip), count: Number(r.count) }));
  const validation = buildValidation(plan, merged, coverage, topIps);
  return { coverage, merged, tables, validation };
}
