/**
 * The CDK app: context -> DeployConfig -> PipelineStack, checked by cdk-nag's AwsSolutions pack
 * during synthesis. infra/app.ts runs it for the CDK CLI; tests call it with their own context.
 */
import { Annotations, App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { type DeployConfig, readDeployConfig, unknownContextKeys } from "./config";
import { PipelineStack } from "./pipeline-stack";

export interface PipelineAppOptions {
  /** Context (feature flags and settings); the CDK CLI passes cdk.json's itself. @default - none */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Where the cloud assembly is written. @default - the CLI's cdk.out, or a temporary directory */
  readonly outdir?: string;
}

export interface PipelineApp {
  readonly app: App;
  readonly stack: PipelineStack;
  readonly config: DeployConfig;
}

export function createPipelineApp(options: PipelineAppOptions = {}): PipelineApp {
  const app = new App({ context: { ...options.context }, outdir: options.outdir });
  const config = readDeployConfig((key) => app.node.tryGetContext(key));
  const stack = new PipelineStack(app, config.stackName, {
    description: "EDGAR log ETL: S3 byte ranges -> Step Functions Distributed Map -> Parquet",
    config,
  });
  for (const key of unknownContextKeys(Object.keys(app.node.getAllContext()))) {
    Annotations.of(stack).addWarningV2(
      "edgar-etl:unknownContext",
      `context "${key}" is not a setting of this app and is ignored; is it misspelt? See the Deploy section of README.md`,
    );
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config };
}
