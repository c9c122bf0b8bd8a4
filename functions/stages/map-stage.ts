import type { MapResult, RangeTask, SourceRef } from "../contracts";
import type { ByteSource } from "../core/byte-source";
import type { ObjectStore } from "../core/object-store";
import { encodePartial } from "../core/partial-codec";
import { processRange } from "../core/process-range";
import { workKeys } from "./layout";
import { readPlan } from "./read-plan";
import { releaseBuffers } from "./release-buffers";

export interface MapStageInput {
  readonly task: RangeTask;
  readonly work: ObjectStore;
  /** Opens the planned source; an S3 source pins the plan's ETag (If-Match). */
  readonly openSource: (source: SourceRef) => Promise<ByteSource>;
}

/** Parses one range of the plan and writes its partial; idempotent (same key every retry). */
export async function mapRange({ task, work, openSource }: MapStageInput): Promise<MapResult> {
  const plan = await readPlan(work, task.planKey);
  const source = await openSource(plan.source);
  const started = performance.now();
  const parsed = await processRange(source, plan, task.index);
  const partial = { ...parsed, seconds: (performance.now() - started) / 1000 };
  const partialKey = workKeys.partial(plan.runId, task.index);
  const encoded = encodePartial(partial);
  await work.put(partialKey, encoded, "application/octet-stream");
  // The partial's IP arrays were made for it alone (takeSortedEntries), and the encoded bytes
  // copy them: both go now, not when a collection finds them, so that a mapper holds one
  // range's worth of them at a time.
  const { ipCounts } = partial.aggregate;
  await releaseBuffers([encoded, ipCounts.keys, ipCounts.ends, ipCounts.counts].map((a) => a.buffer));
  return { index: task.index, partialKey, rowsRead: partial.aggregate.rows.read };
}
