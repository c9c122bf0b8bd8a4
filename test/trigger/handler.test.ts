/**
 * The trigger Lambda end to end: its real SDK clients against S3 (s3rver on 127.0.0.1) and a
 * fake Step Functions endpoint speaking the JSON protocol's StartExecution, as AWS answers it.
 */
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { TriggerOutcome } from "../../functions/stages/trigger-stage";
import { type LocalS3, startLocalS3 } from "../../local/aws/local-s3";
import {
  type FakeExecution,
  type FakeStepFunctions,
  startFakeStepFunctions,
} from "../helpers/fake-step-functions";

const STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:EdgarEtl-pipeline";

function objectCreated(key: string, etag: string) {
  return {
    "detail-type": "Object Created",
    source: "aws.s3",
    detail: { bucket: { name: "input" }, object: { key, size: 10, etag, sequencer: "00617f08299329d189" } },
  };
}

describe("trigger handler", () => {
  let s3: LocalS3;
  let sfn: FakeStepFunctions<FakeExecution>;
  let handler: (event: unknown) => Promise<TriggerOutcome>;
  const etags = new Map<string, string>();
  const logLines: string[] = [];

  async function upload(key: string, body: string) {
    const put = await s3.client.send(new PutObjectCommand({ Bucket: "input", Key: key, Body: body }));
    etags.set(key, (put.ETag ?? "").replace(/"/g, ""));
  }

  beforeAll(async () => {
    s3 = await startLocalS3(["input"]);
    // Executions finish at once: a second event for the same object version is a duplicate.
    sfn = await startFakeStepFunctions({
      stateMachineArn: STATE_MACHINE_ARN,
      started: (execution) => ({ ...execution, status: "SUCCEEDED" }),
    });
    for (const [name, value] of Object.entries(s3.env)) vi.stubEnv(name, value);
    vi.stubEnv("AWS_ENDPOINT_URL_SFN", sfn.endpoint);
    vi.stubEnv("STATE_MACHINE_ARN", STATE_MACHINE_ARN);
    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "INFO");
    handler = (await import("../../functions/trigger/handler")).handler;
    // The handler's log lines (off Lambda they go to stderr): kept for the test that reads them.
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      logLines.push(String(chunk));
      return true;
    });
    await upload("incoming/log20170630.csv", "ip,date\n");
    await upload("incoming/log 2017 (copy).csv", "ip,date\n");
    await upload("incoming/a+b.csv", "literal plus\n");
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await sfn.close();
    await s3.stop();
  });

  it("starts one execution named after the object version, with {bucket, key}", async () => {
    const outcome = await handler(
      objectCreated("incoming/log20170630.csv", etags.get("incoming/log20170630.csv")!),
    );

    expect(outcome).toMatchObject({ status: "started", bucket: "input", key: "incoming/log20170630.csv" });
    const name = (outcome as { name: string }).name;
    expect(name).toMatch(/^log20170630-[0-9a-f]{20}$/);
    expect(JSON.parse(sfn.executions.get(name)!.input)).toEqual({
      bucket: "input",
      key: "incoming/log20170630.csv",
    });
  });

  it("logs one JSON line per event: what it did, the run's name and the key", async () => {
    await upload("incoming/logged.csv", "ip,date\n");
    logLines.length = 0;

    const outcome = await handler(objectCreated("incoming/logged.csv", etags.get("incoming/logged.csv")!));

    expect(logLines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({
        level: "INFO",
        service: "trigger",
        message: "run started",
        status: "started",
        key: "incoming/logged.csv",
        runId: (outcome as { name: string }).name,
        ms: expect.any(Number),
      }),
    ]);
  });

  it("treats a duplicate event as done: ExecutionAlreadyExists is success, no second run", async () => {
    const event = objectCreated("incoming/log20170630.csv", etags.get("incoming/log20170630.csv")!);
    const before = sfn.executions.size;

    const again = await handler(event);

    expect(again).toMatchObject({ status: "exists", key: "incoming/log20170630.csv" });
    expect((again as { executionArn: string }).executionArn).toBe(
      `arn:aws:states:us-east-1:123456789012:execution:EdgarEtl-pipeline:${(again as { name: string }).name}`,
    );
    expect(sfn.executions.size).toBe(before);
  });

  it("resolves a URL-encoded key to the object that exists with the event's ETag", async () => {
    const key = "incoming/log 2017 (copy).csv";

    const outcome = await handler(objectCreated("incoming/log+2017+%28copy%29.csv", etags.get(key)!));

    expect(outcome).toMatchObject({ status: "started", key });
  });

  it("keeps a raw key with a literal + when that object exists with the event's ETag", async () => {
    const outcome = await handler(objectCreated("incoming/a+b.csv", etags.get("incoming/a+b.csv")!));

    expect(outcome).toMatchObject({ status: "started", key: "incoming/a+b.csv" });
  });

  it("skips an object deleted before the event arrived", async () => {
    await upload("incoming/gone+soon.csv", "x\n");
    await s3.client.send(new DeleteObjectCommand({ Bucket: "input", Key: "incoming/gone+soon.csv" }));

    const outcome = await handler(objectCreated("incoming/gone+soon.csv", "e"));

    expect(outcome).toMatchObject({
      status: "skipped",
      reason: expect.stringMatching(/deleted since the event/),
    });
  });

  it("fails on an event that is not Object Created, naming the expected shape", async () => {
    await expect(handler({ Records: [] })).rejects.toThrow(
      /expected an EventBridge event .*"Object Created"/,
    );
  });
});
