import { randomUUID } from "node:crypto";
import type { MapResult, RangeTask, SourceRef } from "../contracts";
import type { ByteSource } from "../core/byte-source";
import type { ObjectStore } from "../core/object-store";
import { encodeIpRun, encodePartial, ipRunInPlace } from "../core/partial-codec";
import { processRange } from "../core/process-range";
import { workKeys } from "./layout";
import { readPlan } from "./read-plan";

export interface MapStageInput {
  readonly task: RangeTask;
  readonly work: ObjectStore;
  /** Opens the planned source; an S3 source pins the plan's ETag (If-Match). */
  readonly openSource: (source: SourceRef) => Promise<ByteSource>;
  /**
   * The most slots the range's IP table grows to before it spills a run (MAX_TABLE_SLOTS by
   * default; the local engine, with few large ranges, asks for more).
   */
  readonly ipTableSlots?: number;
}

/**
 * Buffers a range's IP runs and partial were encoded into, for the next range on this thread: a
 * warm mapper makes no garbage of what it writes. One a range mapped at once; a range that fails
 * does not give its back.
 */
const spareEncodeBuffers: Uint8Array[] = [];
const MAX_SPARE_ENCODE_BUFFERS = 2;

/** Parses one range of the plan and writes its partial; idempotent (same key every retry). */
export async function mapRange({ task, work, openSource, ipTableSlots }: MapStageInput): Promise<MapResult> {
  const plan = await readPlan(work, task.planKey);
  const source = await openSource(plan.source);
  const started = performance.now();
  const attempt = randomUUID().slice(0, 8);
  // The range's runs, then its partial, are encoded into one buffer, each written away before
  // the next is encoded (a run before the next spills), and the buffer kept for the next range.
  let encodeBuffer = spareEncodeBuffers.pop() ?? new Uint8Array(0);
  const encode = (encoded: Uint8Array) => {
    if (encoded.buffer !== encodeBuffer.buffer) encodeBuffer = new Uint8Array(encoded.buffer);
    return encoded;
  };
  /** The run the counter wrote into the encode buffer's sections, until it is written away. */
  let inPlace: ReturnType<typeof ipRunInPlace> | undefined;
  const parsed = await processRange(source, plan, task.index, {
    ...(ipTableSlots === undefined ? {} : { ipTableSlots }),
    // A run goes out as it spills: the mapper holds one at a time, in memory it reuses.
    spillIpRun: async (run, ordinal) => {
      const key = workKeys.ipRun(plan.runId, task.index, attempt, ordinal);
      const laidOut = inPlace !== undefined && run.ends.buffer === inPlace.ends.buffer;
      const { bytes, run: named } = laidOut ? inPlace!.finish(key) : encodeIpRun(run, key, encodeBuffer);
      inPlace = undefined;
      await work.put(key, encode(bytes), "application/octet-stream");
      return named;
    },
    // The counter writes a run's sections straight into the encode buffer: it is free, as the
    // run before was written away before the counter counted on.
    spillArrays: (entries, keyBytes) => {
      inPlace = ipRunInPlace(entries, keyBytes, encodeBuffer);
      encode(inPlace.keys);
      return inPlace;
    },
  });
  const partial = { ...parsed, seconds: (performance.now() - started) / 1000 };
  const partialKey = workKeys.partial(plan.runId, task.index);
  await work.put(partialKey, encode(encodePartial(partial, encodeBuffer)), "application/octet-stream");
  if (spareEncodeBuffers.length < MAX_SPARE_ENCODE_BUFFERS) {
    spareEncodeBuffers.push(encodeBuffer);
  }
  return { index: task.index, partialKey, rowsRead: partial.aggregate.rows.read };
}
