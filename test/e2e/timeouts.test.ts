/**
 * A map attempt that runs past a timeout, the synthesized state machine on the local interpreter,
 * the Lambdas on the worker pool, S3 on s3rver. Range 1's first attempt is stalled mid-range (its
 * source read held back past the timeout) and the MapRange Retry runs the range again; the run
 * must end with a clean run's tables.
 * - The function timeout (`-c mapTimeoutSeconds=5`): the local Lambdas end the worker and fail the
 *   call with Sandbox.Timedout, as Lambda does, and the ended attempt writes nothing.
 * - A task timeout (`TimeoutSeconds` set on the MapRange task; the synthesized definition sets
 *   none): the interpreter fails the attempt with States.Timeout and the Retry runs it again while
 *   the stalled attempt is still going, as on AWS, where a task timeout does not stop the Lambda.
 *   The stalled attempt finishes and writes its partial late.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3ObjectStore } from "../../functions/adapters/s3-object-store";
import { startLambdaWorkerPool } from "../../local/aws/lambda-worker-pool";
import { type LocalS3, startLocalS3 } from "../../local/aws/local-s3";
import type { LambdaInvoker } from "../../local/aws/local-step-functions";
import {
  type AslDefinition,
  cachedSynthesizedPipeline,
  type SynthesizedPipeline,
} from "../../local/aws/synthesized-pipeline";
import { generatedDay } from "../helpers/generated-day";
import {
  type RequestHookProxy,
  type SeenRequest,
  startRequestHookProxy,
} from "../helpers/request-hook-proxy";
import { executeOnSource } from "../helpers/source-execution";

const RANGE_BYTES = 65_536;
const TARGET_RANGE = 1;
const FUNCTION_TIMEOUT_SECONDS = 5;
const TASK_TIMEOUT_SECONDS = 3;
/** How long the first attempt's source read is held past the timeout. */
const STALL_PAST_TIMEOUT_MS = 2500;
const TABLES = ["server_errors", "errors_by_hour", "ip_counts", "top_ips"] as const;

/** One call of the map Lambda for the target range, as the invoker saw it. */
interface Attempt {
  readonly runId: string;
  readonly startedAt: number;
  endedAt?: number;
  /** "ok", or the name of the error the call failed with. */
  outcome?: string;
}

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

