/**
 * The pipeline's Lambdas on a pool of worker threads, one per core by default: each worker is a
 * warm container with the environment CDK gave the functions, so map invocations run in parallel
 * as they would on Lambda, while the state machine interpreter stays on the main thread.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { LambdaInvoker } from "./local-step-functions";
import type { PipelineFunction, SynthesizedPipeline } from "./synthesized-pipeline";

/** Each pipeline function's handler module, as a URL both import() and a worker can load. */
export const HANDLER_MODULES: Record<PipelineFunction, string> = {
  Plan: new URL("../../functions/plan/handler.ts", import.meta.url).href,
  Map: new URL("../../functions/map/handler.ts", import.meta.url).href,
  Reduce: new URL("../../functions/reduce/handler.ts", import.meta.url).href,
};

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface LambdaWorkerPool {
  readonly invoke: LambdaInvoker;
  close(): Promise<void>;
}

/** An error thrown inside a worker, with the handler's own name (e.g. InputRejectedError). */
class LambdaInvocationError extends Error {
  constructor(error: { name: string; message: string; stack?: string }) {
    super(error.message);
    this.name = error.name;
    if (error.stack !== undefined) this.stack = error.stack;
  }
}

export function startLambdaWorkerPool(
  pipeline: SynthesizedPipeline,
  extraEnv: Record<string, string>,
  size = availableParallelism(),
): LambdaWorkerPool {
  const environments = Object.values(pipeline.functions).map((f) => JSON.stringify(f.environment));
  if (new Set(environments).size !== 1) {
    throw new Error("the pipeline's functions have different environments; one pool cannot serve them all");
  }
  const environment = { ...pipeline.functions.Map.environment, ...extraEnv };
  delete environment.NODE_OPTIONS;
  const moduleByArn = new Map(
    (Object.keys(pipeline.functions) as PipelineFunction[]).map((name) => [
      pipeline.functions[name].arn,
      HANDLER_MODULES[name],
    ]),
  );
  const workers = Array.from(
    { length: Math.max(1, size) },
    () => new Worker(new URL("./lambda-worker.mjs", import.meta.url), { workerData: { environment } }),
  );
  const idle = [...workers];
  const queue: (() => void)[] = [];
  const pending = new Map<number, Pending>();
  let nextId = 0;
  for (const worker of workers) {
    worker.on(
      "message",
      (m: { id: number; ok: boolean; result?: unknown; error?: { name: string; message: string } }) => {
        const p = pending.get(m.id);
        pending.delete(m.id);
        idle.push(worker);
        queue.shift()?.();
        if (p === undefined) return;
        if (m.ok) p.resolve(m.result);
        else p.reject(new LambdaInvocationError(m.error!));
      },
    );
    worker.on("error", (e) => {
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
  }
  const acquire = () =>
    new Promise<Worker>((resolve) => {
      const take = () => resolve(idle.pop()!);
      if (idle.length > 0) take();
      else queue.push(take);
    });
  return {
    async invoke(arn, payload) {
      const module = moduleByArn.get(arn);
      if (module === undefined) throw new Error(`no local Lambda for ${arn}`);
      const worker = await acquire();
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, module, payload });
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
