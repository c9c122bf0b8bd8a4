/**
 * The state machine CDK synthesizes, executed by a local ASL interpreter whose Lambda tasks call
 * the real handlers, against a real S3-compatible server over HTTP; Parquet read back by DuckDB.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { DuckDBInstance } from "@duckdb/node-api";
import { zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inProcessLambdas } from "../../local/aws/in-process-lambdas";
import { type LocalS3, startLocalS3 } from "../../local/aws/local-s3";
import { type LambdaInvoker, runLocalExecution } from "../../local/aws/local-step-functions";
import { type SynthesizedPipeline, synthesizePipeline } from "../../local/aws/synthesized-pipeline";
import { csvMemberOf } from "../helpers/duckdb";

/** A real slice as the SEC publishes a day: a zip holding the CSV (the run inflates it first). */
const REAL_ZIP = join(import.meta.dirname, "../fixtures/edgar-real/log20170630-head25k.zip");
const HEADER = "ip,date,time,zone,cik,accession,extention,code,size,idx,norefer,noagent,find,crawler,browser";

describe("the synthesized state machine, run locally over S3", () => {
  let pipeline: SynthesizedPipeline;
  let s3: LocalS3;
  let invoke: LambdaInvoker;
  const run = (name: string, input: unknown) =>
    runLocalExecution({
      definition: pipeline.definition,
      stateMachineArn: pipeline.stateMachineArn,
      name,
      input,
      invoke,
      s3: s3.client,
    });
  const put = (key: string, body: string | Uint8Array) =>
    s3.client.send(new PutObjectCommand({ Bucket: pipeline.buckets.input, Key: key, Body: body }));
  const get = async (key: string) =>
    (
      await s3.client.send(new GetObjectCommand({ Bucket: pipeline.buckets.output, Key: key }))
    ).Body!.transformToByteArray();

  beforeAll(async () => {
    pipeline = synthesizePipeline({ rangeBytes: "65536" });
    s3 = await startLocalS3([pipeline.buckets.input, pipeline.buckets.work, pipeline.buckets.output]);
    invoke = await inProcessLambdas(pipeline, s3.env);
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it("inflates, plans, maps every range and reduces a real EDGAR day's zip to the answers DuckDB gives", async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), "edgar-etl-sfn-"));
    const { member, bytes: csv } = csvMemberOf(REAL_ZIP);
    const csvFile = join(dir, member);
    await writeFile(csvFile, csv);
    await put("incoming/log20170630-head25k.zip", readFileSync(REAL_ZIP));

    // Act
    const result = await run("run-real", {
      bucket: pipeline.buckets.input,
      key: "incoming/log20170630-head25k.zip",
    });

    // Assess
    expect(result).toMatchObject({ status: "SUCCEEDED" });
    const output = (
      result as { output: { plan: { rangeCount: number }; reduce: { status: string; rows: unknown } } }
    ).output;
    expect(output.plan.rangeCount).toBe(Math.ceil((csv.length - HEADER.length - 1) / 65536));
    expect(output.reduce).toMatchObject({ status: "pass", rows: { read: 24999, ok: 24999, corrupt: 0 } });
    const topFile = join(dir, "top.parquet");
    await writeFile(topFile, await get("top_ips/source=log20170630-head25k/part-00000.parquet"));
    const db = await (await DuckDBInstance.create(":memory:")).connect();
    const expected = await db.runAndReadAll(
      `select ip, count(*)::int as c from read_csv('${csvFile}', header = true, all_varchar = true)
       group by ip order by c desc, ip limit 20`,
    );
    const actual = await db.runAndReadAll(`select ip, count::int as c from '${topFile}' order by rank`);
    expect(actual.getRowObjectsJson()).toEqual(expected.getRowObjectsJson());
  });

  it("fails with the failing stage's error when the header is wrong", async () => {
    await put("incoming/bad.csv", `${HEADER.replace("code", "status")}\n1,2,3\n`);
    const result = await run("run-bad", { bucket: pipeline.buckets.input, key: "incoming/bad.csv" });
    expect(result).toMatchObject({ status: "FAILED", error: "InputRejectedError" });
    expect((result as { cause: string }).cause).toMatch(/missing code; unexpected \\"status\\"/);
  });

  it("fails with the Inflate stage's error when an uploaded zip holds no CSV", async () => {
    await put("incoming/notes.zip", zipSync({ "notes.txt": Buffer.from("not a log") }));
    const result = await run("run-no-csv", { bucket: pipeline.buckets.input, key: "incoming/notes.zip" });
    expect(result).toMatchObject({ status: "FAILED", error: "InputRejectedError" });
    expect((result as { cause: string }).cause).toMatch(
      /notes\.zip holds no \.csv member \(it holds notes\.txt\)/,
    );
  });

  it("fails a run whose data checks fail, after writing its outputs", async () => {
    await put("incoming/dirty.csv", `${HEADER}\nnot,a,record\n`);
    const result = await run("run-dirty", { bucket: pipeline.buckets.input, key: "incoming/dirty.csv" });
    expect(result).toMatchObject({ status: "FAILED", error: "DataChecksFailed" });
    const success = JSON.parse(Buffer.from(await get("_runs/source=dirty/_SUCCESS")).toString("utf8"));
    expect(success.runId).toBe("run-dirty");
  });

  it("rejects an execution input of the wrong shape, showing the expected one", async () => {
    const result = await run("run-shape", { bucket: pipeline.buckets.input });
    expect(result).toMatchObject({ status: "FAILED", error: "InvalidInput" });
    expect((result as { cause: string }).cause).toMatch(/expected "bucket" .* with "key"/);
  });

  it("backfills every object under a prefix as child executions", async () => {
    await put(
      "incoming/2017/a.csv",
      `${HEADER}\n1.2.3.abc,2017-06-30,00:00:01,0.0,1.0,a,.txt,503.0,1.0,0.0,0.0,0.0,0.0,0.0,\n`,
    );
    await put(
      "incoming/2017/b.csv",
      `${HEADER}\n1.2.3.abd,2017-06-30,01:00:01,0.0,1.0,a,.txt,200.0,1.0,0.0,0.0,0.0,0.0,0.0,\n`,
    );
    await put("incoming/2017/notes.txt", "not a log");
    const result = await run("backfill-2017", { bucket: pipeline.buckets.input, prefix: "incoming/2017/" });
    expect(result).toMatchObject({ status: "SUCCEEDED" });
    // Below the input prefix, the folders are part of the partition value (`2017/a`, escaped).
    for (const partition of ["2017%2Fa", "2017%2Fb"]) {
      const manifest = JSON.parse(
        Buffer.from(await get(`_runs/source=${partition}/_manifest.json`)).toString("utf8"),
      );
      expect(manifest.rows).toMatchObject({ read: 1, ok: 1 });
    }
  });
});
