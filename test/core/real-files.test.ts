/**
 * Conformance on real SEC EDGAR log slices, vendored as the zip archives the SEC publishes
 * (test/fixtures/edgar-real). Every expected answer is computed here by DuckDB from the CSV that
 * fflate extracts, never by our code; our local pipeline reads the archive itself, through the
 * inflate stage (Parquet read back by DuckDB), and the in-memory core reads the extracted CSV at
 * several range sizes. Both must match DuckDB.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_RUN_OPTIONS } from "../../functions/contracts";
import { tableRows } from "../../functions/core/tables";
import { workKeys } from "../../functions/stages/layout";
import { runLocal } from "../../local/run-local";
import { csvMemberOf, type Duck, edgarCsvRelation, openDuck, sqlText } from "../helpers/duckdb";
import { runCore } from "../helpers/run-core";

const REAL_DIR = join(import.meta.dirname, "../fixtures/edgar-real");
const ARCHIVES = readdirSync(REAL_DIR)
  .filter((f) => f.endsWith(".zip"))
  .sort();
const SMALL_FILE_BYTES = 100_000;

/** Row counts as PROVENANCE.md documents them (an independent check on DuckDB's reading). */
function documentedRows(): Map<string, number> {
  const rows = new Map<string, number>();
  for (const line of readFileSync(join(REAL_DIR, "PROVENANCE.md"), "utf8").split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells[1]?.endsWith(".zip") && /^[\d,]+$/.test(cells[4] ?? "")) {
      rows.set(cells[1], Number(cells[4]!.replaceAll(",", "")));
    }
  }
  return rows;
}

interface Golden {
  rows: number;
  okRows: number;
  invalidCik: number;
  dates: { minDate: string; maxDate: string; minTime: string; maxTime: string };
  serverErrors: { date: string; time: string; extention: string | null; code: number }[];
  errorsByHour: { hour: number; count: number }[];
  ipCounts: { ip: string; count: number }[];
}

/** DuckDB's answers for one CSV; types are cast in SQL so no sniffing is involved. */
async function goldenOf(duck: Duck, path: string): Promise<Golden> {
  await duck.rows(`create or replace temp table t as select * from ${edgarCsvRelation(path)}`);
  // The schema's rules, in SQL: required fields present and well-formed.
  const okRow = `ip is not null and ip <> ''
    and regexp_full_match(date, '\\d{4}-\\d{2}-\\d{2}') and try_strptime(date, '%Y-%m-%d') is not null
    and regexp_full_match(time, '([01]?\\d|2[0-3]):[0-5]\\d:[0-5]\\d')
    and try_cast(code as double) between 0 and 999 and try_cast(code as double) = floor(try_cast(code as double))`;
  const [counts] = await duck.rows(`select count(*)::int as rows,
      count(*) filter (where ${okRow})::int as ok,
      count(*) filter (where nullif(cik, '') is not null
        and not regexp_full_match(cik, '-?\\d{1,15}(\\.0*)?'))::int as invalid_cik,
      min(date) as min_date, max(date) as max_date,
      min(lpad(time, 8, '0')) as min_time, max(lpad(time, 8, '0')) as max_time
    from t`);
  const errors = `(select *, cast(cast(code as double) as integer) as status from t
    where cast(code as double) >= 500 and cast(code as double) < 600)`;
  return {
    rows: counts!.rows as number,
    okRows: counts!.ok as number,
    invalidCik: counts!.invalid_cik as number,
    dates: {
      minDate: counts!.min_date as string,
      maxDate: counts!.max_date as string,
      minTime: counts!.min_time as string,
      maxTime: counts!.max_time as string,
    },
    // File order: DuckDB preserves insertion order for a filtered scan.
    serverErrors: (await duck.rows(
      `select date, lpad(time, 8, '0') as time, nullif(extention, '') as extention, status as code from ${errors}`,
    )) as Golden["serverErrors"],
    errorsByHour: (await duck.rows(
      `select cast(split_part(time, ':', 1) as integer) as hour, count(*)::int as count
       from ${errors} group by hour order by hour`,
    )) as Golden["errorsByHour"],
    ipCounts: (await duck.rows(
      `select ip, count(*)::int as count from t group by ip order by count desc, ip asc`,
    )) as Golden["ipCounts"],
  };
}

