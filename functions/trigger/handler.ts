/**
 * Invoked by the EventBridge rule on the input bucket: starts one state machine execution per
 * uploaded object version. Duplicate events find the execution already there and succeed.
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { SFNClient } from "@aws-sdk/client-sfn";
import { createS3Client } from "../adapters/s3-client";
import { readTriggerConfig } from "./config";
import { startRun } from "./start-run";
import { type TriggerOutcome, triggerRun } from "./trigger-run";

const config = readTriggerConfig();
const sfn = new SFNClient({});
const s3 = createS3Client();

/** Listing (s3:ListBucket) rather than HEAD tells "no such key" from "no permission". */
async function findEtag(bucket: string, key: string): Promise<string | undefined> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
  const first = listed.Contents?.[0];
  return first?.Key === key ? (first.ETag ?? "") : undefined;
}

export async function handler(event: unknown): Promise<TriggerOutcome> {
  const outcome = await triggerRun(event, {
    stateMachineArn: config.stateMachineArn,
    findEtag,
    startRun: (request) => startRun(sfn, request),
  });
  console.info(JSON.stringify(outcome));
  return outcome;
}
