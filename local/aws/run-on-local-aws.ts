/**
 * The whole AWS pipeline on this machine: an S3-compatible server on 127.0.0.1, the state
 * machine CDK synthesizes run by a local ASL interpreter, and the Lambdas on a worker pool.
 * The input is uploaded, the upload event is emulated (an execution named as the trigger names
 * it), and the output bucket is copied to a local directory with the same layout.
 */
import { createReadStream } from "node:fs";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { s3ObjectStore } from "../../functions/adapters/s3-object-store";
import type { RunOverrides } from "../../functions/core/run-options";
import { PIPELINE_ENV } from "../../functions/environment";
import { executionName } from "../../functions/stages/execution-name";
import { readPlan } from "../../functions/stages/read-plan";
import { LOCAL_IP_TABLE_SLOTS } from "../map-on-files";
import type { RunProgress } from "../progress";
import { startLambdaWorkerPool } from "./lambda-worker-pool";
import { startLocalS3 } from "./local-s3";
import { type LocalExecutionResult, runLocalExecution } from "./local-step-functions";
import { invokerReportingProgress } from "./run-progress";
import { cachedSynthesizedPipeline } from "./synthesized-pipeline";

export interface LocalAwsRunInput {
  readonly file: string;
  readonly outDir: string;
  /** Execution-input overrides (rangeBytes, sample, mode, checks, topN). */
  readonly overrides: RunOverrides;
  /** Lambda worker threads. */
  readonly workers: number;
  /** Key prefix uploads arrive under (the stack's inputPrefix). */
  readonly inputPrefix?: string;
  /** The handlers' structured log lines, as Lambda would log them, on stderr. @default false */
  readonly verbose?: boolean;
  /** Hears of each range mapped. */
  readonly onProgress?: RunProgress;
}

export interface LocalAwsRunOutcome {
  readonly executionName: string;
  readonly execution: LocalExecutionResult;
  readonly seconds: {
    readonly synth: number;
    readonly upload: number;
    readonly execution: number;
    readonly download: number;
  };
  readonly outputKeys: readonly string[];
}

export async function runOnLocalAws(input: LocalAwsRunInput): Promise<LocalAwsRunOutcome> {
  const clock = performance.now();
  const lap = () => {
    const now = performance.now();
    const s = (now - lapStart) / 1000;
    lapStart = now;
    return s;
  };
  let lapStart = clock;
  const pipeline = cachedSynthesizedPipeline();
  const synth = lap();
  const s3 = await startLocalS3([pipeline.buckets.input, pipeline.buckets.work, pipeline.buckets.output]);
  const logLevel = { POWERTOOLS_LOG_LEVEL: input.verbose === true ? "INFO" : "SILENT" };
  // The deployed map function's table suits its 64 MiB ranges; these workers map few large ones.
  const ipTable = { [PIPELINE_ENV.ipTableSlots]: String(LOCAL_IP_TABLE_SLOTS) };
  const pool = startLambdaWorkerPool(pipeline, { ...s3.env, ...logLevel, ...ipTable }, input.workers);
  try {
    const key = `${input.inputPrefix ?? "incoming/"}${basename(input.file)}`;
    const { size } = await stat(input.file);
    const put = await s3.client.send(
      new PutObjectCommand({
        Bucket: pipeline.buckets.input,
        Key: key,
        Body: createReadStream(input.file),
        ContentLength: size,
      }),
    );
    const upload = lap();
    const name = executionName({ bucket: pipeline.buckets.input, key, etag: put.ETag ?? "" });
    const execution = await runLocalExecution({
      definition: pipeline.definition,
      stateMachineArn: pipeline.stateMachineArn,
      name,
      input: { ...input.overrides, bucket: pipeline.buckets.input, key },
      invoke:
        input.onProgress === undefined
          ? pool.invoke
          : invokerReportingProgress(pool.invoke, {
              planFunctionArn: pipeline.functions.Plan.arn,
              mapFunctionArn: pipeline.functions.Map.arn,
              rangesOf: async (planKey) =>
                (await readPlan(s3ObjectStore(s3.client, pipeline.buckets.work), planKey)).ranges,
              onProgress: input.onProgress,
            }),
      s3: s3.client,
    });
    const executionSeconds = lap();
    const output = s3ObjectStore(s3.client, pipeline.buckets.output);
    const outputKeys = await output.list("");
    for (const k of outputKeys) {
      const path = join(input.outDir, ...k.split("/"));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await output.get(k));
    }
    return {
      executionName: name,
      execution,
      seconds: { synth, upload, execution: executionSeconds, download: lap() },
      outputKeys,
    };
  } finally {
    await pool.close();
    await s3.stop();
  }
}
