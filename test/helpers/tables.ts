/**
 * Tables and ip counts written by hand in tests: rows and strings in, the core's columnar
 * forms out (the inverse of tableRows and ipCountList).
 */
import type { IpCounts } from "../../functions/core/aggregate";
import { type ColumnType, type Table, type TableColumn, utf8Values } from "../../functions/core/tables";

type Row = Record<string, string | number | null>;

export function tableFromRows(
  name: string,
  columns: readonly { name: string; type: ColumnType; optional?: boolean }[],
  rows: readonly Row[],
): Table {
  const built: TableColumn[] = columns.map((c) => {
    const values = rows.map((r) => r[c.name] ?? null);
    if (c.type === "UTF8") {
      return { ...c, values: utf8Values(values.map((v) => (v === null ? null : String(v)))) };
    }
    if (c.type === "DATE") {
      return { ...c, values: Int32Array.from(values, (v) => Date.parse(`${v}T00:00:00Z`) / 86_400_000) };
    }
    if (c.type === "INT32") return { ...c, values: Int32Array.from(values, Number) };
    return { ...c, values: Float64Array.from(values, Number) };
  });
  return { name, rowCount: rows.length, columns: built };
}

export function ipCountsOf(ips: readonly string[], counts: readonly number[]): IpCounts {
  const parts = ips.map((ip) => Buffer.from(ip, "utf8"));
  let at = 0;
  return {
    keys: Buffer.concat(parts),
    ends: Uint32Array.from(parts, (p) => (at += p.length)),
    counts: Float64Array.from(counts),
  };
}

/** UTF-8 byte order of two strings, the order merged ip counts and ranking ties use. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
