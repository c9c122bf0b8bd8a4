/**
 * The defaults every pipeline Lambda shares: Node.js 24 on Graviton, bundled by the local
 * esbuild (never Docker), its own role with no managed policies, its own log group with a
 * retention, X-Ray tracing, JSON logs.
 */
import { fileURLToPath } from "node:url";
import { Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRICS_NAMESPACE_ENV } from "../../functions/observability";
import { DEFAULT_DEPLOY_CONFIG, type DeployConfig } from "../config";

const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

const ARCHITECTURES: Readonly<Record<DeployConfig["architecture"], lambda.Architecture>> = {
  arm64: lambda.Architecture.ARM_64,
  x86_64: lambda.Architecture.X86_64,
};

export interface EtlFunctionProps {
  /** The handler module, relative to the project root, e.g. "functions/plan/handler.ts". */
  readonly entry: string;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** @default - DEFAULT_DEPLOY_CONFIG.architecture */
  readonly architecture?: DeployConfig["architecture"];
  /** @default - DEFAULT_DEPLOY_CONFIG.logRetentionDays */
  readonly logRetentionDays?: number;
  /** @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** The CloudWatch namespace of the function's metrics. @default - the stack's name */
  readonly metricsNamespace?: string;
  /** Where failed asynchronous invocations go after Lambda's retries. @default - dropped */
  readonly deadLetterQueue?: sqs.IQueue;
}

export class EtlFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EtlFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: (props.logRetentionDays ?? DEFAULT_DEPLOY_CONFIG.logRetentionDays) as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of the default one: AWSLambdaBasicExecutionRole would let the function
    // create log groups and write to any of them; this one writes to its own log group only.
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `${props.description} (Lambda execution role)`,
    });
    this.logGroup.grantWrite(this.role);
    this.function = new nodejs.NodejsFunction(this, "Function", {
      entry: `${PROJECT_ROOT}${props.entry}`,
      handler: "handler",
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: ARCHITECTURES[props.architecture ?? DEFAULT_DEPLOY_CONFIG.architecture],
      memorySize: props.memoryMb,
      timeout: Duration.seconds(props.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: lambda.Tracing.ACTIVE,
      deadLetterQueue: props.deadLetterQueue,
      // No --enable-source-maps: measured on the map bundle it adds ~90 ms to every cold start
      // (141 -> 230 ms to load) and makes each error's stack ~9x slower to format; keepNames
      // leaves the error and function names readable without it.
      environment: {
        ...props.environment,
        [METRICS_NAMESPACE_ENV]: props.metricsNamespace ?? Stack.of(this).stackName,
      },
      bundling: {
        forceDockerBundling: false,
        format: nodejs.OutputFormat.CJS,
        target: "node24",
        // The SDK is bundled, not taken from the runtime: the version the tests ran is the one deployed.
        bundleAwsSDK: true,
        externalModules: [],
        minify: true,
        // Error class names (ConfigError, InputRejectedError…) are what Step Functions shows as the error.
        keepNames: true,
        tsconfig: `${PROJECT_ROOT}infra/tsconfig.bundle.json`,
      },
    });
    Validations.of(this.role).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions",
    });
  }
}
