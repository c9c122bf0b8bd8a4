/** Execution names: deterministic per object version, valid for Step Functions, readable. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../functions/core/errors";
import {
  executionArnOf,
  executionName,
  MAX_EXECUTION_NAME_LENGTH,
} from "../../functions/stages/execution-name";

const VALID_NAME = /^[0-9A-Za-z_-]{1,80}$/;

describe("executionName", () => {
  it("is the object's stem followed by a hash", () => {
    const name = executionName({ bucket: "logs", key: "incoming/2017/log20170630.csv", etag: "abc" });

    expect(name).toMatch(/^log20170630-[0-9a-f]{20}$/);
  });

  it("is the same for the same object version, however the ETag is quoted", () => {
    const a = executionName({
      bucket: "logs",
      key: "incoming/a.csv",
      etag: '"0cc175b9c0f1b6a831c399e269772661"',
    });
    const b = executionName({
      bucket: "logs",
      key: "incoming/a.csv",
      etag: "0CC175B9C0F1B6A831C399E269772661",
    });

    expect(a).toBe(b);
  });

  it("differs when the bucket, the key or the ETag differs", () => {
    const base = { bucket: "logs", key: "incoming/a.csv", etag: "e1" };
    const names = new Set([
      executionName(base),
      executionName({ ...base, bucket: "logs2" }),
      executionName({ ...base, key: "incoming/b/a.csv" }),
      executionName({ ...base, etag: "e2" }),
    ]);

    expect(names.size).toBe(4);
  });

  it("does not confuse fields that concatenate alike", () => {
    expect(executionName({ bucket: "a", key: "b/c.csv", etag: "x" })).not.toBe(
      executionName({ bucket: "a/b", key: "c.csv", etag: "x" }),
    );
  });

  it("keeps a very long key within 80 characters", () => {
    const name = executionName({ bucket: "logs", key: `incoming/${"x".repeat(500)}.csv`, etag: "e" });

    expect(name.length).toBe(MAX_EXECUTION_NAME_LENGTH);
    expect(name).toMatch(VALID_NAME);
  });

  it("replaces characters Step Functions or S3 keys would not take", () => {
    const name = executionName({ bucket: "logs", key: "incoming/logs for 2017 (copy) ü.csv", etag: "e" });

    expect(name).toMatch(/^logs_for_2017_copy-[0-9a-f]{20}$/);
  });

  it("trims every separator off both ends of the readable part", () => {
    const name = executionName({ bucket: "logs", key: "incoming/--(log 2017)--.csv", etag: "e" });

    expect(name).toMatch(/^log_2017-[0-9a-f]{20}$/);
  });

  it("is only the hash when the key has no readable characters", () => {
    expect(executionName({ bucket: "logs", key: "incoming/ü.csv", etag: "e" })).toMatch(/^[0-9a-f]{20}$/);
  });

  it("is always a valid execution name (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        fc.string(),
        (bucket, key, etag) => {
          expect(executionName({ bucket, key, etag })).toMatch(VALID_NAME);
        },
      ),
    );
  });
});

describe("executionArnOf", () => {
  it("turns a state machine ARN and a name into the execution's ARN", () => {
    expect(
      executionArnOf("arn:aws:states:us-east-1:123456789012:stateMachine:EdgarEtl-pipeline", "run-1"),
    ).toBe("arn:aws:states:us-east-1:123456789012:execution:EdgarEtl-pipeline:run-1");
  });

  it("says what it expected when given something else", () => {
    const lambdaArn = "arn:aws:lambda:us-east-1:123456789012:function:f";
    expect(() => executionArnOf(lambdaArn, "x")).toThrow(ConfigError);
    expect(() => executionArnOf(lambdaArn, "x")).toThrow(
      /expected a state machine ARN like arn:aws:states:<region>:<account>:stateMachine:<name>, got "arn:aws:lambda/,
    );
  });
});
