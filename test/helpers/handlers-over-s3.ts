/**
 * The pipeline's plan, map and reduce handlers against a local S3 server, for end-to-end tests:
 * loaded after their environment points them at the server (they read it when loaded), and a
 * run of one object through all three, as the state machine would call them.
 */
import { GetObjectCommand } from "@aws-sdk/client-s3";
import type { PlanResult, RangeTask, ReduceResult } from "../../functions/contracts";
import type { LocalS3 } from "../../local/aws/local-s3";

/** Handlers are called with raw events, as Step Functions would, including malformed ones. */
export interface PipelineHandlers {
  plan: (e: object) => Promise<PlanResult>;
  map: (e: object) => Promise<unknown>;
  reduce: (e: object) => Promise<ReduceResult>;
}

/** The handlers, their work bucket "work" and output bucket "output" on `s3`, with `env` beside. */
export async function handlersOver(s3: LocalS3, env: Record<string, string> = {}): Promise<PipelineHandlers> {
  Object.assign(
    process.env,
    s3.env,
    { WORK_BUCKET: "work", OUTPUT_BUCKET: "output", OUTPUT_PREFIX: "" },
    env,
  );
  return {
    plan: (await import("../../functions/plan/handler")).handler as PipelineHandlers["plan"],
    map: (await import("../../functions/map/handler")).handler as PipelineHandlers["map"],
    reduce: (await import("../../functions/reduce/handler")).handler as PipelineHandlers["reduce"],
  };
}

/** Plans `planInput`, maps every range of it in turn, and reduces it. */
export async function runThroughHandlers(s3: LocalS3, handlers: PipelineHandlers, planInput: object) {
  const plan = await handlers.plan(planInput);
  const tasks = JSON.parse(
    await (
      await s3.client.send(new GetObjectCommand({ Bucket: "work", Key: plan.tasksKey }))
    ).Body!.transformToString(),
  ) as RangeTask[];
  for (const task of tasks) await handlers.map(task);
  const result = await handlers.reduce({ planKey: plan.planKey });
  return { plan, tasks, result };
}
