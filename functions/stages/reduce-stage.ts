import { MANIFEST_FORMAT, type Manifest, type ReduceResult } from "../contracts";
import { mergeAggregates } from "../core/aggregate";
import { forEachConcurrently } from "../core/concurrency";
import { assignLineNumbers, proveCoverage } from "../core/coverage";
import type { ObjectStore } from "../core/object-store";
import { putJson } from "../core/object-store";
import { encodeParquet } from "../core/parquet";
import { decodePartial, type RangePartial } from "../core/partial";
import { renderReport } from "../core/report";
import { buildTables, TABLE_NAMES } from "../core/tables";
import { buildValidation, type ValidationReport } from "../core/validation";
import { outputKeys, workKeys } from "./layout";
import { readPlan } from "./read-plan";

export interface ReduceStageInput {
  readonly planKey: string;
  readonly work: ObjectStore;
  readonly out: ObjectStore;
  readonly now?: () => Date;
}

export interface ReduceOutcome {
  /** What the state machine gets back. */
  readonly result: ReduceResult;
  readonly validation: ValidationReport;
}

/** How many partials are fetched at once. */
const FETCH_CONCURRENCY = 16;

/**
 * Reads every partial, proves coverage, merges, and commits the outputs: tables first, then
 * validation, report and manifest, and `_SUCCESS` last, which readers gate on.
 */
export async function reduceRun({
  planKey,
  work,
  out,
  now = () => new Date(),
}: ReduceStageInput): Promise<ReduceOutcome> {
  const plan = await readPlan(work, planKey);
  const partials: RangePartial[] = new Array(plan.ranges.length);
  await forEachConcurrently(plan.ranges.length, FETCH_CONCURRENCY, async (i) => {
    const key = workKeys.partial(plan.runId, i);
    partials[i] = decodePartial(await work.get(key), `${work.name}/${key}`);
  });
  const coverage = proveCoverage(plan, partials);
  assignLineNumbers(partials);
  const merged = mergeAggregates(partials.map((p) => p.aggregate));
  const tables = buildTables(merged, plan.options.topN);
  const validation = buildValidation(
    plan,
    merged,
    coverage,
    tables.top_ips.rows.map((r) => ({ ip: String(r.ip), count: Number(r.count) })),
  );
  const { stem } = plan.source;

  const success = outputKeys.runFile(stem, "_SUCCESS");
  await out.delete([success]);
  const written: Record<string, { key: string; rows: number; bytes: number }> = {};
  for (const name of TABLE_NAMES) {
    const key = outputKeys.table(name, stem);
    const bytes = await encodeParquet(tables[name]);
    const stale = (await out.list(outputKeys.tablePrefix(name, stem))).filter((k) => k !== key);
    await out.delete(stale);
    await out.put(key, bytes, "application/vnd.apache.parquet");
    written[name] = { key, rows: tables[name].rows.length, bytes: bytes.length };
  }
  const quarantineKey = outputKeys.runFile(stem, "quarantine.jsonl");
  if (merged.quarantine.length > 0) {
    const lines = merged.quarantine.map(({ lineInRange: _, ...q }) => JSON.stringify(q)).join("\n");
    await out.put(quarantineKey, `${lines}\n`, "application/x-ndjson");
  } else {
    await out.delete([quarantineKey]);
  }
  const validationKey = outputKeys.runFile(stem, "validation.json");
  await putJson(out, validationKey, validation);
  const reportKey = outputKeys.runFile(stem, "report.html");
  await out.put(reportKey, renderReport(validation), "text/html; charset=utf-8");
  const committedAt = now().toISOString();
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: 1,
    runId: plan.runId,
    source: plan.source,
    options: plan.options,
    rows: validation.rows,
    status: validation.status,
    rangeCount: plan.ranges.length,
    tables: written,
    validationKey,
    reportKey,
    quarantineKey: merged.quarantine.length > 0 ? quarantineKey : null,
    committedAt,
  };
  const manifestKey = outputKeys.runFile(stem, "_manifest.json");
  await putJson(out, manifestKey, manifest);
  await putJson(out, success, { runId: plan.runId, committedAt });
  const result: ReduceResult = {
    runId: plan.runId,
    status: validation.status,
    manifestKey,
    rows: validation.rows,
    failedChecks: validation.checks.filter((c) => c.status === "fail").map((c) => c.name),
  };
  return { result, validation };
}
