/**
 * The pipeline's Lambdas as local functions: each synthesized function ARN maps to its handler
 * module, loaded with the environment CDK gave the function plus the local endpoints.
 */
import { HANDLER_MODULES } from "./lambda-worker-pool";
import type { LambdaInvoker } from "./local-step-functions";
import type { PipelineFunction, SynthesizedPipeline } from "./synthesized-pipeline";

type Handler = (event: never) => Promise<unknown>;

/**
 * Handlers read their configuration once, at import, as in a Lambda container; one process is
 * one container here, so the functions' environments must agree (they do: CDK gives the three
 * the same one) and are applied before the first import.
 */
export async function inProcessLambdas(
  pipeline: SynthesizedPipeline,
  extraEnv: Record<string, string>,
): Promise<LambdaInvoker> {
  const byArn = new Map<string, Handler>();
  for (const [name, fn] of Object.entries(pipeline.functions) as [
    PipelineFunction,
    SynthesizedPipeline["functions"][PipelineFunction],
  ][]) {
    for (const [k, v] of Object.entries({ ...fn.environment, ...extraEnv })) {
      if (k === "NODE_OPTIONS") continue;
      if (process.env[k] !== undefined && process.env[k] !== v && k in fn.environment) {
        throw new Error(
          `${name}'s ${k}=${v} differs from another function's ${process.env[k]}; run them in separate processes`,
        );
      }
      process.env[k] = v;
    }
    byArn.set(fn.arn, ((await import(HANDLER_MODULES[name])) as { handler: Handler }).handler);
  }
  return async (arn, payload) => {
    const handler = byArn.get(arn);
    if (handler === undefined) throw new Error(`no local Lambda for ${arn}`);
    return handler(structuredClone(payload) as never);
  };
}
