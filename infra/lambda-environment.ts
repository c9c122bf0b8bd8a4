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

/**
 * The reduce function's malloc settings, as glibc tunables (read when its process starts, so
 * they are a variable of that function alone). The reducer reads every partial into memory,
 * lets the partials go once their IP counts are merged, then builds the tables and their
 * Parquet. By default glibc gives each block over 128 KiB its own mapping and returns it to the
 * kernel when freed, so every block touches fresh pages: a page fault per 4 KiB, about 10 us
 * each on a VM. From the heap (blocks up to 32 MiB, glibc's most), with the heap kept, the
 * merge and the Parquet reuse pages the partials' reads touched.
 *
 * Measured on this project's 2-core VM, without huge pages (Lambda has none): the 1 GB day's
 * reduce (15 partials) from 1.29 to 1.12-1.14 s, its page faults from 50 k to 37 k; the 2.7 GB
 * day's (42) from 3.56-3.71 to 3.23-3.34 s, its peak RSS from 407 to 435 MB. The map function
 * gained nothing (a 64 MiB range in 0.225-0.233 s either way) and keeps glibc's defaults.
 * Lambda's Node.js runtimes (Amazon Linux 2023, glibc 2.34) read both tunables (glibc >= 2.26).
 */
export const REDUCE_MALLOC_TUNABLES =
  "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824";

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
