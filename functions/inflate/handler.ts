/** Step 0 for a .zip or .gz upload: inflate its CSV into the work bucket, where plan reads it. */

import { openS3ByteSource } from "../adapters/s3-byte-source";
import { createS3Client } from "../adapters/s3-client";
import { s3ObjectStore } from "../adapters/s3-object-store";
import type { InflateResult } from "../contracts";
import { parseInflateEvent } from "../core/events";
import { readPipelineConfig } from "../environment";
import { inflateRun } from "../stages/inflate-stage";

const config = readPipelineConfig();
const s3 = createS3Client();
const work = s3ObjectStore(s3, config.workBucket);

export async function handler(input: unknown): Promise<InflateResult> {
  const event = parseInflateEvent(input);
  const source = await openS3ByteSource(s3, { bucket: event.bucket, key: event.key });
  const staged = await inflateRun({
    runId: event.runId,
    source,
    location: { bucket: event.bucket, key: event.key, etag: source.etag },
    work,
    maxInflatedBytes: config.maxInflatedBytes,
  });
  return { bucket: config.workBucket, ...staged };
}
