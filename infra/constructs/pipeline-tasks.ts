/**
 * The parts of the state machine's tasks that are policy rather than flow: how each task is
 * retried, where the Distributed Maps write their results, and the grant for a child run.
 */
import { ArnFormat, Duration, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as s3 from "aws-cdk-lib/aws-s3";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import type { Construct } from "constructs";
import {
  CommitConflictError,
  ConfigError,
  ContractError,
  CorruptRecordError,
  CoverageError,
  InputRejectedError,
} from "../../functions/core/errors";
import { WORK_RUNS_PREFIX } from "./pipeline-buckets";

/**
 * The product's errors that a retry would only repeat: bad input, a corrupt record in failfast
 * mode, a coverage gap, an unknown contract, a bad setting, a commit another run or source owns.
 * Lambda reports a thrown error by its class name (the bundle keeps names), which is what these
 * match. Everything else (IncompleteReadError, a lost conditional write, S3 and Lambda faults) is
 * transient and retried.
 */
export const DETERMINISTIC_ERRORS: readonly string[] = [
  InputRejectedError,
  CorruptRecordError,
  CoverageError,
  ContractError,
  ConfigError,
  CommitConflictError,
].map((errorClass) => errorClass.name);

/** Lambda's transient service failures: retried with capped, jittered exponential backoff. */
export const LAMBDA_SERVICE_ERRORS = [
  "Lambda.ClientExecutionTimeoutException",
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
];

/**
 * Throttling lasts as long as the account's concurrency is taken (many runs at once), so it is
 * waited out longer: up to 12 attempts, 2 minutes apart at most, about 20 minutes in all.
 */
export const LAMBDA_THROTTLED = "Lambda.TooManyRequestsException";

/**
 * Starting a child execution: throttling and the open-executions quota are transient. Error
 * names follow the service integration's `<Service>.<Java SDK exception>` convention.
 */
export const START_EXECUTION_TRANSIENT_ERRORS = [
  "StepFunctions.ExecutionLimitExceededException",
  "StepFunctions.AWSStepFunctionsException",
  "StepFunctions.SdkClientException",
];

/** A child run failed: it had its own retries, and its name cannot be started again. */
const CHILD_EXECUTION_FAILED = "States.TaskFailed";

/** Reading items or writing results of a Distributed Map: S3 faults, transient. */
const MAP_IO_ERRORS = ["States.ItemReaderFailed", "States.ResultWriterFailed"];

/**
 * Whatever else fails (a connection reset mid-body, RequestTimeout, SlowDown after the SDK's own
 * attempts, Sandbox.Timedout): every stage is idempotent by key, so it is run again, a few times.
 */
const ANYTHING_ELSE: sfn.RetryProps = {
  errors: [sfn.Errors.ALL],
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 3,
  maxDelay: Duration.seconds(30),
  jitterStrategy: sfn.JitterType.FULL,
};

/** A Lambda task: deterministic errors fail at once, service errors and throttles wait, the rest retries. */
export function retryLambdaTask<T extends sfn.TaskStateBase>(task: T): T {
  task
    .addRetry({ errors: [...DETERMINISTIC_ERRORS], maxAttempts: 0 })
    .addRetry({
      errors: LAMBDA_SERVICE_ERRORS,
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 6,
      maxDelay: Duration.seconds(60),
      jitterStrategy: sfn.JitterType.FULL,
    })
    .addRetry({
      errors: [LAMBDA_THROTTLED],
      interval: Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: 12,
      maxDelay: Duration.seconds(120),
      jitterStrategy: sfn.JitterType.FULL,
    })
    .addRetry(ANYTHING_ELSE);
  return task;
}

/** A child-run task: a failed child fails at once, start-up faults wait, the rest retries. */
export function retryChildRunTask<T extends sfn.TaskStateBase>(task: T): T {
  task
    .addRetry({ errors: [CHILD_EXECUTION_FAILED], maxAttempts: 0 })
    .addRetry({
      errors: START_EXECUTION_TRANSIENT_ERRORS,
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 6,
      maxDelay: Duration.seconds(60),
      jitterStrategy: sfn.JitterType.FULL,
    })
    .addRetry(ANYTHING_ELSE);
  return task;
}

/** A Distributed Map: its children retry themselves; reading items and writing results retry here. */
export function retryMapIo<T extends sfn.DistributedMap>(map: T): T {
  map.addRetry({
    errors: MAP_IO_ERRORS,
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 3,
    maxDelay: Duration.seconds(30),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return map;
}

/** Where the range Map of a run writes its results: `runs/<runId>/map-run/<map run id>/…`. */
export const RANGE_RESULTS_KEYS = `${WORK_RUNS_PREFIX}*/map-run/*`;
/** Where every `{bucket, prefix}` execution's object Map writes: `runs/backfills/<map run id>/…`. */
export const BACKFILL_RESULTS_PREFIX = `${WORK_RUNS_PREFIX}backfills`;

/**
 * A Distributed Map's results written to the work bucket, so the Map returns a pointer instead
 * of an array that grows with every item (past ~256 KiB: States.DataLimitExceeded, which no
 * Catch sees). The stock writer grants on the whole bucket; this one on `keyPattern` only.
 */
export class WorkResultWriter extends sfn.ResultWriterV2 {
  constructor(
    private readonly workBucket: s3.IBucket,
    prefix: string,
    private readonly keyPattern: string,
  ) {
    super({
      bucket: workBucket,
      prefix,
      writerConfig: new sfn.WriterConfig({
        outputType: sfn.OutputType.JSON,
        transformation: sfn.Transformation.NONE,
      }),
    });
  }

  /** The ARN the grant names, to acknowledge its wildcard by. */
  get resultsArn(): string {
    return this.workBucket.arnForObjects(this.keyPattern);
  }

  override providePolicyStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        actions: ["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"],
        resources: [this.resultsArn],
      }),
    ];
  }
}

/**
 * StartExecution.sync:2 of this very state machine. CDK grants describe/stop on executions
 * `<name>*`, which also matches machines whose names merely start the same; this grants on
 * `<name>:*`, this machine's executions only.
 */
export class StartOwnExecution extends tasks.StepFunctionsStartExecution {
  declare protected readonly taskPolicies: iam.PolicyStatement[];

  constructor(scope: Construct, id: string, props: tasks.StepFunctionsStartExecutionProps) {
    super(scope, id, props);
    const stack = Stack.of(this);
    const machineArn = props.stateMachine.stateMachineRef.stateMachineArn;
    const machineName = stack.splitArn(machineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName;
    this.taskPolicies = [
      new iam.PolicyStatement({ actions: ["states:StartExecution"], resources: [machineArn] }),
      new iam.PolicyStatement({
        actions: ["states:DescribeExecution", "states:StopExecution"],
        resources: [ownExecutionsArn(stack, String(machineName))],
      }),
      new iam.PolicyStatement({
        actions: ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
        resources: [
          stack.formatArn({
            service: "events",
            resource: "rule",
            resourceName: "StepFunctionsGetEventsForStepFunctionsExecutionRule",
          }),
        ],
      }),
    ];
  }
}

/** `arn:…:execution:<machine>:*`: every execution of that state machine, of no other. */
export function ownExecutionsArn(stack: Stack, machineName: string): string {
  return stack.formatArn({
    service: "states",
    resource: "execution",
    resourceName: `${machineName}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
