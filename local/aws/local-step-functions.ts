/**
 * Runs the synthesized state machine on aws-local-stepfunctions, with its AWS integrations
 * answered locally: `lambda:invoke` calls a local handler, an S3 ItemReader reads the local S3
 * server, `startExecution.sync:2` runs a child execution of the same definition.
 *
 * aws-local-stepfunctions lacks two things the definition uses, so two mechanical rewrites
 * stand in for them (see adaptForLocalInterpreter); nothing else in the definition changes:
 * - Map states run inline and have no ItemReader: each Distributed Map's ItemReader becomes an
 *   explicit Task just before the Map (same Parameters, Retry and Catch) whose result the Map
 *   iterates with ItemsPath: the same items, read by the same API call (cleared after the Map);
 *   its failures are States.ItemReaderFailed, as the Map's reader reports them on AWS.
 * - A Fail state's ErrorPath/CausePath is a plain path there, not an intrinsic function: a Pass
 *   state just before the Fail evaluates the intrinsic into the input, and the Fail reads it.
 */
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { listAllObjects } from "../../functions/adapters/s3-listing";
import { executionArnOf } from "../../functions/stages/execution-name";
import type { AslDefinition } from "./synthesized-pipeline";

/** Calls a Lambda by ARN with a payload; resolves with its result or rejects with its error. */
export type LambdaInvoker = (functionArn: string, payload: unknown) => Promise<unknown>;

const READ_RESULT_ROOT = "__itemReader";
/**
 * A Task without TimeoutSeconds: Step Functions waits 99,999,999 s, the interpreter only 60 s;
 * the longest a Node timer holds (2^31 - 1 ms, 24.8 days) stands in for AWS's.
 */
const UNBOUNDED_TASK_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

type State = Record<string, unknown>;

function retarget(states: Record<string, State>, from: string, to: string): void {
  for (const state of Object.values(states)) {
    if (state.Next === from) state.Next = to;
    if (state.Default === from) state.Default = to;
    for (const c of (state.Choices as State[] | undefined) ?? []) if (c.Next === from) c.Next = to;
    for (const c of (state.Catch as State[] | undefined) ?? []) if (c.Next === from) c.Next = to;
  }
}

const INTRINSIC_RESULT_ROOT = "__failPaths";

/** Puts a new state `before` just ahead of `name`: every transition to `name` now goes to it. */
function insertBefore(
  machine: { StartAt: string; States: Record<string, State> },
  name: string,
  beforeName: string,
  before: State,
): void {
  retarget(machine.States, name, beforeName);
  if (machine.StartAt === name) machine.StartAt = beforeName;
  machine.States[beforeName] = { ...before, Next: name };
}

