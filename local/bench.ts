/**
 * `npm run bench`: the mapper core on one thread against DuckDB on one thread, same file, same
 * machine, same run. Prints medians and the ratio; timing targets live here, never in tests.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { openFileByteSource } from "../functions/adapters/file-byte-source";
import { DEFAULT_RUN_OPTIONS, PLAN_FORMAT, type Plan } from "../functions/contracts";
import { readHeader } from "../functions/core/header";
import { planRanges } from "../functions/core/plan";
import { processRange } from "../functions/core/process-range";
import { generateEdgarFile } from "./generate";
import { runLocal } from "./run-local";

export interface BenchOptions {
  readonly file?: string;
  readonly bytes: number;
  readonly repeats: number;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function ensureBenchFile(bytes: number): Promise<string> {
  const path = resolve(".cache", `edgar-bench-${Math.round(bytes / 1e6)}MB-seed7.csv`);
  if (!existsSync(path)) {
    await mkdir(dirname(path), { recursive: true });
    await generateEdgarFile(`${path}.partial`, { bytes, seed: 7 });
    await rename(`${path}.partial`, path);
  }
  return path;
}

async function timeIt(repeats: number, f: () => Promise<unknown>): Promise<number[]> {
  const seconds: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await f();
    seconds.push((performance.now() - t) / 1000);
  }
  return seconds;
}

export async function runBench(options: BenchOptions): Promise<string> {
  const file = options.file ?? (await ensureBenchFile(options.bytes));
  const source = await openFileByteSource(file);
  const header = await readHeader(source);
  const plan: Plan = {
    format: PLAN_FORMAT,
    version: 1,
    runId: "bench",
    source: { key: file, size: source.size, stem: "bench" },
    header,
    options: DEFAULT_RUN_OPTIONS,
    ranges: planRanges(header.dataStart, source.size, source.size),
    plannedAt: new Date(0).toISOString(),
  };
  const mb = source.size / 1e6;
  const core = await timeIt(options.repeats, () => processRange(source, plan, 0));

  const outDir = await mkdtemp(join(tmpdir(), "edgar-etl-bench-"));
  const pipeline = await timeIt(options.repeats, () =>
    runLocal({ file, outDir, options: DEFAULT_RUN_OPTIONS, concurrency: 1 }),
  );
  await rm(outDir, { recursive: true, force: true });

  const db = await (await DuckDBInstance.create(":memory:", { threads: "1" })).connect();
  const csv = file.replaceAll("'", "''");
  const duck = await timeIt(options.repeats, async () => {
    await db.run(
      `create or replace temp table t as select ip, time, extention, code from read_csv('${csv}', header = true)`,
    );
    await db.runAndReadAll(`select ip, count(*) c from t group by ip order by c desc, ip`);
    await db.runAndReadAll(
      `select hour(time) h, count(*) from t where code >= 500 and code < 600 group by h order by h`,
    );
    await db.runAndReadAll(`select * from t where code >= 500 and code < 600`);
  });

  const rate = (s: number) => `${(mb / s).toFixed(0)} MB/s`;
  const lines = [
    `file ${file} (${mb.toFixed(0)} MB), medians of ${options.repeats} runs, one thread each`,
    `  mapper core (one range)       ${median(core).toFixed(2)} s  ${rate(median(core))}`,
    `  local pipeline (plan+map+reduce, 64 MiB ranges) ${median(pipeline).toFixed(2)} s  ${rate(median(pipeline))}`,
    `  DuckDB read_csv + group-bys   ${median(duck).toFixed(2)} s  ${rate(median(duck))}`,
    `  ratio core / DuckDB           ${(median(duck) / median(core)).toFixed(2)}x (above 1: we are faster)`,
    `  target                        >= 300 MB/s per core: ${mb / median(core) >= 300 ? "met" : "not met"}`,
  ];
  return lines.join("\n");
}
