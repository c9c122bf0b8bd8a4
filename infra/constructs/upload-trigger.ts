/**
 * Uploads start runs: the input bucket's EventBridge "Object Created" events, filtered by
 * bucket, prefix and suffix, invoke the trigger Lambda, which starts one execution per object
 * version. Events that cannot be delivered, and invocations that fail after Lambda's retries,
 * land in a dead-letter queue (alarmed): a lost upload event would otherwise be a silent gap.
 */
import { Duration, Validations } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import type * as s3 from "aws-cdk-lib/aws-s3";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { PIPELINE_INPUT_SUFFIXES } from "../../functions/core/object-created";
import { TRIGGER_ENV } from "../../functions/environment";
import { DEFAULT_DEPLOY_CONFIG, type DeployConfig, type FunctionSizing } from "../config";
import { grantListing } from "../s3-access";
import { EtlFunction } from "./etl-function";

export interface UploadTriggerProps {
  readonly inputBucket: s3.IBucket;
  /** Only keys under it start runs. @default - DEFAULT_DEPLOY_CONFIG.inputPrefix */
  readonly inputPrefix?: string;
  readonly stateMachine: sfn.IStateMachine;
  /** @default - DEFAULT_DEPLOY_CONFIG.functions.trigger */
  readonly sizing?: FunctionSizing;
  /** @default - DEFAULT_DEPLOY_CONFIG.architecture */
  readonly architecture?: DeployConfig["architecture"];
  /** @default - DEFAULT_DEPLOY_CONFIG.logRetentionDays */
  readonly logRetentionDays?: number;
}

export class UploadTrigger extends Construct {
  readonly function: EtlFunction;
  readonly rule: events.Rule;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: UploadTriggerProps) {
    super(scope, id);
    const inputPrefix = props.inputPrefix ?? DEFAULT_DEPLOY_CONFIG.inputPrefix;
    const sizing = props.sizing ?? DEFAULT_DEPLOY_CONFIG.functions.trigger;
    this.deadLetterQueue = new sqs.Queue(this, "DeadLetters", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: "AwsSolutions-SQS3",
      reason: "This queue is the dead-letter queue of the trigger's rule target and async invocations",
    });
    this.function = new EtlFunction(this, "Trigger", {
      entry: "functions/trigger/handler.ts",
      description: "Starts one pipeline execution per uploaded object version",
      memoryMb: sizing.memoryMb,
      timeoutSeconds: sizing.timeoutSeconds,
      architecture: props.architecture,
      logRetentionDays: props.logRetentionDays,
      environment: { [TRIGGER_ENV.stateMachineArn]: props.stateMachine.stateMachineArn },
      deadLetterQueue: this.deadLetterQueue,
    });
    props.stateMachine.grantStartExecution(this.function.function);
    // Listing (not reading) settles which key a URL-encoded-looking event key means.
    grantListing(this.function.function, props.inputBucket, inputPrefix);

    // EventBridge's wildcard reads `*` as "any characters" and `\` as an escape.
    const literalPrefix = inputPrefix.replace(/[\\*]/g, (c) => `\\${c}`);
    this.rule = new events.Rule(this, "ObjectCreated", {
      description: `Uploads to the input bucket under "${inputPrefix}" ending in ${PIPELINE_INPUT_SUFFIXES.join(", ")}`,
      eventPattern: {
        source: ["aws.s3"],
        detailType: ["Object Created"],
        detail: {
          bucket: { name: [props.inputBucket.bucketName] },
          object: {
            key: events.Match.anyOf(
              ...PIPELINE_INPUT_SUFFIXES.map((suffix) => events.Match.wildcard(`${literalPrefix}*${suffix}`)),
            ),
          },
        },
      },
      targets: [
        new targets.LambdaFunction(this.function.function, { deadLetterQueue: this.deadLetterQueue }),
      ],
    });
  }
}
