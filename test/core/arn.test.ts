/** Step Functions ARNs: the parts of a state machine's and an execution's, and nothing else. */
import { describe, expect, it } from "vitest";
import {
  formatExecutionArn,
  isStateMachineArn,
  parseStatesArn,
  STATE_MACHINE_ARN_SHAPE,
} from "../../functions/core/arn";
import { clip } from "../../functions/core/clip";

const MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:EdgarEtl-pipeline";

describe("parseStatesArn", () => {
  it("takes a state machine's ARN apart", () => {
    expect(parseStatesArn(MACHINE)).toEqual({
      partition: "aws",
      region: "us-east-1",
      account: "123456789012",
      resourceType: "stateMachine",
      machine: "EdgarEtl-pipeline",
      execution: undefined,
    });
  });

  it("takes an execution's ARN apart, a Map Run child's included, in any partition", () => {
    expect(parseStatesArn("arn:aws-cn:states:cn-north-1:123456789012:execution:m:run-1")).toMatchObject({
      partition: "aws-cn",
      region: "cn-north-1",
      resourceType: "execution",
      machine: "m",
      execution: "run-1",
    });
    expect(
      parseStatesArn("arn:aws:states:us-east-1:123456789012:execution:EdgarEtl-pipeline/Ranges:3"),
    ).toMatchObject({ machine: "EdgarEtl-pipeline/Ranges", execution: "3" });
  });

  it.each([
    "arn:aws:lambda:us-east-1:123456789012:function:f",
    "arn:aws:states:us-east-1:123456789012:stateMachine:",
    "arn:aws:states:us-east-1:123456789012:stateMachine:m:extra",
    "arn:aws:states:us-east-1:123456789012:execution:m",
    "arn:aws:states::123456789012:stateMachine:m",
    "arn:aws:states:us-east-1:1234:stateMachine:m",
    "arn:aws:states:::lambda:invoke",
    "arn:aws:s3:::nope",
    `x${MACHINE}`,
    `${MACHINE}:`,
    "",
  ])("is undefined for %j", (arn) => {
    expect(parseStatesArn(arn)).toBeUndefined();
  });
});

describe("isStateMachineArn / formatExecutionArn", () => {
  it("tells a state machine from an execution, and names an execution of it", () => {
    const machine = parseStatesArn(MACHINE)!;

    const executionArn = formatExecutionArn(machine, "run-1");

    expect(executionArn).toBe("arn:aws:states:us-east-1:123456789012:execution:EdgarEtl-pipeline:run-1");
    expect(parseStatesArn(executionArn)).toMatchObject({ machine: "EdgarEtl-pipeline", execution: "run-1" });
    expect(isStateMachineArn(MACHINE)).toBe(true);
    expect(isStateMachineArn(executionArn)).toBe(false);
  });

  it("says no, without throwing, for what is not a Step Functions ARN", () => {
    expect(isStateMachineArn("arn:aws:s3:::nope")).toBe(false);
    expect(isStateMachineArn("")).toBe(false);
  });

  it("shows in messages a shape that, filled in, is a state machine's ARN", () => {
    const filledIn = STATE_MACHINE_ARN_SHAPE.replace("<region>", "eu-west-1")
      .replace("<account>", "123456789012")
      .replace("<name>", "EdgarEtl-pipeline");

    expect(parseStatesArn(filledIn)).toMatchObject({ region: "eu-west-1", machine: "EdgarEtl-pipeline" });
    expect(isStateMachineArn(filledIn)).toBe(true);
  });
});

describe("clip", () => {
  it("keeps text up to the limit and cuts longer text with an ellipsis", () => {
    expect(clip("abc", 3)).toBe("abc");
    expect(clip("abcd", 3)).toBe("abc…");
    expect(clip("", 3)).toBe("");
  });
});
