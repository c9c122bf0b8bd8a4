/**
 * The body of the many-partials reducer tests (test/reduce/many-partials.test.ts, and at
 * MAX_RANGES in test/chaos/reduce-max-ranges.test.ts): map a generated day into `ranges`
 * partials and into one, reduce each in a child process, compare the tables and the peak RSS.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "vitest";
import { openFileByteSource } from "../../functions/adapters/file-byte-source";
import { fileObjectStore } from "../../functions/adapters/file-object-store";
import { DEFAULT_RUN_OPTIONS } from "../../functions/contracts";
import { forEachConcurrently } from "../../functions/core/concurrency";
import { encodePartial } from "../../functions/core/partial-codec";
import { processRange } from "../../functions/core/process-range";
import { TABLE_NAMES } from "../../functions/core/tables";
import { workKeys } from "../../functions/stages/layout";
import { planRun } from "../../functions/stages/plan-stage";
import { readPlan } from "../../functions/stages/read-plan";
import { readDeployConfig } from "../../infra/config";
import { generateEdgarFile } from "../../local/generate";
import { expectSameParquet, openDuck } from "./duckdb";

const run = promisify(execFile);

interface Reduced {
  ranges: number;
  rowsRead: number;
  seconds: number;
  maxRssMiB: number;
}

/** Plans `csv` into ranges of `rangeBytes` and writes every range's partial, as the mappers do. */
async function mapAll(csv: string, rangeBytes: number, workDir: string, runId: string) {
  const work = fileObjectStore(workDir);
  const source = await openFileByteSource(csv);
  const planned = await planRun({
    runId,
    source,
    location: { key: csv },
    options: { ...DEFAULT_RUN_OPTIONS, rangeBytes },
    work,
  });
  const plan = await readPlan(work, planned.planKey);
  await forEachConcurrently(plan.ranges.length, 16, async (i) => {
    const partial = await processRange(source, plan, i);
    await work.put(workKeys.partial(runId, i), encodePartial(partial), "application/octet-stream");
  });
  return planned;
}

async function reduceInChild(workDir: string, planKey: string, outDir: string): Promise<Reduced> {
  const { stdout } = await run(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "reduce-partials-rss.ts"), workDir, planKey, outDir],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split("\n").pop()!) as Reduced;
}

export async function reducerOverManyPartials(input: { bytes: number; ranges: number; seed: number }) {
  const dir = await mkdtemp(join(tmpdir(), "edgar-etl-partials-"));
  try {
    // Prepare: one day, planned once into `ranges` ranges and once into a single range.
    const csv = join(dir, "day.csv");
    const totals = await generateEdgarFile(csv, { bytes: input.bytes, seed: input.seed });
    const dataStart = (await readFile(csv)).indexOf(10) + 1;
    const rangeBytes = Math.ceil((totals.bytes - dataStart) / input.ranges);
    let clock = performance.now();
    const many = await mapAll(csv, rangeBytes, join(dir, "work-many"), "many");
    const mapSeconds = (performance.now() - clock) / 1000;
    const one = await mapAll(csv, totals.bytes, join(dir, "work-one"), "one");
    expect(many.rangeCount).toBe(input.ranges);
    expect(one.rangeCount).toBe(1);

    // Act
    clock = performance.now();
    const [reducedMany, reducedOne] = await Promise.all([
      reduceInChild(join(dir, "work-many"), many.planKey, join(dir, "out-many")),
      reduceInChild(join(dir, "work-one"), one.planKey, join(dir, "out-one")),
    ]);
    const childSeconds = (performance.now() - clock) / 1000;

    // Assess: every partial reduced, the rows of the day, the single-range run's tables.
    const memoryMb = readDeployConfig(() => undefined).functions.reduce.memoryMb;
    console.info(
      `reducer: ${reducedMany.ranges} partials (${rangeBytes}-byte ranges of a ${totals.bytes}-byte day, ${totals.rows} rows): ` +
        `map ${mapSeconds.toFixed(1)} s, reduce ${reducedMany.seconds.toFixed(1)} s (both children ${childSeconds.toFixed(1)} s), ` +
        `peak RSS ${reducedMany.maxRssMiB.toFixed(0)} MiB; one partial: reduce ${reducedOne.seconds.toFixed(1)} s, ` +
        `peak RSS ${reducedOne.maxRssMiB.toFixed(0)} MiB; reduce Lambda memory ${memoryMb} MB`,
    );
    expect(reducedMany.ranges).toBe(input.ranges);
    expect(reducedMany.rowsRead).toBe(totals.rows);
    expect(reducedOne.rowsRead).toBe(totals.rows);
    expect(reducedMany.maxRssMiB * 1.048576).toBeLessThan(memoryMb);
    const duck = await openDuck();
    try {
      for (const table of TABLE_NAMES) {
        const files = ["out-many", "out-one"].map((o) =>
          join(dir, o, table, "source=day", "part-00000.parquet"),
        );
        await expectSameParquet(duck, [files[1]!, files[0]!], table);
      }
    } finally {
      duck.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
