/**
 * After a failed range Map, the reduce function reads the Map's results from the work bucket
 * (s3rver on 127.0.0.1) and answers the first failed range's error and cause, which the state
 * machine's RunFailed then carries. The result files are shaped as Step Functions' ResultWriter
 * writes them (Transformation NONE): arrays of child executions with Input, Error and Cause.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RunFailure } from "../../functions/stages/range-failure";
import { type LocalS3, startLocalS3 } from "../../local/aws/local-s3";

const RUN = "log20170630-0123456789abcdef0123";
const PREFIX = `runs/${RUN}/map-run`;
const MAP_RUN_ID = "5f1c2d3e-0000-4000-8000-000000000000";

function childResult(index: number, status: "SUCCEEDED" | "FAILED", error?: string, cause?: string) {
  return {
    ExecutionArn: `arn:aws:states:us-east-1:123456789012:execution:EdgarEtl-pipeline/Ranges:${index}`,
    Input: JSON.stringify({ version: 1, runId: RUN, planKey: `runs/${RUN}/plan.json`, index }),
    InputDetails: { Included: true },
    Name: String(index),
    Status: status,
    ...(error === undefined ? { Output: "{}" } : { Error: error, Cause: cause }),
  };
}

describe("reduce handler, rangeFailure", () => {
  let s3: LocalS3;
  let handler: (event: unknown) => Promise<RunFailure>;
  const request = (resultsPrefix: string) => ({
    rangeFailure: {
      runId: RUN,
      resultsPrefix,
      error: "States.ExceedToleratedFailureThreshold",
      cause: "The specified tolerated failure threshold was exceeded",
    },
  });

  beforeAll(async () => {
    s3 = await startLocalS3(["work", "output"]);
    for (const [name, value] of Object.entries(s3.env)) vi.stubEnv(name, value);
    vi.stubEnv("WORK_BUCKET", "work");
    vi.stubEnv("OUTPUT_BUCKET", "output");
    handler = (await import("../../functions/reduce/handler")).handler as never;
    const put = (key: string, body: unknown) =>
      s3.client.send(new PutObjectCommand({ Bucket: "work", Key: key, Body: JSON.stringify(body) }));
    await put(`${PREFIX}/${MAP_RUN_ID}/manifest.json`, {
      DestinationBucket: "work",
      MapRunArn: `arn:aws:states:us-east-1:123456789012:mapRun:EdgarEtl-pipeline/Ranges:${MAP_RUN_ID}`,
      ResultFiles: { FAILED: [{ Key: `${PREFIX}/${MAP_RUN_ID}/FAILED_0.json`, Size: 1 }] },
    });
    await put(`${PREFIX}/${MAP_RUN_ID}/SUCCEEDED_0.json`, [childResult(0, "SUCCEEDED")]);
    await put(`${PREFIX}/${MAP_RUN_ID}/FAILED_0.json`, [
      childResult(7, "FAILED", "Sandbox.Timedout", "RequestId: 1 Error: Task timed out after 300.00 seconds"),
      childResult(
        3,
        "FAILED",
        "InputRejectedError",
        JSON.stringify({
          errorType: "InputRejectedError",
          errorMessage: "s3://input/incoming/log20170630.csv changed during the run",
          trace: ["InputRejectedError: s3://input/…", "    at …"],
        }),
      ),
    ]);
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await s3.stop();
  });

  it("answers the lowest failed range's error, and its message as the cause", async () => {
    const failure = await handler(request(PREFIX));

    expect(failure).toEqual({
      error: "InputRejectedError",
      cause: "range 3 (and 1 more ranges) failed: s3://input/incoming/log20170630.csv changed during the run",
    });
  });

  it("answers the Map's own error when no result names a failed range", async () => {
    const failure = await handler(request(`runs/${RUN}-other/map-run`));

    expect(failure).toEqual({
      error: "States.ExceedToleratedFailureThreshold",
      cause: "The specified tolerated failure threshold was exceeded",
    });
  });

  it("rejects a rangeFailure without runId or resultsPrefix, naming the expected shape", async () => {
    await expect(handler({ rangeFailure: { runId: RUN } })).rejects.toThrow(
      /^reduce input: "rangeFailure" needs "runId" and "resultsPrefix" \(strings\); expected .*\{"rangeFailure": \{"runId","resultsPrefix","error","cause"\}\}/,
    );
  });
});
