/** The backfill scheduler over fake ports: how many run at once, and how each object's run ended. */
import { describe, expect, it } from "vitest";
import { executionName } from "../../functions/stages/execution-name";
import type { RunRequest } from "../../functions/stages/trigger-stage";
import {
  type ExecutionState,
  type Finished,
  pipelineInputs,
  runBackfill,
} from "../../local/backfill/scheduler";

const STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:EdgarEtl-pipeline";

interface FakeExecution {
  /** Describe calls answered RUNNING before the execution ends. */
  pollsLeft: number;
  readonly end: ExecutionState;
}

/**
 * Step Functions as the scheduler sees it: a name starts one execution; a name already used
 * answers `exists`. Each execution runs for a given number of polls, then ends as told.
 */
function fakeStepFunctions(
  ending: (name: string) => { polls: number; end: Omit<ExecutionState, "executionArn"> },
  existing: ReadonlyMap<string, FakeExecution> = new Map(),
) {
  const executions = new Map(existing);
  const requests: RunRequest[] = [];
  let running = 0;
  let mostRunning = 0;
  const arnOf = (name: string) => `${STATE_MACHINE_ARN.replace(":stateMachine:", ":execution:")}:${name}`;
  const nameOf = (arn: string) => arn.split(":").pop()!;
  const ports = {
    startRun: async (request: RunRequest) => {
      requests.push(request);
      const executionArn = arnOf(request.name);
      if (executions.has(request.name))
        return { status: "exists" as const, executionArn, name: request.name };
      const { polls, end } = ending(request.name);
      executions.set(request.name, { pollsLeft: polls, end: { ...end, executionArn } });
      running += 1;
      mostRunning = Math.max(mostRunning, running);
      return { status: "started" as const, executionArn, name: request.name };
    },
    describeExecution: async (executionArn: string): Promise<ExecutionState> => {
      const execution = executions.get(nameOf(executionArn))!;
      if (execution.pollsLeft > 0) {
        execution.pollsLeft -= 1;
        return { executionArn, status: "RUNNING" };
      }
      return execution.end;
    },
    sleep: async () => {
      // Executions that end by the next poll are no longer running.
      running = [...executions.values()].filter((e) => e.pollsLeft > 1).length;
    },
  };
  return { ports, requests, mostRunning: () => mostRunning };
}

const objects = ["a", "b", "c", "d", "e"].map((k) => ({ key: `incoming/${k}.csv`, etag: `"etag-${k}"` }));
const nameOf = (key: string) => executionName({ bucket: "input", key, etag: `"etag-${key.slice(9, 10)}"` });

function statusByKey(finished: readonly Finished[]) {
  return Object.fromEntries(finished.map((f) => [f.object.key, f.status]));
}

