/**
 * The backfill and status commands' AWS calls: S3 listing and HEAD, Step Functions' executions
 * and Map Runs, and the scheduler's ports over them.
 */
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  DescribeMapRunCommand,
  type DescribeMapRunOutput,
  ListExecutionsCommand,
  ListMapRunsCommand,
  type SFNClient,
} from "@aws-sdk/client-sfn";
import { createS3Client } from "../../functions/adapters/s3-client";
import { listAllObjects } from "../../functions/adapters/s3-listing";
import { sfnRunStarter } from "../../functions/adapters/sfn-run-starter";
import { clip, QUOTED_CHARS } from "../../functions/core/clip";
import type { BackfillPorts, ObjectToRun } from "./scheduler";

export function backfillPorts(sfn: SFNClient): BackfillPorts {
  return {
    startRun: sfnRunStarter(sfn),
    describeExecution: (executionArn) => describeExecution(sfn, executionArn),
    sleep,
  };
}

export function describeExecution(sfn: SFNClient, executionArn: string): Promise<DescribeExecutionOutput> {
  return sfn.send(new DescribeExecutionCommand({ executionArn }));
}

/** Every object under the prefix, in listing order. */
export async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<ObjectToRun[]> {
  const objects = await listAllObjects(s3, bucket, prefix);
  return objects.flatMap((o) => (o.Key === undefined ? [] : [{ key: o.Key, etag: o.ETag ?? "" }]));
}

export async function describeMapRuns(sfn: SFNClient, executionArn: string) {
  const { mapRuns = [] } = await sfn.send(new ListMapRunsCommand({ executionArn }));
  return Promise.all(
    mapRuns.map(async (run) => ({
      label: mapRunLabel(run.mapRunArn ?? ""),
      mapRun: await sfn.send(new DescribeMapRunCommand({ mapRunArn: run.mapRunArn })),
    })),
  );
}

/**
 * A failed child of a Map Run, with its own error and cause: what failed a range (or an object
 * of a backfill), which the parent execution shows only as a tolerated-failure threshold when
 * its own error could not be carried.
 */
export async function describeFailedItem(
  sfn: SFNClient,
  mapRun: DescribeMapRunOutput,
): Promise<string | undefined> {
  if ((mapRun.itemCounts?.failed ?? 0) === 0) return undefined;
  const { executions = [] } = await sfn.send(
    new ListExecutionsCommand({ mapRunArn: mapRun.mapRunArn, statusFilter: "FAILED", maxResults: 1 }),
  );
  const child = executions[0];
  if (child?.executionArn === undefined) return undefined;
  const failed = await describeExecution(sfn, child.executionArn);
  return `${failed.name}: ${failed.error ?? ""}${failed.cause ? `: ${clip(failed.cause, QUOTED_CHARS)}` : ""}`;
}

/** The input object's size, for MB/s; 0 (ranges only) when it cannot be read. */
export async function inputSize(input: string | undefined, region: string): Promise<number> {
  const parsed = (() => {
    try {
      return JSON.parse(input ?? "") as { bucket?: unknown; key?: unknown };
    } catch {
      return {};
    }
  })();
  if (typeof parsed.bucket !== "string" || typeof parsed.key !== "string") return 0;
  const s3 = createS3Client(process.env, region);
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: parsed.bucket, Key: parsed.key }));
    return head.ContentLength ?? 0;
  } catch {
    return 0;
  } finally {
    s3.destroy();
  }
}

/** `arn:…:mapRun:<machine>/<label>:<id>` -> `<label>` (the Map's Label: Ranges or Objects). */
function mapRunLabel(mapRunArn: string): string {
  return /\/([^/:]+):[^:]*$/.exec(mapRunArn)?.[1] ?? mapRunArn;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