describe("real EDGAR log archives against DuckDB", () => {
  let duck: Duck;
  let tmp: string;
  const documented = documentedRows();

  beforeAll(async () => {
    duck = await openDuck();
    tmp = await mkdtemp(join(tmpdir(), "edgar-real-"));
  });
  afterAll(async () => {
    duck?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("finds the archives, each with its row count documented in PROVENANCE.md", () => {
    expect(ARCHIVES.length).toBe(6);
    expect(ARCHIVES.filter((f) => !documented.has(f))).toEqual([]);
  });

  describe.each(ARCHIVES)("%s", (file) => {
    const archive = join(REAL_DIR, file);
    const csv = csvMemberOf(archive);
    const size = csv.bytes.length;
    let csvPath: string;
    let golden: Golden;

    beforeAll(async () => {
      csvPath = join(tmp, csv.member);
      writeFileSync(csvPath, csv.bytes);
      golden = await goldenOf(duck, csvPath);
    });

    it("DuckDB's reading agrees with PROVENANCE.md and every row is well-formed", () => {
      expect(golden.rows).toBe(documented.get(file));
      expect(golden.okRows).toBe(golden.rows);
    });

    it("the local pipeline, reading the archive, stages its CSV byte for byte and its tables and validation equal DuckDB's answers", async () => {
      // Act
      const outDir = join(tmp, "out", file);
      const workDir = join(tmp, "work", file);
      const runId = `real-${file.replace(/\W/g, "-")}`;
      const { validation, result } = await runLocal({
        file: archive,
        outDir,
        options: { ...DEFAULT_RUN_OPTIONS, rangeBytes: 1 << 20 },
        concurrency: 2,
        runId,
        workDir,
      });

      // Assess
      const staged = readFileSync(join(workDir, ...workKeys.staged(runId).split("/")));
      expect(staged.equals(csv.bytes)).toBe(true);
      expect(result.status).toBe("pass");
      expect(validation.rows).toMatchObject({
        read: golden.rows,
        ok: golden.okRows,
        corrupt: golden.rows - golden.okRows,
        sampledOut: 0,
      });
      expect(validation.invalidByColumn.cik).toBe(golden.invalidCik);
      expect({
        minDate: validation.date.min,
        maxDate: validation.date.max,
        minTime: validation.time.min,
        maxTime: validation.time.max,
      }).toEqual(golden.dates);
      const stem = csv.member.replace(/\.csv$/, "");
      const table = (name: string) => sqlText(join(outDir, name, `source=${stem}`, "part-00000.parquet"));
      // Read back without ORDER BY: the stored order must already be the specified one.
      expect(
        await duck.rows(`select date::varchar as date, time, extention, code from ${table("server_errors")}`),
      ).toEqual(golden.serverErrors);
      expect(await duck.rows(`select hour, count::int as count from ${table("errors_by_hour")}`)).toEqual(
        golden.errorsByHour,
      );
      expect(await duck.rows(`select ip, count::int as count from ${table("ip_counts")}`)).toEqual(
        golden.ipCounts,
      );
      expect(await duck.rows(`select rank, ip, count::int as count from ${table("top_ips")}`)).toEqual(
        golden.ipCounts.slice(0, 20).map((r, i) => ({ rank: i + 1, ...r })),
      );
    });

    const splits: [rangeBytes: number, chunkBytes: number][] = [
      [1 << 20, 1 << 16],
      [64 << 10, 4093],
      [4099, 1000],
      [997, 7],
      ...(size < SMALL_FILE_BYTES ? ([[97, 13]] as [number, number][]) : []),
    ];
    it.each(splits)(
      "the in-memory core at %i-byte ranges (%i-byte chunks) equals DuckDB's answers",
      async (rangeBytes, chunkBytes) => {
        // Act
        const { merged, tables, plan } = await runCore({ bytes: csv.bytes, rangeBytes, chunkBytes });

        // Assess
        expect(plan.ranges.length).toBe(Math.ceil((size - plan.header.dataStart) / rangeBytes));
        expect(merged.rows).toMatchObject({
          read: golden.rows,
          ok: golden.okRows,
          corrupt: golden.rows - golden.okRows,
          sampledOut: 0,
        });
        expect(merged.invalidByColumn.cik).toBe(golden.invalidCik);
        expect(tableRows(tables.server_errors)).toEqual(golden.serverErrors);
        expect(tableRows(tables.errors_by_hour)).toEqual(golden.errorsByHour);
        expect(tableRows(tables.top_ips)).toEqual(
          golden.ipCounts.slice(0, 20).map((r, i) => ({ rank: i + 1, ...r })),
        );
        expect(tableRows(tables.ip_counts)).toEqual(golden.ipCounts);
      },
    );
  });
});
