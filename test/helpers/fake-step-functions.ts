/**
 * A stand-in Step Functions endpoint on 127.0.0.1 for the SDK's real client: the JSON protocol
 * (`x-amz-target: AWSStepFunctions.<Operation>`), and StartExecution with Step Functions' rules
 * for execution names: a name reused while that execution runs with the same input answers it
 * again; any other reuse is ExecutionAlreadyExists. The test supplies the other operations.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeExecution {
  readonly arn: string;
  readonly name: string;
  readonly input: string;
  status: "RUNNING" | "SUCCEEDED" | "FAILED";
}

/** One operation: the request's JSON body in, the HTTP status and JSON payload out. */
export type FakeOperation = (body: Record<string, unknown>) => [status: number, payload: object];

export interface FakeStepFunctionsOptions<E extends FakeExecution> {
  readonly stateMachineArn: string;
  /** What StartExecution records for a new name, given the execution as started (RUNNING). */
  readonly started: (execution: FakeExecution) => E;
  /** Operations besides StartExecution, by name, over the executions (keyed by name). */
  readonly operations?: (executions: Map<string, E>) => Record<string, FakeOperation>;
}

export interface FakeStepFunctions<E extends FakeExecution> {
  readonly endpoint: string;
  readonly executions: Map<string, E>;
  /** Every operation asked for, in order. */
  readonly calls: string[];
  close(): Promise<void>;
}

export async function startFakeStepFunctions<E extends FakeExecution>(
  options: FakeStepFunctionsOptions<E>,
): Promise<FakeStepFunctions<E>> {
  const executions = new Map<string, E>();
  const calls: string[] = [];
  const handlers: Record<string, FakeOperation> = {
    ...options.operations?.(executions),
    StartExecution({ name, input }) {
      const arn = `${options.stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
      const existing = executions.get(String(name));
      if (existing !== undefined && (existing.status !== "RUNNING" || existing.input !== input)) {
        return [400, { __type: "ExecutionAlreadyExists", message: `Execution Already Exists: '${arn}'` }];
      }
      if (existing === undefined) {
        const execution = { arn, name: String(name), input: String(input), status: "RUNNING" as const };
        executions.set(String(name), options.started(execution));
      }
      return [200, { executionArn: arn, startDate: 1_700_000_000 }];
    },
  };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const operation = String(req.headers["x-amz-target"]).replace("AWSStepFunctions.", "");
      calls.push(operation);
      const handle = handlers[operation];
      const [status, payload] =
        handle === undefined ? [400, { __type: "UnknownOperationException" }] : handle(JSON.parse(body));
      res.statusCode = status;
      res.setHeader("content-type", "application/x-amz-json-1.0");
      res.end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    executions,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
