/**
 * The Lambda handlers, end to end, against a real S3-compatible server over HTTP: plan, every
 * range through the map handler, reduce; the Parquet output is read back by DuckDB.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalS3, startLocalS3 } from "../../local/aws/local-s3";
import { handlersOver, type PipelineHandlers, runThroughHandlers } from "../helpers/handlers-over-s3";

const header = "ip,date,time,zone,cik,accession,extention,code,size,idx,norefer,noagent,find,crawler,browser";
function syntheticCsv(rows: number): string {
  const lines = [header];
  for (let i = 0; i < rows; i++) {
    const ip = `10.0.${i % 7}.ab${"cdefghij"[i % 8]}`;
    const code = i % 10 === 3 ? "503.0" : i % 10 === 4 ? "500.0" : "200.0";
    const h = String(Math.floor((i * 24) / rows)).padStart(2, "0");
    lines.push(
      `${ip},2017-06-30,${h}:00:0${i % 10},0.0,1.0,0001-17-1,.txt,${code},10.0,0.0,0.0,0.0,0.0,0.0,`,
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}

describe("plan, map and reduce handlers over S3 (s3rver on 127.0.0.1)", () => {
  let s3: LocalS3;
  let handlers: PipelineHandlers;
  const csv = syntheticCsv(5000);

  beforeAll(async () => {
    s3 = await startLocalS3(["input", "work", "output"]);
    handlers = await handlersOver(s3);
    await s3.client.send(
      new PutObjectCommand({ Bucket: "input", Key: "incoming/log20170630.csv", Body: csv }),
    );
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it("runs a file split into many ranges and writes Parquet DuckDB reads", async () => {
    // Act
    const { plan, tasks, result } = await runThroughHandlers(s3, handlers, {
      runId: "run-1",
      bucket: "input",
      key: "incoming/log20170630.csv",
      rangeBytes: 4099,
    });

    // Assess
    expect(plan.rangeCount).toBe(Math.ceil((csv.length - header.length - 2) / 4099));
    expect(tasks).toHaveLength(plan.rangeCount);
    expect(result).toMatchObject({
      runId: "run-1",
      status: "pass",
      rows: { read: 5000, ok: 5000, corrupt: 0 },
    });
    const dir = await mkdtemp(join(tmpdir(), "edgar-etl-e2e-"));
    const fetch = async (key: string) => {
      const body = await (await s3.client.send(new GetObjectCommand({ Bucket: "output", Key: key }))).Body!;
      const path = join(dir, key.replaceAll("/", "_"));
      await writeFile(path, await body.transformToByteArray());
      return path;
    };
    const errors = await fetch("server_errors/source=log20170630/part-00000.parquet");
    const ips = await fetch("ip_counts/source=log20170630/part-00000.parquet");
    const success = JSON.parse(readFileSync(await fetch("_runs/source=log20170630/_SUCCESS"), "utf8"));
    expect(success.runId).toBe("run-1");
    const db = await (await DuckDBInstance.create(":memory:")).connect();
    const count = await db.runAndReadAll(
      `select count(*)::int as n, count(*) filter (where code = 503)::int as n503 from '${errors}'`,
    );
    expect(count.getRowObjectsJson()).toEqual([{ n: 1000, n503: 500 }]);
    const top = await db.runAndReadAll(
      `select ip, count::int as c from '${ips}' order by c desc, ip limit 1`,
    );
    expect(top.getRowObjectsJson()).toEqual([{ ip: "10.0.0.abc", c: 90 }]);
  });

  it("fails a mapper loudly when the object is replaced after planning (If-Match)", async () => {
    // Prepare: plan one version of the object, then upload another over it
    await s3.client.send(new PutObjectCommand({ Bucket: "input", Key: "incoming/replaced.csv", Body: csv }));
    const plan = await handlers.plan({ runId: "run-2", bucket: "input", key: "incoming/replaced.csv" });
    const replaced = await s3.client.send(
      new PutObjectCommand({ Bucket: "input", Key: "incoming/replaced.csv", Body: syntheticCsv(10) }),
    );

    // Act + Assess: the message names the object and both versions.
    await expect(
      handlers.map({ version: 1, runId: "run-2", planKey: plan.planKey, index: 0 }),
    ).rejects.toThrow(
      new RegExp(
        `s3://input/incoming/replaced.csv was replaced during the run: it was ETag "[0-9a-f]{32}" when planned and is now ETag ${replaced.ETag}; start a new execution`,
      ),
    );
  });

  it("rejects input that is not valid for the plan with a message showing the expected shape", async () => {
    await expect(handlers.plan({ bucket: "input" })).rejects.toThrow(
      /^plan input: "runId" must be a non-empty string; expected /,
    );
    await expect(handlers.plan({ runId: "r", bucket: "input", key: "missing.csv" })).rejects.toThrow(
      /s3:\/\/input\/missing.csv does not exist/,
    );
  });
});
