/**
 * The plan, map and reduce functions' environment, under the names functions/config.ts reads,
 * and checked at synthesis by that same reader: infra and the Lambdas cannot drift apart.
 */

import { readLambdaConfig } from "../functions/config";
import type { RunOptions } from "../functions/contracts";

export type PipelineEnvName =
  | "WORK_BUCKET"
  | "OUTPUT_BUCKET"
  | "OUTPUT_PREFIX"
  | "DEFAULT_RANGE_BYTES"
  | "MAX_RECORD_BYTES"
  | "DEFAULT_MODE"
  | "DEFAULT_CHECKS";

export interface PipelineEnvironmentInput {
  readonly workBucketName: string;
  readonly outputBucketName: string;
  readonly outputPrefix: string;
  readonly runDefaults: RunOptions;
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
  };
  readLambdaConfig(env);
  return env;
}
