/**
 * The bench's jobs, each run in a process of its own by measured.mjs: our CLI, DuckDB and Polars
 * computing the same four tables into Parquet, and the mapper and reducer alone.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openFileByteSource } from "../../functions/adapters/file-byte-source";
import { fileObjectStore } from "../../functions/adapters/file-object-store";
import { DEFAULT_RUN_OPTIONS } from "../../functions/contracts";
import { decodePartial } from "../../functions/core/partial-codec";
import { loadRenderer } from "../../functions/core/report";
import { workKeys } from "../../functions/stages/layout";
import { mapRange } from "../../functions/stages/map-stage";
import { planRun } from "../../functions/stages/plan-stage";
import { reduceRun } from "../../functions/stages/reduce-stage";

export interface JobResult {
  /** Seconds of the part the job times itself, when it is not the whole process. */
  readonly seconds?: number;
  readonly detail?: Record<string, number>;
}

export async function runJob(job: string | undefined, args: string[]): Promise<JobResult> {
  switch (job) {
    case "duckdb":
      return duckdbJob(args[0]!, args[1]!, Number(args[2]));
    case "polars":
      return polarsJob(args[0]!, args[1]!);
    case "mapper":
      return mapperJob(args[0]!, Number(args[1]));
    case "reduce":
      return reduceJob(args[0]!, args[1]!);
    default:
      throw new Error(`no bench job ${JSON.stringify(job)}`);
  }
}

/** A SQL string literal. */
export const sql = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** read_csv once, then the four tables to Parquet, as the notebook computes them. */
async function duckdbJob(file: string, outDir: string, threads: number): Promise<JobResult> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const db = await (await DuckDBInstance.create(":memory:", { threads: String(threads) })).connect();
  await db.run(
    `create temp table t as select ip, date, time, extention, code
     from read_csv(${sql(file)}, header = true, types = {'time': 'VARCHAR', 'code': 'DOUBLE', 'date': 'DATE'})`,
  );
  const copy = (name: string, query: string) =>
    db.run(`copy (${query}) to ${sql(join(outDir, `${name}.parquet`))} (format parquet)`);
  await copy(
    "server_errors",
    `select date, lpad(time, 8, '0') as time, extention, code::int as code from t where code >= 500 and code < 600`,
  );
  await copy(
    "errors_by_hour",
    `select substr(lpad(time, 8, '0'), 1, 2)::int as hour, count(*)::bigint as count
     from t where code >= 500 and code < 600 group by hour order by hour`,
  );
  await db.run(`create temp table ranked as select ip, count(*)::bigint as count from t group by ip`);
  await copy("ip_counts", `select ip, count from ranked order by count desc, ip`);
  await copy(
    "top_ips",
    `select (row_number() over (order by count desc, ip))::int as rank, ip, count from ranked order by count desc, ip limit 20`,
  );
  return {};
}

/** readCSV of the five columns used, the same four tables to Parquet. */
async function polarsJob(file: string, outDir: string): Promise<JobResult> {
  const pl = (await import("nodejs-polars")).default;
  const df = pl.readCSV(file, { columns: ["ip", "date", "time", "extention", "code"] });
  const errors = df.filter(pl.col("code").gtEq(500).and(pl.col("code").lt(600)));
  errors
    .select(pl.col("date"), pl.col("time"), pl.col("extention"), pl.col("code").cast(pl.Int32))
    .writeParquet(join(outDir, "server_errors.parquet"));
  errors
    .withColumns(pl.col("time").str.slice(0, 2).cast(pl.Int32).alias("hour"))
    .groupBy("hour")
    .agg(pl.len().alias("count"))
    .sort("hour")
    .writeParquet(join(outDir, "errors_by_hour.parquet"));
  const counts = df.groupBy("ip").agg(pl.len().alias("count")).sort(["count", "ip"], [true, false]);
  counts.writeParquet(join(outDir, "ip_counts.parquet"));
  counts.head(20).writeParquet(join(outDir, "top_ips.parquet"));
  return {};
}

/**
 * The map stage alone on this thread, as the map Lambda runs it (its IP table bound, its partial
 * and any spilled IP runs written to a work store, their memory let go): range 1 of a plan with
 * ranges of `rangeBytes`, after range 0 warmed the JIT up, as in a Lambda container that has
 * mapped a range before.
 */
async function mapperJob(file: string, rangeBytes: number): Promise<JobResult> {
  const workDir = await mkdtemp(join(tmpdir(), "edgar-etl-bench-map-"));
  try {
    const work = fileObjectStore(workDir);
    const source = await openFileByteSource(file);
    const planned = await planRun({
      runId: "bench",
      source,
      location: { key: file },
      options: { ...DEFAULT_RUN_OPTIONS, rangeBytes },
      work,
    });
    const map = (index: number) =>
      mapRange({
        task: { version: 1, runId: "bench", planKey: planned.planKey, index },
        work,
        openSource: async () => source,
      });
    await map(0);
    const cpu = process.cpuUsage();
    await map(1);
    const { user, system } = process.cpuUsage(cpu);
    const partialKey = workKeys.partial("bench", 1);
    const partial = decodePartial(await work.get(partialKey), partialKey);
    const { start, end, ipRuns = [] } = partial;
    let runBytes = 0;
    for (const run of ipRuns) runBytes += (await stat(join(workDir, run.key))).size;
    return {
      // The core's time, as the map stage measured it for the partial: the range parsed and
      // counted, its runs written; not reading the plan or writing the partial.
      seconds: partial.seconds ?? Number.NaN,
      detail: {
        bytes: end - start,
        cpuSeconds: (user + system) / 1e6,
        partialBytes: (await stat(join(workDir, partialKey))).size + runBytes,
        ipRuns: ipRuns.length,
      },
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * The reduce stage alone, over the partials a run left in `workDir`, in a fresh process after
 * the reduce Lambda's init (which loads the report's chart libraries; timed apart as `initSeconds`).
 */
async function reduceJob(workDir: string, planKey: string): Promise<JobResult> {
  const outDir = await mkdtemp(join(tmpdir(), "edgar-etl-bench-reduce-"));
  try {
    const init = performance.now();
    await loadRenderer();
    const t = performance.now();
    await reduceRun({ planKey, work: fileObjectStore(workDir), out: fileObjectStore(outDir) });
    return { seconds: (performance.now() - t) / 1000, detail: { initSeconds: (t - init) / 1000 } };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
