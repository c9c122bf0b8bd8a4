/**
 * Invoked by the EventBridge rule on the input bucket: starts one state machine execution per
 * uploaded object version. Duplicate events find the execution already there and succeed.
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { SFNClient } from "@aws-sdk/client-sfn";
import { createS3Client } from "../adapters/s3-client";
import { elapsedMs, stageTelemetry } from "../observability";
import { readTriggerConfig } from "./config";
import { startRun } from "./start-run";
import { type TriggerOutcome, triggerRun } from "./trigger-run";

const config = readTriggerConfig();
const sfn = new SFNClient({});
const s3 = createS3Client();
const telemetry = stageTelemetry("trigger");

/** Listing (s3:ListBucket) rather than HEAD tells "no such key" from "no permission". */
async function findEtag(bucket: string, key: string): Promise<string | undefined> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
  const first = listed.Contents?.[0];
  return first?.Key === key ? (first.ETag ?? "") : undefined;
}

export async function handler(event: unknown): Promise<TriggerOutcome> {
  const started = performance.now();
  const outcome = await telemetry.observe("upload event failed", {}, () =>
    triggerRun(event, {
      stateMachineArn: config.stateMachineArn,
      findEtag,
      startRun: (request) => startRun(sfn, request),
    }),
  );
  telemetry.report(
    `run ${outcome.status}`,
    {
      status: outcome.status,
      key: outcome.key,
      ...("name" in outcome ? { runId: outcome.name } : {}),
      ...("reason" in outcome ? { reason: outcome.reason } : {}),
      ms: elapsedMs(started),
    },
    {
      RunsStarted: outcome.status === "started" ? 1 : 0,
      DuplicateEvents: outcome.status === "exists" ? 1 : 0,
    },
  );
  return outcome;
}
