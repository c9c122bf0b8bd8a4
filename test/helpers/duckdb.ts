/**
 * DuckDB (in memory) as the independent engine tests compare against: it reads the real CSVs
 * and our Parquet output. Nothing here uses the product's code: archives are extracted for it by
 * fflate, a zip implementation the product does not use.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { unzipSync } from "fflate";
import { expect } from "vitest";
import { EDGAR_COLUMNS } from "./edgar-csv";

export type JsonRow = Record<string, unknown>;

export interface Duck {
  rows(sql: string): Promise<JsonRow[]>;
  close(): void;
}

export async function openDuck(): Promise<Duck> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection: DuckDBConnection = await instance.connect();
  return {
    async rows(sql) {
      return (await connection.runAndReadAll(sql)).getRowObjectsJson() as JsonRow[];
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * Two Parquet files of one table, `expected` first: the same bytes, and the same rows as DuckDB
 * reads them, of which there are some.
 */
export async function expectSameParquet(
  duck: Duck,
  files: readonly [expected: string, actual: string],
  table: string,
): Promise<void> {
  const [expectedBytes, actualBytes] = await Promise.all(files.map((f) => readFile(f)));
  expect(actualBytes!.equals(expectedBytes!), table).toBe(true);
  const [expectedRows, actualRows] = await Promise.all(
    files.map((f) => duck.rows(`select * from read_parquet(${sqlText(f)})`)),
  );
  expect(actualRows, table).toEqual(expectedRows);
  expect(expectedRows!.length, table).toBeGreaterThan(0);
}

/** A SQL string literal. */
export function sqlText(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * An EDGAR CSV as a DuckDB relation of 15 VARCHAR columns, with the dialect spelled out so no
 * sniffing happens: header line skipped, comma, double quote escaped by doubling, strict.
 */
export function edgarCsvRelation(path: string): string {
  const columns = `{${EDGAR_COLUMNS.map((c) => `${sqlText(c)}: 'VARCHAR'`).join(", ")}}`;
  return `read_csv(${sqlText(path)}, header = true, auto_detect = false, columns = ${columns}, delim = ',', quote = '"', escape = '"', strict_mode = true)`;
}

/** A zip's one `.csv` member, extracted (DuckDB reads no zip; write it out for it to read). */
export function csvMemberOf(zipPath: string): { member: string; bytes: Uint8Array } {
  const members = Object.entries(unzipSync(readFileSync(zipPath))).filter(([name]) => name.endsWith(".csv"));
  if (members.length !== 1) throw new Error(`${zipPath}: expected one .csv member, found ${members.length}`);
  const [member, bytes] = members[0]!;
  return { member, bytes };
}
