/**
 * IP runs end to end, against a real S3-compatible server over HTTP: map handlers whose IP table
 * is bounded to its smallest (IP_TABLE_SLOTS) write the runs their tables spill to the work
 * bucket, the reduce handler reads them back, and DuckDB, reading the CSV itself, counts the same
 * requests per IP as the Parquet holds.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalS3, startLocalS3 } from "../../local/aws/local-s3";
import { csvLine, EDGAR_HEADER, edgarRow } from "../helpers/edgar-csv";
import { handlersOver, type PipelineHandlers, runThroughHandlers } from "../helpers/handlers-over-s3";

/** 6,000 rows over 4,000 IPs, each IP on rows far apart: a range of 2,000 rows spills. */
function manyIpsCsv(): string {
  const rows = Array.from({ length: 6000 }, (_, i) => {
    const n = i % 4000;
    const ip = `10.${Math.floor(n / 250)}.${n % 250}.${"abcdefgh"[n % 8]}x`;
    return csvLine(edgarRow({ ip, code: i % 13 === 0 ? "500.0" : "200.0" }));
  });
  return `${[EDGAR_HEADER, ...rows].join("\n")}\n`;
}

describe("IP runs over S3 (s3rver on 127.0.0.1), the map function's table at its smallest bound", () => {
  let s3: LocalS3;
  let handlers: PipelineHandlers;
  const csv = manyIpsCsv();

  beforeAll(async () => {
    s3 = await startLocalS3(["input", "work", "output"]);
    // 2,048 slots hold 1,536 IPs.
    handlers = await handlersOver(s3, { IP_TABLE_SLOTS: "2048" });
    await s3.client.send(new PutObjectCommand({ Bucket: "input", Key: "incoming/many-ips.csv", Body: csv }));
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it("writes the spilled runs to the work bucket, reads them back, and counts each IP as DuckDB does", async () => {
    const { plan, result } = await runThroughHandlers(s3, handlers, {
      runId: "run-1",
      bucket: "input",
      key: "incoming/many-ips.csv",
      rangeBytes: Math.ceil(csv.length / 3),
    });

    const listed = await s3.client.send(
      new ListObjectsV2Command({ Bucket: "work", Prefix: "runs/run-1/ip-runs/" }),
    );
    const runKeys = (listed.Contents ?? []).map((o) => o.Key!);
    expect(plan.rangeCount).toBe(3);
    // Every range holds more than 1,536 distinct IPs: each spilled at least once.
    for (const index of [0, 1, 2]) {
      expect(runKeys.some((k) => k.startsWith(`runs/run-1/ip-runs/range-0000${index}/`))).toBe(true);
    }
    expect(result).toMatchObject({ status: "pass", rows: { read: 6000, ok: 6000, corrupt: 0 } });

    const dir = await mkdtemp(join(tmpdir(), "edgar-etl-ip-runs-"));
    const local = async (bucket: string, key: string, name: string) => {
      const body = await (await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!;
      const path = join(dir, name);
      await writeFile(path, await body.transformToByteArray());
      return path;
    };
    const ips = await local("output", "ip_counts/source=many-ips/part-00000.parquet", "ip_counts.parquet");
    const source = await local("input", "incoming/many-ips.csv", "many-ips.csv");
    const db = await (await DuckDBInstance.create(":memory:")).connect();
    // Ours and DuckDB's own count of the CSV, row for row: none differs, none is missing.
    const differing = await db.runAndReadAll(
      `with expected as (select ip, count(*) as c from read_csv('${source}', header = true, all_varchar = true) group by ip),
            ours as (select ip, count as c from '${ips}')
       select (select count(*) from expected)::int as expected,
              (select count(*) from ours)::int as ours,
              (select count(*) from expected full join ours using (ip) where expected.c is distinct from ours.c)::int as differing`,
    );
    expect(differing.getRowObjectsJson()).toEqual([{ expected: 4000, ours: 4000, differing: 0 }]);
  });
});
