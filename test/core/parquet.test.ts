/**
 * Parquet output (docs/architecture.md §6): logical types readers agree on (UTF8, DATE,
 * INT32/INT64), checked by reading our bytes back with DuckDB; then the local pipeline's four
 * tables end to end.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import parquetjs from "parquetjs-lite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_RUN_OPTIONS } from "../../functions/contracts";
import { encodeParquet } from "../../functions/core/parquet";
import { type ColumnType, type Table, utf8Values } from "../../functions/core/tables";
import { runLocal } from "../../local/run-local";
import { type Duck, openDuck, sqlText } from "../helpers/duckdb";
import { csvLine, EDGAR_HEADER, edgarRow } from "../helpers/edgar-csv";
import { tableFromRows } from "../helpers/tables";

let duck: Duck;
let tmp: string;
let fileNo = 0;

beforeAll(async () => {
  duck = await openDuck();
  tmp = await mkdtemp(join(tmpdir(), "edgar-parquet-"));
});
afterAll(async () => {
  duck?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** The footer fields read back by parquetjs-lite's reader, a second implementation beside DuckDB. */
interface FooterMetadata {
  row_groups: {
    columns: {
      file_offset: unknown;
      meta_data: { data_page_offset: unknown; total_compressed_size: unknown };
    }[];
  }[];
}
interface SecondReader {
  readonly metadata: unknown;
  getCursor(): { next(): Promise<unknown> };
  close(): Promise<void>;
}
const { ParquetReader } = parquetjs as unknown as {
  ParquetReader: { openBuffer(buffer: Buffer): Promise<SecondReader> };
};

type Columns = readonly { name: string; type: ColumnType; optional?: boolean }[];
interface RowTable {
  name: string;
  columns: Columns;
  rows: Record<string, string | number | null>[];
}

/** Writes the table's Parquet bytes to a temp file and returns a SQL literal of its path. */
async function written(table: RowTable, rowGroupRows?: number): Promise<string> {
  const path = join(tmp, `t${fileNo++}.parquet`);
  await writeFile(
    path,
    await encodeParquet(tableFromRows(table.name, table.columns, table.rows), rowGroupRows),
  );
  return sqlText(path);
}

/** Every row of a file as parquetjs-lite's reader gives it back (a null value is left out). */
async function rowsBySecondReader(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  const reader = await ParquetReader.openBuffer(Buffer.from(bytes));
  const cursor = reader.getCursor();
  const rows: Record<string, unknown>[] = [];
  for (let row = await cursor.next(); row !== null; row = await cursor.next()) {
    rows.push(row as Record<string, unknown>);
  }
  await reader.close();
  return rows;
}

async function describeTypes(file: string): Promise<Record<string, string>> {
  const rows = await duck.rows(`describe select * from read_parquet(${file}, hive_partitioning = false)`);
  return Object.fromEntries(rows.map((r) => [r.column_name, r.column_type]));
}

const ALL_TYPES: Columns = [
  { name: "day", type: "DATE" },
  { name: "label", type: "UTF8" },
  { name: "note", type: "UTF8", optional: true },
  { name: "small", type: "INT32" },
  { name: "big", type: "INT64" },
];

describe("encodeParquet, byte for byte", () => {
  // First in the file: the earliest files this process encodes are these.
  it("writes a table as the same bytes whatever was encoded before it", async () => {
    const int32 = (name: string, values: number[]): Table => ({
      name,
      rowCount: values.length,
      columns: [{ name: "v", type: "INT32", values: Int32Array.from(values) }],
    });
    const counts: Table = {
      name: "counts",
      rowCount: 9,
      columns: [{ name: "count", type: "INT64", values: Float64Array.of(1, 1, 1, 1, 1, 1, 2, 1, 1) }],
    };
    const first = Buffer.from(await encodeParquet(counts)).toString("hex");
    // A page hysnappy compressed before changed how it compressed the next (a shared instance).
    await encodeParquet(int32("before", [2, 3, 1, 0, 2, 0, 1, 2, 2, 0]));
    expect(Buffer.from(await encodeParquet(counts)).toString("hex")).toBe(first);
    for (let n = 1; n < 60; n += 7) {
      await encodeParquet(
        int32(
          "noise",
          Array.from({ length: n }, (_, i) => (i * 7) % 4),
        ),
      );
      expect(Buffer.from(await encodeParquet(counts)).toString("hex")).toBe(first);
    }
  });
});

