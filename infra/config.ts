/**
 * The deployment's settings, read once from CDK context (`cdk.json` or `-c key=value`),
 * validated and typed: a bad value stops synthesis with its key, what was given and an example.
 * Pure: no constructs, no environment.
 */
import { DEFAULT_RUN_OPTIONS, type RunOptions } from "../functions/contracts";
import { DEFAULT_MAX_INFLATED_BYTES } from "../functions/core/archive";
import { MAX_TABLE_SLOTS } from "../functions/core/byte-counter";
import { EtlError } from "../functions/core/errors";
import { resolveRunOptions } from "../functions/core/run-options";
import { IP_TABLE_SLOTS_RANGE, MAX_STAGED_BYTES } from "../functions/environment";

/** The map Lambda's IP table bounds: the powers of two IP_TABLE_SLOTS_RANGE allows. */
const IP_TABLE_SLOTS_ALLOWED = Array.from(
  { length: Math.log2(IP_TABLE_SLOTS_RANGE.max / IP_TABLE_SLOTS_RANGE.min) + 1 },
  (_, i) => IP_TABLE_SLOTS_RANGE.min * 2 ** i,
);

/** A context value is missing its expected shape. */
export class DeployConfigError extends EtlError {
  readonly code = "BAD_DEPLOY_CONTEXT";
}

export type FunctionRole = "trigger" | "inflate" | "plan" | "map" | "reduce";
export const FUNCTION_ROLES: readonly FunctionRole[] = ["trigger", "inflate", "plan", "map", "reduce"];

