/**
 * The deployed pipeline: buckets, the plan/map/reduce and trigger Lambdas with exact grants,
 * the state machine, the upload trigger and the alarms. Every setting comes from DeployConfig.
 */
import { CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { workKeys } from "../functions/stages/layout";
import type { DeployConfig } from "./config";
import { EtlFunction } from "./constructs/etl-function";
import { PipelineAlarms } from "./constructs/pipeline-alarms";
import { PipelineBuckets } from "./constructs/pipeline-buckets";
import { PipelineCatalog } from "./constructs/pipeline-catalog";
import { PipelineDashboard } from "./constructs/pipeline-dashboard";
import { PipelineStateMachine } from "./constructs/pipeline-state-machine";
import { RANGE_RESULTS_KEYS } from "./constructs/pipeline-tasks";
import { UploadTrigger } from "./constructs/upload-trigger";
import { pipelineEnvironment, REDUCE_MALLOC_TUNABLES } from "./lambda-environment";
import { grantListing, grantObjects } from "./s3-access";

export interface PipelineStackProps extends StackProps {
  readonly config: DeployConfig;
}

/** Work keys by kind, as IAM patterns derived from the functions' key layout. */
const WORK_PLANS = workKeys.plan("*");
const WORK_TASKS = workKeys.tasks("*");
const WORK_STAGED = workKeys.staged("*");
const WORK_PARTIALS = workKeys.partial("*", 0).replace(/[^/]+$/, "*");

export class PipelineStack extends Stack {
  readonly buckets: PipelineBuckets;
  readonly pipeline: PipelineStateMachine;
  readonly trigger: UploadTrigger;
  readonly alarms: PipelineAlarms;
  readonly dashboard: PipelineDashboard;
  readonly catalog: PipelineCatalog;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.buckets = new PipelineBuckets(this, "Buckets", {
      inputBucketName: config.inputBucketName,
      inputBucketKmsKeyArn: config.inputBucketKmsKeyArn,
      outputBucketName: config.outputBucketName,
      workRetentionDays: config.workRetentionDays,
      accessLogRetentionDays: config.accessLogRetentionDays,
    });
    const { input, output, work } = this.buckets;
    const inputObjects = `${config.inputPrefix}*`;
    const environment = pipelineEnvironment({
      workBucketName: work.bucketName,
      outputBucketName: output.bucketName,
      outputPrefix: config.outputPrefix,
      runDefaults: config.runDefaults,
      maxInflatedBytes: config.maxInflatedBytes,
      ipTableSlots: config.mapIpTableSlots,
    });
    /** `processEnvironment`: variables read when the function's process starts (a local pool's threads share one). */
    const stage = (
      id: "Inflate" | "Plan" | "Map" | "Reduce",
      description: string,
      processEnvironment: Readonly<Record<string, string>> = {},
    ) => {
      const role = id.toLowerCase() as "inflate" | "plan" | "map" | "reduce";
      return new EtlFunction(this, id, {
        entry: `functions/${role}/handler.ts`,
        description,
        memoryMb: config.functions[role].memoryMb,
        timeoutSeconds: config.functions[role].timeoutSeconds,
        architecture: config.architecture,
        logRetentionDays: config.logRetentionDays,
        environment: { ...environment, ...processEnvironment },
      });
    };

    const inflate = stage("Inflate", "Inflates a .zip or .gz upload's CSV into the work bucket").function;
    grantObjects(inflate, input, ["s3:GetObject"], [inputObjects], "reads the uploaded archive");
    grantObjects(
      inflate,
      work,
      ["s3:PutObject", "s3:AbortMultipartUpload"],
      [WORK_STAGED],
      "writes each run's staged CSV with a multipart upload, aborted if the archive is bad",
    );

    const plan = stage("Plan", "Validates an object's header and cuts it into byte ranges").function;
    grantObjects(plan, input, ["s3:GetObject"], [inputObjects], "reads the header of the object to plan");
    grantObjects(plan, work, ["s3:GetObject"], [WORK_STAGED], "reads the header of a staged CSV");
    grantObjects(plan, work, ["s3:PutObject"], [WORK_PLANS, WORK_TASKS], "writes each run's plan and tasks");

    const map = stage("Map", "Parses one byte range into a partial aggregate").function;
    grantObjects(map, input, ["s3:GetObject"], [inputObjects], "reads its byte range of the object");
    grantObjects(map, work, ["s3:GetObject"], [WORK_STAGED], "reads its byte range of a staged CSV");
    grantObjects(map, work, ["s3:GetObject"], [WORK_PLANS], "reads the run's plan");
    grantObjects(map, work, ["s3:PutObject"], [WORK_PARTIALS], "writes its range's partial");

    const reduce = stage("Reduce", "Merges the partials and writes the Parquet tables and reports", {
      GLIBC_TUNABLES: REDUCE_MALLOC_TUNABLES,
    }).function;
    grantObjects(
      reduce,
      work,
      ["s3:GetObject"],
      [WORK_PLANS, WORK_PARTIALS],
      "reads the plan and every partial",
    );
    // After a failed range Map it reads the Map's results for the first failed range's error.
    grantObjects(
      reduce,
      work,
      ["s3:GetObject"],
      [RANGE_RESULTS_KEYS],
      "reads the range Map's results (FAILED_<n>.json) to report the first failed range's error",
    );
    grantListing(reduce, work, RANGE_RESULTS_KEYS.replace(/\*$/, ""));
    // It replaces a source's previous output: lists and deletes under the output prefix.
    grantListing(reduce, output, config.outputPrefix);
    grantObjects(
      reduce,
      output,
      ["s3:PutObject", "s3:DeleteObject"],
      [`${config.outputPrefix}*`],
      "writes the tables and run reports, replacing a source's previous ones; the output location holds nothing else",
    );

    this.pipeline = new PipelineStateMachine(this, "Pipeline", {
      stateMachineName: config.stateMachineName,
      inflateFunction: inflate,
      planFunction: plan,
      mapFunction: map,
      reduceFunction: reduce,
      inputBucket: input,
      inputPrefix: config.inputPrefix,
      workBucket: work,
      maxConcurrency: config.maxConcurrency,
      backfillMaxConcurrency: config.backfillMaxConcurrency,
      timeout: Duration.hours(config.executionTimeoutHours),
      logRetentionDays: config.logRetentionDays,
    });

    this.trigger = new UploadTrigger(this, "UploadTrigger", {
      inputBucket: input,
      inputPrefix: config.inputPrefix,
      stateMachine: this.pipeline.stateMachine,
      sizing: config.functions.trigger,
      architecture: config.architecture,
      logRetentionDays: config.logRetentionDays,
    });

    const pipelineFunctions = {
      Trigger: this.trigger.function.function,
      Inflate: inflate,
      Plan: plan,
      Map: map,
      Reduce: reduce,
    };
    this.alarms = new PipelineAlarms(this, "Alarms", {
      stateMachine: this.pipeline.stateMachine,
      functions: pipelineFunctions,
      deadLetterQueue: this.trigger.deadLetterQueue,
      email: config.alarmEmail,
    });

    this.dashboard = new PipelineDashboard(this, "Dashboard", {
      dashboardName: this.stackName,
      stateMachine: this.pipeline.stateMachine,
      functions: pipelineFunctions,
      metricsNamespace: this.stackName,
    });
    this.catalog = new PipelineCatalog(this, "Catalog", {
      databaseName: this.stackName.toLowerCase().replace(/-/g, "_"),
      workGroupName: this.stackName,
      outputBucket: output,
      outputPrefix: config.outputPrefix,
      workBucket: work,
    });

    new CfnOutput(this, "StateMachineArn", { value: this.pipeline.stateMachine.stateMachineArn });
    new CfnOutput(this, "InputBucketName", { value: input.bucketName });
    new CfnOutput(this, "OutputLocation", { value: `s3://${output.bucketName}/${config.outputPrefix}` });
    new CfnOutput(this, "WorkBucketName", { value: work.bucketName });
    new CfnOutput(this, "AlarmTopicArn", { value: this.alarms.topic.topicArn });
    new CfnOutput(this, "UploadRuleName", { value: this.trigger.rule.ruleName });
    new CfnOutput(this, "DashboardName", { value: this.stackName });
    new CfnOutput(this, "GlueDatabase", { value: this.catalog.database.ref });
    new CfnOutput(this, "AthenaWorkGroup", { value: this.catalog.workGroup.ref });
  }
}
