/** Step 1 of a run: validate the header, cut the object into ranges, write the plan. */

import { openS3ByteSource } from "../adapters/s3-byte-source";
import { createS3Client } from "../adapters/s3-client";
import { s3ObjectStore } from "../adapters/s3-object-store";
import { readLambdaConfig } from "../config";
import type { PlanResult } from "../contracts";
import { ConfigError } from "../core/errors";
import { type RunOverrides, resolveRunOptions } from "../core/run-options";
import { planRun } from "../stages/plan-stage";

export interface PlanEvent extends RunOverrides {
  /** The execution's name: every key the run writes is under runs/<runId>/. */
  readonly runId: string;
  readonly bucket: string;
  readonly key: string;
}

const config = readLambdaConfig();
const s3 = createS3Client();
const work = s3ObjectStore(s3, config.workBucket);

export async function handler(event: PlanEvent): Promise<PlanResult> {
  for (const field of ["runId", "bucket", "key"] as const) {
    if (typeof event?.[field] !== "string" || event[field] === "") {
      throw new ConfigError(
        `plan input needs "${field}" (a non-empty string); expected {"runId","bucket","key"} plus optional rangeBytes, sample, mode, checks, topN; got ${JSON.stringify(event)}`,
      );
    }
  }
  const options = resolveRunOptions(event, config.runDefaults);
  const source = await openS3ByteSource(s3, { bucket: event.bucket, key: event.key });
  return planRun({
    runId: event.runId,
    source,
    location: { bucket: event.bucket, key: event.key, etag: source.etag },
    options,
    work,
  });
}
