/** Step 3: merge every partial, prove coverage, write the tables and commit `_SUCCESS`. */

import { createS3Client } from "../adapters/s3-client";
import { s3ObjectStore } from "../adapters/s3-object-store";
import { readLambdaConfig } from "../config";
import type { ReduceResult } from "../contracts";
import { ConfigError } from "../core/errors";
import { reduceRun } from "../stages/reduce-stage";

export interface ReduceEvent {
  readonly planKey: string;
}

const config = readLambdaConfig();
const s3 = createS3Client();
const work = s3ObjectStore(s3, config.workBucket);
const out = s3ObjectStore(s3, config.outputBucket, config.outputPrefix);

export async function handler(event: ReduceEvent): Promise<ReduceResult> {
  if (typeof event?.planKey !== "string") {
    throw new ConfigError(
      `reduce input must be {"planKey": "runs/<runId>/plan.json"}; got ${JSON.stringify(event)}`,
    );
  }
  const { result } = await reduceRun({ planKey: event.planKey, work, out });
  return result;
}
