/**
 * Every key the pipeline writes, in one place. Work keys are a pure function of (runId, range
 * index), so a retried stage overwrites instead of duplicating; output keys are Hive-style
 * partitions per source object (DESIGN §6).
 */
import type { TableName } from "../core/tables";

export const workKeys = {
  plan: (runId: string) => `runs/${runId}/plan.json`,
  tasks: (runId: string) => `runs/${runId}/tasks.json`,
  /** The CSV inflated from an uploaded archive; planned and mapped like an uploaded CSV. */
  staged: (runId: string) => `runs/${runId}/staged.csv`,
  partial: (runId: string, index: number) =>
    `runs/${runId}/partials/range-${String(index).padStart(5, "0")}.json.gz`,
};

export const outputKeys = {
  tablePrefix: (table: TableName, stem: string) => `${table}/source=${stem}/`,
  table: (table: TableName, stem: string) => `${table}/source=${stem}/part-00000.parquet`,
  runFile: (
    stem: string,
    file: "validation.json" | "report.html" | "_manifest.json" | "_SUCCESS" | "quarantine.jsonl",
  ) => `_runs/source=${stem}/${file}`,
};

/** The partition value for an object key: its file name without extensions, made path-safe. */
export function sourceStem(key: string): string {
  const base = key.split("/").pop() ?? key;
  const stem = base.replace(/\.(csv|txt|gz|zip|bz2|zst)$/i, "").replace(/\.(csv|txt)$/i, "");
  return stem.replace(/[^A-Za-z0-9._-]/g, "_") || "source";
}
