/**
 * A map Lambda that runs past its function timeout (`-c mapTimeoutSeconds=5`): the local Lambdas
 * end the worker and fail the call with Sandbox.Timedout, as Lambda does, and the MapRange Retry
 * runs the range again. Range 1's first attempt is stalled mid-range (its source read held back
 * past the timeout). The run must end with a clean run's tables, and the ended attempt must
 * write nothing.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3ObjectStore } from "../../functions/adapters/s3-object-store";
import { startLambdaWorkerPool } from "../../local/aws/lambda-worker-pool";
import { type LocalS3, startLocalS3 } from "../../local/aws/local-s3";
import { type LambdaInvoker, runLocalExecution } from "../../local/aws/local-step-functions";
import { cachedSynthesizedPipeline, type SynthesizedPipeline } from "../../local/aws/synthesized-pipeline";
import { generatedDay } from "../helpers/generated-day";
import { type RequestHookProxy, startRequestHookProxy } from "../helpers/request-hook-proxy";

const RANGE_BYTES = 65_536;
const TARGET_RANGE = 1;
const TIMEOUT_SECONDS = 5;
/** How long the first attempt's source read is held: well past the timeout. */
const STALL_MS = TIMEOUT_SECONDS * 1000 + 2500;
const TABLES = ["server_errors", "errors_by_hour", "ip_counts", "top_ips"] as const;

describe("a map Lambda past its function timeout", () => {
  let pipeline: SynthesizedPipeline;
  let s3: LocalS3;
  let proxy: RequestHookProxy;

  beforeAll(async () => {
    pipeline = cachedSynthesizedPipeline({
      rangeBytes: String(RANGE_BYTES),
      mapTimeoutSeconds: String(TIMEOUT_SECONDS),
    });
    s3 = await startLocalS3([pipeline.buckets.input, pipeline.buckets.work, pipeline.buckets.output]);
    proxy = await startRequestHookProxy(s3.endpoint);
  });
  afterAll(async () => {
    await proxy?.stop();
    await s3?.stop();
  });

  it("is ended with Sandbox.Timedout and retried; the run ends with a clean run's tables", async () => {
    // Prepare
    const csv = generatedDay(200_000, 22);
    const dataStart = csv.indexOf(10) + 1;
    const key = "incoming/lambda-timeout/day.csv";
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
    const execute = (name: string) =>
      runLocalExecution({
        definition: pipeline.definition,
        stateMachineArn: pipeline.stateMachineArn,
        name,
        input: { bucket: pipeline.buckets.input, key },
        invoke,
        s3: s3.client,
      });
    try {
      expect(pipeline.functions.Map.timeoutSeconds).toBe(TIMEOUT_SECONDS);
      const clean = await execute("clean-timeout");
      expect(clean, JSON.stringify(clean).slice(0, 600)).toMatchObject({ status: "SUCCEEDED" });
      const cleanTables = await tablesOf("lambda-timeout%2Fday");

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
      const execution = await execute("stalled-timeout");
      await stallOver;
      proxy.setHook(undefined);

      // Assess: the first attempt was ended at its timeout, and the retry ran after it.
      expect(execution, JSON.stringify(execution).slice(0, 600)).toMatchObject({ status: "SUCCEEDED" });
      const runAttempts = attempts.filter((a) => a.runId === "stalled-timeout");
      expect(runAttempts).toHaveLength(2);
      const [first, retry] = runAttempts as [(typeof attempts)[number], (typeof attempts)[number]];
      expect(retry.startedAt - first.startedAt).toBeGreaterThanOrEqual(TIMEOUT_SECONDS * 1000 - 50);
      expect(first.endedAt!).toBeLessThanOrEqual(retry.startedAt);
      expect(first.outcome).toBe("Sandbox.Timedout");
      expect(retry.outcome).toBe("ok");
      const partialPuts = proxy.seen.filter(
        (r) => r.method === "PUT" && r.path.endsWith("/runs/stalled-timeout/partials/range-00001.partial"),
      );
      expect(partialPuts).toHaveLength(1);
      // The committed tables are the clean run's, byte for byte.
      const tables = await tablesOf("lambda-timeout%2Fday");
      for (const [i, t] of TABLES.entries()) expect(tables[i]!.equals(cleanTables[i]!), t).toBe(true);
      console.info(
        `map Lambda timeout: first attempt ${((first.endedAt! - first.startedAt) / 1000).toFixed(1)} s (ended at ${TIMEOUT_SECONDS} s), retry started after ${((retry.startedAt - first.startedAt) / 1000).toFixed(1)} s`,
      );
    } finally {
      proxy.setHook(undefined);
      await lambdas.close();
    }
  });
});
