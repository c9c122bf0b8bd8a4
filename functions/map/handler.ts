/** Step 2, one invocation per Distributed Map item: parse one byte range into its partial. */

import { openS3ByteSource } from "../adapters/s3-byte-source";
import { createS3Client } from "../adapters/s3-client";
import { s3ObjectStore } from "../adapters/s3-object-store";
import type { MapResult } from "../contracts";
import { ConfigError } from "../core/errors";
import { parseRangeTask } from "../core/events";
import { readPipelineConfig } from "../environment";
import { countingByteSource, elapsedMs, stageTelemetry } from "../observability";
import { mapRange } from "../stages/map-stage";

const config = readPipelineConfig();
const s3 = createS3Client();
const work = s3ObjectStore(s3, config.workBucket);
const telemetry = stageTelemetry("map");

export async function handler(input: unknown): Promise<MapResult> {
  const event = parseRangeTask(input);
  const started = performance.now();
  const fields = { runId: event.runId, rangeIndex: event.index };
  const bytesRead = { total: 0 };
  const result = await telemetry.observe("range failed", fields, () =>
    mapRange({
      task: event,
      work,
      ipTableSlots: config.ipTableSlots,
      openSource: async (source) => {
        if (source.bucket === undefined) throw new ConfigError(`plan ${event.planKey} has no source bucket`);
        const object = await openS3ByteSource(s3, {
          bucket: source.bucket,
          key: source.key,
          etag: source.etag,
          size: source.size,
        });
        return countingByteSource(object, bytesRead);
      },
    }),
  );
  const ms = elapsedMs(started);
  telemetry.report(
    "range mapped",
    { ...fields, bytes: bytesRead.total, rows: result.rowsRead, ms },
    { RangeSeconds: ms / 1000, RangeBytes: bytesRead.total, RangeRowsRead: result.rowsRead },
  );
  return result;
}
