/**
 * Commits one run's outputs for its source: tables first, then the quarantine, validation,
 * report and manifest, and `_SUCCESS` last, which readers gate on.
 */
import { MANIFEST_FORMAT, type Manifest, type Plan } from "../contracts";
import type { QuarantinedRecord } from "../core/aggregate";
import type { ObjectStore } from "../core/object-store";
import { putJson } from "../core/object-store";
import { renderReport } from "../core/report";
import { TABLE_NAMES, type TableName } from "../core/tables";
import type { ValidationReport } from "../core/validation";
import { outputKeys } from "./layout";

export interface RunOutputs {
  readonly plan: Plan;
  /** Each table as an encoded Parquet file, with its row count. */
  readonly tables: Record<TableName, { readonly parquet: Uint8Array; readonly rows: number }>;
  readonly quarantine: readonly QuarantinedRecord[];
  readonly validation: ValidationReport;
}

/** Writes the outputs of a run and returns the manifest's key. */
export async function commitOutputs(
  out: ObjectStore,
  { plan, tables, quarantine, validation }: RunOutputs,
  now: () => Date,
): Promise<string> {
  const { stem } = plan.source;
  const success = outputKeys.runFile(stem, "_SUCCESS");
  await out.delete([success]);
  const written: Record<string, { key: string; rows: number; bytes: number }> = {};
  for (const name of TABLE_NAMES) {
    const key = outputKeys.table(name, stem);
    const { parquet, rows } = tables[name];
    const stale = (await out.list(outputKeys.tablePrefix(name, stem))).filter((k) => k !== key);
    await out.delete(stale);
    await out.put(key, parquet, "application/vnd.apache.parquet");
    written[name] = { key, rows, bytes: parquet.length };
  }
  const quarantineKey = outputKeys.runFile(stem, "quarantine.jsonl");
  if (quarantine.length > 0) {
    const lines = quarantine.map(({ lineInRange: _, ...q }) => JSON.stringify(q)).join("\n");
    await out.put(quarantineKey, `${lines}\n`, "application/x-ndjson");
  } else {
    await out.delete([quarantineKey]);
  }
  const validationKey = outputKeys.runFile(stem, "validation.json");
  await putJson(out, validationKey, validation);
  const reportKey = outputKeys.runFile(stem, "report.html");
  await out.put(reportKey, await renderReport({ validation, quarantine }), "text/html; charset=utf-8");
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
    quarantineKey: quarantine.length > 0 ? quarantineKey : null,
    committedAt,
  };
  const manifestKey = outputKeys.runFile(stem, "_manifest.json");
  await putJson(out, manifestKey, manifest);
  await putJson(out, success, { runId: plan.runId, committedAt });
  return manifestKey;
}
