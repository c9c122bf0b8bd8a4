/**
 * Alarms to one SNS topic: failed and timed-out executions (including DataChecksFailed, and each
 * object of a backfill), Lambda errors and throttles per function, and dead-lettered uploads.
 */
import { ArnFormat, Duration, Stack, Validations } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";

export interface PipelineAlarmsProps {
  readonly stateMachine: sfn.IStateMachine;
  /** Alarmed on errors and throttles, by a stable name (the construct id of their alarms). */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly deadLetterQueue: sqs.IQueue;
  /** Subscribed to the topic (the address must confirm). @default - no subscription */
  readonly email?: string;
}

export class PipelineAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, "Topic", { displayName: "EDGAR ETL alarms", enforceSSL: true });
    Validations.of(this.topic).acknowledge({
      id: "AwsSolutions-SNS2",
      reason:
        "Alarm notifications carry metric names only; CloudWatch cannot publish to a topic under the AWS-managed SNS key, and a customer key would cost without protecting any data",
    });
    // A topic policy replaces SNS's default one, and enforceSSL writes one holding only its Deny:
    // without this Allow, CloudWatch could not publish and no alarm would ever notify.
    const stack = Stack.of(this);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "AllowCloudWatchAlarms",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: {
            "aws:SourceArn": stack.formatArn({
              service: "cloudwatch",
              resource: "alarm",
              resourceName: "*",
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
          StringEquals: { "aws:SourceAccount": stack.account },
        },
      }),
    );
    if (props.email !== undefined)
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));

    const period = Duration.minutes(5);
    const anyIn = (alarmId: string, metric: cloudwatch.IMetric, what: string) =>
      new cloudwatch.Alarm(this, alarmId, {
        metric,
        alarmDescription: what,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.alarms = [
      anyIn(
        "ExecutionsFailed",
        props.stateMachine.metricFailed({ period, statistic: "Sum" }),
        "A pipeline execution failed (a stage error, or DataChecksFailed: outputs written, checks failed)",
      ),
      anyIn(
        "ExecutionsTimedOut",
        props.stateMachine.metricTimedOut({ period, statistic: "Sum" }),
        "A pipeline execution ran past its timeout",
      ),
      ...Object.entries(props.functions).flatMap(([name, fn]) => [
        anyIn(`${name}Errors`, fn.metricErrors({ period, statistic: "Sum" }), `The ${name} function failed`),
        anyIn(
          `${name}Throttles`,
          fn.metricThrottles({ period, statistic: "Sum" }),
          `The ${name} function was throttled`,
        ),
      ]),
      anyIn(
        "UploadsDeadLettered",
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: "Maximum" }),
        "An upload event could not start its run; replay it, or run the backfill CLI over its prefix",
      ),
    ];
    for (const alarm of this.alarms) alarm.addAlarmAction(new actions.SnsAction(this.topic));
  }
}
