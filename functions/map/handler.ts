/** Step 2, one invocation per Distributed Map item: parse one byte range into its partial. */

import { openS3ByteSource } from "../adapters/s3-byte-source";
import { createS3Client } from "../adapters/s3-client";
import { s3ObjectStore } from "../adapters/s3-object-store";
import { readLambdaConfig } from "../config";
import type { MapResult, RangeTask } from "../contracts";
import { ConfigError } from "../core/errors";
import { mapRange } from "../stages/map-stage";

const config = readLambdaConfig();
const s3 = createS3Client();
const work = s3ObjectStore(s3, config.workBucket);

export async function handler(event: RangeTask): Promise<MapResult> {
  if (event?.version !== 1 || typeof event.planKey !== "string" || !Number.isInteger(event.index)) {
    throw new ConfigError(
      `map input must be a RangeTask {"version":1,"runId","planKey","index"}; got ${JSON.stringify(event)}`,
    );
  }
  return mapRange({
    task: event,
    work,
    openSource: async (source) => {
      if (source.bucket === undefined) throw new ConfigError(`plan ${event.planKey} has no source bucket`);
      return openS3ByteSource(s3, {
        bucket: source.bucket,
        key: source.key,
        etag: source.etag,
        size: source.size,
      });
    },
  });
}
