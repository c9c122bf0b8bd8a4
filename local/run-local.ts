/**
 * The pipeline on this machine over local files: plan -> every range -> reduce, through the same
 * stage code the Lambdas run, with a directory standing in for each bucket. Ranges are mapped on
 * a pool of worker threads (one per core by default), the reduce runs on the main thread.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileObjectStore } from "../functions/adapters/file-object-store";
import type { ByteRange, PlanResult, RangeTask, ReduceResult, RunOptions } from "../functions/contracts";
import { forEachConcurrently } from "../functions/core/concurrency";
import { rangeBytesForWorkers } from "../functions/core/plan";
import type { ValidationReport } from "../functions/core/validation";
import { mapRange } from "../functions/stages/map-stage";
import { planRun } from "../functions/stages/plan-stage";
import { readPlan } from "../functions/stages/read-plan";
import { startReduce } from "../functions/stages/reduce-stage";
import { openLocalInput } from "./local-input";
import { LOCAL_IP_TABLE_SLOTS, MAP_ON_FILES_MODULE, type MapOnFilesTask } from "./map-on-files";
import type { RunProgress } from "./progress";
import { startWorkerPool, type WorkerPool } from "./worker-pool";

export interface LocalRunInput {
  readonly file: string;
  readonly outDir: string;
  readonly options: RunOptions;
  /** Ranges in flight at once: the number of map worker threads. */
  readonly concurrency: number;
  /**
   * The run names no range size: the ranges are sized for the workers (rangeBytesForWorkers),
   * with options.rangeBytes (the Lambdas' default) as the smallest.
   */
  readonly rangesForWorkers?: boolean;
  /** Map workers to use instead of starting `concurrency` of them for this run. */
  readonly pool?: WorkerPool;
  readonly runId?: string;
  /** Keep the work files (plan, partials) instead of deleting them after success. */
  readonly workDir?: string;
  /** Hears of each range mapped. */
  readonly onProgress?: RunProgress;
}

export interface LocalRunOutcome {
  readonly plan: PlanResult;
  readonly result: ReduceResult;
  readonly validation: ValidationReport;
  readonly seconds: number;
}

export async function runLocal(input: LocalRunInput): Promise<LocalRunOutcome> {
  const started = performance.now();
  const runId =
    input.runId ?? `local-${basename(input.file).replace(/[^A-Za-z0-9_-]/g, "_")}-${Date.now().toString(36)}`;
  const workDir = input.workDir ?? (await mkdtemp(join(tmpdir(), "edgar-etl-work-")));
  const work = fileObjectStore(workDir);
  const out = fileObjectStore(input.outDir);
  try {
    // A .zip or .gz input is inflated to a staged CSV first, by the stage the Inflate Lambda runs.
    const { source, location, archive } = await openLocalInput(input.file, runId, work, workDir);
    const workers = input.pool?.size ?? input.concurrency;
    const options: RunOptions =
      input.rangesForWorkers === true
        ? {
            ...input.options,
            rangeBytes: rangeBytesForWorkers(source.size, workers, input.options.rangeBytes),
          }
        : input.options;
    const plan = await planRun({
      runId,
      source,
      location,
      archive,
      options,
      work,
      // Every worker maps in the last round of ranges too.
      rangesMultipleOf: workers,
    });
    const tasks = JSON.parse(Buffer.from(await work.get(plan.tasksKey)).toString("utf8")) as RangeTask[];
    const { ranges } = await readPlan(work, plan.planKey);
    // The main thread waits while workers map: it reads and folds in each partial as its range
    // finishes (and loads the report's chart libraries), so little is left once the last is done.
    const reduce = await startReduce({ planKey: plan.planKey, work, out });
    // Map workers open what was planned: for an archive, the staged CSV.
    await mapAll(
      { ...input, file: location.key },
      tasks,
      ranges,
      workDir,
      async (task) => {
        await mapRange({ task, work, openSource: async () => source, ipTableSlots: LOCAL_IP_TABLE_SLOTS });
      },
      (task) => reduce.take(task.index),
    );
    const { result, validation } = await reduce.finish();
    return { plan, result, validation, seconds: (performance.now() - started) / 1000 };
  } finally {
    if (input.workDir === undefined) await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Maps every task, on worker threads when there is more than one range (a single range is
 * mapped here: starting a worker costs more than it saves).
 */
async function mapAll(
  input: LocalRunInput,
  tasks: readonly RangeTask[],
  ranges: readonly ByteRange[],
  workDir: string,
  mapHere: (task: RangeTask) => Promise<void>,
  mapped: (task: RangeTask) => void,
): Promise<void> {
  const bytesOf = (task: RangeTask) => ranges[task.index]!.end - ranges[task.index]!.start;
  const bytesTotal = tasks.reduce((sum, t) => sum + bytesOf(t), 0);
  let rangesDone = 0;
  let bytesDone = 0;
  const done = (task: RangeTask) => {
    mapped(task);
    rangesDone++;
    bytesDone += bytesOf(task);
    input.onProgress?.({ rangesDone, rangesTotal: tasks.length, bytesDone, bytesTotal });
  };
  if (tasks.length <= 1 && input.pool === undefined) {
    for (const task of tasks) await mapHere(task).then(() => done(task));
    return;
  }
  const pool = input.pool ?? startWorkerPool({ size: Math.min(input.concurrency, tasks.length) });
  try {
    await forEachConcurrently(tasks.length, pool.size, async (i) => {
      const task = tasks[i]!;
      const call: MapOnFilesTask = { file: input.file, workDir, task };
      await pool.run(MAP_ON_FILES_MODULE, "mapOnFiles", call);
      done(task);
    });
  } finally {
    if (input.pool === undefined) await pool.close();
  }
}
