/** Key layout: readable stems, unambiguous partition values, Hive-style escaping DuckDB decodes. */
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { outputKeys, sourcePartition, sourceStem, workKeys } from "../../functions/stages/layout";
import { openDuck } from "../helpers/duckdb";

describe("sourceStem", () => {
  it.each([
    ["incoming/log20170630.csv", "log20170630"],
    ["log20170630.csv.gz", "log20170630"],
    ["a/b/log.CSV", "log"],
    ["day.txt.zip", "day"],
    ["x.tar", "x.tar"],
    ["a.csv.b.zip", "a.csv.b"],
    ["we ird@name.csv", "we_ird_name"],
    ["incoming/.csv", "source"],
    ["plain", "plain"],
  ])("%s -> %s", (key, stem) => {
    expect(sourceStem(key)).toBe(stem);
  });
});

describe("sourcePartition", () => {
  const s3 = (key: string) => ({ bucket: "in", key, stem: sourceStem(key) });
  it.each([
    ["incoming/log20170630.csv", "log20170630"],
    ["log20170630.csv", "log20170630"],
    ["incoming/2017/log20170630.csv", "2017/log20170630"],
    ["incoming/a/log.csv", "a/log"],
    ["incoming/b/log.csv", "b/log"],
    ["logs/edgar/2017/06/log.csv", "edgar/2017/06/log"],
    ["incoming/we ird/x.csv", "we_ird/x"],
    ["incoming//x.csv", "_/x"],
  ])("an S3 object %s -> %s", (key, value) => {
    expect(sourcePartition(s3(key))).toBe(value);
  });

  it("a local file: its stem, whatever its folder", () => {
    expect(sourcePartition({ key: "/tmp/a/b/day.csv", stem: "day" })).toBe("day");
  });

  it("an archive's CSV: the archive's folder and the member's stem", () => {
    const staged = { bucket: "work", key: "runs/r1/staged.csv", stem: "log20170630" };
    expect(sourcePartition({ ...staged, archive: { key: "incoming/2017/log20170630.zip" } })).toBe(
      "2017/log20170630",
    );
  });
});

describe("outputKeys", () => {
  it("escapes / and % in partition values, Hive-style; plain values are unchanged", () => {
    expect(outputKeys.table("top_ips", "log")).toBe("top_ips/source=log/part-00000.parquet");
    expect(outputKeys.table("ip_counts", "2017/06/log")).toBe(
      "ip_counts/source=2017%2F06%2Flog/part-00000.parquet",
    );
    expect(outputKeys.tablePrefix("server_errors", "a%b")).toBe("server_errors/source=a%25b/");
    expect(outputKeys.runFile("a/log", "_SUCCESS")).toBe("_runs/source=a%2Flog/_SUCCESS");
    expect(outputKeys.runDir("a/log", "run-1")).toBe("_runs/source=a%2Flog/run=run-1/");
    expect(outputKeys.runDirPrefix("log")).toBe("_runs/source=log/run=");
    expect(workKeys.plan("r")).toBe("runs/r/plan.json");
    expect(workKeys.tasks("r")).toBe("runs/r/tasks.json");
    expect(workKeys.partial("r", 7)).toMatch(/^runs\/r\/partials\/range-00007\./);
  });

  it("DuckDB's hive partitioning reads the values back, folders included", async () => {
    // Prepare: one Parquet file per partition, written by DuckDB at the keys the layout gives.
    const root = await mkdtemp(join(tmpdir(), "edgar-etl-layout-"));
    const duck = await openDuck();
    const values = ["log20170630", "2017/a", "2017/b", "x%y"];
    for (const [i, value] of values.entries()) {
      const path = join(root, outputKeys.table("top_ips", value));
      await mkdir(dirname(path), { recursive: true });
      await duck.rows(`copy (select ${i} as n) to '${path}' (format parquet)`);
    }

    // Act
    const rows = await duck.rows(
      `select source, n from read_parquet('${root}/top_ips/*/*.parquet', hive_partitioning = true) order by n`,
    );

    // Assess
    expect(rows.map((r) => r.source)).toEqual(values);
    duck.close();
  });
});
