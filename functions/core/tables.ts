/**
 * The Spark job's outputs, built from the merged aggregate: pure data, ready for Parquet.
 */
import type { Aggregate } from "./aggregate";
import { compareStrings } from "./aggregate";

export type ColumnType = "UTF8" | "INT32" | "INT64" | "DATE";

export interface TableColumn {
  readonly name: string;
  readonly type: ColumnType;
  readonly optional?: boolean;
}

export interface Table {
  readonly name: string;
  readonly columns: readonly TableColumn[];
  /** Row objects keyed by column name; DATE values are ISO strings `YYYY-MM-DD`. */
  readonly rows: readonly Record<string, string | number | null>[];
}

export const TABLE_NAMES = ["server_errors", "errors_by_hour", "ip_counts", "top_ips"] as const;
export type TableName = (typeof TABLE_NAMES)[number];

export function buildTables(agg: Aggregate, topN: number): Record<TableName, Table> {
  const se = agg.serverErrors;
  const serverErrors: Table = {
    name: "server_errors",
    columns: [
      { name: "date", type: "DATE" },
      { name: "time", type: "UTF8" },
      { name: "extention", type: "UTF8", optional: true },
      { name: "code", type: "INT32" },
    ],
    rows: se.offset.map((_, i) => ({
      date: se.date[i]!,
      time: se.time[i]!,
      extention: se.extention[i] ?? null,
      code: se.code[i]!,
    })),
  };
  const errorsByHour: Table = {
    name: "errors_by_hour",
    columns: [
      { name: "hour", type: "INT32" },
      { name: "count", type: "INT64" },
    ],
    rows: agg.errorsByHour.flatMap((count, hour) => (count > 0 ? [{ hour, count }] : [])),
  };
  const ranked = rankIps(agg.ipCounts);
  const ipCounts: Table = {
    name: "ip_counts",
    columns: [
      { name: "ip", type: "UTF8" },
      { name: "count", type: "INT64" },
    ],
    rows: ranked.map(([ip, count]) => ({ ip, count })),
  };
  const topIps: Table = {
    name: "top_ips",
    columns: [
      { name: "rank", type: "INT32" },
      { name: "ip", type: "UTF8" },
      { name: "count", type: "INT64" },
    ],
    rows: ranked.slice(0, topN).map(([ip, count], i) => ({ rank: i + 1, ip, count })),
  };
  return {
    server_errors: serverErrors,
    errors_by_hour: errorsByHour,
    ip_counts: ipCounts,
    top_ips: topIps,
  };
}

/** (ip, count) by count descending, then ip ascending: a total order, so ties are stable. */
export function rankIps(ipCounts: Aggregate["ipCounts"]): [string, number][] {
  const pairs = ipCounts.ip.map((ip, i): [string, number] => [ip, ipCounts.count[i]!]);
  return pairs.sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]));
}
