/**
 * The Spark job's outputs, built from the merged aggregate: pure data, column by column, ready
 * for Parquet. Text stays as the file's UTF-8 bytes; no string is made per row.
 */
import type { Aggregate, IpCounts } from "./aggregate";

export type ColumnType = "UTF8" | "INT32" | "INT64" | "DATE";

/**
 * Text values: value i is bytes[starts[i], ends[i]), or null where `nulls[i]` is 1. Without
 * `starts` the values lie back to back, as IP keys do: value i starts where value i - 1 ends.
 */
export interface Utf8Values {
  readonly bytes: Uint8Array;
  readonly starts?: Uint32Array;
  readonly ends: Uint32Array;
  readonly nulls?: Uint8Array;
  /**
   * The values are in unsigned byte order, value i never after value i + 1 (merged IP keys are):
   * of any of them, the least has the lowest index and the greatest the highest.
   */
  readonly ascending?: boolean;
}

/**
 * UTF8 columns hold Utf8Values; INT32 and DATE (days since 1970-01-01) Int32Array; INT64
 * Float64Array or Uint32Array.
 */
export type ColumnValues = Utf8Values | Int32Array | Float64Array | Uint32Array;

export interface TableColumn {
  readonly name: string;
  readonly type: ColumnType;
  readonly optional?: boolean;
  readonly values: ColumnValues;
  /**
   * Row r holds value order[r]; without it, value r. The IP tables take the merged counts'
   * keys and counts in rank order this way, without a ranked copy of either.
   */
  readonly order?: Int32Array;
}

export interface Table {
  readonly name: string;
  readonly rowCount: number;
  readonly columns: readonly TableColumn[];
}

export const TABLE_NAMES = ["server_errors", "errors_by_hour", "ip_counts", "top_ips"] as const;
export type TableName = (typeof TABLE_NAMES)[number];

const MS_PER_DAY = 86_400_000;
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** `agg` is a merged aggregate: its ip counts are ordered by key bytes. */
export function buildTables(agg: Aggregate, topN: number): Record<TableName, Table> {
  const se = agg.serverErrors;
  const days = new Map<string, number>();
  const serverErrors: Table = {
    name: "server_errors",
    rowCount: se.offset.length,
    columns: [
      {
        name: "date",
        type: "DATE",
        values: Int32Array.from(se.date, (d) => {
          let day = days.get(d);
          if (day === undefined) {
            day = Date.parse(`${d}T00:00:00Z`) / MS_PER_DAY;
            days.set(d, day);
          }
          return day;
        }),
      },
      { name: "time", type: "UTF8", values: utf8Values(se.time) },
      { name: "extention", type: "UTF8", optional: true, values: utf8Values(se.extention) },
      { name: "code", type: "INT32", values: Int32Array.from(se.code) },
    ],
  };
  const hours = agg.errorsByHour.flatMap((count, hour) => (count > 0 ? [hour] : []));
  const errorsByHour: Table = {
    name: "errors_by_hour",
    rowCount: hours.length,
    columns: [
      { name: "hour", type: "INT32", values: Int32Array.from(hours) },
      { name: "count", type: "INT64", values: Float64Array.from(hours, (h) => agg.errorsByHour[h]!) },
    ],
  };
  const ranked = rankIps(agg.ipCounts);
  const top = ranked.subarray(0, Math.min(topN, ranked.length));
  const ips: Utf8Values = { bytes: agg.ipCounts.keys, ends: agg.ipCounts.ends, ascending: true };
  const counts = agg.ipCounts.counts;
  const ipCounts: Table = {
    name: "ip_counts",
    rowCount: ranked.length,
    columns: [
      { name: "ip", type: "UTF8", values: ips, order: ranked },
      { name: "count", type: "INT64", values: counts, order: ranked },
    ],
  };
  const topIps: Table = {
    name: "top_ips",
    rowCount: top.length,
    columns: [
      { name: "rank", type: "INT32", values: Int32Array.from(top, (_, i) => i + 1) },
      { name: "ip", type: "UTF8", values: ips, order: top },
      { name: "count", type: "INT64", values: counts, order: top },
    ],
  };
  return {
    server_errors: serverErrors,
    errors_by_hour: errorsByHour,
    ip_counts: ipCounts,
    top_ips: topIps,
  };
}

