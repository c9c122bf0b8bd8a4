/** Step Functions as the trigger stage's `StartRun` port: StartExecution, a duplicate name being no error. */
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { executionArnOf } from "../stages/execution-name";
import type { StartRun } from "../stages/trigger-stage";

export function sfnRunStarter(sfn: SFNClient): StartRun {
  return async ({ stateMachineArn, name, input }) => {
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
      if (
        e instanceof ExecutionAlreadyExists ||
        (e as { name?: unknown }).name === "ExecutionAlreadyExists"
      ) {
        return { status: "exists", executionArn: executionArnOf(stateMachineArn, name), name };
      }
      throw e;
    }
  };
}
