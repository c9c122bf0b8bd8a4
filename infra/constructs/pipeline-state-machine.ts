/**
 * The pipeline's one Step Functions definition (JSONPath, so the local ASL interpreter runs the
 * same one):
 *
 *   ValidateInput ─ {bucket, key} ──▶ StartRun ▶ IsArchive ▶ Plan ▶ MapRanges (Distributed) ▶ Reduce ▶ CheckResult
 *         │                            .zip/.gz ─┤ Inflate      └─ MapRange (Lambda, one per byte range)
 *         │                                else ─┘ UploadedCsv
 *         ├─ {bucket, prefix} ──▶ RunEachObject (Distributed, over ListObjectsV2)
 *         │                          └─ IsPipelineInput ▶ RunObject: StartExecution.sync:2 of this
 *         │                             state machine with {bucket, key}, a child run per object
 *         └─ otherwise ──▶ InvalidInput (Fail, naming the expected shape and what was received)
 *
 * The `{bucket, prefix}` flow starts child executions of itself instead of nesting the range Map
 * inside the object Map: each object's run is then an ordinary execution (its own history,
 * runId, alarms, `edgar-etl status`), the nesting question never arises, and `.sync:2` with
 * the object Map's MaxConcurrency bounds how many objects run at once.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import { Construct } from "constructs";
import { ARCHIVE_SUFFIXES } from "../../functions/core/archive";
import { PIPELINE_INPUT_SUFFIXES } from "../../functions/core/object-created";
import { workKeys } from "../../functions/stages/layout";
import { DEFAULT_DEPLOY_CONFIG } from "../config";
import { acknowledgeGeneratedPolicy, acknowledgeWildcardResources } from "../nag";
import { WORK_RUNS_PREFIX } from "./pipeline-buckets";
import {
  BACKFILL_RESULTS_PREFIX,
  RANGE_RESULTS_KEYS,
  retryChildRunTask,
  retryLambdaTask,
  retryMapIo,
  StartOwnExecution,
  WorkResultWriter,
} from "./pipeline-tasks";

export interface PipelineStateMachineProps {
  /** Fixed, so the `{bucket, prefix}` flow can name this state machine in its own definition. */
  readonly stateMachineName: string;
  /** Stages a .zip or .gz upload's CSV in the work bucket before planning. */
  readonly inflateFunction: lambda.IFunction;
  readonly planFunction: lambda.IFunction;
  readonly mapFunction: lambda.IFunction;
  readonly reduceFunction: lambda.IFunction;
  /** Executions may only name objects in this bucket (the functions can read no other). */
  readonly inputBucket: s3.IBucket;
  /** Keys and prefixes must start with it. @default - DEFAULT_DEPLOY_CONFIG.inputPrefix */
  readonly inputPrefix?: string;
  /** Holds each run's tasks.json, read by the range Map's ItemReader. */
  readonly workBucket: s3.IBucket;
  /** Byte ranges of one object mapped at once. @default - DEFAULT_DEPLOY_CONFIG.maxConcurrency */
  readonly maxConcurrency?: number;
  /** Objects of a `{bucket, prefix}` execution running at once. @default - DEFAULT_DEPLOY_CONFIG.backfillMaxConcurrency */
  readonly backfillMaxConcurrency?: number;
  /** @default - DEFAULT_DEPLOY_CONFIG.executionTimeoutHours */
  readonly timeout?: Duration;
  /** @default - DEFAULT_DEPLOY_CONFIG.logRetentionDays */
  readonly logRetentionDays?: number;
}

