/**
 * One execution of the synthesized state machine on the local interpreter for one source object
 * in the pipeline's input bucket: the `{bucket, key}` input an upload event or a backfill starts.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import {
  type LambdaInvoker,
  type LocalExecutionResult,
  runLocalExecution,
} from "../../local/aws/local-step-functions";
import type { AslDefinition, SynthesizedPipeline } from "../../local/aws/synthesized-pipeline";

export interface SourceExecution {
  /** The execution's name, which is also its run id. */
  readonly name: string;
  /** The source object's key in the input bucket. */
  readonly key: string;
  readonly invoke: LambdaInvoker;
  readonly s3: S3Client;
  /** The state machine to run; the synthesized one when not given. */
  readonly definition?: AslDefinition;
}

export function executeOnSource(
  pipeline: SynthesizedPipeline,
  execution: SourceExecution,
): Promise<LocalExecutionResult> {
  return runLocalExecution({
    definition: execution.definition ?? pipeline.definition,
    stateMachineArn: pipeline.stateMachineArn,
    name: execution.name,
    input: { bucket: pipeline.buckets.input, key: execution.key },
    invoke: execution.invoke,
    s3: execution.s3,
  });
}
