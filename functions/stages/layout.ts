/**
 * Every key the pipeline writes, in one place. Work keys are a pure function of (runId, range
 * index), so a retried stage overwrites instead of duplicating; output keys are Hive-style
 * partitions per source object (docs/architecture.md §5).
 */
import type { TableName } from "../core/tables";

export const workKeys = {
  plan: (runId: string) => `runs/${runId}/plan.json`,
  tasks: (runId: string) => `runs/${runId}/tasks.json`,
  /** The CSV inflated from an uploaded archive; planned and mapped like an uploaded CSV. */
  staged: (runId: string) => `runs/${runId}/staged.csv`,
  partial: (runId: string, index: number) =>
    `runs/${runId}/partials/range-${String(index).padStart(5, "0")}.partial`,
  /**
   * An IP run a mapper's table spilled (SpilledIpRun): keyed by the mapper's attempt too, so
   * that two attempts at one range never overwrite each other's runs; its partial names those
   * of the attempt that wrote it.
   */
  ipRun: (runId: string, index: number, attempt: string, ordinal: number) =>
    `runs/${runId}/ip-runs/range-${String(index).padStart(5, "0")}/${attempt}-${String(ordinal).padStart(4, "0")}.ipcounts`,
};

/**
 * Output keys for a source's partition value (see sourcePartition), written Hive-style:
 * `source=<value>` with `/` as `%2F` and `%` as `%25`, which Hive, Athena, Spark and DuckDB
 * decode back to the value.
 */
export const outputKeys = {
  tablePrefix: (table: TableName, partition: string) => `${table}/source=${escapePartition(partition)}/`,
  table: (table: TableName, partition: string) =>
    `${table}/source=${escapePartition(partition)}/part-00000.parquet`,
  /** A copy of the committed run's file, next to `_SUCCESS`. */
  runFile: (partition: string, file: RunFileName | "_SUCCESS") =>
    `_runs/source=${escapePartition(partition)}/${file}`,
  /** Every run's own files: written before its commit, never overwritten by another run. */
  runDirPrefix: (partition: string) => `_runs/source=${escapePartition(partition)}/run=`,
  runDir: (partition: string, runId: string) =>
    `_runs/source=${escapePartition(partition)}/run=${escapePartition(runId)}/`,
};

export type RunFileName = "validation.json" | "report.html" | "_manifest.json" | "quarantine.jsonl";

function escapePartition(value: string): string {
  return value.replaceAll("%", "%25").replaceAll("/", "%2F");
}

/** The object's file name without extensions, made path-safe: readable names (executions, reports). */
export function sourceStem(key: string): string {
  const base = key.split("/").pop() ?? key;
  return (
    safeSegment(base.replace(/\.(csv|txt|gz|zip|bz2|zst)$/i, "").replace(/\.(csv|txt)$/i, "")) || "source"
  );
}

/**
 * The `source=` partition value of a run's source. For an S3 object: the folders below the
 * key's first one (the stack's input prefix) and the stem, joined by `/`, so
 * `incoming/log20170630.csv` is `log20170630` and `incoming/2017/06/log.csv` is `2017/06/log`;
 * an archive's CSV is named for the archive's folder. For a local file: its stem (a local output
 * directory serves one run). Two keys can still share a value (keys in different top folders
 * under an empty input prefix, or names differing only in characters made path-safe): the
 * commit then refuses the second, naming both (see commit-outputs.ts).
 */
export function sourcePartition(source: {
  readonly bucket?: string;
  readonly key: string;
  readonly stem: string;
  readonly archive?: { readonly key: string };
}): string {
  if (source.bucket === undefined) return source.stem;
  const folders = (source.archive?.key ?? source.key).split("/").slice(1, -1);
  return [...folders.map((f) => safeSegment(f) || "_"), source.stem].join("/");
}

function safeSegment(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, "_");
}