export class PipelineStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PipelineStateMachineProps) {
    super(scope, id);
    const inputPrefix = props.inputPrefix ?? DEFAULT_DEPLOY_CONFIG.inputPrefix;
    const stack = Stack.of(this);
    const selfArn = stack.formatArn({
      service: "states",
      resource: "stateMachine",
      resourceName: props.stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const runFailed = new sfn.Fail(this, "RunFailed", {
      comment: "A stage failed; the error and cause are the failing state's.",
      errorPath: "$.error.Error",
      causePath: "$.error.Cause",
    });
    const catchInto = { resultPath: "$.error" };

    // The execution name becomes the runId: every key the run writes is under runs/<runId>/.
    const startRun = new sfn.Pass(this, "StartRun", {
      parameters: {
        runId: sfn.JsonPath.stringAt("$$.Execution.Name"),
        mapResultsPrefix: sfn.JsonPath.format(
          `${WORK_RUNS_PREFIX}{}/map-run`,
          sfn.JsonPath.stringAt("$$.Execution.Name"),
        ),
      },
      resultPath: "$.run",
    });
    // A zip or gzip stream cannot be cut into byte ranges: such an upload's CSV is staged in the
    // work bucket first, and `$.source` names what the plan reads, staged or uploaded.
    const inflate = lambdaStep(this, "Inflate", props.inflateFunction, {
      payload: sfn.TaskInput.fromObject({
        runId: sfn.JsonPath.stringAt("$.run.runId"),
        bucket: sfn.JsonPath.stringAt("$.bucket"),
        key: sfn.JsonPath.stringAt("$.key"),
      }),
      resultSelector: {
        bucket: sfn.JsonPath.stringAt("$.Payload.bucket"),
        key: sfn.JsonPath.stringAt("$.Payload.key"),
        archive: sfn.JsonPath.objectAt("$.Payload.archive"),
      },
      resultPath: "$.source",
    }).addCatch(runFailed, catchInto);
    const uploadedCsv = new sfn.Pass(this, "UploadedCsv", {
      comment: "Not an archive: the plan reads the upload itself.",
      parameters: { bucket: sfn.JsonPath.stringAt("$.bucket"), key: sfn.JsonPath.stringAt("$.key") },
      resultPath: "$.source",
    });
    const isArchive = new sfn.Choice(this, "IsArchive")
      .when(
        sfn.Condition.or(
          ...Object.values(ARCHIVE_SUFFIXES).map((suffix) =>
            sfn.Condition.stringMatches("$.key", `*${suffix}`),
          ),
        ),
        inflate,
      )
      .otherwise(uploadedCsv);

    const plan = lambdaStep(this, "Plan", props.planFunction, {
      // The execution input (any overrides) plus the runId and the source to read, as the plan expects.
      payload: sfn.TaskInput.fromJsonPathAt(
        sfn.JsonPath.jsonMerge(
          sfn.JsonPath.jsonMerge(sfn.JsonPath.objectAt("$"), sfn.JsonPath.objectAt("$.run")),
          sfn.JsonPath.objectAt("$.source"),
        ),
      ),
      resultSelector: {
        runId: sfn.JsonPath.stringAt("$.Payload.runId"),
        planKey: sfn.JsonPath.stringAt("$.Payload.planKey"),
        tasksKey: sfn.JsonPath.stringAt("$.Payload.tasksKey"),
        rangeCount: sfn.JsonPath.numberAt("$.Payload.rangeCount"),
        sourceBytes: sfn.JsonPath.numberAt("$.Payload.sourceBytes"),
      },
      resultPath: "$.plan",
    }).addCatch(runFailed, catchInto);

    // Up to 10,000 range tasks (~100 bytes each) exceed the 256 KiB state payload limit, so the
    // plan writes them to S3 and the ItemReader streams them. Results go to the work bucket (the
    // failed ranges' errors are read back from there) and the Map's output is discarded: each
    // mapper writes its partial to a key the reducer derives from (runId, index).
    const rangeResults = new WorkResultWriter(
      props.workBucket,
      sfn.JsonPath.stringAt("$.run.mapResultsPrefix"),
      RANGE_RESULTS_KEYS,
    );
    const mapRanges = new FailFastDistributedMap(this, "MapRanges", {
      comment: "One child execution per byte range; any failure fails the run.",
      label: "Ranges",
      mapExecutionType: sfn.StateMachineType.STANDARD,
      maxConcurrency: props.maxConcurrency ?? DEFAULT_DEPLOY_CONFIG.maxConcurrency,
      itemReader: new RunTasksReader(props.workBucket),
      resultWriterV2: rangeResults,
      resultPath: sfn.JsonPath.DISCARD,
    })
      .itemProcessor(
        lambdaStep(this, "MapRange", props.mapFunction, {
          payload: sfn.TaskInput.fromJsonPathAt("$"),
          // Each child returns {}: the results written stay tiny whatever the range count.
          outputPath: sfn.JsonPath.DISCARD,
        }),
      )
      .addCatch(findRangeFailure(this, props.reduceFunction, runFailed), {
        errors: [RANGE_FAILED],
        resultPath: "$.error",
      })
      .addCatch(runFailed, catchInto);
    retryMapIo(mapRanges);

    const reduce = lambdaStep(this, "Reduce", props.reduceFunction, {
      payload: sfn.TaskInput.fromObject({ planKey: sfn.JsonPath.stringAt("$.plan.planKey") }),
      resultSelector: {
        status: sfn.JsonPath.stringAt("$.Payload.status"),
        manifestKey: sfn.JsonPath.stringAt("$.Payload.manifestKey"),
        rows: sfn.JsonPath.objectAt("$.Payload.rows"),
        failedChecks: sfn.JsonPath.listAt("$.Payload.failedChecks"),
      },
      resultPath: "$.reduce",
    }).addCatch(runFailed, catchInto);

    const checkResult = new sfn.Choice(this, "CheckResult")
      .when(
        sfn.Condition.stringEquals("$.reduce.status", "fail"),
        new sfn.Fail(this, "DataChecksFailed", {
          comment: "The outputs are written; the run fails so that the failed-execution alarm fires.",
          error: "DataChecksFailed",
          causePath: sfn.JsonPath.format(
            "data checks failed: {}; the outputs were written, see {} under the output prefix",
            sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt("$.reduce.failedChecks")),
            sfn.JsonPath.stringAt("$.reduce.manifestKey"),
          ),
        }),
      )
      .otherwise(new sfn.Succeed(this, "Done"));

    const runOneObject = startRun
      .next(isArchive.afterwards())
      .next(plan)
      .next(mapRanges)
      .next(reduce)
      .next(checkResult);

    const runObject = new StartOwnExecution(this, "RunObject", {
      comment: "This state machine, for one object; waits for it and fails if it fails.",
      stateMachine: sfn.StateMachine.fromStateMachineArn(this, "Self", selfArn),
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      name: sfn.JsonPath.stringAt("$.name"),
      input: sfn.TaskInput.fromJsonPathAt(
        sfn.JsonPath.jsonMerge(sfn.JsonPath.objectAt("$.request"), sfn.JsonPath.objectAt("$.target")),
      ),
      resultSelector: {
        executionArn: sfn.JsonPath.stringAt("$.ExecutionArn"),
        status: sfn.JsonPath.stringAt("$.Status"),
      },
    });
    retryChildRunTask(runObject);
    const isPipelineInput = new sfn.Choice(this, "IsPipelineInput")
      .when(
        sfn.Condition.or(
          ...PIPELINE_INPUT_SUFFIXES.map((suffix) =>
            sfn.Condition.stringMatches("$.target.key", `*${suffix}`),
          ),
        ),
        runObject,
      )
      .otherwise(
        new sfn.Succeed(this, "NotPipelineInput", { comment: "Skipped: not a .csv, .gz or .zip key." }),
      );

    const backfillResults = new WorkResultWriter(
      props.workBucket,
      BACKFILL_RESULTS_PREFIX,
      `${BACKFILL_RESULTS_PREFIX}/*`,
    );
    // Tolerates every failure: one bad object must not stop a backfill of hundreds. Each failed
    // object is a failed execution of its own (alarmed) and a failed item of this Map Run.
    const runEachObject = new sfn.DistributedMap(this, "RunEachObject", {
      comment: "One child run per object under the prefix.",
      label: "Objects",
      mapExecutionType: sfn.StateMachineType.STANDARD,
      maxConcurrency: props.backfillMaxConcurrency ?? DEFAULT_DEPLOY_CONFIG.backfillMaxConcurrency,
      toleratedFailurePercentage: 100,
      itemReader: new InputListingReader(props.inputBucket, inputPrefix),
      // ~125 B per object succeeded, ~300 B per key skipped, KBs per failure: an EDGAR prefix
      // (~5,000 days) would outgrow the state's 256 KiB, so the results go to the work bucket.
      resultWriterV2: backfillResults,
      itemSelector: {
        request: sfn.JsonPath.objectAt("$"),
        target: {
          key: sfn.JsonPath.stringAt("$$.Map.Item.Value.Key"),
          // Links each object's run to this execution in the console.
          AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: sfn.JsonPath.stringAt("$$.Execution.Id"),
        },
        // Unique per (this execution, object version): a retried start finds its own run, and a
        // new prefix execution reruns every object (the CLI backfill skips versions already run).
        name: sfn.JsonPath.format(
          "backfill-{}",
          sfn.JsonPath.hash(
            sfn.JsonPath.format(
              "{}|{}|{}|{}",
              sfn.JsonPath.stringAt("$$.Execution.Name"),
              sfn.JsonPath.stringAt("$.bucket"),
              sfn.JsonPath.stringAt("$$.Map.Item.Value.Key"),
              sfn.JsonPath.stringAt("$$.Map.Item.Value.Etag"),
            ),
            "MD5",
          ),
        ),
      },
      resultPath: sfn.JsonPath.DISCARD,
    })
      .itemProcessor(isPipelineInput)
      .addCatch(runFailed, catchInto);
    retryMapIo(runEachObject);

    const underInputPrefix = (path: string) =>
      inputPrefix === "" ? [] : [sfn.Condition.stringMatches(path, `${inputPrefix}*`)];
    const isText = (path: string) => [sfn.Condition.isPresent(path), sfn.Condition.isString(path)];
    const expected =
      `expected "bucket" (the input bucket) with "key" (under "${inputPrefix}") to run one object, ` +
      `or "bucket" with "prefix" (under "${inputPrefix}") to run every object under it; ` +
      `optional: rangeBytes, sample (fraction, seed), mode, checks; got {}`;
    const validateInput = new sfn.Choice(this, "ValidateInput")
      .when(
        sfn.Condition.and(...isText("$.bucket"), ...isText("$.key"), ...underInputPrefix("$.key")),
        runOneObject,
      )
      .when(
        sfn.Condition.and(...isText("$.bucket"), ...isText("$.prefix"), ...underInputPrefix("$.prefix")),
        runEachObject,
      )
      .otherwise(
        new sfn.Fail(this, "InvalidInput", {
          error: "InvalidInput",
          causePath: sfn.JsonPath.format(expected, sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt("$"))),
        }),
      );