describe("a map attempt past its timeout", () => {
  let withFunctionTimeout: SynthesizedPipeline;
  let synthesized: SynthesizedPipeline;
  let s3: LocalS3;
  let proxy: RequestHookProxy;

  beforeAll(async () => {
    withFunctionTimeout = cachedSynthesizedPipeline({
      rangeBytes: String(RANGE_BYTES),
      mapTimeoutSeconds: String(FUNCTION_TIMEOUT_SECONDS),
    });
    synthesized = cachedSynthesizedPipeline({ rangeBytes: String(RANGE_BYTES) });
    const buckets = [withFunctionTimeout, synthesized].flatMap((p) => Object.values(p.buckets));
    s3 = await startLocalS3([...new Set(buckets)]);
    proxy = await startRequestHookProxy(s3.endpoint);
  });
  afterAll(async () => {
    await proxy?.stop();
    await s3?.stop();
  });

  /**
   * Runs the source `incoming/<source>/day.csv` twice: cleanly (run `<source>-clean`), then with
   * range 1's first source read held `timeoutSeconds` + 2.5 s (run `<source>-stalled`, on
   * `stalledDefinition`), and waits for every attempt at range 1 to have ended. Checks what both
   * timeouts share: both runs succeed, range 1 is attempted twice, the retry starts past the
   * timeout and succeeds, and the committed tables are the clean run's, byte for byte. Returns the
   * stalled run's two attempts and its PUTs of range 1's partial.
   */
  async function runWithStalledRange(
    pipeline: SynthesizedPipeline,
    source: string,
    timeoutSeconds: number,
    stalledDefinition: AslDefinition,
  ): Promise<{ first: Attempt; retry: Attempt; partialPuts: SeenRequest[] }> {
    // Prepare
    const csv = generatedDay(200_000, 22);
    const dataStart = csv.indexOf(10) + 1;
    const key = `incoming/${source}/day.csv`;
    const partition = `${source}%2Fday`;
    const stalledRun = `${source}-stalled`;
    await s3.client.send(new PutObjectCommand({ Bucket: pipeline.buckets.input, Key: key, Body: csv }));
    const lambdas = startLambdaWorkerPool(
      pipeline,
      { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, POWERTOOLS_LOG_LEVEL: "SILENT" },
      2,
    );
    const attempts: Attempt[] = [];
    const invoke: LambdaInvoker = async (arn, payload) => {
      const task = payload as { runId?: string; index?: number };
      if (arn !== pipeline.functions.Map.arn || task.index !== TARGET_RANGE)
        return lambdas.invoke(arn, payload);
      const attempt: Attempt = { runId: String(task.runId), startedAt: performance.now() };
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
    const tablesOf = () =>
      Promise.all(
        TABLES.map(async (t) => Buffer.from(await out.get(`${t}/source=${partition}/part-00000.parquet`))),
      );
    try {
      const clean = await executeOnSource(pipeline, { name: `${source}-clean`, key, invoke, s3: s3.client });
      expect(clean, JSON.stringify(clean).slice(0, 600)).toMatchObject({ status: "SUCCEEDED" });
      const cleanTables = await tablesOf();

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
        await new Promise((resolve) => setTimeout(resolve, timeoutSeconds * 1000 + STALL_PAST_TIMEOUT_MS));
        released();
      });
      const execution = await executeOnSource(pipeline, {
        name: stalledRun,
        key,
        invoke,
        s3: s3.client,
        definition: stalledDefinition,
      });
      await stallOver;
      const stalledAttempt = attempts.find((a) => a.runId === stalledRun)!;
      // An attempt that goes on after its timeout writes its partial late: wait until it has ended.
      await expect.poll(() => stalledAttempt.outcome, { timeout: 30_000 }).toBeDefined();
      proxy.setHook(undefined);

      // Assess
      expect(execution, JSON.stringify(execution).slice(0, 600)).toMatchObject({ status: "SUCCEEDED" });
      const runAttempts = attempts.filter((a) => a.runId === stalledRun);
      expect(runAttempts).toHaveLength(2);
      const [first, retry] = runAttempts as [Attempt, Attempt];
      expect(retry.startedAt - first.startedAt).toBeGreaterThanOrEqual(timeoutSeconds * 1000 - 50);
      expect(retry.outcome).toBe("ok");
      // The committed tables are the clean run's, byte for byte.
      const tables = await tablesOf();
      for (const [i, t] of TABLES.entries()) expect(tables[i]!.equals(cleanTables[i]!), t).toBe(true);
      console.info(
        `map ${source}: first attempt ${((first.endedAt! - first.startedAt) / 1000).toFixed(1)} s (timeout ${timeoutSeconds} s), retry started after ${((retry.startedAt - first.startedAt) / 1000).toFixed(1)} s`,
      );
      const partialPuts = proxy.seen.filter(
        (r) => r.method === "PUT" && r.path.endsWith(`/runs/${stalledRun}/partials/range-00001.partial`),
      );
      return { first, retry, partialPuts };
    } finally {
      proxy.setHook(undefined);
      await lambdas.close();
    }
  }

  it("past its function timeout, is ended with Sandbox.Timedout and retried; the run ends with a clean run's tables", async () => {
    expect(withFunctionTimeout.functions.Map.timeoutSeconds).toBe(FUNCTION_TIMEOUT_SECONDS);

    const { first, retry, partialPuts } = await runWithStalledRange(
      withFunctionTimeout,
      "lambda-timeout",
      FUNCTION_TIMEOUT_SECONDS,
      withFunctionTimeout.definition,
    );

    // The first attempt was ended at its timeout, and the retry ran after it; the ended one wrote nothing.
    expect(first.endedAt!).toBeLessThanOrEqual(retry.startedAt);
    expect(first.outcome).toBe("Sandbox.Timedout");
    expect(partialPuts).toHaveLength(1);
  });

  it("past its task timeout, is timed out and retried; the run ends with a clean run's tables", async () => {
    const { first, retry, partialPuts } = await runWithStalledRange(
      synthesized,
      "task-timeout",
      TASK_TIMEOUT_SECONDS,
      withMapTaskTimeout(synthesized.definition, TASK_TIMEOUT_SECONDS),
    );

    // The first attempt was still running when the retry started, past the timeout, and finished.
    expect(first.endedAt!).toBeGreaterThan(retry.startedAt);
    expect(first.outcome).toBe("ok");
    expect(partialPuts).toHaveLength(2);
  });
});
