/**
 * A real EDGAR slice uploaded as the SEC's .zip, as .csv.gz and as the plain CSV, each run by
 * the local AWS engine's parts (`--engine local-aws`: S3 over HTTP, the synthesized state
 * machine, the Lambdas on worker threads; one server and one pool for the three runs): the
 * archive runs pass through the Inflate state and give the same tables, row counts and
 * partition as the CSV. Tables are read back by DuckDB.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3ObjectStore } from "../../functions/adapters/s3-object-store";
import { outputKeys } from "../../functions/stages/layout";
import { startLambdaWorkerPool } from "../../local/aws/lambda-worker-pool";
import { startLocalS3 } from "../../local/aws/local-s3";
import { type LocalExecutionResult, runLocalExecution } from "../../local/aws/local-step-functions";
import { cachedSynthesizedPipeline } from "../../local/aws/synthesized-pipeline";
import { csvMemberOf, type Duck, openDuck, sqlText } from "../helpers/duckdb";

const ARCHIVE = join(import.meta.dirname, "../fixtures/edgar-real/log20170514-244rows-no-final-newline.zip");
const STEM = "log20170514-244rows-no-final-newline";
const TABLES = ["server_errors", "errors_by_hour", "ip_counts", "top_ips"] as const;

type Execution = LocalExecutionResult & {
  output: {
    source: { bucket: string; key: string; archive?: unknown };
    plan: { rangeCount: number; sourceBytes: number };
    reduce: { status: string; rows: unknown };
  };
};

describe("compressed uploads through the local AWS pipeline", () => {
  let dir: string;
  let duck: Duck;
  const runs: Record<string, { execution: Execution; tablesDir: string }> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "edgar-compressed-"));
    duck = await openDuck();
    const { member, bytes } = csvMemberOf(ARCHIVE);
    const uploads: Record<string, { key: string; body: Uint8Array }> = {
      // A folder each: one partition each (the archive's folder and the member's stem).
      csv: { key: `incoming/csv/${member}`, body: bytes },
      zip: { key: `incoming/zip/${STEM}.zip`, body: await readFile(ARCHIVE) },
      gz: { key: `incoming/gz/${member}.gz`, body: gzipSync(bytes) },
    };
    const pipeline = cachedSynthesizedPipeline();
    const s3 = await startLocalS3([pipeline.buckets.input, pipeline.buckets.work, pipeline.buckets.output]);
    const pool = startLambdaWorkerPool(pipeline, { ...s3.env, POWERTOOLS_LOG_LEVEL: "SILENT" }, 2);
    const output = s3ObjectStore(s3.client, pipeline.buckets.output);
    try {
      for (const [kind, { key, body }] of Object.entries(uploads)) {
        await s3.client.send(new PutObjectCommand({ Bucket: pipeline.buckets.input, Key: key, Body: body }));
        const execution = (await runLocalExecution({
          definition: pipeline.definition,
          stateMachineArn: pipeline.stateMachineArn,
          name: `run-${kind}`,
          // 8 KiB ranges: the 28 KB day is mapped as several ranges.
          input: { bucket: pipeline.buckets.input, key, rangeBytes: 8192 },
          invoke: pool.invoke,
          s3: s3.client,
        })) as Execution;
        const tablesDir = join(dir, kind);
        for (const table of TABLES) {
          await mkdir(join(tablesDir, table), { recursive: true });
          await writeFile(
            join(tablesDir, table, "part-00000.parquet"),
            await output.get(outputKeys.table(table, `${kind}/${STEM}`)),
          );
        }
        runs[kind] = { execution, tablesDir };
      }
    } finally {
      await pool.close();
      await s3.stop();
    }
  });
  afterAll(async () => {
    duck?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const rowsOf = (kind: string, table: string) =>
    duck.rows(`select * from ${sqlText(join(runs[kind]!.tablesDir, table, "part-00000.parquet"))}`);

  it("plans the uploaded CSV where it is", () => {
    const { status, output } = runs.csv!.execution;
    expect(status).toBe("SUCCEEDED");
    expect(output.source.key).toBe(`incoming/csv/${STEM}.csv`);
    expect(output.source.archive).toBeUndefined();
    expect(output.plan.rangeCount).toBeGreaterThan(1);
    expect(output.reduce).toMatchObject({ status: "pass", rows: { read: 244, ok: 244, corrupt: 0 } });
  });

  it.each([
    ["zip", `incoming/zip/${STEM}.zip`, "zip"],
    ["gz", `incoming/gz/${STEM}.csv.gz`, "gzip"],
  ])(
    "inflates the %s upload to a staged CSV that is planned and reduced like the CSV",
    (kind, key, format) => {
      const { output } = runs[kind]!.execution;
      const csv = runs.csv!.execution.output;
      expect(runs[kind]!.execution).toMatchObject({ status: "SUCCEEDED" });
      expect(output.source).toMatchObject({
        key: `runs/run-${kind}/staged.csv`,
        archive: { key, member: `${STEM}.csv`, format },
      });
      expect(output.plan).toMatchObject({
        rangeCount: csv.plan.rangeCount,
        sourceBytes: csv.plan.sourceBytes,
      });
      expect(output.reduce).toMatchObject({ status: csv.reduce.status, rows: csv.reduce.rows });
    },
  );

  it.each(["zip", "gz"])("the %s upload's tables, under the member's stem, equal the CSV's", async (kind) => {
    expect(runs[kind]!.execution).toMatchObject({ status: "SUCCEEDED" });
    for (const table of TABLES) {
      const expected = await rowsOf("csv", table);
      expect(expected.length, table).toBeGreaterThan(0);
      expect(await rowsOf(kind, table), table).toEqual(expected);
    }
  });
});
