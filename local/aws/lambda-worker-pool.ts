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

/**
 * Variables a process reads when it starts (Node's options, glibc's malloc tunables): a
 * function may have its own on Lambda, but the pool's threads live in this process, started
 * before them, and cannot apply them.
 */
const PROCESS_START_VARIABLES = ["NODE_OPTIONS", "GLIBC_TUNABLES"] as const;

/**
 * The one environment the pool's threads get: the functions' own, which must agree but for
 * PROCESS_START_VARIABLES, which are left out.
 */
export function poolEnvironment(functions: SynthesizedPipeline["functions"]): Record<string, string> {
  const environments = Object.values(functions).map(({ environment }) => {
    const thread = { ...environment };
    for (const name of PROCESS_START_VARIABLES) delete thread[name];
    return thread;
  });
  if (new Set(environments.map((e) => JSON.stringify(e))).size !== 1) {
    throw new Error("the pipeline's functions have different environments; one pool cannot serve them all");
  }
  return environments[0]!;
}

export interface LambdaWorkerPool {
  readonly invoke: LambdaInvoker;
  close(): Promise<void>;
}

export function startLambdaWorkerPool(
  pipeline: SynthesizedPipeline,
  extraEnv: Record<string, string>,
  size?: number,
): LambdaWorkerPool {
  const environment = { ...poolEnvironment(pipeline.functions), ...extraEnv };
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
