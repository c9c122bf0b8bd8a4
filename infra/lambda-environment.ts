/**
 * The pipeline functions' environment (inflate, plan, map, reduce: one, so a local pool serves
 * them all), under the names functions/config.ts and functions/inflate/config.ts read, and
 * checked at synthesis by those same readers: infra and the Lambdas cannot drift apart.
 */

import { readLambdaConfig } from "../functions/config";
import type { RunOptions } from "../functions/contracts";
import { INFLATE_ENV, readInflateConfig } from "../functions/inflate/config";

export type PipelineEnvName =
  | "WORK_BUCKET"
  | "OUTPUT_BUCKET"
  | "OUTPUT_PREFIX"
  | "DEFAULT_RANGE_BYTES"
  | "MAX_RECORD_BYTES"
  | "DEFAULT_MODE"
  | "DEFAULT_CHECKS"
  | typeof INFLATE_ENV.maxInflatedBytes;

export interface PipelineEnvironmentInput {
  readonly workBucketName: string;
  readonly outputBucketName: string;
  readonly outputPrefix: string;
  readonly runDefaults: RunOptions;
  readonly maxInflatedBytes: number;
}

export function pipelineEnvironment(
  input: PipelineEnvironmentInput,
): Readonly<Record<PipelineEnvName, string>> {
  const env: Record<PipelineEnvName, string> = {
    WORK_BUCKET: input.workBucketName,
    OUTPUT_BUCKET: input.outputBucketName,
    OUTPUT_PREFIX: input.outputPrefix,
    DEFAULT_RANGE_BYTES: String(input.runDefaults.rangeBytes),
    MAX_RECORD_BYTES: String(input.runDefaults.maxRecordBytes),
    DEFAULT_MODE: input.runDefaults.mode,
    DEFAULT_CHECKS: JSON.stringify(input.runDefaults.checks),
    [INFLATE_ENV.maxInflatedBytes]: String(input.maxInflatedBytes),
  };
  readLambdaConfig(env);
  readInflateConfig(env);
  return env;
}
