/**
 * Step Functions ARNs taken apart and put together: a state machine's
 * `arn:<partition>:states:<region>:<account>:stateMachine:<machine>` and an execution's
 * `…:execution:<machine>:<name>`. Pure.
 */

export interface StatesArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly resourceType: "stateMachine" | "execution";
  /** The state machine's name (a Map Run's child executions add `/<label>`). */
  readonly machine: string;
  /** The execution's name; undefined in a state machine's ARN. */
  readonly execution: string | undefined;
}

/** The shape messages show when an ARN is not a state machine's. */
export const STATE_MACHINE_ARN_SHAPE = "arn:aws:states:<region>:<account>:stateMachine:<name>";

const STATES_ARN =
  /^arn:([a-z-]+):states:([a-z0-9-]+):(\d{12}):(?:stateMachine:([^:]+)|execution:([^:]+):([^:]+))$/;

/** The parts of a state machine's or an execution's ARN; undefined for anything else. */
export function parseStatesArn(arn: string): StatesArn | undefined {
  const match = STATES_ARN.exec(arn);
  if (match === null) return undefined;
  const [, partition, region, account, machineOfMachine, machineOfExecution, execution] = match;
  return {
    partition: partition!,
    region: region!,
    account: account!,
    resourceType: execution === undefined ? "stateMachine" : "execution",
    machine: (machineOfMachine ?? machineOfExecution)!,
    execution,
  };
}

/** Whether `arn` names a state machine (not an execution, not another service's resource). */
export function isStateMachineArn(arn: string): boolean {
  return parseStatesArn(arn)?.resourceType === "stateMachine";
}

/** The ARN Step Functions gives the execution of `machine`'s state machine named `name`. */
export function formatExecutionArn(machine: StatesArn, name: string): string {
  return `arn:${machine.partition}:states:${machine.region}:${machine.account}:execution:${machine.machine}:${name}`;
}
