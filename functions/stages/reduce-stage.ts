import type { ReduceResult } from "../contracts";
import { forEachConcurrently } from "../core/concurrency";
import { type ObjectStore, readDecoded } from "../core/object-store";
import { encodeParquet } from "../core/parquet";
import { decodePartial } from "../core/partial-codec";
import { PartialReducer } from "../core/reduce";
import { loadRenderer } from "../core/report";
import { TABLE_NAMES } from "../core/tables";
import type { ValidationReport } from "../core/validation";
import { commitOutputs, type RunOutputs } from "./commit-outputs";
import { workKeys } from "./layout";
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

/** Reads every partial, proves coverage, merges, builds the tables and commits the outputs. */
export async function reduceRun({
  planKey,
  work,
  out,
  now = () => new Date(),
}: ReduceStageInput): Promise<ReduceOutcome> {
  const reduceStarted = now();
  const clock = performance.now();
  // The report's chart libraries load (about half a second) while the partials are read and
  // merged; a failure to load surfaces where the report is rendered.
  loadRenderer().catch(() => {});
  const plan = await readPlan(work, planKey);
  // Each partial is folded in as it arrives and let go: memory holds its sort words and counts
  // (for the k-way merge) and its rows, not its buffers.
  const reducer = new PartialReducer(plan);
  const rangeSeconds: (number | undefined)[] = new Array(plan.ranges.length);
  await forEachConcurrently(plan.ranges.length, FETCH_CONCURRENCY, async (i) => {
    const key = workKeys.partial(plan.runId, i);
    const partial = await readDecoded(work, key, (bytes) => decodePartial(bytes, `${work.name}/${key}`));
    rangeSeconds[i] = partial.seconds;
    reducer.add(partial);
  });
  const reduced = reducer.result();
  const { merged, tables } = reduced;
  const encoded = {} as RunOutputs["tables"];
  for (const name of TABLE_NAMES) {
    encoded[name] = { parquet: await encodeParquet(tables[name]), rows: tables[name].rowCount };
  }
  // Run facts for the report: the map stage as the time from planning to this reduce.
  const validation: ValidationReport = {
    ...reduced.validation,
    run: {
      rangeBytes: plan.options.rangeBytes,
      stageSeconds: {
        map: Math.max(0, (reduceStarted.getTime() - Date.parse(plan.plannedAt)) / 1000),
        reduce: (performance.now() - clock) / 1000,
      },
      ...(rangeSeconds.every((s) => s !== undefined) ? { rangeSeconds: rangeSeconds as number[] } : {}),
    },
  };
  const manifestKey = await commitOutputs(
    out,
    { plan, tables: encoded, quarantine: merged.quarantine, validation },
    now,
  );
  const result: ReduceResult = {
    runId: plan.runId,
    status: validation.status,
    manifestKey,
    rows: validation.rows,
    failedChecks: validation.checks.filter((c) => c.status === "fail").map((c) => c.name),
  };
  return { result, validation };
}