describe("runBackfill", () => {
  it("runs every object once, named as the trigger names it, never more than maxParallel at once", async () => {
    const sfn = fakeStepFunctions(() => ({ polls: 2, end: { status: "SUCCEEDED" } }));

    const finished = await runBackfill(sfn.ports, {
      stateMachineArn: STATE_MACHINE_ARN,
      bucket: "input",
      objects,
      maxParallel: 2,
      pollMs: 0,
    });

    expect(statusByKey(finished)).toEqual(Object.fromEntries(objects.map((o) => [o.key, "succeeded"])));
    expect(sfn.requests.map((r) => r.name)).toEqual(objects.map((o) => nameOf(o.key)));
    expect(sfn.requests[0]).toEqual({
      stateMachineArn: STATE_MACHINE_ARN,
      name: nameOf("incoming/a.csv"),
      input: { bucket: "input", key: "incoming/a.csv" },
    });
    expect(sfn.mostRunning()).toBe(2);
  });

  it("tells failed runs, failed data checks and runs that already happened apart", async () => {
    const ran = (end: ExecutionState, pollsLeft = 0): FakeExecution => ({ pollsLeft, end });
    const arn = (key: string) => `${STATE_MACHINE_ARN}:${nameOf(key)}`;
    const existing = new Map([
      [nameOf("incoming/a.csv"), ran({ executionArn: arn("incoming/a.csv"), status: "SUCCEEDED" })],
      [
        nameOf("incoming/b.csv"),
        ran({
          executionArn: arn("incoming/b.csv"),
          status: "FAILED",
          error: "InputRejectedError",
          cause: "no header",
        }),
      ],
      // Found running: followed like a run of its own, through a redrive.
      [nameOf("incoming/c.csv"), ran({ executionArn: arn("incoming/c.csv"), status: "SUCCEEDED" }, 2)],
    ]);
    const sfn = fakeStepFunctions(
      (name) =>
        name === nameOf("incoming/d.csv")
          ? { polls: 1, end: { status: "FAILED", error: "DataChecksFailed", cause: "maxCorruptShare" } }
          : { polls: 0, end: { status: "TIMED_OUT" } },
      existing,
    );
    const progress: [number, number][] = [];

    const finished = await runBackfill(sfn.ports, {
      stateMachineArn: STATE_MACHINE_ARN,
      bucket: "input",
      objects,
      maxParallel: 4,
      pollMs: 0,
      onProgress: (done, running) => progress.push([done.length, running]),
    });

    expect(Object.fromEntries(finished.map((f) => [f.object.key, [f.status, f.detail]]))).toEqual({
      "incoming/a.csv": ["skipped", "already succeeded"],
      "incoming/b.csv": [
        "failed",
        "FAILED InputRejectedError: no header (an earlier run of this object version; its name cannot be reused)",
      ],
      "incoming/c.csv": ["succeeded", ""],
      "incoming/d.csv": ["checksFailed", "FAILED DataChecksFailed: maxCorruptShare"],
      "incoming/e.csv": ["failed", "TIMED_OUT"],
    });
    expect(progress.at(-1)).toEqual([5, 0]);
  });

  it("keeps waiting on an execution pending a redrive", async () => {
    let describes = 0;
    const finished = await runBackfill(
      {
        startRun: async (request) => ({
          status: "started",
          executionArn: `arn:${request.name}`,
          name: request.name,
        }),
        describeExecution: async (executionArn) => {
          describes += 1;
          return { executionArn, status: describes < 3 ? "PENDING_REDRIVE" : "SUCCEEDED" };
        },
        sleep: async () => {},
      },
      {
        stateMachineArn: STATE_MACHINE_ARN,
        bucket: "input",
        objects: objects.slice(0, 1),
        maxParallel: 1,
        pollMs: 0,
      },
    );

    expect(describes).toBe(3);
    expect(finished.map((f) => f.status)).toEqual(["succeeded"]);
  });

  it("passes the poll interval to sleep", async () => {
    const slept: number[] = [];
    await runBackfill(
      {
        startRun: async (request) => ({
          status: "started",
          executionArn: `arn:${request.name}`,
          name: request.name,
        }),
        describeExecution: async (executionArn) => ({ executionArn, status: "SUCCEEDED" }),
        sleep: async (ms) => {
          slept.push(ms);
        },
      },
      {
        stateMachineArn: STATE_MACHINE_ARN,
        bucket: "input",
        objects: objects.slice(0, 2),
        maxParallel: 2,
        pollMs: 1234,
      },
    );

    expect(slept).toEqual([1234]);
  });
});

describe("pipelineInputs", () => {
  it("keeps the keys the upload rule takes, in listing order", () => {
    const listed = [
      "incoming/b.zip",
      "incoming/README.txt",
      "incoming/a.csv",
      "incoming/c.csv.gz",
      "incoming/",
    ].map((key) => ({ key, etag: "e" }));

    expect(pipelineInputs(listed).map((o) => o.key)).toEqual([
      "incoming/b.zip",
      "incoming/a.csv",
      "incoming/c.csv.gz",
    ]);
  });
});