/**
 * Positions of `ipCounts` (ordered by key bytes) by count descending, then key ascending: a
 * total order, so ties are stable. Counts are small integers, so a counting sort places each
 * position in one pass; a comparator sort is the fallback for counts too large to bucket.
 */
export function rankIps(ipCounts: IpCounts): Int32Array {
  const { counts } = ipCounts;
  const n = counts.length;
  let maxCount = 0;
  // Whether every count is a whole number below 2^32 (one that is not, NaN included, changes
  // under >>> 0): what the buckets below can hold.
  let bucketable = true;
  for (let i = 0; i < n; i++) {
    const count = counts[i]!;
    if (count > maxCount) maxCount = count;
    if (count >>> 0 !== count) bucketable = false;
  }
  if (!bucketable || maxCount > Math.max(1 << 20, 4 * n)) {
    return Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => counts[b]! - counts[a]! || a - b);
  }
  // startOf[c]: where the positions with count c begin, counts descending.
  const startOf = new Int32Array(maxCount + 2);
  for (let i = 0; i < n; i++) startOf[maxCount - counts[i]!]!++;
  for (let c = 0, sum = 0; c <= maxCount; c++) {
    const inBucket = startOf[c]!;
    startOf[c] = sum;
    sum += inBucket;
  }
  const ranked = new Int32Array(n);
  for (let i = 0; i < n; i++) ranked[startOf[maxCount - counts[i]!]!++] = i;
  return ranked;
}

/**
 * Strings (or nulls) as UTF-8 values, laid end to end in one buffer. Nearly every text here is
 * ASCII (times, file extensions), copied a character to a byte; any other is encoded as
 * Buffer.from would encode it. A Buffer per value cost 130-350 ms for a 2.7 GB day's 400 k
 * server-error times and extensions, joining them first 30-50 ms.
 */
export function utf8Values(texts: readonly (string | null)[]): Utf8Values {
  const n = texts.length;
  const starts = new Uint32Array(n);
  const ends = new Uint32Array(n);
  const nulls = new Uint8Array(n);
  /** 1 where the text has a character past U+007F. */
  const wide = new Uint8Array(n);
  let size = 0;
  for (let i = 0; i < n; i++) {
    const t = texts[i]!;
    if (t === null) {
      nulls[i] = 1;
      continue;
    }
    let k = 0;
    while (k < t.length && t.charCodeAt(k) < 0x80) k++;
    if (k === t.length) size += k;
    else {
      wide[i] = 1;
      size += Buffer.byteLength(t, "utf8");
    }
  }
  const bytes = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < n; i++) {
    starts[i] = at;
    const t = texts[i]!;
    if (t !== null && wide[i] === 1) at += bytes.write(t, at, "utf8");
    else if (t !== null) {
      for (let k = 0; k < t.length; k++) bytes[at + k] = t.charCodeAt(k);
      at += t.length;
    }
    ends[i] = at;
  }
  // Without a null, no nulls array: a required column's rows are then all its values.
  return nulls.includes(1) ? { bytes, starts, ends, nulls } : { bytes, starts, ends };
}

export function isUtf8(values: ColumnValues): values is Utf8Values {
  return !ArrayBuffer.isView(values);
}

/** Where text value i starts. */
export function startOf(v: Utf8Values, i: number): number {
  return v.starts !== undefined ? v.starts[i]! : i === 0 ? 0 : v.ends[i - 1]!;
}

/** Row `row` of a column as a JS value: text, a number, an ISO date, or null. */
export function valueAt(column: TableColumn, row: number): string | number | null {
  const v = column.values;
  const i = column.order === undefined ? row : column.order[row]!;
  if (isUtf8(v)) return v.nulls?.[i] === 1 ? null : utf8.decode(v.bytes.subarray(startOf(v, i), v.ends[i]));
  if (column.type === "DATE") return new Date(v[i]! * MS_PER_DAY).toISOString().slice(0, 10);
  return v[i]!;
}

/** The table as row objects keyed by column name; for small tables, reports and tests. */
export function tableRows(table: Table): Record<string, string | number | null>[] {
  return Array.from({ length: table.rowCount }, (_, i) =>
    Object.fromEntries(table.columns.map((c) => [c.name, valueAt(c, i)])),
  );
}
