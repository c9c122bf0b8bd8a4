/**
 * The Glue tables Athena queries declare the columns and types of the Parquet the reducer
 * writes: a small run's tables, encoded by the product's own Parquet writer, are read back by
 * DuckDB, and each file's schema, mapped to Hive types, equals the table's columns in order.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeParquet } from "../../functions/core/parquet";
import { TABLE_NAMES } from "../../functions/core/tables";
import { OUTPUT_TABLE_COLUMNS } from "../../infra/constructs/pipeline-catalog";
import { type Duck, openDuck, sqlText } from "../helpers/duckdb";
import { csvFile, csvLine, edgarRow } from "../helpers/edgar-csv";
import { runCore } from "../helpers/run-core";

/** How Athena's Hive types name what DuckDB reads from Parquet. */
const HIVE_TYPE_OF_DUCKDB: Readonly<Record<string, string>> = {
  VARCHAR: "string",
  INTEGER: "int",
  BIGINT: "bigint",
  DATE: "date",
};

describe("the Glue catalog's tables", () => {
  const dir = mkdtempSync(join(tmpdir(), "edgar-etl-glue-"));
  let duck: Duck;

  beforeAll(async () => {
    const bytes = csvFile([
      csvLine(edgarRow({ ip: "1.1.1.aaa", time: "09:15:00", code: "503.0", extention: ".txt" })),
      csvLine(edgarRow({ ip: "1.1.1.aaa", time: "10:00:00", code: "200.0" })),
      csvLine(edgarRow({ ip: "2.2.2.bbb", time: "23:59:59", code: "500.0", extention: "" })),
    ]);
    const { tables } = await runCore({ bytes });
    for (const name of TABLE_NAMES) {
      writeFileSync(join(dir, `${name}.parquet`), await encodeParquet(tables[name]));
    }
    duck = await openDuck();
  });

  afterAll(() => duck.close());

  it.each(TABLE_NAMES)("%s: Glue columns and types equal the Parquet schema, in order", async (name) => {
    const schema = await duck.rows(
      `DESCRIBE SELECT * FROM read_parquet(${sqlText(join(dir, `${name}.parquet`))})`,
    );
    const parquetColumns = schema.map((c) => ({
      name: String(c.column_name),
      type: HIVE_TYPE_OF_DUCKDB[String(c.column_type)] ?? `unmapped ${String(c.column_type)}`,
    }));

    expect(OUTPUT_TABLE_COLUMNS[name]).toEqual(parquetColumns);
  });

  it("catalogs every table the reducer writes, and no other", () => {
    expect(Object.keys(OUTPUT_TABLE_COLUMNS).sort()).toEqual([...TABLE_NAMES].sort());
  });
});
