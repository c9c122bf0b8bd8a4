/** Step 1 of a run: validate the header, cut the object into ranges, write the plan. */

import { openS3ByteSource } from "../adapters/s3-byte-source";
import { createS3Client } from "../adapters/s3-client";
import { s3ObjectStore } from "../adapters/s3-object-store";
import type { PlanResult } from "../contracts";
import { parsePlanEvent } from "../core/events";
import { resolveRunOptions } from "../core/run-options";
import { readPipelineConfig } from "../environment";
import { elapsedMs, stageTelemetry } from "../observability";
import { planRun } from "../stages/plan-stage";

const config = readPipelineConfig();
const s3 = createS3Client();
const work = s3ObjectStore(s3, config.workBucket);
const telemetry = stageTelemetry("plan");

export async function handler(input: unknown): Promise<PlanResult> {
  const event = parsePlanEvent(input);
  const started = performance.now();
  const fields = { runId: event.runId, key: event.key };
  const plan = await telemetry.observe("plan failed", fields, async () => {
    const options = resolveRunOptions(event, config.runDefaults);
    const source = await openS3ByteSource(s3, { bucket: event.bucket, key: event.key });
    return planRun({
      runId: event.runId,
      source,
      location: { bucket: event.bucket, key: event.key, etag: source.etag },
      archive: event.archive,
      options,
      work,
    });
  });
  const ms = elapsedMs(started);
  telemetry.report(
    "object planned",
    { ...fields, bytes: plan.sourceBytes, ranges: plan.rangeCount, ms },
    { PlanSeconds: ms / 1000, SourceBytes: plan.sourceBytes, Ranges: plan.rangeCount },
  );
  return plan;
}
