/**
 * Lambda configuration, read from the environment once per container, validated and typed.
 * A missing or bad setting fails at start with its name.
 */
import { DEFAULT_RUN_OPTIONS, type RunOptions } from "./contracts";
import { ConfigError } from "./core/errors";
import { resolveRunOptions } from "./core/run-options";

export interface LambdaConfig {
  /** Bucket for plans, tasks and partials (`runs/<runId>/…`). */
  readonly workBucket: string;
  /** Bucket and key prefix ("" or ending in "/") for the tables and `_runs/`. */
  readonly outputBucket: string;
  readonly outputPrefix: string;
  /** Defaults for every run; an execution input may override them. */
  readonly runDefaults: RunOptions;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (v === undefined || v === "") throw new ConfigError(`environment variable ${name} is not set`);
  return v;
}

export function readLambdaConfig(env: NodeJS.ProcessEnv = process.env): LambdaConfig {
  const prefix = env.OUTPUT_PREFIX ?? "";
  if (prefix !== "" && !prefix.endsWith("/")) {
    throw new ConfigError(`OUTPUT_PREFIX must be empty or end with "/", got ${JSON.stringify(prefix)}`);
  }
  let checks: unknown;
  if (env.DEFAULT_CHECKS !== undefined && env.DEFAULT_CHECKS !== "") {
    try {
      checks = JSON.parse(env.DEFAULT_CHECKS);
    } catch {
      throw new ConfigError(`DEFAULT_CHECKS must be JSON, got ${JSON.stringify(env.DEFAULT_CHECKS)}`);
    }
  }
  return {
    workBucket: required(env, "WORK_BUCKET"),
    outputBucket: required(env, "OUTPUT_BUCKET"),
    outputPrefix: prefix,
    runDefaults: resolveRunOptions(
      {
        rangeBytes: env.DEFAULT_RANGE_BYTES || undefined,
        maxRecordBytes: env.MAX_RECORD_BYTES || undefined,
        mode: env.DEFAULT_MODE || undefined,
        checks,
      },
      // DEFAULT_CHECKS holds the deployment's checks already merged over the defaults (a
      // default switched off is absent), so it replaces them rather than merging again.
      checks === undefined ? DEFAULT_RUN_OPTIONS : { ...DEFAULT_RUN_OPTIONS, checks: {} },
    ),
  };
}