/** The definition rewritten for aws-local-stepfunctions (recursively, into item processors). */
export function adaptForLocalInterpreter(definition: AslDefinition): AslDefinition {
  const copy = structuredClone(definition) as { StartAt: string; States: Record<string, State> };
  for (const [name, state] of Object.entries({ ...copy.States })) {
    const processor = state.ItemProcessor as AslDefinition | undefined;
    if (processor !== undefined) state.ItemProcessor = adaptForLocalInterpreter(processor);
    if (state.Type === "Fail") {
      const intrinsics = (["ErrorPath", "CausePath"] as const).filter((f) =>
        String(state[f] ?? "").startsWith("States."),
      );
      if (intrinsics.length === 0) continue;
      const root = `${INTRINSIC_RESULT_ROOT}_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
      insertBefore(copy, name, `${name} (evaluate paths)`, {
        Type: "Pass",
        Parameters: Object.fromEntries(intrinsics.map((f) => [`${f}.$`, state[f]])),
        ResultPath: `$.${root}`,
      });
      for (const f of intrinsics) state[f] = `$.${root}.${f}`;
      continue;
    }
    if (
      state.Type === "Task" &&
      state.TimeoutSeconds === undefined &&
      state.TimeoutSecondsPath === undefined
    ) {
      state.TimeoutSeconds = UNBOUNDED_TASK_TIMEOUT_SECONDS;
    }
    const reader = state.ItemReader as State | undefined;
    if (state.Type !== "Map" || reader === undefined) continue;
    const resultPath = `$.${READ_RESULT_ROOT}.${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
    insertBefore(copy, name, `${name} (ItemReader)`, {
      Type: "Task",
      Comment: `${name}'s ItemReader, run as a Task by the local runner`,
      Resource: reader.Resource,
      Parameters: { ...(reader.Parameters as State), ReaderConfig: reader.ReaderConfig ?? {} },
      ResultPath: resultPath,
      TimeoutSeconds: UNBOUNDED_TASK_TIMEOUT_SECONDS,
      ...(state.Retry === undefined ? {} : { Retry: state.Retry }),
      ...(state.Catch === undefined ? {} : { Catch: state.Catch }),
    });
    delete state.ItemReader;
    state.ItemsPath = resultPath;
    // The items are not state data on AWS: clear them once the Map is done.
    const clearName = `${name} (clear items)`;
    copy.States[clearName] = {
      Type: "Pass",
      Result: null,
      ResultPath: resultPath,
      ...(state.End === true ? { End: true } : { Next: state.Next }),
    };
    delete state.End;
    state.Next = clearName;
  }
  return copy as unknown as AslDefinition;
}

export interface LocalExecutionInput {
  readonly definition: AslDefinition;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: unknown;
  readonly invoke: LambdaInvoker;
  readonly s3: S3Client;
}

export type LocalExecutionResult =
  | { readonly status: "SUCCEEDED"; readonly output: unknown }
  | { readonly status: "FAILED"; readonly error: string; readonly cause: string };

/** aws-local-stepfunctions 3 uses Promise.withResolvers, which Node 20 lacks. */
function ensurePromiseWithResolvers(): void {
  const P = Promise as unknown as { withResolvers?: unknown };
  if (P.withResolvers !== undefined) return;
  P.withResolvers = <T>() => {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

/** Task states by name, through every nested ItemProcessor. */
function taskStates(definition: AslDefinition, into: Record<string, State> = {}): Record<string, State> {
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === "Task") into[name] = state;
    const processor = state.ItemProcessor as AslDefinition | undefined;
    if (processor !== undefined) taskStates(processor, into);
  }
  return into;
}

/** The error a Lambda integration reports: Error = the error's name, Cause = its JSON. */
class LambdaTaskError extends Error {
  constructor(error: unknown) {
    const e = error instanceof Error ? error : new Error(String(error));
    super(JSON.stringify({ errorType: e.name, errorMessage: e.message }));
    this.name = e.name;
  }
}

export async function runLocalExecution(execution: LocalExecutionInput): Promise<LocalExecutionResult> {
  ensurePromiseWithResolvers();
  const { StateMachine, ExecutionError } = await import("aws-local-stepfunctions");
  const definition = adaptForLocalInterpreter(execution.definition);
  const handlers: Record<string, (input: State) => Promise<unknown>> = {};
  for (const [name, state] of Object.entries(taskStates(definition))) {
    const resource = String(state.Resource);
    if (resource.endsWith(":states:::lambda:invoke")) {
      handlers[name] = async (input) => {
        try {
          return {
            StatusCode: 200,
            Payload: await execution.invoke(String(input.FunctionName), input.Payload),
          };
        } catch (e) {
          throw new LambdaTaskError(e);
        }
      };
    } else if (resource.endsWith(":states:::s3:getObject")) {
      handlers[name] = asItemReaderFailure(async (input) => {
        const object = await execution.s3.send(
          new GetObjectCommand({ Bucket: String(input.Bucket), Key: String(input.Key) }),
        );
        return JSON.parse(await object.Body!.transformToString());
      });
    } else if (resource.endsWith(":states:::s3:listObjectsV2")) {
      handlers[name] = asItemReaderFailure(async (input) => {
        const objects = await listAllObjects(
          execution.s3,
          String(input.Bucket),
          input.Prefix === undefined ? undefined : String(input.Prefix),
        );
        return objects.map(
          (o): State => ({
            Key: o.Key,
            Size: o.Size,
            Etag: o.ETag,
            LastModified: o.LastModified?.toISOString(),
            StorageClass: o.StorageClass,
          }),
        );
      });
    } else if (resource.endsWith(":states:::states:startExecution.sync:2")) {
      handlers[name] = async (input) => {
        const childName = String(input.Name);
        const child = await runLocalExecution({ ...execution, name: childName, input: input.Input });
        const executionArn = executionArnOf(execution.stateMachineArn, childName);
        if (child.status === "FAILED") {
          const err = new Error(`child execution ${executionArn} failed: ${child.error}: ${child.cause}`);
          err.name = "States.TaskFailed";
          throw err;
        }
        return { ExecutionArn: executionArn, Status: "SUCCEEDED", Output: child.output };
      };
    } else {
      throw new Error(`the local runner has no stand-in for Task ${JSON.stringify(name)} (${resource})`);
    }
  }
  const machine = new StateMachine(definition as never, {
    validationOptions: { checkArn: false, checkPaths: false },
  });
  const executionArn = executionArnOf(execution.stateMachineArn, execution.name);
  const run = machine.run(execution.input as never, {
    overrides: { taskResourceLocalHandlers: handlers as never },
    context: {
      Execution: {
        Id: executionArn,
        Name: execution.name,
        Input: execution.input,
        StartTime: new Date().toISOString(),
      },
      StateMachine: { Id: execution.stateMachineArn, Name: execution.stateMachineArn.split(":").pop() },
    } as never,
  });
  try {
    return { status: "SUCCEEDED", output: await run.result };
  } catch (e) {
    if (e instanceof ExecutionError) {
      const cause = (e as { cause?: { name?: string; message?: string; cause?: string } }).cause;
      return {
        status: "FAILED",
        error: cause?.name ?? "States.Runtime",
        cause: cause?.cause ?? cause?.message ?? String(e),
      };
    }
    throw e;
  }
}

/** An item reader's S3 failure, named as a Distributed Map reports it (so its Retry matches). */
function asItemReaderFailure<I, O>(read: (input: I) => Promise<O>): (input: I) => Promise<O> {
  return async (input) => {
    try {
      return await read(input);
    } catch (e) {
      const failure = new Error(`reading the Map's items failed: ${(e as Error).message}`);
      failure.name = "States.ItemReaderFailed";
      throw failure;
    }
  };
}
