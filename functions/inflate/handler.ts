/** Step 0 for a .zip or .gz upload: inflate its CSV into the work bucket, where plan reads it. */

import { openS3ByteSource } from "../adapters/s3-byte-source";
import { createS3Client } from "../adapters/s3-client";
import { s3ObjectStore } from "../adapters/s3-object-store";
import { readLambdaConfig } from "../config";
import type { InflateResult } from "../contracts";
import { ConfigError } from "../core/errors";
import { inflateRun } from "../stages/inflate-stage";
import { readInflateConfig } from "./config";

export interface InflateEvent {
  /** The execution's name: the staged CSV is runs/<runId>/staged.csv. */
  readonly runId: string;
  readonly bucket: string;
  readonly key: string;
}

const config = readLambdaConfig();
const { maxInflatedBytes } = readInflateConfig();
const s3 = createS3Client();
const work = s3ObjectStore(s3, config.workBucket);

export async function handler(event: InflateEvent): Promise<InflateResult> {
  for (const field of ["runId", "bucket", "key"] as const) {
    if (typeof event?.[field] !== "string" || event[field] === "") {
      throw new ConfigError(
        `inflate input needs "${field}" (a non-empty string); expected {"runId","bucket","key"}; got ${JSON.stringify(event)}`,
      );
    }
  }
  const source = await openS3ByteSource(s3, { bucket: event.bucket, key: event.key });
  const staged = await inflateRun({
    runId: event.runId,
    source,
    location: { bucket: event.bucket, key: event.key, etag: source.etag },
    work,
    maxInflatedBytes,
  });
  return { bucket: config.workBucket, ...staged };
}