    this.logGroup = new logs.LogGroup(this, "Logs", {
      // The vendedlogs prefix keeps CloudWatch's resource policy for Step Functions small.
      logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retention: (props.logRetentionDays ?? DEFAULT_DEPLOY_CONFIG.logRetentionDays) as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, "StateMachine", {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      queryLanguage: sfn.QueryLanguage.JSON_PATH,
      definitionBody: sfn.DefinitionBody.fromChainable(validateInput),
      timeout: props.timeout ?? Duration.hours(DEFAULT_DEPLOY_CONFIG.executionTimeoutHours),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.acknowledgeGeneratedWildcards(props, selfArn);
    acknowledgeWildcardResources(
      this.stateMachine.role,
      [rangeResults.resultsArn, backfillResults.resultsArn],
      "The Distributed Maps write their results (manifest, succeeded, failed) under runs/<runId>/map-run/ and runs/backfills/ of the work bucket, and nowhere else",
    );
  }

  /** The wildcards CDK writes into the state machine's role for logging, tracing and its own tasks. */
  private acknowledgeGeneratedWildcards(props: PipelineStateMachineProps, selfArn: string): void {
    const role = this.stateMachine.role;
    Validations.of(role).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "CDK's grants for execution logging (logs:*LogDelivery, DescribeLogGroups, resource policies) and X-Ray; these APIs do not support resource-level permissions",
    });
    acknowledgeWildcardResources(
      role,
      [props.workBucket.arnForObjects(workKeys.tasks("*"))],
      "The range Map's ItemReader reads each run's tasks.json, and nothing else in the work bucket",
    );
    acknowledgeWildcardResources(
      role,
      [props.inflateFunction, props.planFunction, props.mapFunction, props.reduceFunction].map(
        (fn) => `${fn.functionArn}:*`,
      ),
      "LambdaInvoke's grant on the function's versions and aliases (`<function ARN>:*`) besides the function",
    );
    acknowledgeWildcardResources(
      role,
      [
        Stack.of(this).formatArn({
          service: "states",
          resource: "execution",
          resourceName: `${Stack.of(this).splitArn(selfArn, ArnFormat.COLON_RESOURCE_NAME).resourceName}:*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      "RunObject (startExecution.sync:2) describes and stops the executions it started of this state machine (`<name>:*`: its executions, no other machine's)",
    );
    const distributedMapPolicy = this.stateMachine.node.tryFindChild("DistributedMapPolicy");
    if (distributedMapPolicy instanceof iam.Policy) {
      acknowledgeGeneratedPolicy(
        distributedMapPolicy,
        "CDK's Distributed Map policy: describe, stop and redrive the child executions of this state machine's own Map Runs",
      );
    }
  }
}

function lambdaStep(
  scope: Construct,
  id: string,
  fn: lambda.IFunction,
  props: Omit<tasks.LambdaInvokeProps, "lambdaFunction">,
): sfn.TaskStateBase {
  return retryLambdaTask(
    new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: fn,
      retryOnServiceExceptions: false,
      ...props,
    }),
  );
}

/** What a Distributed Map fails with when a child fails; the child's own error is in the Map's results. */
const RANGE_FAILED = "States.ExceedToleratedFailureThreshold";

/**
 * After a range failed: the first failed range's error and cause, read from the Map's results by
 * the reduce function, replace the Map's generic error in `$.error`, then the run fails with
 * them. If they cannot be read, the run fails with the Map's own error.
 */
function findRangeFailure(scope: Construct, reduceFunction: lambda.IFunction, runFailed: sfn.Fail) {
  return lambdaStep(scope, "FindRangeFailure", reduceFunction, {
    comment: "Reads the first failed range's error and cause from the range Map's results.",
    payload: sfn.TaskInput.fromObject({
      rangeFailure: {
        runId: sfn.JsonPath.stringAt("$.plan.runId"),
        resultsPrefix: sfn.JsonPath.stringAt("$.run.mapResultsPrefix"),
        error: sfn.JsonPath.stringAt("$.error.Error"),
        cause: sfn.JsonPath.stringAt("$.error.Cause"),
      },
    }),
    resultSelector: {
      Error: sfn.JsonPath.stringAt("$.Payload.error"),
      Cause: sfn.JsonPath.stringAt("$.Payload.cause"),
    },
    resultPath: "$.error",
  })
    .addCatch(runFailed, { resultPath: "$.rangeFailureLookup" })
    .next(runFailed);
}

/** CDK leaves out a ToleratedFailurePercentage of 0 (it is falsy); written out, the intent is in the ASL. */
class FailFastDistributedMap extends sfn.DistributedMap {
  override toStateJson(stateMachineQueryLanguage?: sfn.QueryLanguage): object {
    return { ...super.toStateJson(stateMachineQueryLanguage), ToleratedFailurePercentage: 0 };
  }
}

/** The plan's tasks.json. The stock reader would grant s3:GetObject on the whole bucket. */
class RunTasksReader extends sfn.S3JsonItemReader {
  constructor(private readonly workBucket: s3.IBucket) {
    super({ bucket: workBucket, key: sfn.JsonPath.stringAt("$.plan.tasksKey") });
  }

  override providePolicyStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        actions: ["s3:GetObject"],
        resources: [this.workBucket.arnForObjects(workKeys.tasks("*"))],
      }),
    ];
  }
}

/**
 * ListObjectsV2 over the execution's bucket and prefix. The stock reader grants s3:ListBucket on
 * every bucket when the bucket comes from the input; this one allows only the input bucket,
 * under the input prefix.
 */
class InputListingReader extends sfn.S3ObjectsItemReader {
  constructor(
    private readonly inputBucket: s3.IBucket,
    private readonly inputPrefix: string,
  ) {
    super({ bucketNamePath: sfn.JsonPath.stringAt("$.bucket"), prefix: sfn.JsonPath.stringAt("$.prefix") });
  }

  override providePolicyStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        actions: ["s3:ListBucket"],
        resources: [this.inputBucket.bucketArn],
        ...(this.inputPrefix === ""
          ? {}
          : { conditions: { StringLike: { "s3:prefix": [`${this.inputPrefix}*`] } } }),
      }),
    ];
  }
}
