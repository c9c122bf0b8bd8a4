/**
 * Step 3: merge every partial, prove coverage, write the tables and commit `_SUCCESS`. After a
 * failed range Map, the same function reads the first failed range's error for the run's failure.
 */

import { createS3Client } from "../adapters/s3-client";
import { s3ObjectStore } from "../adapters/s3-object-store";
import type { RangeFailureEvent, RangeFailureRequest, ReduceEvent, ReduceResult } from "../contracts";
import { parseReduceEvent } from "../core/events";
import { loadRenderer } from "../core/report";
import { readPipelineConfig } from "../environment";
import { elapsedMs, stageTelemetry } from "../observability";
import { findRangeFailure, type RunFailure } from "../stages/range-failure";
import { reduceRun } from "../stages/reduce-stage";

const config = readPipelineConfig();
const s3 = createS3Client();
const work = s3ObjectStore(s3, config.workBucket);
const out = s3ObjectStore(s3, config.outputBucket, config.outputPrefix);
const telemetry = stageTelemetry("reduce");
// The report's chart libraries load during the container's init, not in a run's reduce.
loadRenderer().catch(() => {});

export async function handler(event: ReduceEvent): Promise<ReduceResult>;
export async function handler(event: RangeFailureEvent): Promise<RunFailure>;
export async function handler(input: unknown): Promise<ReduceResult | RunFailure> {
  const event = parseReduceEvent(input);
  if ("rangeFailure" in event) return describeRangeFailure(event.rangeFailure);
  const started = performance.now();
  const { result } = await telemetry.observe("reduce failed", { planKey: event.planKey }, () =>
    reduceRun({ planKey: event.planKey, work, out }),
  );
  const ms = elapsedMs(started);
  const { rows } = result;
  telemetry.report(
    `run ${result.runId} reduced: data checks ${result.status}`,
    {
      runId: result.runId,
      status: result.status,
      rows: rows.read,
      rowsOk: rows.ok,
      rowsCorrupt: rows.corrupt,
      rowsSampledOut: rows.sampledOut,
      failedChecks: result.failedChecks.join(","),
      ms,
    },
    {
      ReduceSeconds: ms / 1000,
      RowsRead: rows.read,
      RowsOk: rows.ok,
      RowsCorrupt: rows.corrupt,
      RowsSampledOut: rows.sampledOut,
      ChecksFailed: result.failedChecks.length,
    },
  );
  return result;
}

async function describeRangeFailure(request: RangeFailureRequest): Promise<RunFailure> {
  const failure = await findRangeFailure(work, request);
  telemetry.logger.error("range failed", {
    runId: request.runId,
    error: failure.error,
    cause: failure.cause,
  });
  return failure;
}
