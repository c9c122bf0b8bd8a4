/**
 * What the functions read from their environment, once per container, validated and typed: the
 * pipeline's four functions share one environment (infra/lambda-environment.ts writes it), the
 * trigger has its own. A missing or bad setting fails at start with its name.
 */
import { DEFAULT_RUN_OPTIONS, type RunOptions } from "./contracts";
import { DEFAULT_MAX_INFLATED_BYTES } from "./core/archive";
import { isStateMachineArn, STATE_MACHINE_ARN_SHAPE } from "./core/arn";
import { MAX_TABLE_SLOTS } from "./core/byte-counter";
import { ConfigError } from "./core/errors";
import { resolveRunOptions } from "./core/run-options";

/** The pipeline functions' variables; infra sets them from the same names. */
export const PIPELINE_ENV = {
  workBucket: "WORK_BUCKET",
  outputBucket: "OUTPUT_BUCKET",
  outputPrefix: "OUTPUT_PREFIX",
  rangeBytes: "DEFAULT_RANGE_BYTES",
  maxRecordBytes: "MAX_RECORD_BYTES",
  mode: "DEFAULT_MODE",
  checks: "DEFAULT_CHECKS",
  maxInflatedBytes: "MAX_INFLATED_BYTES",
  ipTableSlots: "IP_TABLE_SLOTS",
} as const;

/** The trigger's variable; infra sets it from the same name. */
export const TRIGGER_ENV = { stateMachineArn: "STATE_MACHINE_ARN" } as const;

/** The S3 adapter's putStream uploads at most 10,000 parts of 16 MiB. */
export const MAX_STAGED_BYTES = 16 * 1024 * 1024 * 10_000;

/** The inflate, plan, map and reduce functions' settings. */
export interface PipelineConfig {
  /** Bucket for plans, tasks and partials (`runs/<runId>/…`). */
  readonly workBucket: string;
  /** Bucket and key prefix ("" or ending in "/") for the tables and `_runs/`. */
  readonly outputBucket: string;
  readonly outputPrefix: string;
  /** Defaults for every run; an execution input may override them. */
  readonly runDefaults: RunOptions;
  /** Inflating more than this from one archive fails the run (zip bombs). */
  readonly maxInflatedBytes: number;
  /**
   * The most slots a map function's IP table grows to before it writes a run away (a power of
   * two; 2^19 by default, 12 MiB of table): a mapper's memory is set by it, whatever its range.
   */
  readonly ipTableSlots: number;
}

export interface TriggerConfig {
  /** The pipeline's state machine: one execution per object version. */
  readonly stateMachineArn: string;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (v === undefined || v === "") throw new ConfigError(`environment variable ${name} is not set`);
  return v;
}

export function readPipelineConfig(env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  const prefix = env[PIPELINE_ENV.outputPrefix] ?? "";
  if (prefix !== "" && !prefix.endsWith("/")) {
    throw new ConfigError(
      `${PIPELINE_ENV.outputPrefix} must be empty or end with "/", got ${JSON.stringify(prefix)}`,
    );
  }
  const rawChecks = env[PIPELINE_ENV.checks];
  let checks: unknown;
  if (rawChecks !== undefined && rawChecks !== "") {
    try {
      checks = JSON.parse(rawChecks);
    } catch {
      throw new ConfigError(`${PIPELINE_ENV.checks} must be JSON, got ${JSON.stringify(rawChecks)}`);
    }
  }
  return {
    workBucket: required(env, PIPELINE_ENV.workBucket),
    outputBucket: required(env, PIPELINE_ENV.outputBucket),
    outputPrefix: prefix,
    runDefaults: resolveRunOptions(
      {
        rangeBytes: env[PIPELINE_ENV.rangeBytes] || undefined,
        maxRecordBytes: env[PIPELINE_ENV.maxRecordBytes] || undefined,
        mode: env[PIPELINE_ENV.mode] || undefined,
        checks,
      },
      // DEFAULT_CHECKS holds the deployment's checks already merged over the defaults (a
      // default switched off is absent), so it replaces them rather than merging again.
      checks === undefined ? DEFAULT_RUN_OPTIONS : { ...DEFAULT_RUN_OPTIONS, checks: {} },
    ),
    maxInflatedBytes: readMaxInflatedBytes(env),
    ipTableSlots: readIpTableSlots(env),
  };
}

/** The IP table bounds a mapper may be given: 2^11 (a table's first size) to 2^24 (384 MiB). */
export const IP_TABLE_SLOTS_RANGE = { min: 1 << 11, max: 1 << 24 } as const;

function readIpTableSlots(env: NodeJS.ProcessEnv): number {
  const raw = env[PIPELINE_ENV.ipTableSlots];
  if (raw === undefined || raw === "") return MAX_TABLE_SLOTS;
  const n = Number(raw);
  const { min, max } = IP_TABLE_SLOTS_RANGE;
  if (!Number.isInteger(Math.log2(n)) || n < min || n > max) {
    throw new ConfigError(
      `environment variable ${PIPELINE_ENV.ipTableSlots} must be a power of two from ${min} to ${max}, e.g. ${MAX_TABLE_SLOTS}; got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

function readMaxInflatedBytes(env: NodeJS.ProcessEnv): number {
  const raw = env[PIPELINE_ENV.maxInflatedBytes];
  if (raw === undefined || raw === "") return DEFAULT_MAX_INFLATED_BYTES;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_STAGED_BYTES) {
    throw new ConfigError(
      `environment variable ${PIPELINE_ENV.maxInflatedBytes} must be a whole number of bytes from 1 to ${MAX_STAGED_BYTES}, e.g. ${DEFAULT_MAX_INFLATED_BYTES}; got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

export function readTriggerConfig(env: NodeJS.ProcessEnv = process.env): TriggerConfig {
  const stateMachineArn = env[TRIGGER_ENV.stateMachineArn];
  if (stateMachineArn === undefined || !isStateMachineArn(stateMachineArn)) {
    throw new ConfigError(
      `environment variable ${TRIGGER_ENV.stateMachineArn} must be a state machine ARN (${STATE_MACHINE_ARN_SHAPE}), got ${JSON.stringify(stateMachineArn)}`,
    );
  }
  return { stateMachineArn };
}
