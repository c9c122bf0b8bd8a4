/**
 * The four output tables from a merged aggregate written by hand: names, types, nullability and
 * every value, with expected rows worked out from the schema (README, Outputs) by hand.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emptyAggregate } from "../../functions/core/aggregate";
import {
  buildTables,
  isUtf8,
  TABLE_NAMES,
  type Table,
  tableRows,
  utf8Values,
  valueAt,
} from "../../functions/core/tables";
import { ipCountsOf } from "../helpers/tables";

const shape = (t: Table) => t.columns.map((c) => [c.name, c.type, c.optional === true]);

function aggregate() {
  const agg = emptyAggregate();
  agg.serverErrors = {
    offset: [10, 20, 30],
    date: ["2017-06-30", "1970-01-02", "2017-06-30"],
    time: ["00:10:00", "23:59:59", "09:05:00"],
    extention: ["日本.txt", null, ""],
    code: [503, 500, 599],
  };
  agg.errorsByHour[0] = 1;
  agg.errorsByHour[9] = 1;
  agg.errorsByHour[23] = 4;
  // Ordered by key bytes, as a merged aggregate is.
  agg.ipCounts = ipCountsOf(["1.1.1.a", "2.2.2.b", "3.3.3.c", "4.4.4.d", "é.1"], [2, 5, 2, 1, 5]);
  return agg;
}

describe("buildTables", () => {
  it("builds the four tables with their declared columns", () => {
    const tables = buildTables(aggregate(), 3);

    expect(Object.keys(tables)).toEqual([...TABLE_NAMES]);
    expect(Object.values(tables).map((t) => t.name)).toEqual([...TABLE_NAMES]);
    expect(shape(tables.server_errors)).toEqual([
      ["date", "DATE", false],
      ["time", "UTF8", false],
      ["extention", "UTF8", true],
      ["code", "INT32", false],
    ]);
    expect(shape(tables.errors_by_hour)).toEqual([
      ["hour", "INT32", false],
      ["count", "INT64", false],
    ]);
    expect(shape(tables.ip_counts)).toEqual([
      ["ip", "UTF8", false],
      ["count", "INT64", false],
    ]);
    expect(shape(tables.top_ips)).toEqual([
      ["rank", "INT32", false],
      ["ip", "UTF8", false],
      ["count", "INT64", false],
    ]);
  });

  it("server_errors: one row per error in file order, dates as days since 1970-01-01", () => {
    const { server_errors } = buildTables(aggregate(), 3);

    expect(server_errors.rowCount).toBe(3);
    // 2017-06-30: 47 years with 12 leap days, then 180 days into the year.
    expect(Array.from(server_errors.columns[0]!.values as Int32Array)).toEqual([17347, 1, 17347]);
    expect(tableRows(server_errors)).toEqual([
      { date: "2017-06-30", time: "00:10:00", extention: "日本.txt", code: 503 },
      { date: "1970-01-02", time: "23:59:59", extention: null, code: 500 },
      { date: "2017-06-30", time: "09:05:00", extention: "", code: 599 },
    ]);
  });

  it("errors_by_hour: only hours with errors, in hour order", () => {
    const { errors_by_hour } = buildTables(aggregate(), 3);

    expect(errors_by_hour.rowCount).toBe(3);
    expect(tableRows(errors_by_hour)).toEqual([
      { hour: 0, count: 1 },
      { hour: 9, count: 1 },
      { hour: 23, count: 4 },
    ]);
  });

  it("ip_counts and top_ips: by count descending, ties by ip bytes; top_ips ranked from 1", () => {
    const tables = buildTables(aggregate(), 3);

    expect(tables.ip_counts.rowCount).toBe(5);
    expect(tableRows(tables.ip_counts)).toEqual([
      { ip: "2.2.2.b", count: 5 },
      { ip: "é.1", count: 5 },
      { ip: "1.1.1.a", count: 2 },
      { ip: "3.3.3.c", count: 2 },
      { ip: "4.4.4.d", count: 1 },
    ]);
    expect(tables.top_ips.rowCount).toBe(3);
    expect(tableRows(tables.top_ips)).toEqual([
      { rank: 1, ip: "2.2.2.b", count: 5 },
      { rank: 2, ip: "é.1", count: 5 },
      { rank: 3, ip: "1.1.1.a", count: 2 },
    ]);
  });

  it("top_ips holds every ip when there are fewer than topN, and none when there are none", () => {
    expect(tableRows(buildTables(aggregate(), 10).top_ips).map((r) => r.rank)).toEqual([1, 2, 3, 4, 5]);
    const empty = buildTables(emptyAggregate(), 10);
    expect(TABLE_NAMES.map((n) => empty[n].rowCount)).toEqual([0, 0, 0, 0]);
    expect(TABLE_NAMES.map((n) => tableRows(empty[n]))).toEqual([[], [], [], []]);
  });
});

describe("utf8Values and valueAt", () => {
  it("lay strings end to end as UTF-8, a null taking no bytes", () => {
    const v = utf8Values(["a", null, "日本", ""]);

    expect(Buffer.from(v.bytes).toString("utf8")).toBe("a日本");
    expect(Array.from(v.starts!)).toEqual([0, 1, 1, 7]);
    expect(Array.from(v.ends)).toEqual([1, 1, 7, 7]);
    expect(Array.from(v.nulls ?? [])).toEqual([0, 1, 0, 0]);
    const column = { name: "t", type: "UTF8", values: v } as const;
    expect([0, 1, 2, 3].map((i) => valueAt(column, i))).toEqual(["a", null, "日本", ""]);
  });

  it("encode any texts as Buffer.from encodes each, ASCII or not, lone surrogates included", () => {
    const text = fc.oneof(
      fc.string({ unit: "grapheme-ascii", maxLength: 12 }),
      fc.string({ unit: "binary", maxLength: 6 }),
      fc.constantFrom("\uD800", "\uDC00x", "é", "\u0080", "\u007F"),
    );
    fc.assert(
      fc.property(fc.array(fc.option(text, { nil: null }), { maxLength: 30 }), (texts) => {
        const v = utf8Values(texts);
        const each = texts.map((t) => (t === null ? null : Buffer.from(t, "utf8")));
        expect(Buffer.from(v.bytes).equals(Buffer.concat(each.filter((b) => b !== null)))).toBe(true);
        expect(v.nulls === undefined).toBe(!texts.includes(null));
        let at = 0;
        each.forEach((b, i) => {
          expect([v.starts![i], v.nulls?.[i] ?? 0]).toEqual([at, b === null ? 1 : 0]);
          at += b?.length ?? 0;
          expect(v.ends[i]).toBe(at);
        });
      }),
      { seed: 20261202, numRuns: 300 },
    );
  });

  it("keep a leading U+FEFF in text", () => {
    const column = { name: "t", type: "UTF8", values: utf8Values(["\uFEFFx"]) } as const;
    expect(valueAt(column, 0)).toBe("\uFEFFx");
  });

  it("tell text from numbers, and give dates as ISO days and integers as numbers", () => {
    expect(isUtf8(utf8Values([]))).toBe(true);
    expect(isUtf8(new Int32Array(1))).toBe(false);
    expect(isUtf8(new Float64Array(1))).toBe(false);
    const days = Int32Array.from([0, 17347, -1]);
    expect([0, 1, 2].map((i) => valueAt({ name: "d", type: "DATE", values: days }, i))).toEqual([
      "1970-01-01",
      "2017-06-30",
      "1969-12-31",
    ]);
    expect(valueAt({ name: "n", type: "INT32", values: days }, 1)).toBe(17347);
    expect(valueAt({ name: "n", type: "INT64", values: Float64Array.from([2 ** 53 - 1]) }, 0)).toBe(
      2 ** 53 - 1,
    );
  });
});
