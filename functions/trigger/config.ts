/** The trigger Lambda's configuration, read from the environment once per container. */
import { ConfigError } from "../core/errors";

/** The environment variables the trigger reads; infra sets them from the same names. */
export const TRIGGER_ENV = { stateMachineArn: "STATE_MACHINE_ARN" } as const;

export interface TriggerConfig {
  /** The pipeline's state machine: one execution per object version. */
  readonly stateMachineArn: string;
}

export function readTriggerConfig(env: NodeJS.ProcessEnv = process.env): TriggerConfig {
  const stateMachineArn = env[TRIGGER_ENV.stateMachineArn];
  if (
    stateMachineArn === undefined ||
    !/^arn:[^:]+:states:[^:]*:[^:]*:stateMachine:[^:]+$/.test(stateMachineArn)
  ) {
    throw new ConfigError(
      `environment variable ${TRIGGER_ENV.stateMachineArn} must be a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>), got ${JSON.stringify(stateMachineArn)}`,
    );
  }
  return { stateMachineArn };
}
