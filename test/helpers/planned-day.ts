/**
 * A small EDGAR day in memory, planned into ranges by the plan stage with a memory work store:
 * what the map and reduce stage tests start from.
 */
import { DEFAULT_RUN_OPTIONS } from "../../functions/contracts";
import { memoryByteSource } from "../../functions/core/byte-source";
import { planRun } from "../../functions/stages/plan-stage";
import { readPlan } from "../../functions/stages/read-plan";
import { EDGAR_HEADER, utf8 } from "./edgar-csv";
import { memoryObjectStore } from "./memory-object-store";

export async function plannedDay(input: {
  runId: string;
  /** The data lines, after the header. */
  lines: readonly string[];
  rangeBytes: number;
  now: Date;
}) {
  const source = memoryByteSource(utf8(`${[EDGAR_HEADER, ...input.lines].join("\n")}\n`), "day.csv");
  const work = memoryObjectStore("work");
  const planned = await planRun({
    runId: input.runId,
    source,
    location: { key: "day.csv" },
    options: { ...DEFAULT_RUN_OPTIONS, rangeBytes: input.rangeBytes },
    work,
    now: input.now,
  });
  return { source, work, planKey: planned.planKey, plan: await readPlan(work, planned.planKey) };
}