describe("encodeParquet, read back by DuckDB", () => {
  it("declares DATE, UTF8, INT32 and INT64 so DuckDB types them DATE, VARCHAR, INTEGER, BIGINT", async () => {
    // Act
    const file = await written({
      name: "t",
      columns: ALL_TYPES,
      rows: [{ day: "2017-06-30", label: "a", note: null, small: 1, big: 2 }],
    });

    // Assess
    expect(await describeTypes(file)).toEqual({
      day: "DATE",
      label: "VARCHAR",
      note: "VARCHAR",
      small: "INTEGER",
      big: "BIGINT",
    });
    const schema = await duck.rows(
      `select name, type, converted_type, repetition_type from parquet_schema(${file}) where name <> 'schema' and type is not null`,
    );
    expect(schema).toEqual([
      { name: "day", type: "INT32", converted_type: "DATE", repetition_type: "REQUIRED" },
      { name: "label", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
      { name: "note", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
      { name: "small", type: "INT32", converted_type: null, repetition_type: "REQUIRED" },
      { name: "big", type: "INT64", converted_type: null, repetition_type: "REQUIRED" },
    ]);
  });

  it("keeps values: dates at the edges, UTF-8 text, null apart from empty, integer extremes", async () => {
    // Prepare
    const rows = [
      { day: "1970-01-01", label: "", note: null, small: -(2 ** 31), big: 0 },
      { day: "2000-02-29", label: "é日本😀", note: "", small: 2 ** 31 - 1, big: 2 ** 53 - 1 },
      { day: "2017-06-30", label: 'a,b "q" \r\n', note: "x", small: 0, big: -(2 ** 40) },
      { day: "2099-12-31", label: "zero\uFEFFwidth", note: "日本", small: 503, big: 1 },
    ];

    // Act
    const file = await written({ name: "t", columns: ALL_TYPES, rows });

    // Assess
    const back = await duck.rows(
      `select day::varchar as day, label, note, small, big::varchar as big from read_parquet(${file})`,
    );
    expect(back).toEqual(rows.map((r) => ({ ...r, big: String(r.big) })));
  });

  it("keeps text values longer than 64 bytes, up to 70 000", async () => {
    const rows = [65, 1, 100, 70_000, 64, 300].map((length, i) => ({
      label: String.fromCharCode(97 + i).repeat(length),
    }));
    const file = await written({ name: "t", columns: [{ name: "label", type: "UTF8" }], rows });
    expect(await duck.rows(`select label from read_parquet(${file})`)).toEqual(rows);
  });

  it("writes each row group's min, max and null count as DuckDB reads them", async () => {
    const rows = [
      { day: "2017-06-30", label: "b", note: null, small: 5, big: -3 },
      { day: "1999-01-01", label: "é", note: "z", small: -2, big: 2 ** 40 },
      { day: "2020-02-29", label: "a", note: null, small: 7, big: 0 },
    ];
    const file = await written({ name: "t", columns: ALL_TYPES, rows });
    const stats = await duck.rows(
      `select path_in_schema as c, stats_min_value as min, stats_max_value as max, stats_null_count::int as nulls
       from parquet_metadata(${file}) order by column_id`,
    );
    expect(stats).toEqual([
      { c: "day", min: "1999-01-01", max: "2020-02-29", nulls: 0 },
      { c: "label", min: "a", max: "é", nulls: 0 },
      { c: "note", min: "z", max: "z", nulls: 2 },
      { c: "small", min: "-2", max: "7", nulls: 0 },
      { c: "big", min: "-3", max: String(2 ** 40), nulls: 0 },
    ]);
  });

  it("writes each row group's own statistics, counts and offsets, whatever the others hold", async () => {
    // Five row groups of 3. Text minima and maxima need a second byte, a prefix, or sit at the
    // first or last row; the first row's small number must not leak into later groups.
    const label = ["a", "ab", "b", "ab", "a", "z", "ac", "ab", "ad", "b", "c", "a", "a", "c", "ab"];
    const note = [null, "x", null, null, null, null, "p", "q", null, null, "r", "s", "u", null, null];
    const n = [-100, 5, 3, 7, 8, 6, 9, 10, 11, 4, 4, 2, 1, 0, 1];
    const file = await written(
      {
        name: "t",
        columns: [
          { name: "label", type: "UTF8" },
          { name: "note", type: "UTF8", optional: true },
          { name: "n", type: "INT32" },
        ],
        rows: label.map((l, i) => ({ label: l, note: note[i]!, n: n[i]! })),
      },
      3,
    );
    const meta = await duck.rows(
      `select row_group_id::int as g, path_in_schema as c, num_values::int as values,
         stats_min_value as min, stats_max_value as max, stats_min as old_min, stats_max as old_max,
         stats_null_count::int as nulls, encodings
       from parquet_metadata(${file}) order by row_group_id, column_id`,
    );
    const text = (min: string | null, max: string | null, nulls: number) => ({
      min,
      max,
      old_min: null,
      old_max: null,
      nulls,
    });
    const integer = (min: number, max: number) => ({
      min: `${min}`,
      max: `${max}`,
      old_min: `${min}`,
      old_max: `${max}`,
      nulls: 0,
    });
    const expected = [
      [text("a", "b", 0), text("x", "x", 2), integer(-100, 5)],
      [text("a", "z", 0), text(null, null, 3), integer(6, 8)],
      [text("ab", "ad", 0), text("p", "q", 1), integer(9, 11)],
      [text("a", "c", 0), text("r", "s", 1), integer(2, 4)],
      [text("a", "c", 0), text("u", "u", 2), integer(0, 1)],
    ];
    expect(meta).toEqual(
      expected.flatMap((group, g) =>
        group.map((stats, column) => ({
          g,
          c: ["label", "note", "n"][column],
          values: 3,
          ...stats,
          encodings: "RLE, PLAIN",
        })),
      ),
    );
  });

  it("declares each row group's size as the bytes its column chunks take", async () => {
    const rows = Array.from({ length: 7 }, (_, i) => ({ label: `value ${i}`.repeat(i + 1), n: i }));
    const file = await written(
      {
        name: "t",
        columns: [
          { name: "label", type: "UTF8" },
          { name: "n", type: "INT32" },
        ],
        rows,
      },
      3,
    );
    const groups = await duck.rows(
      `select row_group_id::int as g, any_value(row_group_bytes)::int as declared,
         sum(total_compressed_size)::int as chunks
       from parquet_metadata(${file}) group by row_group_id order by row_group_id`,
    );
    expect(groups).toHaveLength(3);
    // Each chunk's page plus its metadata: more than the pages alone, and at most a few hundred
    // bytes more.
    for (const { declared, chunks } of groups) {
      expect(Number(declared)).toBeGreaterThan(Number(chunks));
      expect(Number(declared)).toBeLessThan(Number(chunks) + 400);
    }
  });

  it("writes a definition level for every row of an optional column, with or without a nulls array, in its column order", async () => {
    // Prepare: an optional INT32 column (no nulls array: every row has a value) and an optional
    // text column read through an order (rows 3, 0, 2, 1 of its values, one of them null)
    const texts = utf8Values(["a", null, "c", "dd"]);
    const order = Int32Array.of(3, 0, 2, 1);
    const table: Table = {
      name: "t",
      rowCount: 4,
      columns: [
        { name: "n", type: "INT32", optional: true, values: Int32Array.of(7, -8, 9, 10) },
        { name: "s", type: "UTF8", optional: true, values: texts, order },
      ],
    };
    const path = join(tmp, `t${fileNo++}.parquet`);
    await writeFile(path, await encodeParquet(table, 3));

    // Act
    const rows = await duck.rows(`select n, s from read_parquet(${sqlText(path)})`);
    const nulls = await duck.rows(
      `select row_group_id::int as g, path_in_schema as c, stats_null_count::int as nulls from parquet_metadata(${sqlText(path)}) order by g, c`,
    );

    // Assess
    expect(rows).toEqual([
      { n: 7, s: "dd" },
      { n: -8, s: "a" },
      { n: 9, s: "c" },
      { n: 10, s: null },
    ]);
    expect(nulls).toEqual([
      { g: 0, c: "n", nulls: 0 },
      { g: 0, c: "s", nulls: 0 },
      { g: 1, c: "n", nulls: 0 },
      { g: 1, c: "s", nulls: 1 },
    ]);
  });

  it("takes the bounds of ascending values (ip_counts' keys) by index, through a shuffled order, per row group", async () => {
    // Arrange: keys in byte order, back to back, as the merge writes them (a prefix first,
    // bytes >= 0x80 last); rows visit them shuffled, three row groups of 4.
    const keys = ["1.2", "1.2.3", "10.0", "2", "2.5", "9", "a", "ab", "b", "é", "éa", "\u{1F600}"];
    const bytes = Buffer.concat(keys.map((k) => Buffer.from(k)));
    const ends = Uint32Array.from(keys.map((_, i) => Buffer.byteLength(keys.slice(0, i + 1).join(""))));
    const order = Int32Array.from([5, 0, 9, 3, 11, 2, 7, 1, 4, 6, 10, 8]);
    const table: Table = {
      name: "t",
      rowCount: order.length,
      columns: [{ name: "ip", type: "UTF8", values: { bytes, ends, ascending: true }, order }],
    };
    const path = join(tmp, `t${fileNo++}.parquet`);
    await writeFile(path, await encodeParquet(table, 4));

    // Act
    const stats = await duck.rows(
      `select row_group_id::int as g, stats_min_value as min, stats_max_value as max
       from parquet_metadata(${sqlText(path)}) order by row_group_id`,
    );
    const back = await duck.rows(`select ip from read_parquet(${sqlText(path)})`);

    // Assess: each group's least and greatest of its own keys, in byte order.
    const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    const expected = [0, 1, 2].map((g) => {
      const group = [...order.subarray(g * 4, g * 4 + 4)].map((i) => keys[i]!).sort(byBytes);
      return { g, min: group[0], max: group.at(-1) };
    });
    expect(stats).toEqual(expected);
    expect(back.map((r) => r.ip)).toEqual([...order].map((i) => keys[i]));
  });

  it("points each column chunk at its metadata, which follows its page", async () => {
    const rows = Array.from({ length: 7 }, (_, i) => ({
      day: "2017-06-30",
      label: `v${i}`,
      note: null,
      small: i,
      big: -i,
    }));
    const table = tableFromRows("t", ALL_TYPES, rows);
    const reader = await ParquetReader.openBuffer(Buffer.from(await encodeParquet(table, 4)));
    const chunks = (reader.metadata as FooterMetadata).row_groups.flatMap((g) =>
      g.columns.map((c) => ({
        metadata: Number(c.file_offset),
        page: Number(c.meta_data.data_page_offset),
        size: Number(c.meta_data.total_compressed_size),
      })),
    );
    await reader.close();
    expect(chunks).toHaveLength(10);
    // The first page follows the 4-byte magic; a chunk's metadata follows its page, the next page follows it.
    expect(chunks[0]!.page).toBe(4);
    chunks.forEach((c, i) => {
      expect(c.metadata).toBe(c.page + c.size);
      if (i > 0) expect(c.page).toBeGreaterThan(chunks[i - 1]!.metadata);
    });
  });

  it("a second reader, which counts values by each page's header, reads the same rows across row groups", async () => {
    const rows = Array.from({ length: 8 }, (_, i) => ({
      label: `r${i}`,
      note: i % 3 === 0 ? null : `n${i}`,
      big: i * 1000 - 3,
    }));
    const columns = [
      { name: "label", type: "UTF8" },
      { name: "note", type: "UTF8", optional: true },
      { name: "big", type: "INT64" },
    ] as const;
    const back = await rowsBySecondReader(await encodeParquet(tableFromRows("t", columns, rows), 3));
    expect(back).toEqual(
      rows.map((r) => ({ label: r.label, ...(r.note === null ? {} : { note: r.note }), big: BigInt(r.big) })),
    );
  });

  it("writes definition levels both readers decode for long row groups, their run header over a byte", async () => {
    // 3,001 rows in groups of 1,500 and 1: 188 groups of 8 levels (a two-byte varint header),
    // rows past a multiple of 8, nulls in runs and alone; and a group of one null.
    const rows = Array.from({ length: 3001 }, (_, i) => ({
      label: `r${i}`,
      note: i % 7 === 0 || (i > 1000 && i < 1100) || i === 3000 ? null : `n${i % 50}`,
      big: i,
    }));
    const columns = [
      { name: "label", type: "UTF8" },
      { name: "note", type: "UTF8", optional: true },
      { name: "big", type: "INT64" },
    ] as const;
    const bytes = Buffer.from(await encodeParquet(tableFromRows("t", columns, rows), 1500));
    const path = join(tmp, `t${fileNo++}.parquet`);
    await writeFile(path, bytes);
    const byDuck = await duck.rows(`select note from read_parquet(${sqlText(path)})`);
    expect(byDuck.map((r) => r.note)).toEqual(rows.map((r) => r.note));
    const bySecond = await rowsBySecondReader(bytes);
    expect(bySecond.map((r) => r.note ?? null)).toEqual(rows.map((r) => r.note));
  });

  it("declares sizes by the PLAIN encoding: 4 bytes an INT32, 4 plus its bytes a text value", async () => {
    const rows = Array.from({ length: 1000 }, () => ({ small: 0, label: "a" }));
    const file = await written({
      name: "t",
      columns: [
        { name: "small", type: "INT32" },
        { name: "label", type: "UTF8" },
      ],
      rows,
    });
    const sizes = await duck.rows(
      `select path_in_schema as c, compression, total_uncompressed_size::int as raw, total_compressed_size::int as packed
       from parquet_metadata(${file}) order by column_id`,
    );
    // Uncompressed: the values plus a page header of a few dozen bytes; Snappy packs repeats.
    const plain = { small: 4000, label: 5000 };
    for (const s of sizes) {
      const values = plain[s.c as keyof typeof plain];
      expect(s.compression).toBe("SNAPPY");
      expect(s.raw).toBeGreaterThan(values);
      expect(s.raw).toBeLessThan(values + 100);
      expect(s.packed).toBeLessThan(values / 4);
    }
  });

  it("writes no empty row group", async () => {
    const groups = async (count: number) => {
      const rows = Array.from({ length: count }, (_, i) => ({ hour: i, count: 1 }));
      const file = await written(
        {
          name: "t",
          columns: [
            { name: "hour", type: "INT32" },
            { name: "count", type: "INT64" },
          ],
          rows,
        },
        3,
      );
      return (await duck.rows(`select num_row_groups::int as n from parquet_file_metadata(${file})`))[0]!.n;
    };
    expect([await groups(0), await groups(3), await groups(9)]).toEqual([0, 1, 3]);
  });

  it("refuses a null in a required column and a number that is not an integer, naming the column", async () => {
    const columns = [
      { name: "label", type: "UTF8" },
      { name: "big", type: "INT64" },
    ] as const;
    await expect(
      written({
        name: "t",
        columns,
        rows: [
          { label: "a", big: 1 },
          { label: null, big: 2 },
        ],
      }),
    ).rejects.toThrow("column label is required but row 1 is null");
    await expect(written({ name: "t", columns, rows: [{ label: "a", big: 1.5 }] })).rejects.toThrow(
      "column big: 1.5 is not an integer",
    );
    await expect(written({ name: "t", columns, rows: [{ label: "a", big: Number.NaN }] })).rejects.toThrow(
      "column big: NaN is not an integer",
    );
  });

  it("keeps row order across row groups", async () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({ hour: (i * 7) % 24, count: 10 - i }));
    const file = await written(
      {
        name: "errors_by_hour",
        columns: [
          { name: "hour", type: "INT32" },
          { name: "count", type: "INT64" },
        ],
        rows,
      },
      3,
    );

    expect(await duck.rows(`select hour, count::int as count from read_parquet(${file})`)).toEqual(rows);
    expect(
      await duck.rows(`select count(distinct row_group_id)::int as groups from parquet_metadata(${file})`),
    ).toEqual([{ groups: 4 }]);
  });

  it("an empty table still declares its columns and types", async () => {
    const file = await written({ name: "t", columns: ALL_TYPES, rows: [] });

    expect(await describeTypes(file)).toMatchObject({ day: "DATE", label: "VARCHAR", big: "BIGINT" });
    expect(await duck.rows(`select count(*)::int as n from read_parquet(${file})`)).toEqual([{ n: 0 }]);
  });

  it("round-trips any server_errors-shaped rows", async () => {
    const row = fc.record({
      date: fc
        .date({
          min: new Date("1970-01-01T00:00:00Z"),
          max: new Date("2099-12-31T00:00:00Z"),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString().slice(0, 10)),
      time: fc.integer({ min: 0, max: 86_399 }).map((s) => new Date(s * 1000).toISOString().slice(11, 19)),
      extention: fc.option(fc.string({ unit: "grapheme", maxLength: 20 }), { nil: null }),
      code: fc.integer({ min: 0, max: 999 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 50 }), async (rows) => {
        const file = await written({
          name: "server_errors",
          columns: [
            { name: "date", type: "DATE" },
            { name: "time", type: "UTF8" },
            { name: "extention", type: "UTF8", optional: true },
            { name: "code", type: "INT32" },
          ],
          rows,
        });
        expect(
          await duck.rows(`select date::varchar as date, time, extention, code from read_parquet(${file})`),
        ).toEqual(rows);
      }),
      { seed: 31, numRuns: 40 },
    );
  });
});

describe("the local pipeline's four tables", () => {
  it("have the declared types, the Hive layout and the values counted by hand", async () => {
    // Prepare: 7 rows; server errors are 503, 500 and 599 (not 600, not 499)
    const rows = [
      edgarRow({ ip: "1.1.1.a", time: "00:10:00", code: "503.0", extention: "日本.txt" }),
      edgarRow({ ip: "1.1.1.a", time: "01:00:00", code: "200.0" }),
      edgarRow({ ip: "2.2.2.b", time: "9:05:00", code: "500", extention: "" }),
      edgarRow({ ip: "3.3.3.c", time: "23:59:59", code: "599.0", extention: "😀.pdf" }),
      edgarRow({ ip: "2.2.2.b", time: "12:00:00", code: "0.0" }),
      edgarRow({ ip: "3.3.3.c", time: "12:00:01", code: "600.0" }),
      edgarRow({ ip: "4.4.4.d", time: "12:00:02", code: "499.0" }),
    ];
    const dir = await mkdtemp(join(tmp, "local-"));
    const file = join(dir, "log20170630.csv");
    await writeFile(file, `${EDGAR_HEADER}\n${rows.map((r) => csvLine(r)).join("\n")}\n`);
    const outDir = join(dir, "out");

    // Act
    await runLocal({
      file,
      outDir,
      options: { ...DEFAULT_RUN_OPTIONS, rangeBytes: 150, topN: 2 },
      concurrency: 2,
      runId: "parquet-test",
    });

    // Assess
    const table = (name: string) => sqlText(join(outDir, name, "source=log20170630", "part-00000.parquet"));
    expect(await describeTypes(table("server_errors"))).toEqual({
      date: "DATE",
      time: "VARCHAR",
      extention: "VARCHAR",
      code: "INTEGER",
    });
    expect(await describeTypes(table("errors_by_hour"))).toEqual({ hour: "INTEGER", count: "BIGINT" });
    expect(await describeTypes(table("ip_counts"))).toEqual({ ip: "VARCHAR", count: "BIGINT" });
    expect(await describeTypes(table("top_ips"))).toEqual({
      rank: "INTEGER",
      ip: "VARCHAR",
      count: "BIGINT",
    });

    const glob = sqlText(join(outDir, "server_errors", "*", "*.parquet"));
    expect(
      await duck.rows(
        `select source, date::varchar as date, time, extention, code
         from read_parquet(${glob}, hive_partitioning = true)`,
      ),
    ).toEqual([
      { source: "log20170630", date: "2017-06-30", time: "00:10:00", extention: "日本.txt", code: 503 },
      { source: "log20170630", date: "2017-06-30", time: "09:05:00", extention: null, code: 500 },
      { source: "log20170630", date: "2017-06-30", time: "23:59:59", extention: "😀.pdf", code: 599 },
    ]);
    expect(await duck.rows(`select hour, count::int as count from ${table("errors_by_hour")}`)).toEqual([
      { hour: 0, count: 1 },
      { hour: 9, count: 1 },
      { hour: 23, count: 1 },
    ]);
    expect(await duck.rows(`select ip, count::int as count from ${table("ip_counts")}`)).toEqual([
      { ip: "1.1.1.a", count: 2 },
      { ip: "2.2.2.b", count: 2 },
      { ip: "3.3.3.c", count: 2 },
      { ip: "4.4.4.d", count: 1 },
    ]);
    expect(await duck.rows(`select rank, ip, count::int as count from ${table("top_ips")}`)).toEqual([
      { rank: 1, ip: "1.1.1.a", count: 2 },
      { rank: 2, ip: "2.2.2.b", count: 2 },
    ]);
  });
});
