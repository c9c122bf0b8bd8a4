/**
 * The synthesized stack, asserted at the level of intent: what each bucket protects, what each
 * function may do, how uploads reach the state machine, what is alarmed, and cdk-nag clean.
 * Synthesized once with cdk.json's context (as `cdk synth` does), once with every setting changed.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type App, Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import type { CfnBucket } from "aws-cdk-lib/aws-s3";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import cdkJson from "../../cdk.json";
import { DEFAULT_RUN_OPTIONS } from "../../functions/contracts";
import { REDUCE_MALLOC_TUNABLES } from "../../infra/lambda-environment";
import { createPipelineApp } from "../../infra/pipeline-app";
import type { PipelineStack } from "../../infra/pipeline-stack";

function synthesize(context: Record<string, unknown> = {}) {
  const outdir = mkdtempSync(join(tmpdir(), "edgar-etl-cdk-"));
  // Bundling skipped: the template is the same, and test/infra/bundles.test.ts runs the bundles.
  const { app, stack } = createPipelineApp({
    context: { ...cdkJson.context, "aws:cdk:bundling-stacks": [], ...context },
    outdir,
  });
  const assembly = app.synth();
  return { app, stack, template: Template.fromJSON(assembly.getStackByName(stack.stackName).template) };
}

const logicalId = (construct: IConstruct) =>
  Stack.of(construct).resolve(Stack.of(construct).getLogicalId(construct as never)) as string;
const objectsArn = (bucketId: string, pattern: string) => ({
  "Fn::Join": ["", [{ "Fn::GetAtt": [bucketId, "Arn"] }, `/${pattern}`]],
});

/** The statements of the policies attached to a role, in a canonical order (CDK merges and sorts them). */
function statementsOf(template: Template, roleId: string): Record<string, unknown>[] {
  const policies = template.findResources("AWS::IAM::Policy", { Properties: { Roles: [{ Ref: roleId }] } });
  return canonical(Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement));
}

/** The logical id of the role of the function whose description matches. */
function roleOfFunction(template: Template, description: RegExp): string {
  const fn = Object.values(template.findResources("AWS::Lambda::Function")).find((f) =>
    description.test(f.Properties.Description),
  );
  return fn!.Properties.Role["Fn::GetAtt"][0] as string;
}

function canonical(statements: Record<string, unknown>[]): Record<string, unknown>[] {
  const sorted = (v: unknown) =>
    Array.isArray(v) ? [...v].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) : v;
  const keyOrdered = (s: Record<string, unknown>) =>
    JSON.stringify(Object.entries(s).sort(([a], [b]) => (a < b ? -1 : 1)));
  return statements
    .map((s) => ({ ...s, Action: sorted(s.Action), Resource: sorted(s.Resource) }))
    .sort((a, b) => keyOrdered(a).localeCompare(keyOrdered(b)));
}

