/**
 * A map attempt that runs past its task timeout: the synthesized state machine with
 * `TimeoutSeconds` set on the MapRange task (the synthesized definition sets none), the Lambdas
 * on the worker pool, S3 on s3rver. Range 1's first attempt is stalled mid-range (its source read
 * held back past the timeout), so the interpreter fails it with States.Timeout and the Retry runs
 * it again while the stalled attempt is still going, as on AWS, where a task timeout does not
 * stop the Lambda. The run must end with a clean run's tables, after the stalled attempt has
 * also finished and written its partial late.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3ObjectStore } from "../../functions/adapters/s3-object-store";
import { startLambdaWorkerPool } from "../../local/aws/lambda-worker-pool";
import { type LocalS3, startLocalS3 } from "../../local/aws/local-s3";
import { type LambdaInvoker, runLocalExecution } from "../../local/aws/local-step-functions";
import {
  type AslDefinition,
  cachedSynthesizedPipeline,
  type SynthesizedPipeline,
} from "../../local/aws/synthesized-pipeline";
import { generatedDay } from "../helpers/generated-day";
import { type RequestHookProxy, startRequestHookProxy } from "../helpers/request-hook-proxy";

const RANGE_BYTES = 65_536;
const TARGET_RANGE = 1;
const TIMEOUT_SECONDS = 3;
/** How long the first attempt's source read is held: well past the timeout. */
const STALL_MS = TIMEOUT_SECONDS * 1000 + 2500;
const TABLES = ["server_errors", "errors_by_hour", "ip_counts", "top_ips"] as const;

/** The definition with `TimeoutSeconds` on the Map's MapRange task. */
function withMapTaskTimeout(definition: AslDefinition, seconds: number): AslDefinition {
  const copy = structuredClone(definition) as AslDefinition;
  const map = copy.States.MapRanges as { ItemProcessor: AslDefinition };
  const task = map.ItemProcessor.States.MapRange;
  if (task?.Type !== "Task") throw new Error("the synthesized definition has no MapRange task in MapRanges");
  expect(task.TimeoutSeconds, "the synthesized MapRange task sets no timeout of its own").toBeUndefined();
  task.TimeoutSeconds = seconds;
  return copy;
}

describe("a map attempt past its task timeout", () => {
  let pipeline: SynthesizedPipeline;
  let s3: LocalS3;
  let proxy: RequestHookProxy;

  beforeAll(async () => {
    pipeline = cachedSynthesizedPipeline({ rangeBytes: String(RANGE_BYTES) });
    s3 = await startLocalS3([pipeline.buckets.input, pipeline.buckets.work, pipeline.buckets.output]);
    proxy = await startRequestHookProxy(s3.endpoint);
  });
  afterAll(async () => {
    await proxy?.stop();
    await s3?.stop();
  });

  it("is timed out and retried; the run ends with a clean run's tables", async () => {
    // Prepare
    const csv = generatedDay(200_000, 22);
    const dataStart = csv.indexOf(10) + 1;
    const key = "incoming/timeout/day.csv";
    await s3.client.send(new PutObjectCommand({ Bucket: pipeline.buckets.input, Key: key, Body: csv }));
    const lambdas = startLambdaWorkerPool(
      pipeline,
      { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, POWERTOOLS_LOG_LEVEL: "SILENT" },
      2,
    );
    const attempts: { runId: string; startedAt: number; endedAt?: number; outcome?: string }[] = [];
    const invoke: LambdaInvoker = async (arn, payload) => {
      const task = payload as { runId?: string; index?: number };
      if (arn !== pipeline.functions.Map.arn || task.index !== TARGET_RANGE)
        return lambdas.invoke(arn, payload);
      const attempt: (typeof attempts)[number] = { runId: String(task.runId), startedAt: performance.now() };
      attempts.push(attempt);
      try {
        const result = await lambdas.invoke(arn, payload);
        attempt.outcome = "ok";
        return result;
      } catch (e) {
        attempt.outcome = (e as Error).name;
        throw e;
      } finally {
        attempt.endedAt = performance.now();
      }
    };
    const out = s3ObjectStore(s3.client, pipeline.buckets.output);
    const tablesOf = (partition: string) =>
      Promise.all(
        TABLES.map(async (t) => Buffer.from(await out.get(`${t}/source=${partition}/part-00000.parquet`))),
      );
    const execute = (name: string, definition: AslDefinition) =>
      runLocalExecution({
        definition,
        stateMachineArn: pipeline.stateMachineArn,
        name,
        input: { bucket: pipeline.buckets.input, key },
        invoke,
        s3: s3.client,
      });
    try {
      const clean = await execute("clean-timeout", pipeline.definition);
      expect(clean, JSON.stringify(clean).slice(0, 600)).toMatchObject({ status: "SUCCEEDED" });
      const cleanTables = await tablesOf("timeout%2Fday");

      // Act: hold range 1's first source read of the second run well past the timeout.
      let stalled = 0;
      let released!: () => void;
      const stallOver = new Promise<void>((resolve) => {
        released = resolve;
      });
      proxy.setHook(async (request) => {
        const isTargetRead =
          request.method === "GET" &&
          request.path === `/${pipeline.buckets.input}/${key}` &&
          request.rangeStart === dataStart + TARGET_RANGE * RANGE_BYTES - 1;
        if (!isTargetRead || stalled++ > 0) return;
        await new Promise((resolve) => setTimeout(resolve, STALL_MS));
        released();
      });
      const execution = await execute(
        "stalled-timeout",
        withMapTaskTimeout(pipeline.definition, TIMEOUT_SECONDS),
      );
      await stallOver;
      const stalledAttempt = attempts.find((a) => a.runId === "stalled-timeout")!;
      // The stalled attempt goes on after its timeout and writes its partial late.
      await expect.poll(() => stalledAttempt.outcome, { timeout: 30_000 }).toBeDefined();
      proxy.setHook(undefined);

      // Assess: the first attempt was still running when the retry started, past the timeout.
      expect(execution, JSON.stringify(execution).slice(0, 600)).toMatchObject({ status: "SUCCEEDED" });
      const runAttempts = attempts.filter((a) => a.runId === "stalled-timeout");
      expect(runAttempts).toHaveLength(2);
      const [first, retry] = runAttempts as [(typeof attempts)[number], (typeof attempts)[number]];
      expect(retry.startedAt - first.startedAt).toBeGreaterThanOrEqual(TIMEOUT_SECONDS * 1000 - 50);
      expect(first.endedAt!).toBeGreaterThan(retry.startedAt);
      expect(first.outcome).toBe("ok");
      expect(retry.outcome).toBe("ok");
      const partialPuts = proxy.seen.filter(
        (r) => r.method === "PUT" && r.path.endsWith("/runs/stalled-timeout/partials/range-00001.partial"),
      );
      expect(partialPuts).toHaveLength(2);
      // The committed tables are the clean run's, byte for byte.
      const tables = await tablesOf("timeout%2Fday");
      for (const [i, t] of TABLES.entries()) expect(tables[i]!.equals(cleanTables[i]!), t).toBe(true);
      console.info(
        `map task timeout: first attempt ${((first.endedAt! - first.startedAt) / 1000).toFixed(1)} s (timed out at ${TIMEOUT_SECONDS} s), retry started after ${((retry.startedAt - first.startedAt) / 1000).toFixed(1)} s`,
      );
    } finally {
      proxy.setHook(undefined);
      await lambdas.close();
    }
  });
});
