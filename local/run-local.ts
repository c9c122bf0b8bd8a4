/**
 * The pipeline in one process over local files: plan -> every range -> reduce, through the same
 * stage code the Lambdas run, with a directory standing in for each bucket.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { openFileByteSource } from "../functions/adapters/file-byte-source";
import { fileObjectStore } from "../functions/adapters/file-object-store";
import type { PlanResult, RangeTask, ReduceResult, RunOptions } from "../functions/contracts";
import { forEachConcurrently } from "../functions/core/concurrency";
import type { ValidationReport } from "../functions/core/validation";
import { mapRange } from "../functions/stages/map-stage";
import { planRun } from "../functions/stages/plan-stage";
import { reduceRun } from "../functions/stages/reduce-stage";

export interface LocalRunInput {
  readonly file: string;
  readonly outDir: string;
  readonly options: RunOptions;
  /** Ranges in flight at once. */
  readonly concurrency: number;
  readonly runId?: string;
  /** Keep the work files (plan, partials) instead of deleting them after success. */
  readonly workDir?: string;
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
  const source = await openFileByteSource(input.file);
  try {
    const plan = await planRun({
      runId,
      source,
      location: { key: input.file },
      options: input.options,
      work,
    });
    const tasks = JSON.parse(Buffer.from(await work.get(plan.tasksKey)).toString("utf8")) as RangeTask[];
    await forEachConcurrently(tasks.length, input.concurrency, (i) =>
      mapRange({ task: tasks[i]!, work, openSource: async () => source }).then(() => undefined),
    );
    const { result, validation } = await reduceRun({ planKey: plan.planKey, work, out });
    return { plan, result, validation, seconds: (performance.now() - started) / 1000 };
  } finally {
    if (input.workDir === undefined) await rm(workDir, { recursive: true, force: true });
  }
}
