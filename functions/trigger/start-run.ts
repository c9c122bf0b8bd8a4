/**
 * Starting one object's run, idempotently: the trigger and the backfill CLI both come here, so
 * a run is started the same way whoever asks.
 */
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { executionArnOf } from "./execution-name";

/** The state machine's input for one object (optional run overrides may be added). */
export interface RunInput {
  readonly bucket: string;
  readonly key: string;
  readonly [override: string]: unknown;
}

export interface RunRequest {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: RunInput;
}

export interface StartRunOutcome {
  /**
   * `started`: StartExecution succeeded (Step Functions also answers so, with the original ARN,
   * when the same name and input are still running); `exists`: an execution with this name has
   * already run (or runs with another input), so this object version needs no new run.
   */
  readonly status: "started" | "exists";
  readonly executionArn: string;
  readonly name: string;
}

export async function startRun(sfn: SFNClient, request: RunRequest): Promise<StartRunOutcome> {
  const { stateMachineArn, name, input } = request;
  try {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
    );
    return {
      status: "started",
      executionArn: started.executionArn ?? executionArnOf(stateMachineArn, name),
      name,
    };
  } catch (e) {
    if (e instanceof ExecutionAlreadyExists || (e as { name?: unknown }).name === "ExecutionAlreadyExists") {
      return { status: "exists", executionArn: executionArnOf(stateMachineArn, name), name };
    }
    throw e;
  }
}
