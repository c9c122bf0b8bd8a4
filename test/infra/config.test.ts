/** Deployment settings from CDK context: defaults, both value forms, and messages for bad values. */
import { describe, expect, it } from "vitest";
import { DEFAULT_CHECKS } from "../../functions/contracts";
import { MAX_TABLE_SLOTS } from "../../functions/core/byte-counter";
import { readPipelineConfig } from "../../functions/environment";
import { workKeys } from "../../functions/stages/layout";
import {
  DEFAULT_DEPLOY_CONFIG,
  DeployConfigError,
  readDeployConfig,
  unknownContextKeys,
} from "../../infra/config";
import { WORK_RUNS_PREFIX } from "../../infra/constructs/pipeline-buckets";
import { pipelineEnvironment } from "../../infra/lambda-environment";

const fromContext = (values: Record<string, unknown>) => readDeployConfig((key) => values[key]);

describe("readDeployConfig", () => {
  // The values themselves are README's ("Deploy"): readme-context.test.ts holds the two equal.
  it("has a default for every setting, the state machine's name following the stack's", () => {
    expect(fromContext({})).toEqual(DEFAULT_DEPLOY_CONFIG);
    expect(fromContext({ stackName: "EdgarEtlTest" }).stateMachineName).toBe("EdgarEtlTest-pipeline");
  });

  it("reads -c strings and cdk.json values alike", () => {
    const fromStrings = fromContext({
      maxConcurrency: "250",
      mapMemoryMb: "3538",
      checks: '{"maxCorruptShare":0.05}',
    });
    const fromJson = fromContext({
      maxConcurrency: 250,
      mapMemoryMb: 3538,
      checks: { maxCorruptShare: 0.05 },
    });

    expect(fromStrings).toEqual(fromJson);
    expect(fromJson.maxConcurrency).toBe(250);
    expect(fromJson.functions.map.memoryMb).toBe(3538);
    // Merged over the default checks: a deployment tightens or loosens one without losing the rest.
    expect(fromJson.runDefaults.checks).toEqual({ ...DEFAULT_CHECKS, maxCorruptShare: 0.05 });
  });

  it("an empty -c value means the default", () => {
    expect(fromContext({ inputBucketName: "", maxConcurrency: "" })).toMatchObject({
      inputBucketName: undefined,
      maxConcurrency: 100,
    });
  });

  it.each([
    [
      { mapMemoryMb: "lots" },
      'context "mapMemoryMb" must be a whole number from 128 to 10240, got "lots"; e.g. -c mapMemoryMb=1769',
    ],
    [
      { architecture: "arm" },
      'context "architecture" must be one of arm64, x86_64, got "arm"; e.g. -c architecture=arm64',
    ],
    [{ logRetentionDays: 10 }, 'context "logRetentionDays" must be one of 1, 3, 5, 7, 14, 30,'],
    // A redrive (allowed for 14 days) rereads the run's work files: they must outlive it.
    [
      { workRetentionDays: "7" },
      'context "workRetentionDays" must be a whole number from 14 to 3650, got "7"',
    ],
    [{ inputPrefix: "incoming" }, 'context "inputPrefix" must be empty or a key prefix ending in "/"'],
    [{ outputPrefix: "/tables/" }, 'context "outputPrefix" must be empty or a key prefix ending in "/"'],
    [{ inputPrefix: "in*/" }, 'no "*" or "?"'],
    [{ inputBucketName: "My_Bucket" }, 'context "inputBucketName" must be a string matching'],
    [{ mode: "lenient" }, 'context: mode must be one of permissive, dropmalformed, failfast, got "lenient"'],
    [{ rangeBytes: "0" }, 'context: rangeBytes must be a whole number >= 1, got "0"'],
    [{ mapIpTableSlots: "1000000" }, 'context "mapIpTableSlots" must be one of 2048, 4096,'],
    [{ checks: "{maxCorruptShare:1}" }, 'context "checks" must be a JSON object, got "{maxCorruptShare:1}"'],
    [{ inputBucketKmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/abc" }, '"inputBucketName" is not set'],
  ])("rejects %j, saying what was given and how to fix it", (context, message) => {
    expect(() => fromContext(context)).toThrow(DeployConfigError);
    expect(() => fromContext(context)).toThrow(message);
  });
});

describe("unknownContextKeys", () => {
  it("flags a misspelt setting, not feature flags or CDK's own keys", () => {
    expect(
      unknownContextKeys([
        "mapMemoryMB",
        "maxConcurrency",
        "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy",
        "aws:cdk:bundling-stacks",
        "cli-telemetry",
      ]),
    ).toEqual(["mapMemoryMB"]);
  });
});

describe("pipelineEnvironment", () => {
  it("is read back by the Lambdas' own config readers as the same settings", () => {
    const runDefaults = fromContext({
      rangeBytes: "1048576",
      mode: "failfast",
      checks: { rowCount: { min: 1 } },
    }).runDefaults;

    const env = pipelineEnvironment({
      workBucketName: "work",
      outputBucketName: "out",
      outputPrefix: "edgar/",
      runDefaults,
      maxInflatedBytes: 123_456_789,
      ipTableSlots: 1 << 21,
    });

    expect(readPipelineConfig(env)).toEqual({
      workBucket: "work",
      outputBucket: "out",
      outputPrefix: "edgar/",
      runDefaults,
      maxInflatedBytes: 123_456_789,
      ipTableSlots: 1 << 21,
    });
  });

  it("gives the map function the IP table bound it names, the default without one, and refuses one that is no power of two in range", () => {
    const env = pipelineEnvironment({
      workBucketName: "work",
      outputBucketName: "out",
      outputPrefix: "",
      runDefaults: fromContext({}).runDefaults,
      maxInflatedBytes: 1,
    });
    expect(readPipelineConfig(env).ipTableSlots).toBe(MAX_TABLE_SLOTS);
    const { IP_TABLE_SLOTS: _, ...unset } = env;
    expect(readPipelineConfig(unset).ipTableSlots).toBe(MAX_TABLE_SLOTS);
    expect(readPipelineConfig({ ...env, IP_TABLE_SLOTS: "2048" }).ipTableSlots).toBe(2048);
    for (const bad of ["1000", "1024", String(2 ** 25), "lots", "-2048"]) {
      expect(() => readPipelineConfig({ ...env, IP_TABLE_SLOTS: bad })).toThrow(
        `environment variable IP_TABLE_SLOTS must be a power of two from 2048 to 16777216, e.g. 524288; got ${JSON.stringify(bad)}`,
      );
    }
  });

  it("carries a deployment's checks to the Lambdas as they were resolved, a default switched off included", () => {
    const runDefaults = fromContext({
      checks: { requireRows: null, maxMissingShare: { browser: 0.9 } },
    }).runDefaults;
    expect(runDefaults.checks).toEqual({
      maxRequiredMissingShare: 0,
      maxCorruptShare: 0.01,
      maxMissingShare: { browser: 0.9 },
    });

    const env = pipelineEnvironment({
      workBucketName: "work",
      outputBucketName: "out",
      outputPrefix: "",
      runDefaults,
      maxInflatedBytes: 1_000_000,
    });

    expect(readPipelineConfig(env).runDefaults.checks).toEqual(runDefaults.checks);
  });
});

it("the work lifecycle prefix covers every key a run writes", () => {
  for (const key of [
    workKeys.plan("r"),
    workKeys.tasks("r"),
    workKeys.staged("r"),
    workKeys.partial("r", 7),
  ]) {
    expect(key.startsWith(WORK_RUNS_PREFIX)).toBe(true);
  }
});
