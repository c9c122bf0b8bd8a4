/**
 * The backfill's scheduling, over ports (start a run, describe an execution, wait): keep up to
 * N executions of the pipeline running, new or found running, until every object's run ended,
 * and say how each ended. No SDK here: `aws.ts` provides the ports, tests fake them.
 */
import { clip, QUOTED_CHARS } from "../../functions/core/clip";
import { isPipelineInput } from "../../functions/core/object-created";
import { executionName } from "../../functions/stages/execution-name";
import type { StartRun } from "../../functions/stages/trigger-stage";

/** One listed object: its key and ETag as ListObjectsV2 gives them. */
export interface ObjectToRun {
  readonly key: string;
  readonly etag: string;
}

/** What the backfill needs of an execution (Step Functions' DescribeExecution). */
export interface ExecutionState {
  readonly executionArn?: string;
  readonly status?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface BackfillPorts {
  readonly startRun: StartRun;
  readonly describeExecution: (executionArn: string) => Promise<ExecutionState>;
  readonly sleep: (ms: number) => Promise<void>;
}

export type FinalStatus = "succeeded" | "skipped" | "checksFailed" | "failed";

export interface Finished {
  readonly object: ObjectToRun;
  readonly executionArn: string;
  readonly status: FinalStatus;
  readonly detail: string;
}

export interface BackfillInput {
  readonly stateMachineArn: string;
  readonly bucket: string;
  readonly objects: readonly ObjectToRun[];
  readonly maxParallel: number;
  readonly pollMs: number;
  /** Called after each round of starts and polls, and once at the end with nothing running. */
  readonly onProgress?: (finished: readonly Finished[], running: number) => void;
}

/** The listed objects the pipeline takes (the upload rule's suffixes), in listing order. */
export function pipelineInputs(listed: readonly ObjectToRun[]): ObjectToRun[] {
  return listed.filter((o) => isPipelineInput(o.key));
}

/** Keeps up to maxParallel executions running (new or found running) until every object is done. */
export async function runBackfill(ports: BackfillPorts, input: BackfillInput): Promise<Finished[]> {
  const queue = [...input.objects];
  const running = new Map<string, ObjectToRun>();
  const finished: Finished[] = [];
  const settle = (object: ObjectToRun, execution: ExecutionState, alreadyRan: boolean) => {
    finished.push({
      object,
      executionArn: execution.executionArn ?? "",
      ...classify(execution, alreadyRan),
    });
  };
  while (queue.length > 0 || running.size > 0) {
    while (running.size < input.maxParallel && queue.length > 0) {
      const object = queue.shift()!;
      const outcome = await ports.startRun({
        stateMachineArn: input.stateMachineArn,
        name: executionName({ bucket: input.bucket, ...object }),
        input: { bucket: input.bucket, key: object.key },
      });
      if (outcome.status === "started") {
        running.set(outcome.executionArn, object);
        continue;
      }
      const execution = await ports.describeExecution(outcome.executionArn);
      if (execution.status === "RUNNING") running.set(outcome.executionArn, object);
      else settle(object, execution, true);
    }
    input.onProgress?.(finished, running.size);
    if (running.size === 0) continue;
    await ports.sleep(input.pollMs);
    for (const [executionArn, object] of running) {
      const execution = await ports.describeExecution(executionArn);
      if (execution.status === "RUNNING" || execution.status === "PENDING_REDRIVE") continue;
      running.delete(executionArn);
      settle(object, execution, false);
    }
  }
  input.onProgress?.(finished, 0);
  return finished;
}

/** How an object's run ended; `alreadyRan`: its execution existed before this backfill. */
export function classify(
  execution: ExecutionState,
  alreadyRan: boolean,
): { status: FinalStatus; detail: string } {
  const earlier = alreadyRan ? " (an earlier run of this object version; its name cannot be reused)" : "";
  if (execution.status === "SUCCEEDED") {
    return alreadyRan
      ? { status: "skipped", detail: "already succeeded" }
      : { status: "succeeded", detail: "" };
  }
  const reason = `${execution.status}${execution.error ? ` ${execution.error}` : ""}${execution.cause ? `: ${clip(execution.cause, QUOTED_CHARS)}` : ""}`;
  if (execution.error === "DataChecksFailed")
    return { status: "checksFailed", detail: `${reason}${earlier}` };
  return { status: "failed", detail: `${reason}${earlier}` };
}
