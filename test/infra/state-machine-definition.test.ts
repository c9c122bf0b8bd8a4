/**
 * The synthesized Amazon States Language, extracted from the template (its Fn::Join resolved with
 * stand-in ARNs): valid per asl-validator, JSONPath only, built from states a local interpreter
 * runs, and shaped as intended (Distributed Maps, retries, catches, the result check).
 */
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import cdkJson from "../../cdk.json";
import { type CfnTemplate, definitionFromTemplate } from "../../infra/asl-definition";
import { createPipelineApp } from "../../infra/pipeline-app";

/** asl-validator ships no type declarations. */
const aslValidator = createRequire(import.meta.url)("asl-validator") as (definition: unknown) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};

type State = Record<string, unknown> & { Type: string };
type Definition = { StartAt: string; States: Record<string, State>; QueryLanguage?: string };

/** Every state, nested Map item processors included. */
function allStates(definition: Definition): Record<string, State> {
  const states: Record<string, State> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    states[name] = state;
    const processor = state.ItemProcessor as Definition | undefined;
    if (processor !== undefined) Object.assign(states, allStates(processor));
  }
  return states;
}

describe("the state machine definition", () => {
  let definition: Definition;
  let states: Record<string, State>;

  beforeAll(() => {
    const outdir = mkdtempSync(join(tmpdir(), "edgar-etl-cdk-"));
    const { app, stack } = createPipelineApp({
      // Bundling skipped: the definition does not depend on the functions' code.
      context: {
        ...cdkJson.context,
        "aws:cdk:bundling-stacks": [],
        maxConcurrency: "37",
        backfillMaxConcurrency: "3",
      },
      outdir,
    });
    const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
    definition = definitionFromTemplate(template) as Definition;
    states = allStates(definition);
  });

  it("is valid Amazon States Language", () => {
    const { isValid, errorsText } = aslValidator(structuredClone(definition));

    expect(isValid, errorsText("\n")).toBe(true);
  });

  it("uses JSONPath and only states and resources a local ASL interpreter runs", () => {
    expect(definition.QueryLanguage).toBe("JSONPath");
    expect(JSON.stringify(definition)).not.toContain("JSONata");
    expect(new Set(Object.values(states).map((s) => s.Type))).toEqual(
      new Set(["Choice", "Fail", "Pass", "Task", "Map", "Succeed"]),
    );
    const resources = new Set(
      Object.values(states)
        .filter((s) => s.Type === "Task")
        .map((s) => s.Resource),
    );
    expect(resources).toEqual(
      new Set(["arn:aws:states:::lambda:invoke", "arn:aws:states:::states:startExecution.sync:2"]),
    );
  });

  it("validates the input and fails with the expected shape and what was received", () => {
    expect(definition.StartAt).toBe("ValidateInput");
    const validate = states.ValidateInput as unknown as { Choices: { Next: string }[]; Default: string };
    expect(validate.Choices.map((c) => c.Next)).toEqual(["StartRun", "RunEachObject"]);
    expect(states[validate.Default]).toMatchObject({
      Type: "Fail",
      Error: "InvalidInput",
      CausePath: expect.stringMatching(
        /^States\.Format\('expected "bucket" .* "key" \(under "incoming\/"\).*got \{\}', States\.JsonToString\(\$\)\)$/,
      ),
    });
  });

  it("passes the execution name to Plan as the runId, with the input's overrides and the source to read", () => {
    expect(states.StartRun).toMatchObject({
      Type: "Pass",
      Parameters: { "runId.$": "$$.Execution.Name" },
      ResultPath: "$.run",
      Next: "IsArchive",
    });
    expect(states.Plan).toMatchObject({
      Resource: "arn:aws:states:::lambda:invoke",
      Parameters: { "Payload.$": "States.JsonMerge(States.JsonMerge($, $.run, false), $.source, false)" },
      ResultPath: "$.plan",
      Next: "MapRanges",
    });
  });

  it("inflates a .zip or .gz upload into a staged CSV before planning; plans any other upload as it is", () => {
    expect(states.IsArchive).toEqual({
      Type: "Choice",
      Choices: [
        {
          Or: [
            { Variable: "$.key", StringMatches: "*.zip" },
            { Variable: "$.key", StringMatches: "*.gz" },
          ],
          Next: "Inflate",
        },
      ],
      Default: "UploadedCsv",
    });
    expect(states.Inflate).toMatchObject({
      Resource: "arn:aws:states:::lambda:invoke",
      Parameters: {
        FunctionName: expect.stringMatching(/Inflate/),
        Payload: { "runId.$": "$.run.runId", "bucket.$": "$.bucket", "key.$": "$.key" },
      },
      ResultSelector: {
        "bucket.$": "$.Payload.bucket",
        "key.$": "$.Payload.key",
        "archive.$": "$.Payload.archive",
      },
      ResultPath: "$.source",
      Next: "Plan",
    });
    expect(states.UploadedCsv).toMatchObject({
      Type: "Pass",
      Parameters: { "bucket.$": "$.bucket", "key.$": "$.key" },
      ResultPath: "$.source",
      Next: "Plan",
    });
  });

  it("maps the plan's ranges in a Distributed Map reading tasks.json from S3, failing on any failure", () => {
    expect(states.MapRanges).toMatchObject({
      Type: "Map",
      Label: "Ranges",
      MaxConcurrency: 37,
      ToleratedFailurePercentage: 0,
      ResultPath: null,
      ItemProcessor: {
        ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
        StartAt: "MapRange",
      },
      ItemReader: {
        Resource: "arn:aws:states:::s3:getObject",
        ReaderConfig: { InputType: "JSON" },
        Parameters: { Bucket: expect.stringMatching(/^bucketswork/), "Key.$": "$.plan.tasksKey" },
      },
      Next: "Reduce",
    });
    expect(states.MapRange).toMatchObject({ Parameters: { "Payload.$": "$" }, OutputPath: null });
  });

  it.each(["Inflate", "Plan", "MapRange", "Reduce"])(
    "%s fails at once on the product's deterministic errors, waits out Lambda faults, then retries anything else",
    (name) => {
      expect(states[name]!.Retry).toEqual([
        {
          ErrorEquals: [
            "InputRejectedError",
            "CorruptRecordError",
            "CoverageError",
            "ContractError",
            "ConfigError",
            "CommitConflictError",
          ],
          MaxAttempts: 0,
        },
        expect.objectContaining({
          ErrorEquals: expect.arrayContaining(["Lambda.ServiceException", "Lambda.SdkClientException"]),
          BackoffRate: 2,
          MaxAttempts: 6,
          JitterStrategy: "FULL",
        }),
        expect.objectContaining({
          ErrorEquals: ["Lambda.TooManyRequestsException"],
          BackoffRate: 2,
          MaxAttempts: 12,
          MaxDelaySeconds: 120,
          JitterStrategy: "FULL",
        }),
        // A reset mid-body, RequestTimeout, SlowDown past the SDK's attempts, Sandbox.Timedout:
        // every stage is idempotent by key, so whatever else failed runs again.
        expect.objectContaining({
          ErrorEquals: ["States.ALL"],
          BackoffRate: 2,
          MaxAttempts: 3,
          JitterStrategy: "FULL",
        }),
      ]);
    },
  );

  it("the product's deterministic errors are its error classes, by the names Lambda reports", async () => {
    const errors = await import("../../functions/core/errors");
    const thrown = [
      new errors.InputRejectedError("x"),
      new errors.CorruptRecordError("x", 0, "bad_date"),
      new errors.CoverageError("x"),
      new errors.ContractError("x"),
      new errors.ConfigError("x"),
      new errors.CommitConflictError("x"),
    ].map((e) => e.name);

    expect((states.Plan!.Retry as { ErrorEquals: string[] }[])[0]!.ErrorEquals).toEqual(thrown);
  });

  it("RunObject does not restart a failed child, waits out start-up faults, then retries anything else", () => {
    expect(states.RunObject!.Retry).toEqual([
      { ErrorEquals: ["States.TaskFailed"], MaxAttempts: 0 },
      expect.objectContaining({
        ErrorEquals: expect.arrayContaining(["StepFunctions.ExecutionLimitExceededException"]),
        MaxAttempts: 6,
      }),
      expect.objectContaining({ ErrorEquals: ["States.ALL"], MaxAttempts: 3, BackoffRate: 2 }),
    ]);
  });

  it.each(["MapRanges", "RunEachObject"])(
    "%s writes its results to the work bucket (no result array in the state) and retries reading and writing",
    (name) => {
      expect(states[name]).toMatchObject({
        ResultPath: null,
        ResultWriter: {
          Resource: "arn:aws:states:::s3:putObject",
          Parameters: { Bucket: expect.stringMatching(/^bucketswork/) },
          WriterConfig: { OutputType: "JSON", Transformation: "NONE" },
        },
        Retry: [
          expect.objectContaining({
            ErrorEquals: ["States.ItemReaderFailed", "States.ResultWriterFailed"],
            BackoffRate: 2,
          }),
        ],
      });
    },
  );

  it("writes range results under the run's work prefix and backfill results under runs/backfills", () => {
    expect(states.StartRun!.Parameters).toMatchObject({
      "mapResultsPrefix.$": "States.Format('runs/{}/map-run', $$.Execution.Name)",
    });
    expect((states.MapRanges!.ResultWriter as { Parameters: object }).Parameters).toMatchObject({
      "Prefix.$": "$.run.mapResultsPrefix",
    });
    expect((states.RunEachObject!.ResultWriter as { Parameters: object }).Parameters).toMatchObject({
      Prefix: "runs/backfills",
    });
  });

  it("after a failed range, fails the run with that range's error and cause, read from the Map's results", () => {
    expect(states.MapRanges!.Catch).toEqual([
      {
        ErrorEquals: ["States.ExceedToleratedFailureThreshold"],
        ResultPath: "$.error",
        Next: "FindRangeFailure",
      },
      { ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "RunFailed" },
    ]);
    expect(states.FindRangeFailure).toMatchObject({
      Resource: "arn:aws:states:::lambda:invoke",
      Parameters: {
        FunctionName: expect.stringMatching(/:function:Reduce/),
        Payload: {
          rangeFailure: {
            "runId.$": "$.plan.runId",
            "resultsPrefix.$": "$.run.mapResultsPrefix",
            "error.$": "$.error.Error",
            "cause.$": "$.error.Cause",
          },
        },
      },
      ResultSelector: { "Error.$": "$.Payload.error", "Cause.$": "$.Payload.cause" },
      ResultPath: "$.error",
      Next: "RunFailed",
      // If the results cannot be read, the Map's own error stays in $.error.
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.rangeFailureLookup", Next: "RunFailed" }],
    });
  });

  it.each(["Inflate", "Plan", "Reduce", "RunEachObject"])("%s catches every error into RunFailed", (name) => {
    expect(states[name]!.Catch).toEqual([
      { ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "RunFailed" },
    ]);
  });

  it("RunFailed carries the caught error and cause", () => {
    expect(states.RunFailed).toEqual({
      Type: "Fail",
      Comment: expect.any(String),
      ErrorPath: "$.error.Error",
      CausePath: "$.error.Cause",
    });
  });

  it("fails as DataChecksFailed when the reducer reports status fail, else succeeds", () => {
    expect(states.Reduce).toMatchObject({
      Parameters: { Payload: { "planKey.$": "$.plan.planKey" } },
      ResultPath: "$.reduce",
    });
    expect(states.CheckResult).toEqual({
      Type: "Choice",
      Choices: [{ Variable: "$.reduce.status", StringEquals: "fail", Next: "DataChecksFailed" }],
      Default: "Done",
    });
    expect(states.DataChecksFailed).toMatchObject({ Type: "Fail", Error: "DataChecksFailed" });
    expect(states.Done).toEqual({ Type: "Succeed" });
  });

  it("runs every object under a prefix as a child execution of itself, a bounded number at a time", () => {
    expect(states.RunEachObject).toMatchObject({
      Type: "Map",
      Label: "Objects",
      MaxConcurrency: 3,
      ToleratedFailurePercentage: 100,
      ItemReader: {
        Resource: "arn:aws:states:::s3:listObjectsV2",
        Parameters: { "Bucket.$": "$.bucket", "Prefix.$": "$.prefix" },
      },
      ItemProcessor: {
        ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
        StartAt: "IsPipelineInput",
      },
    });
    expect(states.RunObject).toMatchObject({
      Resource: "arn:aws:states:::states:startExecution.sync:2",
      Parameters: {
        StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:EdgarEtl-pipeline",
        "Name.$": "$.name",
        "Input.$": "States.JsonMerge($.request, $.target, false)",
      },
    });
  });
});