describe("PipelineStack with cdk.json's context", () => {
  let app: App;
  let stack: PipelineStack;
  let template: Template;
  let ids: { input: string; output: string; work: string; logs: string; stateMachine: string };
  const roleOf = (fnDescription: RegExp) => roleOfFunction(template, fnDescription);

  beforeAll(() => {
    ({ app, stack, template } = synthesize());
    const bucketId = (b: { node: { defaultChild?: IConstruct } }) =>
      logicalId(b.node.defaultChild as CfnBucket);
    ids = {
      input: bucketId(stack.buckets.input),
      output: bucketId(stack.buckets.output),
      work: bucketId(stack.buckets.work),
      logs: bucketId(stack.buckets.accessLogs),
      stateMachine: logicalId(stack.pipeline.stateMachine.node.defaultChild!),
    };
  });

  describe("buckets", () => {
    it("all block public access, encrypt, log access and refuse plain HTTP", () => {
      template.resourceCountIs("AWS::S3::Bucket", 4);
      template.allResourcesProperties("AWS::S3::Bucket", {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
        },
      });
      for (const id of [ids.input, ids.output, ids.work]) {
        template.hasResourceProperties(
          "AWS::S3::Bucket",
          Match.objectLike({
            LoggingConfiguration: {
              DestinationBucketName: { Ref: ids.logs },
              LogFilePrefix: Match.anyValue(),
            },
          }),
        );
        template.hasResourceProperties("AWS::S3::BucketPolicy", {
          Bucket: { Ref: id },
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: "Deny",
                Action: "s3:*",
                Condition: { Bool: { "aws:SecureTransport": "false" } },
              }),
            ]),
          },
        });
      }
    });

    it("input: versioned, sends EventBridge notifications natively (no custom resource)", () => {
      expect(template.toJSON().Resources[ids.input].Properties).toMatchObject({
        VersioningConfiguration: { Status: "Enabled" },
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      });
      template.resourceCountIs("Custom::S3BucketNotifications", 0);
    });

    it("output: versioned, replaced versions expire", () => {
      expect(template.toJSON().Resources[ids.output].Properties).toMatchObject({
        VersioningConfiguration: { Status: "Enabled" },
        LifecycleConfiguration: {
          Rules: expect.arrayContaining([
            expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
          ]),
        },
      });
    });

    it("work: unversioned, runs/ expires after 14 days (the redrive window), query results after 30", () => {
      const work = template.toJSON().Resources[ids.work].Properties;
      expect(work.VersioningConfiguration).toBeUndefined();
      expect(work.LifecycleConfiguration.Rules).toContainEqual({
        Id: "ExpireRuns",
        Prefix: "runs/",
        ExpirationInDays: 14,
        Status: "Enabled",
      });
      expect(work.LifecycleConfiguration.Rules).toContainEqual({
        Id: "ExpireQueryResults",
        Prefix: "athena-results/",
        ExpirationInDays: 30,
        Status: "Enabled",
      });
    });

    it.each([
      ["input", "ExpireOldVersions"],
      ["output", "ExpireReplacedOutputs"],
    ] as const)("%s: a delete marker left alone once its versions expired is removed", (bucket, rule) => {
      template.hasResource("AWS::S3::Bucket", {
        Properties: Match.objectLike({
          LifecycleConfiguration: {
            Rules: Match.arrayWith([
              Match.objectLike({
                Id: rule,
                NoncurrentVersionExpiration: { NoncurrentDays: 30 },
                ExpiredObjectDeleteMarker: true,
              }),
            ]),
          },
        }),
      });
      expect(JSON.stringify(template.toJSON().Resources[ids[bucket]].Properties)).toContain(
        '"ExpiredObjectDeleteMarker":true',
      );
    });

    it("are retained when the stack is deleted", () => {
      template.allResources("AWS::S3::Bucket", { DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
    });
  });

  describe("functions", () => {
    it("run Node.js 24 on arm64 with tracing, JSON logs to their own log group, and own roles", () => {
      template.resourceCountIs("AWS::Lambda::Function", 5);
      template.allResourcesProperties("AWS::Lambda::Function", {
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        TracingConfig: { Mode: "Active" },
        LoggingConfig: Match.objectLike({ LogFormat: "JSON", LogGroup: { Ref: Match.anyValue() } }),
      });
      template.allResourcesProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
      template.allResourcesProperties("AWS::IAM::Role", { ManagedPolicyArns: Match.absent() });
    });

    it.each([
      [/^Parses one byte range/, 1769, 300],
      [/^Inflates/, 1769, 900],
      [/header/, 512, 60],
      [/Merges/, 3008, 900],
      [/Starts one pipeline execution/, 256, 30],
    ])("%s: %i MB, %i s", (description, memory, timeout) => {
      template.hasResourceProperties("AWS::Lambda::Function", {
        Description: Match.stringLikeRegexp(description.source),
        MemorySize: memory,
        Timeout: timeout,
      });
    });

    it("inflate, plan, map and reduce get their environment from the typed config", () => {
      template.resourcePropertiesCountIs(
        "AWS::Lambda::Function",
        {
          Environment: {
            Variables: {
              WORK_BUCKET: { Ref: ids.work },
              OUTPUT_BUCKET: { Ref: ids.output },
              OUTPUT_PREFIX: "",
              DEFAULT_RANGE_BYTES: String(64 * 1024 * 1024),
              MAX_RECORD_BYTES: String(1024 * 1024),
              DEFAULT_MODE: "permissive",
              MAX_INFLATED_BYTES: String(16 * 1024 ** 3),
              IP_TABLE_SLOTS: String(2 ** 19),
              DEFAULT_CHECKS: JSON.stringify(DEFAULT_RUN_OPTIONS.checks),
              POWERTOOLS_METRICS_NAMESPACE: "EdgarEtl",
              // Source maps cost every cold start and every error; keepNames is enough.
              NODE_OPTIONS: Match.absent(),
            },
          },
        },
        4,
      );
    });
  });

  it("only the reduce function sets glibc's malloc tunables, read when its process starts", () => {
    const tunables = Object.values(template.findResources("AWS::Lambda::Function"))
      .map((f) => [f.Properties.Description, f.Properties.Environment?.Variables?.GLIBC_TUNABLES] as const)
      .filter(([, t]) => t !== undefined);
    expect(tunables).toEqual([[expect.stringMatching(/^Merges the partials/), REDUCE_MALLOC_TUNABLES]]);
  });

  describe("least privilege", () => {
    it("no statement allows a wildcard action", () => {
      const actions = Object.values(template.findResources("AWS::IAM::Policy")).flatMap((p) =>
        p.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) =>
          [s.Action].flat(),
        ),
      );
      expect(actions.filter((a) => a.includes("*"))).toEqual([]);
    });

    it("inflate reads input under incoming/ and writes only staged CSVs, aborting a failed upload", () => {
      const s3 = statementsOf(template, roleOf(/^Inflates/)).filter((s) =>
        String(s.Action).startsWith("s3:"),
      );
      expect(s3).toEqual(
        canonical([
          { Effect: "Allow", Action: "s3:GetObject", Resource: objectsArn(ids.input, "incoming/*") },
          {
            Effect: "Allow",
            Action: ["s3:AbortMultipartUpload", "s3:PutObject"],
            Resource: objectsArn(ids.work, "runs/*/staged.csv"),
          },
        ]),
      );
    });

    it("plan reads input under incoming/ and staged CSVs, and writes only plans and tasks", () => {
      const s3 = statementsOf(template, roleOf(/header/)).filter((s) => String(s.Action).startsWith("s3:"));
      expect(s3).toEqual(
        canonical([
          {
            Effect: "Allow",
            Action: "s3:GetObject",
            Resource: [objectsArn(ids.input, "incoming/*"), objectsArn(ids.work, "runs/*/staged.csv")],
          },
          {
            Effect: "Allow",
            Action: "s3:PutObject",
            Resource: [objectsArn(ids.work, "runs/*/plan.json"), objectsArn(ids.work, "runs/*/tasks.json")],
          },
        ]),
      );
    });

    it("map reads input, staged CSVs and the plan, writes only partials", () => {
      const s3 = statementsOf(template, roleOf(/^Parses one byte range/)).filter((s) =>
        String(s.Action).startsWith("s3:"),
      );
      expect(s3).toEqual(
        canonical([
          {
            Effect: "Allow",
            Action: "s3:GetObject",
            Resource: [
              objectsArn(ids.input, "incoming/*"),
              objectsArn(ids.work, "runs/*/staged.csv"),
              objectsArn(ids.work, "runs/*/plan.json"),
            ],
          },
          { Effect: "Allow", Action: "s3:PutObject", Resource: objectsArn(ids.work, "runs/*/partials/*") },
        ]),
      );
    });

    it("reduce reads plan, partials and the range Map's results, lists, writes and deletes only output", () => {
      const s3 = statementsOf(template, roleOf(/Merges/)).filter((s) => String(s.Action).startsWith("s3:"));
      expect(s3).toEqual(
        canonical([
          {
            Effect: "Allow",
            Action: "s3:GetObject",
            Resource: [
              objectsArn(ids.work, "runs/*/plan.json"),
              objectsArn(ids.work, "runs/*/partials/*"),
              objectsArn(ids.work, "runs/*/map-run/*"),
            ],
          },
          {
            Effect: "Allow",
            Action: "s3:ListBucket",
            Resource: { "Fn::GetAtt": [ids.work, "Arn"] },
            Condition: { StringLike: { "s3:prefix": ["runs/*/map-run/*"] } },
          },
          { Effect: "Allow", Action: "s3:ListBucket", Resource: { "Fn::GetAtt": [ids.output, "Arn"] } },
          {
            Effect: "Allow",
            Action: ["s3:DeleteObject", "s3:PutObject"],
            Resource: objectsArn(ids.output, "*"),
          },
        ]),
      );
    });

    it("the trigger starts executions of the state machine and lists under the input prefix", () => {
      const statements = statementsOf(template, roleOf(/Starts one pipeline execution/));
      expect(statements).toEqual(
        expect.arrayContaining([
          { Effect: "Allow", Action: "states:StartExecution", Resource: { Ref: ids.stateMachine } },
          {
            Effect: "Allow",
            Action: "s3:ListBucket",
            Resource: { "Fn::GetAtt": [ids.input, "Arn"] },
            Condition: { StringLike: { "s3:prefix": ["incoming/*"] } },
          },
        ]),
      );
      expect(statements.filter((s) => String(s.Action).startsWith("s3:Get"))).toEqual([]);
    });

    it("the state machine reads only tasks.json, lists only under the input prefix, writes Map results only under runs/", () => {
      const roleId = template.toJSON().Resources[ids.stateMachine].Properties.RoleArn["Fn::GetAtt"][0];
      const s3 = statementsOf(template, roleId).filter((s) => String(s.Action).startsWith("s3:"));
      expect(s3).toEqual(
        canonical([
          { Effect: "Allow", Action: "s3:GetObject", Resource: objectsArn(ids.work, "runs/*/tasks.json") },
          {
            Effect: "Allow",
            Action: "s3:ListBucket",
            Resource: { "Fn::GetAtt": [ids.input, "Arn"] },
            Condition: { StringLike: { "s3:prefix": ["incoming/*"] } },
          },
          {
            Effect: "Allow",
            Action: [
              "s3:AbortMultipartUpload",
              "s3:GetObject",
              "s3:ListMultipartUploadParts",
              "s3:PutObject",
            ],
            Resource: [objectsArn(ids.work, "runs/*/map-run/*"), objectsArn(ids.work, "runs/backfills/*")],
          },
        ]),
      );
    });

    it("a prefix run describes and stops only this state machine's executions (`<name>:*`)", () => {
      const roleId = template.toJSON().Resources[ids.stateMachine].Properties.RoleArn["Fn::GetAtt"][0];
      const executionGrants = statementsOf(template, roleId)
        .filter((s) => JSON.stringify(s.Action).includes("states:DescribeExecution"))
        .map((s) => JSON.stringify(s.Resource));
      expect(executionGrants.some((r) => r.includes(":execution:EdgarEtl-pipeline:*"))).toBe(true);
      expect(executionGrants.filter((r) => /:execution:EdgarEtl-pipeline\*/.test(r))).toEqual([]);
    });
  });

  it("uploads reach the trigger through an EventBridge rule filtered by bucket, prefix and suffix", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: {
        source: ["aws.s3"],
        "detail-type": ["Object Created"],
        detail: {
          bucket: { name: [{ Ref: ids.input }] },
          object: {
            key: [
              { wildcard: "incoming/*.csv" },
              { wildcard: "incoming/*.gz" },
              { wildcard: "incoming/*.zip" },
            ],
          },
        },
      },
      Targets: [Match.objectLike({ DeadLetterConfig: { Arn: Match.anyValue() } })],
    });
  });

  it("the state machine logs ALL events with execution data and traces with X-Ray", () => {
    template.hasResourceProperties("AWS::StepFunctions::StateMachine", {
      StateMachineName: "EdgarEtl-pipeline",
      StateMachineType: "STANDARD",
      LoggingConfiguration: Match.objectLike({ Level: "ALL", IncludeExecutionData: true }),
      TracingConfiguration: { Enabled: true },
    });
    template.hasResourceProperties("AWS::Logs::LogGroup", {
      LogGroupName: "/aws/vendedlogs/states/EdgarEtl-pipeline",
    });
  });

  it("alarms on failed and timed-out executions, Lambda errors and throttles, and dead letters", () => {
    template.resourceCountIs("AWS::CloudWatch::Alarm", 13);
    const topic = logicalId(stack.alarms.topic.node.defaultChild!);
    template.allResourcesProperties("AWS::CloudWatch::Alarm", {
      AlarmActions: [{ Ref: topic }],
      Threshold: 1,
    });
    for (const metric of ["ExecutionsFailed", "ExecutionsTimedOut"]) {
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        Namespace: "AWS/States",
        MetricName: metric,
        Dimensions: [{ Name: "StateMachineArn", Value: { Ref: ids.stateMachine } }],
      });
    }
    template.resourcePropertiesCountIs(
      "AWS::CloudWatch::Alarm",
      { Namespace: "AWS/Lambda", MetricName: "Errors" },
      5,
    );
    template.resourcePropertiesCountIs(
      "AWS::CloudWatch::Alarm",
      { Namespace: "AWS/Lambda", MetricName: "Throttles" },
      5,
    );
    template.resourceCountIs("AWS::SNS::Subscription", 0);
  });

  it("lets CloudWatch alarms of this account publish to the topic, next to the TLS-only Deny", () => {
    const topic = logicalId(stack.alarms.topic.node.defaultChild!);
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      Topics: [{ Ref: topic }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          Match.objectLike({
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Resource: { Ref: topic },
            Condition: {
              ArnLike: {
                "aws:SourceArn": {
                  "Fn::Join": ["", Match.arrayWith([Match.stringLikeRegexp(":cloudwatch:"), ":alarm:*"])],
                },
              },
              StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } },
            },
          }),
        ]),
      },
    });
  });

  it("has a dashboard of executions, range seconds, Lambda errors, throttles and concurrency, rows and checks", () => {
    template.resourceCountIs("AWS::CloudWatch::Dashboard", 1);
    template.hasResourceProperties("AWS::CloudWatch::Dashboard", { DashboardName: "EdgarEtl" });
    const body = JSON.stringify(
      Object.values(template.findResources("AWS::CloudWatch::Dashboard"))[0]!.Properties.DashboardBody,
    );
    for (const metric of [
      "ExecutionsStarted",
      "ExecutionsSucceeded",
      "ExecutionsFailed",
      "Errors",
      "Throttles",
      "ConcurrentExecutions",
    ]) {
      expect(body).toContain(`\\"${metric}\\"`);
    }
    // The handlers' own metrics, by their namespace and only dimension (the stage).
    for (const [metric, stage] of [
      ["RangeSeconds", "map"],
      ["ReduceSeconds", "reduce"],
      ["RowsRead", "reduce"],
      ["RowsCorrupt", "reduce"],
      ["ChecksFailed", "reduce"],
    ]) {
      expect(body).toContain(`[\\"EdgarEtl\\",\\"${metric}\\",\\"service\\",\\"${stage}\\"`);
    }
  });

  it("catalogs each output as a Parquet table partitioned by source, projected so new runs need no crawler", () => {
    template.hasResourceProperties("AWS::Glue::Database", { DatabaseInput: { Name: "edgaretl" } });
    template.resourceCountIs("AWS::Glue::Table", 4);
    template.hasResourceProperties("AWS::Glue::Table", {
      DatabaseName: "edgaretl",
      TableInput: Match.objectLike({
        Name: "top_ips",
        TableType: "EXTERNAL_TABLE",
        PartitionKeys: [{ Name: "source", Type: "string" }],
        Parameters: Match.objectLike({
          classification: "parquet",
          "projection.enabled": "true",
          "projection.source.type": "injected",
          "storage.location.template": {
            // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's projection placeholder, literally
            "Fn::Join": ["", ["s3://", { Ref: ids.output }, "/top_ips/source=${source}/"]],
          },
        }),
        StorageDescriptor: Match.objectLike({
          Location: { "Fn::Join": ["", ["s3://", { Ref: ids.output }, "/top_ips/"]] },
          SerdeInfo: {
            SerializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
          },
        }),
      }),
    });
    template.hasResourceProperties("AWS::Athena::WorkGroup", {
      Name: "EdgarEtl",
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: {
          OutputLocation: { "Fn::Join": ["", ["s3://", { Ref: ids.work }, "/athena-results/"]] },
          EncryptionConfiguration: { EncryptionOption: "SSE_S3" },
        },
      }),
    });
  });

  it("has no unacknowledged cdk-nag AwsSolutions finding, and every acknowledgement has a reason", () => {
    const report = new AwsSolutionsChecks().validateScope(app);

    expect(
      report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath)}`),
    ).toEqual([]);
    const reasons = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.values(m.data as Record<string, string>));
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) expect(reason.length).toBeGreaterThan(20);
  });
});

describe("PipelineStack with every setting from context", () => {
  let template: Template;
  let stack: PipelineStack;

  beforeAll(() => {
    ({ template, stack } = synthesize({
      stackName: "EdgarEtlProd",
      inputBucketName: "edgar-raw-logs",
      inputBucketKmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      inputPrefix: "logs/edgar/",
      outputBucketName: "edgar-tables",
      outputPrefix: "edgar/",
      architecture: "x86_64",
      mapMemoryMb: "3538",
      logRetentionDays: "90",
      alarmEmail: "ops@example.com",
      rangeBytes: String(128 * 1024 * 1024),
    }));
  });

  it("imports the input and output buckets instead of creating them", () => {
    expect(stack.stackName).toBe("EdgarEtlProd");
    template.resourceCountIs("AWS::S3::Bucket", 2);
  });

  it("grants decrypt with the input bucket's key to inflate, plan and map only, and reads only under the prefix", () => {
    const keyArn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const decrypting = Object.values(template.findResources("AWS::IAM::Policy"))
      .filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('"kms:Decrypt"'))
      .map((p) => p.Properties.Roles[0].Ref)
      .sort();
    expect(decrypting).toEqual(
      [
        roleOfFunction(template, /^Inflates/),
        roleOfFunction(template, /^Validates/),
        roleOfFunction(template, /^Parses one byte range/),
      ].sort(),
    );
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([{ Effect: "Allow", Action: "kms:Decrypt", Resource: keyArn }]),
      },
    });
    expect(JSON.stringify(template.findResources("AWS::IAM::Policy"))).toContain(
      ":s3:::edgar-raw-logs/logs/edgar/*",
    );
  });

  it("writes under the output prefix, filters uploads under the input prefix", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          OUTPUT_BUCKET: "edgar-tables",
          OUTPUT_PREFIX: "edgar/",
          DEFAULT_RANGE_BYTES: "134217728",
        }),
      },
    });
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: Match.objectLike({
        detail: {
          bucket: { name: ["edgar-raw-logs"] },
          object: { key: Match.arrayWith([{ wildcard: "logs/edgar/*.csv" }]) },
        },
      }),
    });
  });

  it("sizes, architecture, retention and the alarm email come from context", () => {
    template.allResourcesProperties("AWS::Lambda::Function", { Architectures: ["x86_64"] });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^Parses one byte range"),
      MemorySize: 3538,
    });
    template.allResourcesProperties("AWS::Logs::LogGroup", { RetentionInDays: 90 });
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "ops@example.com",
    });
    template.hasResourceProperties("AWS::StepFunctions::StateMachine", {
      StateMachineName: "EdgarEtlProd-pipeline",
    });
  });
});
