/**
 * Encodes a Table as one Parquet file in memory (parquetjs-lite), with logical types readers
 * agree on: UTF8 strings, INT32/INT64, DATE (days since 1970-01-01). Snappy-compressed pages;
 * DataPage V1, which every reader (Athena's older engines included) accepts.
 */
import parquet from "parquetjs-lite";
import type { Table } from "./tables";

const MS_PER_DAY = 86_400_000;

/** A write target that collects the bytes parquetjs-lite hands it. */
class MemorySink {
  readonly parts: Buffer[] = [];
  write(buf: Buffer, done: (err?: Error) => void): void {
    this.parts.push(Buffer.from(buf));
    done();
  }
  end(done: (err?: Error) => void): void {
    done();
  }
}

export async function encodeParquet(table: Table, rowGroupRows = 100_000): Promise<Uint8Array> {
  const fields: Record<string, { type: string; optional?: boolean; compression: string }> = {};
  for (const c of table.columns) {
    fields[c.name] = { type: c.type, optional: c.optional === true, compression: "SNAPPY" };
  }
  const schema = new parquet.ParquetSchema(fields);
  const sink = new MemorySink();
  const writer = await parquet.ParquetWriter.openStream(schema, sink, { useDataPageV2: false });
  writer.setRowGroupSize(rowGroupRows);
  const dateColumns = table.columns.filter((c) => c.type === "DATE").map((c) => c.name);
  for (const row of table.rows) {
    if (dateColumns.length === 0) {
      await writer.appendRow(row);
      continue;
    }
    const out: Record<string, unknown> = { ...row };
    for (const name of dateColumns) {
      const v = row[name];
      out[name] = v === null || v === undefined ? v : Date.parse(`${v}T00:00:00Z`) / MS_PER_DAY;
    }
    await writer.appendRow(out);
  }
  await writer.close();
  return Buffer.concat(sink.parts);
}
