import { DEFAULT_RUN_OPTIONS, type Plan } from "../../functions/contracts";
import type { ByteSource } from "../../functions/core/byte-source";
import { readHeader } from "../../functions/core/header";
import { buildPlan } from "../../functions/core/plan";

/** A plan of `file` with the default options and ranges of `rangeBytes`, as the planner makes it. */
export async function benchPlan(source: ByteSource, file: string, rangeBytes: number): Promise<Plan> {
  const ref = { key: file, size: source.size, stem: "bench" };
  return buildPlan(
    "bench",
    ref,
    await readHeader(source),
    { ...DEFAULT_RUN_OPTIONS, rangeBytes },
    new Date(0),
  );
}
