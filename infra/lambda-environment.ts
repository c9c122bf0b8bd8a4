/**
 * The pipeline functions' environment (inflate, plan, map, reduce: one, so a local pool serves
 * them all), under the names functions/environment.ts reads, and checked at synthesis by that
 * same reader: infra and the Lambdas cannot drift apart.
 */

import type { RunOptions } from "../functions/contracts";
import { MAX_TABLE_SLOTS } from "../functions/core/byte-counter";
import { PIPELINE_ENV, readPipelineConfig } from "../functions/environment";

export type PipelineEnvName = (typeof PIPELINE_ENV)[keyof typeof PIPELINE_ENV];

export interface PipelineEnvironmentInput {
  readonly workBucketName: string;
  readonly outputBucketName: string;
  readonly outputPrefix: string;
  readonly runDefaults: RunOptions;
  readonly maxInflatedBytes: number;
  /** The map function's IP table bound (PipelineConfig.ipTableSlots); MAX_TABLE_SLOTS if absent. */
  readonly ipTableSlots?: number;
}

export function pipelineEnvironment(
  input: PipelineEnvironmentInput,
): Readonly<Record<PipelineEnvName, string>> {
  const env: Record<PipelineEnvName, string> = {
    [PIPELINE_ENV.workBucket]: input.workBucketName,
    [PIPELINE_ENV.outputBucket]: input.outputBucketName,
    [PIPELINE_ENV.outputPrefix]: input.outputPrefix,
    [PIPELINE_ENV.rangeBytes]: String(input.runDefaults.rangeBytes),
    [PIPELINE_ENV.maxRecordBytes]: String(input.runDefaults.maxRecordBytes),
    [PIPELINE_ENV.mode]: input.runDefaults.mode,
    [PIPELINE_ENV.checks]: JSON.stringify(input.runDefaults.checks),
    [PIPELINE_ENV.maxInflatedBytes]: String(input.maxInflatedBytes),
    [PIPELINE_ENV.ipTableSlots]: String(input.ipTableSlots ?? MAX_TABLE_SLOTS),
  };
  readPipelineConfig(env);
  return env;
}
