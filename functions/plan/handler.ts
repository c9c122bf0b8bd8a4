/** Step 1 of a run: validate the header, cut the object into ranges, write the plan. */

import { openS3ByteSource } from "../adapters/s3-byte-source";
import { createS3Client } from "../adapters/s3-client";
import { s3ObjectStore } from "../adapters/s3-object-store";
import { readLambdaConfig } from "../config";
import type { ArchiveRef, PlanResult } from "../contracts";
import { ConfigError } from "../core/errors";
import { type RunOverrides, resolveRunOptions } from "../core/run-options";
import { elapsedMs, stageTelemetry } from "../observability";
import { planRun } from "../stages/plan-stage";

export interface PlanEvent extends RunOverrides {
  /** The execution's name: every key the run writes is under runs/<runId>/. */
  readonly runId: string;
  readonly bucket: string;
  readonly key: string;
  /** Set by the inflate stage: bucket and key then name the staged CSV in the work bucket. */
  readonly archive?: ArchiveRef;
}

const config = readLambdaConfig();
const s3 = createS3Client();
const work = s3ObjectStore(s3, config.workBucket);
const telemetry = stageTelemetry("plan");

export async function handler(event: PlanEvent): Promise<PlanResult> {
  for (const field of ["runId", "bucket", "key"] as const) {
    if (typeof event?.[field] !== "string" || event[field] === "") {
      throw new ConfigError(
        `plan input needs "${field}" (a non-empty string); expected {"runId","bucket","key"} plus optional rangeBytes, sample, mode, checks, topN; got ${JSON.stringify(event)}`,
      );
    }
  }
  const archive = event.archive;
  if (
    archive !== undefined &&
    (typeof archive?.key !== "string" ||
      typeof archive.member !== "string" ||
      !["zip", "gzip"].includes(archive.format))
  ) {
    throw new ConfigError(
      `plan input's "archive" must be the inflate stage's {"format","bucket","key","size","member"}; got ${JSON.stringify(archive)}`,
    );
  }
  const started = performance.now();
  const fields = { runId: event.runId, key: event.key };
  const plan = await telemetry.observe("plan failed", fields, async () => {
    const options = resolveRunOptions(event, config.runDefaults);
    const source = await openS3ByteSource(s3, { bucket: event.bucket, key: event.key });
    return planRun({
      runId: event.runId,
      source,
      location: { bucket: event.bucket, key: event.key, etag: source.etag },
      archive,
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
