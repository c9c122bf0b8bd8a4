/**
 * The pipeline's Lambdas on the worker pool (../worker-pool.ts), one thread per core by default:
 * each worker is a warm container with the environment CDK gave the functions, so map
 * invocations run in parallel as they would on Lambda, while the state machine interpreter
 * stays on the main thread.
 */
import { startWorkerPool } from "../worker-pool";
import type { LambdaInvoker } from "./local-step-functions";
import type { PipelineFunction, SynthesizedPipeline } from "./synthesized-pipeline";

/** Each pipeline function's handler module, as a URL both import() and a worker can load. */
export const HANDLER_MODULES: Record<PipelineFunction, string> = {
  Inflate: new URL("../../functions/inflate/handler.ts", import.meta.url).href,
  Plan: new URL("../../functions/plan/handler.ts", import.meta.url).href,
  Map: new URL("../../functions/map/handler.ts", import.meta.url).href,
  Reduce: new URL("../../functions/reduce/handler.ts", import.meta.url).href,
};

export interface LambdaWorkerPool {
  readonly invoke: LambdaInvoker;
  close(): Promise<void>;
}

export function startLambdaWorkerPool(
  pipeline: SynthesizedPipeline,
  extraEnv: Record<string, string>,
  size?: number,
): LambdaWorkerPool {
  const environments = Object.values(pipeline.functions).map((f) => JSON.stringify(f.environment));
  if (new Set(environments).size !== 1) {
    throw new Error("the pipeline's functions have different environments; one pool cannot serve them all");
  }
  const environment = { ...pipeline.functions.Map.environment, ...extraEnv };
  delete environment.NODE_OPTIONS;
  const functionByArn = new Map(
    (Object.keys(pipeline.functions) as PipelineFunction[]).map((name) => [
      pipeline.functions[name].arn,
      { module: HANDLER_MODULES[name], timeoutMs: pipeline.functions[name].timeoutSeconds * 1000 },
    ]),
  );
  const pool = startWorkerPool({ size, environment });
  return {
    async invoke(arn, payload) {
      const fn = functionByArn.get(arn);
      if (fn === undefined) throw new Error(`no local Lambda for ${arn}`);
      // The function's own timeout, as Lambda enforces it: the container is ended.
      return pool.run(fn.module, "handler", payload, { timeoutMs: fn.timeoutMs });
    },
    close: () => pool.close(),
  };
}
