/**
 * Two executions of the synthesized state machine for one source at once (a console backfill
 * racing an upload event), over S3: exactly one complete set of tables, `_SUCCESS` naming the
 * run planned later, and the earlier one either committed first and was replaced, or refused.
 */
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3ObjectStore } from "../../functions/adapters/s3-object-store";
import { inProcessLambdas } from "../../local/aws/in-process-lambdas";
import { type LocalS3, startLocalS3 } from "../../local/aws/local-s3";
import type { LambdaInvoker } from "../../local/aws/local-step-functions";
import { cachedSynthesizedPipeline, type SynthesizedPipeline } from "../../local/aws/synthesized-pipeline";
import { generateEdgarDay } from "../../local/generate";
import { executeOnSource } from "../helpers/source-execution";

const TABLES = ["server_errors", "errors_by_hour", "ip_counts", "top_ips"] as const;

describe("two executions of one source at once", () => {
  let pipeline: SynthesizedPipeline;
  let s3: LocalS3;
  let invoke: LambdaInvoker;
  beforeAll(async () => {
    pipeline = cachedSynthesizedPipeline({ rangeBytes: "65536" });
    s3 = await startLocalS3([pipeline.buckets.input, pipeline.buckets.work, pipeline.buckets.output]);
    invoke = await inProcessLambdas(pipeline, s3.env);
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it("leave one complete set of tables, and _SUCCESS names the run planned later", async () => {
    // Prepare
    const day = generateEdgarDay({ bytes: 300_000, seed: 4 });
    const parts: Buffer[] = [];
    for (let next = day.next(); next.done !== true; next = day.next()) parts.push(next.value);
    const key = "incoming/2017/log20170630.csv";
    await s3.client.send(
      new PutObjectCommand({ Bucket: pipeline.buckets.input, Key: key, Body: Buffer.concat(parts) }),
    );
    const start = (name: string) => executeOnSource(pipeline, { name, key, invoke, s3: s3.client });

    // Act
    const [upload, backfill] = await Promise.all([start("upload-event-run"), start("console-backfill-run")]);

    // Assess
    const out = s3ObjectStore(s3.client, pipeline.buckets.output);
    const read = async (k: string) => Buffer.from(await out.get(k));
    const success = JSON.parse((await read("_runs/source=2017%2Flog20170630/_SUCCESS")).toString());
    const runs = { "upload-event-run": upload, "console-backfill-run": backfill };
    const winner = runs[success.runId as keyof typeof runs];
    expect(winner, `_SUCCESS names ${success.runId}`).toMatchObject({ status: "SUCCEEDED" });
    const loserName = Object.keys(runs).find((n) => n !== success.runId)!;
    const loser = runs[loserName as keyof typeof runs];
    const plans = await Promise.all(
      Object.keys(runs).map(
        async (n) =>
          [
            n,
            JSON.parse(
              await s3.client
                .send(new GetObjectCommand({ Bucket: pipeline.buckets.work, Key: `runs/${n}/plan.json` }))
                .then((r) => r.Body!.transformToString()),
            ).plannedAt,
          ] as const,
      ),
    );
    const planned = Object.fromEntries(plans);
    expect(planned[success.runId]! >= planned[loserName]!).toBe(true);
    if (loser.status === "FAILED") expect(loser).toMatchObject({ error: "CommitConflictError" });
    for (const t of TABLES) {
      const published = await read(`${t}/source=2017%2Flog20170630/part-00000.parquet`);
      const own = await read(`_runs/source=2017%2Flog20170630/run=${success.runId}/${t}.parquet`);
      expect(published.equals(own), t).toBe(true);
    }
    const tableFiles = (await out.list("")).filter((k) => k.endsWith(".parquet") && !k.startsWith("_runs/"));
    expect(tableFiles).toHaveLength(4);
    console.info(
      `concurrent executions: winner ${success.runId}; the other ${loser.status}${loser.status === "FAILED" ? ` (${(loser as { error?: string }).error})` : ""}`,
    );
  });
});
