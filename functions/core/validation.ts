/**
 * validation.json: what was read, what was wrong with it, and the configured checks' verdicts.
 */
import type { CheckStatus, ChecksConfig, Plan, RowCounts } from "../contracts";
import type { Aggregate } from "./aggregate";
import type { CoverageProof } from "./coverage";
import { EDGAR_COLUMN_NAMES, type EdgarColumnName } from "./schema";

export const VALIDATION_FORMAT = "edgar-etl/validation";

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  readonly observed: number;
  readonly limit: string;
}

export interface ValidationReport {
  readonly format: typeof VALIDATION_FORMAT;
  readonly version: 1;
  readonly runId: string;
  readonly source: Plan["source"];
  readonly status: CheckStatus;
  readonly rows: RowCounts;
  readonly fields: { readonly expected: readonly string[]; readonly present: readonly string[] };
  readonly missingByColumn: Record<EdgarColumnName, number>;
  readonly invalidByColumn: Record<EdgarColumnName, number>;
  readonly corruptByReason: Aggregate["corruptByReason"];
  readonly quarantine: { readonly records: number; readonly notCopied: number };
  readonly date: { readonly min: string | null; readonly max: string | null };
  readonly time: { readonly min: string | null; readonly max: string | null };
  readonly serverErrors: number;
  /** Server errors per hour of day, index 0..23. */
  readonly serverErrorsByHour: readonly number[];
  readonly distinctIps: number;
  /** The most active IPs (the top_ips table). */
  readonly topIps: readonly { readonly ip: string; readonly count: number }[];
  readonly coverage: CoverageProof & { readonly proven: true };
  readonly checks: readonly CheckResult[];
  /** How the run went, as far as the reducer knows it (shown in the report). */
  readonly run?: RunFacts;
}

/** Facts about a run's execution; each part is optional and reported when present. */
export interface RunFacts {
  /** Target bytes per range (the plan's rangeBytes). */
  readonly rangeBytes?: number;
  /** Wall-clock seconds per stage; MB/s is the CSV's bytes over the map stage's seconds. */
  readonly stageSeconds?: Readonly<Partial<Record<"inflate" | "plan" | "map" | "reduce", number>>>;
  /** Seconds each range's mapper took, by range index. */
  readonly rangeSeconds?: readonly number[];
}

/** Each configured check with its verdict and what was observed (counts, or shares 0..1). */
export function evaluateChecks(checks: ChecksConfig, agg: Aggregate): CheckResult[] {
  const { rows } = agg;
  const parsed = rows.ok + rows.corrupt;
  const shareOf = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);
  const atMost = (name: string, observed: number, limit: number): CheckResult => ({
    name,
    status: observed <= limit ? "pass" : "fail",
    observed,
    limit: `<= ${limit}`,
  });
  const results: CheckResult[] = [];
  if (checks.requireRows === true) {
    results.push({
      name: "requireRows",
      status: rows.ok > 0 ? "pass" : "fail",
      observed: rows.ok,
      limit: "> 0",
    });
  }
  if (checks.rowCount !== undefined) {
    const { min = 0, max = Number.POSITIVE_INFINITY } = checks.rowCount;
    results.push({
      name: "rowCount",
      status: rows.ok >= min && rows.ok <= max ? "pass" : "fail",
      observed: rows.ok,
      limit: `${min}..${Number.isFinite(max) ? max : "∞"}`,
    });
  }
  if (checks.maxRequiredMissingShare !== undefined) {
    const missing = agg.corruptByReason.missing_required ?? 0;
    results.push(atMost("maxRequiredMissingShare", shareOf(missing, parsed), checks.maxRequiredMissingShare));
  }
  for (const [column, limit] of Object.entries(checks.maxMissingShare ?? {}) as [EdgarColumnName, number][]) {
    results.push(atMost(`maxMissingShare.${column}`, shareOf(agg.missingByColumn[column], rows.ok), limit));
  }
  if (checks.maxCorruptShare !== undefined) {
    results.push(atMost("maxCorruptShare", shareOf(rows.corrupt, parsed), checks.maxCorruptShare));
  }
  return results;
}

export function buildValidation(
  plan: Plan,
  agg: Aggregate,
  coverage: CoverageProof,
  topIps: ValidationReport["topIps"],
): ValidationReport {
  const checks = evaluateChecks(plan.options.checks, agg);
  return {
    format: VALIDATION_FORMAT,
    version: 1,
    runId: plan.runId,
    source: plan.source,
    status: checks.every((c) => c.status === "pass") ? "pass" : "fail",
    rows: agg.rows,
    fields: { expected: EDGAR_COLUMN_NAMES, present: plan.header.columns },
    missingByColumn: agg.missingByColumn,
    invalidByColumn: agg.invalidByColumn,
    corruptByReason: agg.corruptByReason,
    quarantine: { records: agg.quarantine.length, notCopied: agg.quarantineOverflow },
    date: { min: agg.minDate, max: agg.maxDate },
    time: { min: agg.minTime, max: agg.maxTime },
    serverErrors: agg.serverErrors.offset.length,
    serverErrorsByHour: agg.errorsByHour,
    distinctIps: agg.ipCounts.ends.length,
    topIps,
    coverage: { ...coverage, proven: true },
    checks,
  };
}