export interface FunctionSizing {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

/**
 * Step Functions redrives a failed execution for up to 14 days after it ended; a redriven run
 * reads its plan, tasks and partials again, so work files must live at least that long.
 */
export const REDRIVE_WINDOW_DAYS = 14;

/** CloudWatch Logs accepts only these retention periods (days). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The deployment's settings; each one's default is in DEFAULT_DEPLOY_CONFIG. */
export interface DeployConfig {
  readonly stackName: string;
  /** Import this existing input bucket. @default - a new versioned input bucket is created */
  readonly inputBucketName: string | undefined;
  /** The customer-managed key of an imported input bucket. @default - SSE-S3, no key to grant */
  readonly inputBucketKmsKeyArn: string | undefined;
  /** Uploads under it start runs; the pipeline reads only under it. */
  readonly inputPrefix: string;
  /** Import this existing output bucket. @default - a new versioned output bucket is created */
  readonly outputBucketName: string | undefined;
  /** Where tables and `_runs/` go in the output bucket: "" or ending in "/". */
  readonly outputPrefix: string;
  /** Days before a run's work files (`runs/`) expire; at least REDRIVE_WINDOW_DAYS. */
  readonly workRetentionDays: number;
  /** Days before S3 server access logs expire. */
  readonly accessLogRetentionDays: number;
  /** rangeBytes, maxRecordBytes, mode, checks every run starts from; an execution may override. */
  readonly runDefaults: RunOptions;
  /** Inflating more than this from one .zip or .gz upload fails its run (zip bombs). */
  readonly maxInflatedBytes: number;
  /**
   * The most slots a map Lambda's IP table grows to before it writes a run away (a power of two;
   * its memory is set by it, whatever the range): IP_TABLE_SLOTS.
   */
  readonly mapIpTableSlots: number;
  /** Ranges of one object mapped at once. */
  readonly maxConcurrency: number;
  /** Objects of a `{bucket, prefix}` execution run at once. */
  readonly backfillMaxConcurrency: number;
  readonly architecture: "arm64" | "x86_64";
  readonly functions: Readonly<Record<FunctionRole, FunctionSizing>>;
  /** Lambda and state machine log retention. */
  readonly logRetentionDays: number;
  /** An execution running longer fails with States.Timeout (and alarms). */
  readonly executionTimeoutHours: number;
  /** Subscribed to the alarm topic. @default - no subscription */
  readonly alarmEmail: string | undefined;
  /** Fixed so the `{bucket, prefix}` flow can start executions of itself. @default - stateMachineNameOf(stackName) */
  readonly stateMachineName: string;
}

/** The state machine's name when none is given: it follows the stack's, so two stacks never share one. */
export function stateMachineNameOf(stackName: string): string {
  return `${stackName}-pipeline`;
}

/**
 * Every setting's default: what a context key not given means, and what the constructs use for a
 * prop not passed. README.md ("Deploy") lists them; test/infra/readme-context.test.ts keeps it equal.
 */
export const DEFAULT_DEPLOY_CONFIG: DeployConfig = {
  stackName: "EdgarEtl",
  inputBucketName: undefined,
  inputBucketKmsKeyArn: undefined,
  inputPrefix: "incoming/",
  outputBucketName: undefined,
  outputPrefix: "",
  workRetentionDays: REDRIVE_WINDOW_DAYS,
  accessLogRetentionDays: 90,
  runDefaults: DEFAULT_RUN_OPTIONS,
  maxInflatedBytes: DEFAULT_MAX_INFLATED_BYTES,
  mapIpTableSlots: MAX_TABLE_SLOTS,
  maxConcurrency: 100,
  backfillMaxConcurrency: 4,
  architecture: "arm64",
  // map: 1,769 MB is exactly one vCPU (parsing is CPU-bound and single-threaded); inflate: one
  // vCPU too (zlib is single-threaded) and the longest timeout, as it streams a whole day;
  // reduce: merging every partial's ip counts wants memory and the most time.
  functions: {
    trigger: { memoryMb: 256, timeoutSeconds: 30 },
    inflate: { memoryMb: 1769, timeoutSeconds: 900 },
    plan: { memoryMb: 512, timeoutSeconds: 60 },
    map: { memoryMb: 1769, timeoutSeconds: 300 },
    reduce: { memoryMb: 3008, timeoutSeconds: 900 },
  },
  logRetentionDays: 30,
  executionTimeoutHours: 24,
  alarmEmail: undefined,
  stateMachineName: stateMachineNameOf("EdgarEtl"),
};

/** Every context key the app reads (README.md, "Deploy", lists them with their defaults). */
export const CONTEXT_KEYS = [
  "stackName",
  "inputBucketName",
  "inputBucketKmsKeyArn",
  "inputPrefix",
  "outputBucketName",
  "outputPrefix",
  "workRetentionDays",
  "accessLogRetentionDays",
  "rangeBytes",
  "maxRecordBytes",
  "mode",
  "checks",
  "maxInflatedBytes",
  "mapIpTableSlots",
  "maxConcurrency",
  "backfillMaxConcurrency",
  "architecture",
  ...FUNCTION_ROLES.flatMap((role) => [`${role}MemoryMb`, `${role}TimeoutSeconds`]),
  "logRetentionDays",
  "executionTimeoutHours",
  "alarmEmail",
  "stateMachineName",
] as const;

/**
 * Context keys that look like settings of this app (no "@", no ":" as in feature flags and CDK's
 * own keys) but are not: most likely a misspelt setting that would silently be ignored.
 */
export function unknownContextKeys(keys: readonly string[]): string[] {
  const known = new Set<string>([...CONTEXT_KEYS, "cli-telemetry", "acknowledged-issue-numbers"]);
  return keys.filter((key) => !key.includes("@") && !key.includes(":") && !known.has(key));
}

export type ContextReader = (key: string) => unknown;

export function readDeployConfig(context: ContextReader): DeployConfig {
  const read = new ContextValues(context);
  const defaults = DEFAULT_DEPLOY_CONFIG;
  const stackName = read.string(
    "stackName",
    defaults.stackName,
    /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
    "MyEdgarEtl",
  );
  const inputBucketName = read.optionalString("inputBucketName", BUCKET_NAME, "my-edgar-logs");
  const inputBucketKmsKeyArn = read.optionalString(
    "inputBucketKmsKeyArn",
    /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  );
  if (inputBucketKmsKeyArn !== undefined && inputBucketName === undefined) {
    throw new DeployConfigError(
      `context "inputBucketKmsKeyArn" applies to an imported input bucket, but "inputBucketName" is not set; the created input bucket uses SSE-S3, so drop the key or import the bucket`,
    );
  }
  return {
    stackName,
    inputBucketName,
    inputBucketKmsKeyArn,
    inputPrefix: read.keyPrefix("inputPrefix", defaults.inputPrefix),
    outputBucketName: read.optionalString("outputBucketName", BUCKET_NAME, "my-edgar-tables"),
    outputPrefix: read.keyPrefix("outputPrefix", defaults.outputPrefix),
    workRetentionDays: read.wholeNumber(
      "workRetentionDays",
      defaults.workRetentionDays,
      REDRIVE_WINDOW_DAYS,
      3650,
    ),
    accessLogRetentionDays: read.wholeNumber(
      "accessLogRetentionDays",
      defaults.accessLogRetentionDays,
      1,
      3650,
    ),
    runDefaults: read.runDefaults(),
    maxInflatedBytes: read.wholeNumber("maxInflatedBytes", defaults.maxInflatedBytes, 1, MAX_STAGED_BYTES),
    mapIpTableSlots: read.oneOf("mapIpTableSlots", IP_TABLE_SLOTS_ALLOWED, defaults.mapIpTableSlots),
    maxConcurrency: read.wholeNumber("maxConcurrency", defaults.maxConcurrency, 1, 10_000),
    backfillMaxConcurrency: read.wholeNumber(
      "backfillMaxConcurrency",
      defaults.backfillMaxConcurrency,
      1,
      1_000,
    ),
    architecture: read.oneOf("architecture", ["arm64", "x86_64"] as const, defaults.architecture),
    functions: Object.fromEntries(
      FUNCTION_ROLES.map((role) => [
        role,
        {
          memoryMb: read.wholeNumber(`${role}MemoryMb`, defaults.functions[role].memoryMb, 128, 10_240),
          timeoutSeconds: read.wholeNumber(
            `${role}TimeoutSeconds`,
            defaults.functions[role].timeoutSeconds,
            1,
            900,
          ),
        },
      ]),
    ) as Record<FunctionRole, FunctionSizing>,
    logRetentionDays: read.oneOf("logRetentionDays", LOG_RETENTION_DAYS, defaults.logRetentionDays),
    executionTimeoutHours: read.wholeNumber(
      "executionTimeoutHours",
      defaults.executionTimeoutHours,
      1,
      24 * 365,
    ),
    alarmEmail: read.optionalString("alarmEmail", /^[^@\s]+@[^@\s]+\.[^@\s]+$/, "ops@example.com"),
    stateMachineName: read.string(
      "stateMachineName",
      stateMachineNameOf(stackName),
      /^[A-Za-z0-9_-]{1,80}$/,
      "edgar-etl-pipeline",
    ),
  };
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Context values arrive as JSON from cdk.json and as strings from `-c key=value`. */
class ContextValues {
  constructor(private readonly context: ContextReader) {}

  private raw(key: string): unknown {
    const value = this.context(key);
    return value === "" ? undefined : value;
  }

  private fail(key: string, expected: string, got: unknown, example: string): never {
    throw new DeployConfigError(
      `context "${key}" must be ${expected}, got ${JSON.stringify(got)}; e.g. -c ${key}=${example}`,
    );
  }

  string(key: string, fallback: string, pattern: RegExp, example: string): string {
    return this.optionalString(key, pattern, example) ?? fallback;
  }

  optionalString(key: string, pattern: RegExp, example: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== "string" || !pattern.test(value))
      this.fail(key, `a string matching ${pattern}`, value, example);
    return value;
  }

  /**
   * "" or a key prefix ending in "/", so "in/" never also matches "in-old/"; without `*` or `?`,
   * which IAM conditions, EventBridge and Choice rules would read as wildcards.
   */
  keyPrefix(key: string, fallback: string): string {
    const value = this.context(key) ?? fallback;
    if (typeof value !== "string" || (value !== "" && !/^[^/*?][^*?]*\/$/.test(value))) {
      this.fail(
        key,
        'empty or a key prefix ending in "/" (no leading "/", no "*" or "?")',
        value,
        "incoming/",
      );
    }
    return value;
  }

  wholeNumber(key: string, fallback: number, min: number, max: number): number {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    const n = typeof value === "string" ? Number(value) : value;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < min || n > max) {
      this.fail(key, `a whole number from ${min} to ${max}`, value, String(fallback));
    }
    return n;
  }

  oneOf<T extends string | number>(key: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    const match = allowed.find((a) => String(a) === String(value));
    if (match === undefined) this.fail(key, `one of ${allowed.join(", ")}`, value, String(fallback));
    return match;
  }

  /** The same validator the Lambdas run on an execution's overrides, so both agree. */
  runDefaults(): RunOptions {
    let checks = this.raw("checks");
    if (typeof checks === "string") {
      try {
        checks = JSON.parse(checks);
      } catch {
        this.fail("checks", "a JSON object", checks, `'{"maxCorruptShare":0.01}'`);
      }
    }
    try {
      return resolveRunOptions(
        {
          rangeBytes: this.raw("rangeBytes"),
          maxRecordBytes: this.raw("maxRecordBytes"),
          mode: this.raw("mode"),
          checks,
        },
        DEFAULT_DEPLOY_CONFIG.runDefaults,
      );
    } catch (e) {
      throw new DeployConfigError(`context: ${(e as Error).message}`);
    }
  }
}
